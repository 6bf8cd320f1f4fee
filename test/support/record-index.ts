import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';

type Row = { id: string; state: string | null; due: number | null };

/** Every row of a data directory's index of `kind` (store/record-index.ts). */
function rowsOf(home: string, kind: 'jobs' | 'links'): Row[] {
  const db = new DatabaseSync(join(home, 'index', `${kind}.sqlite`), { readOnly: true });
  try {
    return db.prepare('SELECT id, state, due FROM records').all() as Row[];
  } finally {
    db.close();
  }
}

/** The rows of a data directory's index of `kind`: id → state. */
export function indexRows(home: string, kind: 'jobs' | 'links'): Map<string, string | null> {
  return new Map(rowsOf(home, kind).map((row) => [row.id, row.state]));
}

/** When each record of `kind` is due in the index (ms), by id. */
export function indexDue(home: string, kind: 'jobs' | 'links'): Map<string, number | null> {
  return new Map(rowsOf(home, kind).map((row) => [row.id, row.due]));
}
