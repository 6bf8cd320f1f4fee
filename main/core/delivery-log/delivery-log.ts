import { join } from 'node:path';
import type { DatabaseSync, SQLInputValue, StatementSync } from 'node:sqlite';
import { ValidationError } from '../errors';
import { inTransaction, openDatabase } from '../store/sqlite';
import { inSlices } from '../time-slices';
import type {
  DeliveryEntry,
  DeliveryPage,
  DeliveryQuery,
  NewDeliveryEntry,
} from './delivery-entry';

/**
 * The delivery log: every delivered file, kept `retentionDays` (90 by
 * default), in SQLite (`node:sqlite`, built into the pinned Node and into
 * Electron's). WAL with synchronous=FULL: an append returns once its
 * transaction is on disk, so `kill -9` (or a power cut) loses no entry that
 * was acknowledged, and readers in other processes never block writers.
 * Pages are keyset pages on (delivered_at, id), so page 1,000 costs what
 * page 1 costs; file names are searched through an FTS5 trigram index.
 */

/**
 * 2: names are indexed by `append` in one statement per batch, not by an insert trigger.
 * 3: the name index is merged a little by each `append`, not whole levels at a commit.
 * 4: names are indexed up to a mark (`names_indexed`), some thousands at a time; the
 *    index merges 16 segments of a level at once (FTS5's `usermerge`; 4 by default: each
 *    name was rewritten twice as often), 32 at most before an insert must (`crisismerge`).
 */
const SCHEMA_VERSION = 4;
const DEFAULT_LIMIT = 100;
const DAY_MS = 86400 * 1000;
/**
 * A sliced append indexes names once this many wait: each FTS5 insert writes a
 * segment, and 100,000 names in ~300 slices cost ~0.6 s more than in batches
 * of this size; 2,500 names take ~9 ms, within a responsive main thread.
 */
const NAME_BATCH = 2500;

const schema = `
CREATE TABLE IF NOT EXISTS deliveries (
  id INTEGER PRIMARY KEY,
  delivered_at INTEGER NOT NULL,
  job_id TEXT NOT NULL,
  task TEXT NOT NULL,
  source_path TEXT NOT NULL,
  filename TEXT NOT NULL,
  size INTEGER NOT NULL,
  checksum TEXT,
  destination TEXT NOT NULL,
  operation TEXT NOT NULL,
  location TEXT,
  verified_by TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS deliveries_by_time ON deliveries (delivered_at);
CREATE INDEX IF NOT EXISTS deliveries_by_destination ON deliveries (destination, delivered_at);
CREATE VIRTUAL TABLE IF NOT EXISTS delivery_names USING fts5 (
  filename, content = 'deliveries', content_rowid = 'id', tokenize = 'trigram'
);
CREATE TABLE IF NOT EXISTS names_indexed (upto INTEGER NOT NULL);
INSERT INTO names_indexed (upto)
  SELECT coalesce(max(id), 0) FROM deliveries WHERE NOT EXISTS (SELECT 1 FROM names_indexed);
DROP TRIGGER IF EXISTS deliveries_named;
DROP TRIGGER IF EXISTS deliveries_unnamed;
CREATE TRIGGER deliveries_unnamed AFTER DELETE ON deliveries
WHEN old.id <= (SELECT upto FROM names_indexed) BEGIN
  INSERT INTO delivery_names (delivery_names, rowid, filename) VALUES ('delete', old.id, old.filename);
END;
INSERT INTO delivery_names (delivery_names, rank) VALUES ('automerge', 0);
INSERT INTO delivery_names (delivery_names, rank) VALUES ('usermerge', 16);
INSERT INTO delivery_names (delivery_names, rank) VALUES ('crisismerge', 32);
`;

const columns =
  'id, delivered_at, job_id, task, source_path, filename, size, checksum, destination, operation, location, verified_by';

type Row = {
  id: number;
  delivered_at: number;
  job_id: string;
  task: string;
  source_path: string;
  filename: string;
  size: number;
  checksum: string | null;
  destination: string;
  operation: string;
  location: string | null;
  verified_by: string;
};

function entryOf(row: Row): DeliveryEntry {
  return {
    id: row.id,
    delivered_at: new Date(row.delivered_at).toISOString(),
    job_id: row.job_id,
    task: row.task,
    source_path: row.source_path,
    filename: row.filename,
    size: row.size,
    ...(row.checksum === null ? {} : { checksum: row.checksum }),
    destination: row.destination,
    operation: row.operation,
    ...(row.location === null ? {} : { location: row.location }),
    verified_by: row.verified_by,
  };
}

/** A sliced append that failed part-way: the first `written` entries are on disk, the rest are not. */
export class PartlyWritten extends Error {
  constructor(
    readonly written: number,
    cause: unknown,
  ) {
    super(cause instanceof Error ? cause.message : String(cause), { cause });
  }
}

