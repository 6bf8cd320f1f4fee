import { RecordIndex, type IndexRow } from '../store/record-index';
import type { RecordDir } from '../store/record-dir';
import type { JobRecord } from '../transfer/records';

/** The fields of a job record the index keeps. */
type Indexed = Pick<JobRecord, 'id' | 'status' | 'expires_at'>;

/**
 * A job's status as opening the data directory asks it: `open` (waiting or
 * processing: a process may still run it; those of dead processes are marked
 * interrupted), `error` (the interrupted among them), `paused`, `finished`.
 */
function rowOf(record: Indexed): IndexRow {
  const { status } = record;
  const state = status === 'waiting' || status === 'processing' ? 'open' : status;
  return { state, due: Date.parse(record.expires_at) };
}

/**
 * Which stored jobs opening the data directory must read: those still open,
 * ended by an error (to resume), paused, or past their expiry
 * (store/record-index.ts). A row is written after its record, except when
 * a stored job becomes open again (resumed, retried): then before, so that
 * no open record has a row that says otherwise. A new job's first record
 * comes before its row: a kill between leaves a record the next open counts.
 */
export class JobIndex {
  private constructor(private readonly rows: RecordIndex<Indexed>) {}

  static async open(home: string, records: RecordDir<Indexed>): Promise<JobIndex> {
    return new JobIndex(await RecordIndex.over(home, 'jobs', records, rowOf));
  }

  /** Before a stored job's record is written again. */
  noteBefore(record: Indexed): void {
    const row = rowOf(record);
    if (row.state === 'open' && this.rows.last(record.id)?.state !== 'open') {
      this.rows.note(record.id, row);
    }
  }

  /** After a record is written, or read (a row a kill left behind is corrected). */
  noteAfter(record: Indexed): void {
    this.rows.note(record.id, rowOf(record));
  }

  forget(id: string): void {
    this.rows.forget(id);
  }

  /** Jobs that may still be open. */
  open(): Promise<string[]> {
    return this.rows.inState('open');
  }

  /** Jobs whose delivered log is kept (to resume or retry). */
  keepingLogs(): Promise<string[]> {
    return this.rows.inState('error', 'paused');
  }

  /** Jobs ended by an error (the interrupted among them). */
  failed(): Promise<string[]> {
    return this.rows.inState('error');
  }

  /** Jobs past their expiry at `now`. */
  expiredBy(now: number): Promise<string[]> {
    return this.rows.dueBy(now);
  }

  close(): void {
    this.rows.close();
  }
}
