import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { REPLY_BATCH_MS, ReplyBatches } from '../../main/core/engine/reply-batches';
import type { WorkReply } from '../../main/core/engine/worker-protocol';

/**
 * When an exporter thread's replies leave (main/core/engine/reply-batches.ts),
 * on fake timers: what is posted after the current tick, after the batch wait,
 * and never before.
 */

const done = (id: number): WorkReply => ({ type: 'done', id, result: { ok: true, message: '' } });
const progress = (id: number): WorkReply => ({ type: 'progress', id, bytes: 1 });

let posted: WorkReply[][];
let others: number;
let batches: ReplyBatches;

beforeEach(() => {
  vi.useFakeTimers();
  posted = [];
  others = 0;
  batches = new ReplyBatches(
    (batch) => posted.push(batch),
    () => others,
  );
});

afterEach(() => {
  vi.useRealTimers();
});

/** Runs what setImmediate queued (the next turn of the loop), and no batch wait. */
const nextTurn = () => vi.advanceTimersByTime(0);

describe('reply batches', () => {
  it('sends the last transfer’s reply at once, in the next turn', () => {
    batches.add(done(1));
    expect(posted).toEqual([]);
    nextTurn();
    expect(posted).toEqual([[done(1)]]);
  });

  it('holds replies while other transfers run, and sends them together after the wait', () => {
    others = 31;
    batches.add(progress(1));
    batches.add(done(2));
    vi.advanceTimersByTime(REPLY_BATCH_MS - 1);
    expect(posted).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(posted).toEqual([[progress(1), done(2)]]);
  });

  it('sends at once when the ended transfers are a quarter of those still running', () => {
    others = 32;
    for (let id = 1; id <= 7; id++) batches.add(done(id));
    nextTurn();
    expect(posted).toEqual([]); // 7 ended of 32 still running is under a quarter: they wait
    vi.advanceTimersByTime(REPLY_BATCH_MS);
    expect(posted).toEqual([[1, 2, 3, 4, 5, 6, 7].map(done)]);

    // a run of files ending together (an SFTP server's answers in one read)
    for (let id = 8; id <= 15; id++) {
      others--;
      batches.add(done(id));
    }
    expect(posted).toHaveLength(1); // nothing leaves within the tick
    nextTurn(); // long before the batch wait
    expect(posted).toEqual([
      [1, 2, 3, 4, 5, 6, 7].map(done),
      [8, 9, 10, 11, 12, 13, 14, 15].map(done),
    ]);
  });

  it('counts only ended transfers towards the quarter: progress waits for the batch', () => {
    others = 4;
    for (let id = 1; id <= 10; id++) batches.add(progress(id));
    vi.advanceTimersByTime(REPLY_BATCH_MS - 1);
    expect(posted).toEqual([]);
    batches.add(done(11)); // 1 ended of 4 still running: a quarter
    nextTurn();
    expect(posted).toHaveLength(1);
    expect(posted[0]).toHaveLength(11);
    vi.advanceTimersByTime(REPLY_BATCH_MS * 2);
    expect(posted).toHaveLength(1); // the wait's timer went with its batch
  });
});
