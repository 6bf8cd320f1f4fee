import { join } from 'node:path';
import type { DatabaseSync } from 'node:sqlite';
import { ownerAlive, type Owner } from '../engine/owner';
import { inTransaction, openDatabase } from '../store/sqlite';

/**
 * The ledger of the watches of a data directory (`OUTBOX_HOME/watch/ledger.sqlite`,
 * crash-safe like the delivery log): per watch, what was delivered (relative
 * path, size, mtime, SHA-256 of the content) and what is in flight (the job
 * a file was handed to), so that after a `kill -9` a file is neither lost nor
 * delivered twice; and each watch's status and owner, so that one process
 * runs a watch and every other (`outbox watch list`, the UI) can say how it is.
 */

const SCHEMA_VERSION = 1;
const schema = `
CREATE TABLE IF NOT EXISTS delivered (
  watch_id TEXT NOT NULL, rel TEXT NOT NULL, size INTEGER NOT NULL, mtime_ms REAL NOT NULL,
  hash TEXT NOT NULL, delivered_at INTEGER NOT NULL, PRIMARY KEY (watch_id, rel)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS sending (
  watch_id TEXT NOT NULL, rel TEXT NOT NULL, job_id TEXT NOT NULL, job_started INTEGER NOT NULL,
  size INTEGER NOT NULL, mtime_ms REAL NOT NULL, hash TEXT NOT NULL, PRIMARY KEY (watch_id, rel)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS status (
  watch_id TEXT PRIMARY KEY, pid INTEGER NOT NULL, boot TEXT NOT NULL, state TEXT NOT NULL,
  pending INTEGER NOT NULL, last_delivery_at INTEGER, last_error TEXT, retry_at INTEGER
) WITHOUT ROWID;
`;

/** A file as delivered or handed to a job. */
export type LedgerFile = { rel: string; size: number; mtimeMs: number; hash: string };

export type WatchState = 'watching' | 'retrying' | 'not running';

export type WatchStatus = {
  state: WatchState;
  /** Files seen and not yet delivered (settling, waiting, being sent). */
  pending: number;
  last_delivery_at?: string;
  last_error?: string;
  /** While retrying: when the next try is. */
  retry_at?: string;
};

type StatusRow = {
  pid: number;
  boot: string;
  state: string;
  pending: number;
  last_delivery_at: number | null;
  last_error: string | null;
  retry_at: number | null;
};

const iso = (ms: number | null) => (ms === null ? undefined : new Date(ms).toISOString());

export class WatchLedger {
  private constructor(private readonly db: DatabaseSync) {}

  static async open(home: string): Promise<WatchLedger> {
    return new WatchLedger(
      await openDatabase(join(home, 'watch'), 'ledger.sqlite', schema, SCHEMA_VERSION),
    );
  }

  delivered(watchId: string, rel: string): LedgerFile | undefined {
    const row = this.db
      .prepare(
        'SELECT rel, size, mtime_ms AS mtimeMs, hash FROM delivered WHERE watch_id = ? AND rel = ?',
      )
      .get(watchId, rel) as LedgerFile | undefined;
    return row ? { ...row } : undefined;
  }

  /** The same content seen again with another mtime (touched, copied back): nothing to send. */
  redelivered(watchId: string, file: LedgerFile): void {
    this.db
      .prepare('UPDATE delivered SET size = ?, mtime_ms = ? WHERE watch_id = ? AND rel = ?')
      .run(file.size, file.mtimeMs, watchId, file.rel);
  }

  /** Files handed to a job: on disk before the job is waited for. */
  sending(watchId: string, jobId: string, jobStarted: string, files: LedgerFile[]): void {
    const insert = this.db.prepare('INSERT OR REPLACE INTO sending VALUES (?, ?, ?, ?, ?, ?, ?)');
    const started = Date.parse(jobStarted);
    inTransaction(this.db, () => {
      for (const f of files) insert.run(watchId, f.rel, jobId, started, f.size, f.mtimeMs, f.hash);
    });
  }

