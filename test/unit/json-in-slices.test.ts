import { describe, expect, it } from 'vitest';
import { jsonArrayInSlices } from '../../main/core/store/json-in-slices';
import { turnsDuring } from '../support/event-loop-turns';

describe('a long list as JSON in time slices', () => {
  it('is the same JSON as JSON.stringify, with the text around it', async () => {
    const items = [{ filename: 'a "quoted" ü.txt', size: 1 }, null, 'x', 3, { nested: [1, 2] }];
    const pieces = await jsonArrayInSlices(items, { before: '{"files":', after: '}\n' });
    expect(Buffer.concat(pieces).toString()).toBe(`{"files":${JSON.stringify(items)}}\n`);
    expect(Buffer.concat(await jsonArrayInSlices([])).toString()).toBe('[]');
  });

  it('lets the event loop turn while it serializes 100,000 entries', async () => {
    const items = Array.from({ length: 100_000 }, (_, i) => ({
      filename: `import/folder-${i % 100}/file-${i}.txt`,
      size: i,
    }));
    let pieces: Buffer[] = [];
    const turns = await turnsDuring(async () => {
      pieces = await jsonArrayInSlices(items, { after: '\n' });
    });
    expect(Buffer.concat(pieces).toString()).toBe(JSON.stringify(items) + '\n');
    expect(pieces.length).toBeGreaterThan(2); // handed over as made, not joined in one turn
    expect(turns).toBeGreaterThan(0);
  });
});