/** `%`, `_` and `\` taken literally in a LIKE pattern (ESCAPE '\'). */
function likeLiteral(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

export class DeliveryLog {
  private readonly insert: StatementSync;
  private readonly indexNames: StatementSync;
  private readonly markIndexed: StatementSync;
  private readonly mergeNames: StatementSync;
  private readonly totalChanges: StatementSync;
  private readonly checkpoint: StatementSync;
  /** Entries this connection wrote whose names wait for a batch to be indexed. */
  private namesWaiting = 0;
  /** Sliced appends under way on this connection: their slices commit without an fsync. */
  private slicing = 0;

  private constructor(
    private readonly db: DatabaseSync,
    private readonly retentionMs: number,
  ) {
    this.insert = db.prepare(
      `INSERT INTO deliveries (delivered_at, job_id, task, source_path, filename, size, checksum, destination, operation, location, verified_by)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    // One FTS5 statement for a batch's names: a trigger per row cost ~30 µs each (3 s for a
    // ZIP link of 100,000 files), the same rows in one INSERT … SELECT ~4 µs. The mark moves
    // in the same transaction, so a name is indexed once, whichever process writes next.
    this.indexNames = db.prepare(
      `INSERT INTO delivery_names (rowid, filename)
       SELECT id, filename FROM deliveries WHERE id > (SELECT upto FROM names_indexed)`,
    );
    this.markIndexed = db.prepare(
      'UPDATE names_indexed SET upto = (SELECT coalesce(max(id), upto) FROM deliveries)',
    );
    this.totalChanges = db.prepare('SELECT total_changes() AS n');
    // Copies the WAL's pages into the database (see appendSliced); PASSIVE: never waits for readers.
    this.checkpoint = db.prepare('PRAGMA wal_checkpoint(PASSIVE)');
    // 16 pages of merging: ~5 ms; only levels of `usermerge` segments or more are merged
    this.mergeNames = db.prepare(
      "INSERT INTO delivery_names (delivery_names, rank) VALUES ('merge', 16)",
    );
  }

  /** Opens (or creates) `OUTBOX_HOME/delivery-log/deliveries.sqlite` and drops entries past retention. */
  static async open(home: string, retentionDays: number): Promise<DeliveryLog> {
    const db = await openDatabase(
      join(home, 'delivery-log'),
      'deliveries.sqlite',
      schema,
      SCHEMA_VERSION,
    );
    const log = new DeliveryLog(db, retentionDays * DAY_MS);
    inTransaction(log.db, () => log.indexAndMerge()); // those a process that stopped early left
    log.sweep();
    return log;
  }

  /**
   * Records delivered files and indexes their names in one transaction (one
   * fsync for the batch); returns once they are on disk. `entries` may be
   * made as they are written (a ZIP link of 100,000 files: no array of them).
   */
  append(entries: Iterable<NewDeliveryEntry>): void {
    if (Array.isArray(entries) && entries.length === 0) return;
    this.synced(() =>
      inTransaction(this.db, () => {
        this.insertAll(entries);
        this.indexAndMerge();
      }),
    );
  }

  /**
   * `write`'s transactions committed with an fsync (synchronous=FULL), also while a
   * sliced append runs; after the last one's final commit FULL stays, as `open` set it.
   */
  private synced(write: () => void): void {
    this.db.exec('PRAGMA synchronous = FULL');
    try {
      write();
    } finally {
      if (this.slicing > 0) this.db.exec('PRAGMA synchronous = NORMAL');
    }
  }

  /**
   * `append` in transactions of a few milliseconds each, the event loop turning
   * between them: 100,000 entries (a ZIP link's files) take ~1 s of inserts
   * and name indexing, too long to hold the main thread. Each transaction is
   * on disk before the next starts; a crash part-way keeps those written.
   * Names are indexed NAME_BATCH at a time and at the end (after a crash
   * part-way, by the next `open`): meanwhile a search by name may miss the
   * newest few thousand entries.
   * The slices commit without an fsync (synchronous=NORMAL: in WAL mode a
   * process crash still keeps them, a power cut may not), and the append
   * ends with one commit that has one: an fsync writes the WAL's earlier
   * frames too, so the append is on disk when it returns, as `append` is.
   * 100,000 entries were ~200 fsyncs.
   */
  async appendSliced(entries: Iterable<NewDeliveryEntry>): Promise<void> {
    // Indexing a batch of names takes a turn of its own, and merging the index as many
    // as it needs (else FTS5 merges 32 segments at once, ~80 ms, inside an insert); then
    // a checkpoint, in a turn of its own too: left to SQLite, a commit that finds 1,000
    // pages in the WAL copies them all into the database first (~16 ms, after a slice
    // of inserts: a 20 ms turn, every ninth). A batch writes a few hundred pages.
    let next: 'insert' | 'index' | 'merge' | 'checkpoint' = 'insert';
    let batches = 0;
    let written = 0;
    let failure: unknown;
    if (this.slicing++ === 0) this.db.exec('PRAGMA synchronous = NORMAL');
    try {
      await inSlices(entries, (slice) => {
        if (next === 'index') {
          inTransaction(this.db, () => this.indexWaitingNames());
          next = 'merge';
        } else if (next === 'merge') {
          if (!this.mergeSome()) next = ++batches % 2 === 0 ? 'checkpoint' : 'insert';
        } else if (next === 'checkpoint') {
          this.checkpoint.get();
          next = 'insert';
        } else {
          let count = 0;
          inTransaction(this.db, () => (count = this.insertAll(slice)));
          written += count;
          this.namesWaiting += count;
          if (this.namesWaiting >= NAME_BATCH) next = 'index';
        }
      });
    } catch (error) {
      failure = error;
    }
    this.slicing--;
    try {
      // The mark is written even when no name waits: a commit that writes nothing syncs nothing.
      this.synced(() =>
        inTransaction(this.db, () => {
          this.indexAndMerge();
          this.markIndexed.run();
        }),
      );
    } catch (error) {
      failure ??= error;
    }
    if (failure !== undefined) throw new PartlyWritten(written, failure);
  }

  private insertAll(entries: Iterable<NewDeliveryEntry>): number {
    let count = 0;
    for (const e of entries) {
      this.insert.run(
        Date.parse(e.delivered_at),
        e.job_id,
        e.task,
        e.source_path,
        e.filename,
        e.size,
        e.checksum ?? null,
        e.destination,
        e.operation,
        e.location ?? null,
        e.verified_by,
      );
      count++;
    }
    return count;
  }

  /** One bounded share of merging the name index, in a transaction; whether there was any to do. */
  private mergeSome(): boolean {
    const before = (this.totalChanges.get() as { n: number }).n;
    inTransaction(this.db, () => this.mergeNames.run());
    // FTS5's documented test: a merge that did work changed at least 2 rows of its tables
    return (this.totalChanges.get() as { n: number }).n - before >= 2;
  }

  /** Indexes every name past the mark (any process's); whether there were any. */
  private indexWaitingNames(): boolean {
    this.namesWaiting = 0;
    if (this.indexNames.run().changes === 0) return false;
    this.markIndexed.run();
    return true;
  }

  /**
   * FTS5 writes a batch's names as a new segment, and by default merges segments a level
   * at a time at a commit: with 100,000 names written in slices, every other commit took
   * 15–35 ms. Instead (automerge off) each batch is followed by bounded shares of merging.
   */
  private indexAndMerge(): void {
    if (this.indexWaitingNames()) this.mergeNames.run();
  }

  /** One page of entries matching `query`, newest first. */
  search(query: DeliveryQuery = {}): DeliveryPage {
    const where: string[] = [];
    const params: SQLInputValue[] = [];
    if (query.destination !== undefined) {
      where.push('destination = ?');
      params.push(query.destination);
    }
    if (query.since !== undefined) {
      where.push('delivered_at >= ?');
      params.push(Date.parse(query.since));
    }
    if (query.until !== undefined) {
      where.push('delivered_at < ?');
      params.push(Date.parse(query.until));
    }
    const name = query.name?.trim();
    if (name && [...name].length >= 3) {
      // The trigram index finds any part of a name of 3 characters or more.
      where.push('id IN (SELECT rowid FROM delivery_names WHERE delivery_names MATCH ?)');
      params.push(`"${name.replaceAll('"', '""')}"`);
    } else if (name) {
      where.push("filename LIKE ? ESCAPE '\\'");
      params.push(`%${likeLiteral(name)}%`);
    }
    if (query.after !== undefined) {
      const [time, id] = query.after.split(':').map(Number);
      if (!Number.isSafeInteger(time) || !Number.isSafeInteger(id))
        throw ValidationError.of('after', 'is not a cursor this log gave out');
      where.push('(delivered_at, id) < (?, ?)');
      params.push(time as number, id as number);
    }
    const limit = query.limit ?? DEFAULT_LIMIT;
    const rows = this.db
      .prepare(
        `SELECT ${columns} FROM deliveries ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
         ORDER BY delivered_at DESC, id DESC LIMIT ?`,
      )
      .all(...params, limit + 1) as Row[];
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return {
      entries: page.map(entryOf),
      ...(rows.length > limit && last ? { next: `${last.delivered_at}:${last.id}` } : {}),
    };
  }

  /** Every entry matching `query`, newest first, a page at a time (for exports). */
  *all(query: Omit<DeliveryQuery, 'after' | 'limit'> = {}): Generator<DeliveryEntry[]> {
    let after: string | undefined;
    do {
      const page = this.search({ ...query, limit: 1000, ...(after ? { after } : {}) });
      yield page.entries;
      after = page.next;
    } while (after);
  }

  /**
   * The local files a job delivered (verified), by their source paths; `since`
   * (the job's start) keeps the lookup on the time index.
   */
  sourcesOfJob(jobId: string, since: string): Set<string> {
    const rows = this.db
      .prepare('SELECT source_path FROM deliveries WHERE delivered_at >= ? AND job_id = ?')
      .all(Date.parse(since) - 1000, jobId) as { source_path: string }[];
    return new Set(rows.map((row) => row.source_path));
  }

  /** Drops entries older than the retention period. */
  sweep(now = Date.now()): void {
    this.db.prepare('DELETE FROM deliveries WHERE delivered_at < ?').run(now - this.retentionMs);
  }

  close(): void {
    if (this.db.isOpen) this.db.close();
  }
}
