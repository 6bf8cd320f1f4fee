import { describe, expect, it } from 'vitest';
import { eachLimited } from '../../main/core/engine/each-limited';

describe('files of a task go through a window (eachLimited)', () => {
  it('runs every item once, never more than the limit at a time', async () => {
    let running = 0;
    let most = 0;
    const seen: number[] = [];
    await eachLimited(
      Array.from({ length: 100 }, (_, i) => i),
      7,
      async (item) => {
        running++;
        most = Math.max(most, running);
        await new Promise((resolve) => setTimeout(resolve, item % 3));
        seen.push(item);
        running--;
      },
    );
    expect(most).toBe(7);
    expect(seen.sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i));
  });
});
