import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { writeFileAtomic } from '../../main/core/store/atomic-file';
import { jsonArrayInSlices } from '../../main/core/store/json-in-slices';
import { turnsDuring } from '../support/event-loop-turns';

/** Writes the list to a real file as the stores do; returns its text and the writes it took. */
async function written(...args: Parameters<typeof jsonArrayInSlices>) {
  const path = join(mkdtempSync(join(tmpdir(), 'outbox-json-')), 'list.json');
  const writer = jsonArrayInSlices(...args);
  let writes = 0;
  await writeFileAtomic(path, async (file: FileHandle) => {
    const write = vi.spyOn(file, 'write');
    const writeFile = vi.spyOn(file, 'writeFile');
    await writer(file);
    writes = write.mock.calls.length + writeFile.mock.calls.length;
  });
  return { text: readFileSync(path, 'utf8'), writes };
}

describe('a long list as JSON in time slices', () => {
  it('is the same JSON as JSON.stringify, with the text around it', async () => {
    const items = [{ filename: 'a "quoted" ü.txt', size: 1 }, null, 'x', 3, { nested: [1, 2] }];
    const { text } = await written(items, { before: '{"files":', after: '}\n' });
    expect(text).toBe(`{"files":${JSON.stringify(items)}}\n`);
    expect((await written([])).text).toBe('[]');
    // what JSON.stringify makes of an array's items with no JSON
    const odd = [undefined, () => 1, Symbol('s'), new Date(0), 'end'];
    expect((await written(odd)).text).toBe(JSON.stringify(odd));
  });

  it('writes items longer than its buffer whole, in order', async () => {
    const long = 'é'.repeat(400_000); // 800,000 bytes of UTF-8, 1.2 MB by the worst-case count
    const items = ['a', long, 'b', { long }, 'c'];
    const { text } = await written(items, { after: '\n' });
    expect(text).toBe(JSON.stringify(items) + '\n');
  });

  it('lets the event loop turn while it writes 100,000 entries, in pieces as made', async () => {
    const items = Array.from({ length: 100_000 }, (_, i) => ({
      filename: `import/folder-${i % 100}/file-${i}.txt`,
      size: i,
    }));
    let result = { text: '', writes: 0 };
    const turns = await turnsDuring(async () => {
      result = await written(items, { after: '\n' });
    });
    expect(result.text).toBe(JSON.stringify(items) + '\n');
    expect(result.writes).toBeGreaterThan(2); // written as made, not joined in one turn
    expect(turns).toBeGreaterThan(0);
  });

  it('leaves the old file and no temporary file when the writer fails', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'outbox-json-'));
    const path = join(dir, 'list.json');
    writeFileSync(path, '["old"]');
    const failing = async (file: FileHandle) => {
      await jsonArrayInSlices(['new'])(file);
      throw new Error('disk full');
    };
    await expect(writeFileAtomic(path, failing)).rejects.toThrow('disk full');
    expect(readFileSync(path, 'utf8')).toBe('["old"]');
    expect(readdirSync(dir)).toEqual(['list.json']);
  });
});
