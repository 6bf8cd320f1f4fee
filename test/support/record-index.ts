import { promises as fs } from 'node:fs';
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

/**
 * Overwrites the head of the first page of `tree` (the table, or one of its
 * indexes) in a data directory's index of `kind`: a database that still opens,
 * damaged where a query or a write reads that tree. The index must be closed.
 */
export async function damageTree(
  home: string,
  kind: 'jobs' | 'links',
  tree: 'records' | 'records_by_state' | 'records_by_due',
): Promise<void> {
  const file = join(home, 'index', `${kind}.sqlite`);
  const db = new DatabaseSync(file);
  const { page_size: pageSize } = db.prepare('PRAGMA page_size').get() as { page_size: number };
  const { rootpage } = db
    .prepare('SELECT rootpage FROM sqlite_master WHERE name = ?')
    .get(tree) as {
    rootpage: number;
  };
  db.close();
  const handle = await fs.open(file, 'r+');
  try {
    await handle.write(Buffer.alloc(64, 0xff), 0, 64, (rootpage - 1) * pageSize);
  } finally {
    await handle.close();
  }
}
