import { promises as fs } from 'node:fs';
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { join } from 'node:path';
import type { RecordDir } from './record-dir';
import { inTransaction, openDatabase } from './sqlite';

/** Rows `noteSoon` holds at most, and how long. */
const FLUSH_AT = 1000;
const FLUSH_AFTER_MS = 100;

/** SQLite's result codes for a file that is not a database, or is damaged. */
const DAMAGED = new Set([11 /* SQLITE_CORRUPT */, 26 /* SQLITE_NOTADB */]);

/**
 * The index's database. One that does not open because it is damaged is made
 * again, empty: it is a cache of the records, which `over` then reads once.
 */
async function openIndex(home: string, kind: string): Promise<DatabaseSync> {
  const dir = join(home, 'index');
  const file = `${kind}.sqlite`;
  try {
    return await openDatabase(dir, file, SCHEMA, 1);
  } catch (error) {
    if (!DAMAGED.has((error as { errcode?: number }).errcode ?? 0)) throw error;
    const names = [file, `${file}-wal`, `${file}-shm`];
    await Promise.all(names.map((name) => fs.rm(join(dir, name), { force: true })));
    return openDatabase(dir, file, SCHEMA, 1);
  }
}

/** What an index keeps of a record: a state its owner asks by, and when it is due (ms). */
export type IndexRow = { state: string | null; due: number | null };

const SCHEMA = `
CREATE TABLE IF NOT EXISTS records (
  id TEXT PRIMARY KEY,
  state TEXT,
  due INTEGER
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS records_by_state ON records (state);
CREATE INDEX IF NOT EXISTS records_by_due ON records (due);
`;

/**
 * A few facts of each record of a RecordDir (a state and a due time), in
 * SQLite (`<home>/index/<kind>.sqlite`), so that opening the data directory
 * reads only the records it must (jobs still open, records past their time)
 * instead of every record kept: with 1,000 jobs, or the 10,000 links of one
 * export, every `outbox export` read them all before it started.
 *
 * A cache, never trusted over a record: a kill between a record and its
 * row leaves a row that names the record among those to read (which then
 * corrects it), or no row (a new record), which the next open finds by
 * counting (`over`) and reads once.
 */
export class RecordIndex {
  /** The row this process last wrote per id: a write that changes nothing writes no row. */
  private readonly known = new Map<string, IndexRow>();
  private readonly pending = new Map<string, IndexRow>();
  private flushing: NodeJS.Timeout | undefined;
  private readonly upsert: StatementSync;
  private readonly remove: StatementSync;

  private constructor(private readonly db: DatabaseSync) {
    this.upsert = db.prepare(
      'INSERT INTO records (id, state, due) VALUES (?, ?, ?) ' +
        'ON CONFLICT (id) DO UPDATE SET state = excluded.state, due = excluded.due',
    );
    this.remove = db.prepare('DELETE FROM records WHERE id = ?');
  }

  /**
   * The index of `records`. Rows are written once their record is on disk
   * and dropped before it is removed, so there are never more rows than
   * records: equal counts (the folder's names counted, none read) mean every
   * record has its row. Else they are matched: rows of records gone are
   * dropped, records without a row (written before the index existed, or
   * their process killed before their row) are read (`rowOf`); a record that
   * is not valid gets an empty row, and is not read again. What a count
   * cannot see: a record deleted and another added by hand between two opens.
   */
  static async over<T>(
    home: string,
    kind: string,
    records: RecordDir<T>,
    rowOf: (record: T) => IndexRow,
  ): Promise<RecordIndex> {
    const db = await openIndex(home, kind);
    const index = new RecordIndex(db);
    const { rows } = db.prepare('SELECT count(*) AS rows FROM records').get() as { rows: number };
    if (rows !== (await records.count())) await index.match(records, rowOf);
    return index;
  }

  private async match<T>(records: RecordDir<T>, rowOf: (record: T) => IndexRow): Promise<void> {
    const onDisk = await records.ids();
    const gone: string[] = [];
    for (const { id } of this.db.prepare('SELECT id FROM records').iterate() as Iterable<{
      id: string;
    }>) {
      if (!onDisk.delete(id)) gone.push(id);
    }
    if (gone.length > 0) inTransaction(this.db, () => gone.forEach((id) => this.forget(id)));
    for (const id of onDisk) {
      const record = await records.get(id);
      this.pending.set(id, record === undefined ? { state: null, due: null } : rowOf(record));
    }
    this.flush(); // one transaction: the first open after an upgrade indexes every record kept
  }

  /** The row of `id` as `row`, written unless this process wrote the same last. */
  note(id: string, row: IndexRow): void {
    this.pending.delete(id);
    const known = this.known.get(id);
    if (known?.state === row.state && known.due === row.due) return;
    this.upsert.run(id, row.state, row.due);
    this.known.set(id, row);
  }

  /**
   * The row of a record just written, with others in one transaction, once
   * `FLUSH_AT` wait or `FLUSH_AFTER_MS` passed: an export of 10,000 links
   * writes 10,000 records, and a transaction each took ~0.2 ms more per
   * record. A kill before leaves records without a row, read at the next open.
   */
  noteSoon(id: string, row: IndexRow): void {
    this.pending.set(id, row);
    if (this.pending.size >= FLUSH_AT) this.flush();
    else this.flushing ??= setTimeout(() => this.flush(), FLUSH_AFTER_MS).unref();
  }

  /** The rows `noteSoon` holds, written now. */
  flush(): void {
    if (this.flushing) clearTimeout(this.flushing);
    this.flushing = undefined;
    if (this.pending.size === 0 || !this.db.isOpen) return;
    const rows = [...this.pending];
    this.pending.clear();
    inTransaction(this.db, () => rows.forEach(([id, row]) => this.note(id, row)));
  }

  /** The row this process last wrote for `id`, if any. */
  last(id: string): IndexRow | undefined {
    return this.known.get(id);
  }

  forget(id: string): void {
    this.pending.delete(id);
    this.remove.run(id);
    this.known.delete(id);
  }

  /** Ids whose row is in one of `states`. */
  inState(...states: string[]): string[] {
    this.flush();
    const rows = this.db
      .prepare(`SELECT id FROM records WHERE state IN (${states.map(() => '?').join(', ')})`)
      .all(...states);
    return (rows as { id: string }[]).map((row) => row.id);
  }

  /** Ids due at `now` or before. */
  dueBy(now: number): string[] {
    this.flush();
    const rows = this.db.prepare('SELECT id FROM records WHERE due <= ?').all(now);
    return (rows as { id: string }[]).map((row) => row.id);
  }

  close(): void {
    this.flush();
    if (this.db.isOpen) this.db.close();
  }
}
