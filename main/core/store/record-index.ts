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

/** Whether SQLite found the database damaged, when it opened or in a query. */
function isDamage(error: unknown): boolean {
  return DAMAGED.has((error as { errcode?: number }).errcode ?? 0);
}

/**
 * The index's database. One that does not open because it is damaged is made
 * again, empty: it is a cache of the records, which `over` then reads once.
 * `fresh`: made again whatever it holds (a page found damaged after it opened).
 */
async function openIndex(home: string, kind: string, fresh = false): Promise<DatabaseSync> {
  const dir = join(home, 'index');
  const file = `${kind}.sqlite`;
  const remove = () =>
    Promise.all(
      [file, `${file}-wal`, `${file}-shm`].map((name) => fs.rm(join(dir, name), { force: true })),
    );
  if (fresh) await remove();
  try {
    return await openDatabase(dir, file, SCHEMA, 1);
  } catch (error) {
    if (!isDamage(error)) throw error;
    await remove();
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
 * counting (`over`) and reads once. A database SQLite finds damaged (when it
 * opens, or a page when a query or a write reaches it) is made again from
 * the records (`healing`).
 */
export class RecordIndex<T> {
  /** The row this process last wrote per id: a write that changes nothing writes no row. */
  private readonly known = new Map<string, IndexRow>();
  private readonly pending = new Map<string, IndexRow>();
  private flushing: NodeJS.Timeout | undefined;
  private db!: DatabaseSync;
  private upsert!: StatementSync;
  private remove!: StatementSync;
  /** A write found the database damaged: the next query makes it again first. */
  private damaged = false;
  private remaking: Promise<void> | undefined;

  private constructor(
    private readonly home: string,
    private readonly kind: string,
    private readonly records: RecordDir<T>,
    private readonly rowOf: (record: T) => IndexRow,
  ) {}

  private use(db: DatabaseSync): void {
    this.db = db;
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
  ): Promise<RecordIndex<T>> {
    const index = new RecordIndex(home, kind, records, rowOf);
    index.use(await openIndex(home, kind));
    await index.healing(async () => {
      const { rows } = index.db.prepare('SELECT count(*) AS rows FROM records').get() as {
        rows: number;
      };
      if (rows !== (await records.count())) await index.match();
    });
    return index;
  }

  private async match(): Promise<void> {
    const onDisk = await this.records.ids();
    const gone: string[] = [];
    for (const { id } of this.db.prepare('SELECT id FROM records').iterate() as Iterable<{
      id: string;
    }>) {
      if (!onDisk.delete(id)) gone.push(id);
    }
    if (gone.length > 0) {
      this.write(() => inTransaction(this.db, () => gone.forEach((id) => this.forget(id))));
    }
    for (const id of onDisk) {
      const record = await this.records.get(id);
      this.pending.set(id, record === undefined ? { state: null, due: null } : this.rowOf(record));
    }
    this.flush(); // one transaction: the first open after an upgrade indexes every record kept
  }

  /**
   * `query`'s answer, asked again of a database made again from the records
   * if SQLite finds the database damaged meanwhile (a page no open reads: a
   * disk error, a copy cut short) or a write found it so before.
   */
  private async healing<R>(query: () => R | Promise<R>): Promise<R> {
    await this.remaking; // the database is closed meanwhile
    try {
      const answer = await query();
      if (!this.damaged) return answer;
    } catch (error) {
      if (!isDamage(error)) throw error;
    }
    this.remaking ??= this.remake().finally(() => (this.remaking = undefined));
    await this.remaking;
    return query();
  }

  private async remake(): Promise<void> {
    this.damaged = true; // no writes while it is closed: `match` reads every record after
    if (this.db.isOpen) this.db.close();
    this.use(await openIndex(this.home, this.kind, true));
    this.known.clear();
    this.damaged = false;
    await this.match();
  }

  /** A write; one that finds the database damaged is left to the remaking it then needs. */
  private write(work: () => void): void {
    if (this.damaged || !this.db.isOpen) return;
    try {
      work();
    } catch (error) {
      if (!isDamage(error)) throw error;
      this.damaged = true;
    }
  }

  /** The row of `id` as `row`, written unless this process wrote the same last. */
  note(id: string, row: IndexRow): void {
    this.pending.delete(id);
    this.write(() => this.noteRow(id, row));
  }

  private noteRow(id: string, row: IndexRow): void {
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
    if (this.pending.size === 0) return;
    const rows = [...this.pending];
    this.pending.clear();
    this.write(() =>
      inTransaction(this.db, () => rows.forEach(([id, row]) => this.noteRow(id, row))),
    );
  }

  /** The row this process last wrote for `id`, if any. */
  last(id: string): IndexRow | undefined {
    return this.known.get(id);
  }

  forget(id: string): void {
    this.pending.delete(id);
    this.known.delete(id);
    this.write(() => this.remove.run(id));
  }

  /** Ids whose row is in one of `states`. */
  inState(...states: string[]): Promise<string[]> {
    const marks = states.map(() => '?').join(', ');
    return this.ids(`SELECT id FROM records WHERE state IN (${marks})`, ...states);
  }

  /** Ids due at `now` or before. */
  dueBy(now: number): Promise<string[]> {
    return this.ids('SELECT id FROM records WHERE due <= ?', now);
  }

  private ids(query: string, ...params: (string | number)[]): Promise<string[]> {
    return this.healing(() => {
      this.flush();
      const rows = this.db.prepare(query).all(...params) as { id: string }[];
      return rows.map((row) => row.id);
    });
  }

  close(): void {
    this.flush();
    if (this.db.isOpen) this.db.close();
  }
}
