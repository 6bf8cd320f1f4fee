import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';

/** The rows of a data directory's index of `kind` (store/record-index.ts): id → state. */
export function indexRows(home: string, kind: 'jobs' | 'links'): Map<string, string | null> {
  const db = new DatabaseSync(join(home, 'index', `${kind}.sqlite`), { readOnly: true });
  try {
    const rows = db.prepare('SELECT id, state FROM records').all() as {
      id: string;
      state: string | null;
    }[];
    return new Map(rows.map((row) => [row.id, row.state]));
  } finally {
    db.close();
  }
}

/** When each record of `kind` is due in the index (ms), by id. */
export function indexDue(home: string, kind: 'jobs' | 'links'): Map<string, number | null> {
  const db = new DatabaseSync(join(home, 'index', `${kind}.sqlite`), { readOnly: true });
  try {
    const rows = db.prepare('SELECT id, due FROM records').all() as {
      id: string;
      due: number | null;
    }[];
    return new Map(rows.map((row) => [row.id, row.due]));
  } finally {
    db.close();
  }
}
