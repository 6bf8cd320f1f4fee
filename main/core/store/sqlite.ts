import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { ensurePrivateDir } from './atomic-file';

/**
 * Opens (or creates) an SQLite database in a private folder of the data
 * directory, crash-safe: WAL with synchronous=FULL, so a transaction is
 * acknowledged only once it is on disk and `kill -9` never leaves a database
 * that does not open. Other Outbox processes (the app, `outbox serve`, the
 * CLI) open the same file: a writer waits for their commits, readers never
 * block. `schema` runs once per `version` (PRAGMA user_version).
 */
export async function openDatabase(
  dir: string,
  file: string,
  schema: string,
  version: number,
): Promise<DatabaseSync> {
  await ensurePrivateDir(dir); // the database files inherit nothing: the folder keeps them private
  const db = new DatabaseSync(join(dir, file), { timeout: 10_000 });
  db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;');
  const { user_version: current } = db.prepare('PRAGMA user_version').get() as {
    user_version: number;
  };
  if (current < version) {
    db.exec(`BEGIN IMMEDIATE; ${schema} PRAGMA user_version = ${version}; COMMIT;`);
  }
  return db;
}

/**
 * `work` in one write transaction: taken at once (IMMEDIATE, so it never has to
 * upgrade a read lock and fail), committed, or rolled back if `work` throws.
 */
export function inTransaction(db: DatabaseSync, work: () => void): void {
  db.exec('BEGIN IMMEDIATE');
  try {
    work();
    db.exec('COMMIT');
  } catch (error) {
    if (db.isTransaction) db.exec('ROLLBACK'); // a failed COMMIT may have ended it already
    throw error;
  }
}
