import { describe, expect, it } from 'vitest';
import { forEachSliced, inSlices, SLICE_MS } from '../../main/core/time-slices';
import { turnsDuring } from '../support/event-loop-turns';

/** Holds the thread for longer than a slice. */
function busy(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end);
}

describe('time slices', () => {
  it('hands every item once, in order, and lets the event loop turn between slices', async () => {
    const slices: number[][] = [];
    const turns = await turnsDuring(() =>
      inSlices([1, 2, 3, 4], (slice) => {
        const items: number[] = [];
        for (const item of slice) {
          items.push(item);
          busy(SLICE_MS + 1); // each item outlasts a slice: one item a slice
        }
        slices.push(items);
      }),
    );
    expect(slices).toEqual([[1], [2], [3], [4]]);
    expect(turns).toBeGreaterThanOrEqual(slices.length - 1);
  });

  it('takes a short list in one slice, and nothing from an empty one', async () => {
    const slices: number[][] = [];
    await inSlices([1, 2, 3], (slice) => void slices.push([...slice]));
    await inSlices([], (slice) => void slices.push([...slice]));
    expect(slices).toEqual([[1, 2, 3]]);
  });

  it('offers the same items again on the next turn when fn takes none of its slice', async () => {
    const taken: number[][] = [];
    let calls = 0;
    const turns = await turnsDuring(() =>
      inSlices([1, 2, 3], (slice) => {
        if (++calls % 2 === 1) return; // this turn did other work
        taken.push([...slice]);
      }),
    );
    expect(taken).toEqual([[1, 2, 3]]);
    expect(calls).toBe(2);
    expect(turns).toBeGreaterThanOrEqual(1);
  });

  it('calls fn of each item with its index, turning the loop when a slice is over', async () => {
    const seen: [string, number][] = [];
    const turns = await turnsDuring(() =>
      forEachSliced(['a', 'b', 'c'], (item, i) => {
        seen.push([item, i]);
        busy(SLICE_MS + 1);
      }),
    );
    expect(seen).toEqual([
      ['a', 0],
      ['b', 1],
      ['c', 2],
    ]);
    expect(turns).toBeGreaterThanOrEqual(2);
  });
});