  /** The jobs a watch handed files to that have not been settled (after a crash: to check). */
  inFlight(watchId: string): Map<string, { started: string; files: LedgerFile[] }> {
    const rows = this.db
      .prepare(
        'SELECT job_id, job_started, rel, size, mtime_ms AS mtimeMs, hash FROM sending WHERE watch_id = ?',
      )
      .all(watchId) as (LedgerFile & { job_id: string; job_started: number })[];
    const jobs = new Map<string, { started: string; files: LedgerFile[] }>();
    for (const { job_id, job_started, ...file } of rows) {
      const job = jobs.get(job_id) ?? { started: new Date(job_started).toISOString(), files: [] };
      job.files.push({ ...file });
      jobs.set(job_id, job);
    }
    return jobs;
  }

  /** A job ended: the files it delivered become delivered, all of it leaves `sending`. */
  settleJob(watchId: string, jobId: string, delivered: LedgerFile[], now = Date.now()): void {
    const upsert = this.db.prepare('INSERT OR REPLACE INTO delivered VALUES (?, ?, ?, ?, ?, ?)');
    inTransaction(this.db, () => {
      for (const f of delivered) upsert.run(watchId, f.rel, f.size, f.mtimeMs, f.hash, now);
      this.db.prepare('DELETE FROM sending WHERE watch_id = ? AND job_id = ?').run(watchId, jobId);
    });
  }

  /**
   * Makes `owner` the one process running the watch, unless a live other
   * process does (then returns that one's pid).
   */
  claim(watchId: string, owner: Owner): number | undefined {
    let holder: number | undefined;
    inTransaction(this.db, () => {
      const row = this.db
        .prepare('SELECT pid, boot FROM status WHERE watch_id = ?')
        .get(watchId) as Pick<StatusRow, 'pid' | 'boot'> | undefined;
      if (row && !(row.pid === owner.pid && row.boot === owner.boot) && ownerAlive(row)) {
        holder = row.pid;
        return;
      }
      this.db
        .prepare(
          `INSERT INTO status (watch_id, pid, boot, state, pending) VALUES (?, ?, ?, 'watching', 0)
           ON CONFLICT (watch_id) DO UPDATE SET pid = excluded.pid, boot = excluded.boot, state = 'watching'`,
        )
        .run(watchId, owner.pid, owner.boot);
    });
    return holder;
  }

  /** The owner's view of a running watch. */
  report(
    watchId: string,
    status: { state: WatchState; pending: number; lastError?: string; retryAt?: number },
  ): void {
    this.db
      .prepare(
        'UPDATE status SET state = ?, pending = ?, last_error = ?, retry_at = ? WHERE watch_id = ?',
      )
      .run(status.state, status.pending, status.lastError ?? null, status.retryAt ?? null, watchId);
  }

  deliveredAt(watchId: string, at: number): void {
    this.db.prepare('UPDATE status SET last_delivery_at = ? WHERE watch_id = ?').run(at, watchId);
  }

  /** How a watch is, as any process sees it: "not running" when no live process owns it. */
  status(watchId: string): WatchStatus {
    const row = this.db.prepare('SELECT * FROM status WHERE watch_id = ?').get(watchId) as
      StatusRow | undefined;
    if (!row) return { state: 'not running', pending: 0 };
    const running = ownerAlive(row);
    const lastDelivery = iso(row.last_delivery_at);
    const retryAt = iso(row.retry_at);
    return {
      state: running ? (row.state as WatchState) : 'not running',
      pending: row.pending,
      ...(lastDelivery ? { last_delivery_at: lastDelivery } : {}),
      ...(row.last_error ? { last_error: row.last_error } : {}),
      ...(running && retryAt ? { retry_at: retryAt } : {}),
    };
  }

  /** A removed watch leaves nothing behind. */
  forget(watchId: string): void {
    inTransaction(this.db, () => {
      for (const table of ['delivered', 'sending', 'status'])
        this.db.prepare(`DELETE FROM ${table} WHERE watch_id = ?`).run(watchId);
    });
  }

  close(): void {
    if (this.db.isOpen) this.db.close();
  }
}
