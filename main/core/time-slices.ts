import { setImmediate as nextTurn } from 'node:timers/promises';

/**
 * Long loops of the main thread (100,000 files of one job) cut into slices
 * of a few milliseconds, the event loop turning between them: the app's UI
 * and the link server stay responsive (the board's event-loop p99 ≤ 20 ms).
 */

/** A slice ends after this long. */
export const SLICE_MS = 4;

export type TimeSlices = {
  /** Whether the current slice has run its time. */
  over(): boolean;
  /** Lets the event loop turn, then starts a new slice. */
  next(): Promise<void>;
};

export function timeSlices(): TimeSlices {
  let start = performance.now();
  return {
    over: () => performance.now() - start > SLICE_MS,
    async next() {
      await nextTurn();
      start = performance.now();
    },
  };
}

/** `fn` of every item, in order, in time slices. */
export async function forEachSliced<T>(
  items: Iterable<T>,
  fn: (item: T, index: number) => void,
): Promise<void> {
  const slices = timeSlices();
  let i = 0;
  for (const item of items) {
    fn(item, i++);
    if (slices.over()) await slices.next();
  }
}

/**
 * `items` handed to `fn` as consecutive slices, each as many items as SLICE_MS
 * has time for (at least one); `fn` takes every item of its slice, or none
 * (it used the turn for other work: the next turn offers the same items).
 */
export async function inSlices<T>(
  items: Iterable<T>,
  fn: (slice: Iterable<T>) => void,
): Promise<void> {
  const slices = timeSlices();
  const iterator = items[Symbol.iterator]();
  let step = iterator.next();
  while (!step.done) {
    fn(
      (function* slice() {
        while (!step.done) {
          yield step.value;
          step = iterator.next();
          if (slices.over()) return;
        }
      })(),
    );
    if (!step.done) await slices.next();
  }
}
