import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Byte-rate limits shared by every exporter thread of a process, in one
 * SharedArrayBuffer: a slot per limit (slot 0 the global one, the others a
 * destination's). The main thread sets the rates; a worker about to read a
 * chunk for sending reserves its bytes in the slots that apply and waits its
 * turn (GCRA: each slot holds the time at which the bytes reserved so far are
 * paid for). A reservation is a compare-and-swap on shared memory: no message
 * per chunk, no main-thread work while bytes flow.
 *
 * Hand-written: `limiter` and `bottleneck` (the maintained npm limiters) count
 * requests or tokens inside one thread or through Redis; neither shares a
 * byte budget between worker threads.
 */

const FIELDS = 4; // rate (bytes/s, 0 = none), paid-until (ns), generation, spare
const RATE = 0;
const PAID_UNTIL = 1;
const GENERATION = 2;
export const BUCKET_SLOTS = 1024;
export const GLOBAL_SLOT = 0;

/** Bytes read ahead of the rate at most: a transfer after a pause starts without waiting this long. */
const BURST_NS = 100_000_000n;
/** Sleeps are cut in steps this long, so that a changed limit applies to waiting transfers at once. */
const STEP_MS = 200;
/** With a limit, chunks are at most an eighth of a second of it (and at least this). */
const MIN_CHUNK = 16 * 1024;

export type Clock = () => bigint;
const monotonic: Clock = () => process.hrtime.bigint();

export function createBuckets(): SharedArrayBuffer {
  return new SharedArrayBuffer(BUCKET_SLOTS * FIELDS * 8);
}

/** The main thread's side: set a slot's rate; waiting readers start over with it. */
export function setRate(
  buffer: SharedArrayBuffer,
  slot: number,
  rate: number,
  now = monotonic,
): void {
  const cells = new BigInt64Array(buffer);
  const base = slot * FIELDS;
  if (cells[base + RATE] === BigInt(rate)) return;
  Atomics.store(cells, base + RATE, BigInt(rate));
  Atomics.store(cells, base + PAID_UNTIL, now() - BURST_NS); // a fresh start may burst
  Atomics.add(cells, base + GENERATION, 1n);
}

export function rateOf(buffer: SharedArrayBuffer, slot: number): number {
  return Number(Atomics.load(new BigInt64Array(buffer), slot * FIELDS + RATE));
}

/** What the source reads of one transfer take from the limits that apply to it. */
export type ReadLimit = {
  /** Largest chunk to read at once now, or undefined when no limit applies. */
  chunk(): number | undefined;
  /** Reserves `bytes` under every limit: undefined when they may be read now, else the wait for their turn. */
  take(bytes: number, signal?: AbortSignal): Promise<void> | undefined;
};

/**
 * Reserves `bytes` in a slot: the nanoseconds to wait before they are paid
 * for (0: at once, also when the slot has no limit).
 */
export function reserve(cells: BigInt64Array, slot: number, bytes: number, now: bigint): bigint {
  const base = slot * FIELDS;
  for (;;) {
    const rate = Atomics.load(cells, base + RATE);
    if (rate === 0n) return 0n;
    const paid = Atomics.load(cells, base + PAID_UNTIL);
    const from = paid > now - BURST_NS ? paid : now - BURST_NS;
    const until = from + (BigInt(bytes) * 1_000_000_000n) / rate;
    if (Atomics.compareExchange(cells, base + PAID_UNTIL, paid, until) === paid)
      return until - now > 0n ? until - now : 0n;
  }
}

/** The limits of `slots` as seen by a worker; `waiting` is told each step it sleeps (a transfer held back is not stalled). */
export function readLimit(
  buffer: SharedArrayBuffer,
  slots: number[],
  waiting: () => void = () => {},
  now: Clock = monotonic,
): ReadLimit {
  const cells = new BigInt64Array(buffer);
  const generations = () => slots.map((slot) => Atomics.load(cells, slot * FIELDS + GENERATION));
  /** The wait of the strictest limit (each slot counts the bytes). */
  const reserveAll = (bytes: number) => {
    const at = now();
    let wait = 0n;
    for (const slot of slots) {
      const slotWait = reserve(cells, slot, bytes, at);
      if (slotWait > wait) wait = slotWait;
    }
    return wait;
  };
  const waitTurn = async (
    bytes: number,
    wait: bigint,
    before: bigint[],
    signal: AbortSignal | undefined,
  ): Promise<void> => {
    for (;;) {
      const until = now() + wait;
      let changed = false;
      for (let left = wait; left > 0n && !changed; left = until - now()) {
        const ms = Math.min(STEP_MS, Math.ceil(Number(left) / 1e6));
        await sleep(ms, undefined, signal ? { signal } : {});
        waiting();
        changed = generations().some((generation, i) => generation !== before[i]);
      }
      if (!changed) return;
      // A limit changed while waiting: the reservation went with the old rate; take again.
      before = generations();
      wait = reserveAll(bytes);
    }
  };
  return {
    chunk() {
      let smallest: number | undefined;
      for (const slot of slots) {
        const rate = Number(Atomics.load(cells, slot * FIELDS + RATE));
        if (rate > 0) smallest = Math.min(smallest ?? rate, rate);
      }
      return smallest === undefined ? undefined : Math.max(MIN_CHUNK, Math.floor(smallest / 8));
    },
    take(bytes, signal) {
      const before = generations();
      const wait = reserveAll(bytes);
      return wait === 0n ? undefined : waitTurn(bytes, wait, before, signal);
    },
  };
}
