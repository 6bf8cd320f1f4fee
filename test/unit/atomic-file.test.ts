import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeFileAtomic, writeFilesAtomic } from '../../main/core/store/atomic-file';
import { tempDir } from '../support/engine';

describe('writeFilesAtomic', () => {
  it('writes each file whole, replacing an old one, and leaves no temp file', async () => {
    const dir = await tempDir('outbox-atomic-');
    await writeFileAtomic(join(dir, 'b.json'), 'old');
    await writeFilesAtomic(dir, [
      ['a.json', 'first'],
      ['b.json', new TextEncoder().encode('second')],
      ['c.json', async (file) => void (await file.writeFile('third'))],
    ]);
    const read = (name: string) => fs.readFile(join(dir, name), 'utf8');
    expect([await read('a.json'), await read('b.json'), await read('c.json')]).toEqual([
      'first',
      'second',
      'third',
    ]);
    expect((await fs.readdir(dir)).sort()).toEqual(['a.json', 'b.json', 'c.json']);
  });

  it('rejects with the first failure once the others are written, and leaves no temp file', async () => {
    const dir = await tempDir('outbox-atomic-');
    await fs.mkdir(join(dir, 'taken.json')); // a folder: a file cannot be renamed over it
    await fs.writeFile(join(dir, 'taken.json', 'inside'), 'x');
    await expect(
      writeFilesAtomic(dir, [
        ['a.json', 'first'],
        ['taken.json', 'lost'],
        ['c.json', 'third'],
      ]),
    ).rejects.toThrow(/taken\.json/);
    expect(await fs.readFile(join(dir, 'a.json'), 'utf8')).toBe('first');
    expect(await fs.readFile(join(dir, 'c.json'), 'utf8')).toBe('third');
    expect((await fs.readdir(dir)).sort()).toEqual(['a.json', 'c.json', 'taken.json']);
  });
});
