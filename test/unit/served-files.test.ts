import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ServedFiles, SMALL_FILE } from '../../main/core/links/served-files';

const dir = mkdtempSync(join(tmpdir(), 'outbox-served-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function largeFile(name: string) {
  const path = join(dir, name);
  writeFileSync(path, Buffer.alloc(SMALL_FILE + 1, 7));
  const stat = statSync(path);
  return { path, size: stat.size, mtime_ms: stat.mtimeMs };
}

describe('served files at shutdown', () => {
  it('closes a file a request is reading once that request is done, not before', async () => {
    const files = new ServedFiles();
    const idle = await files.acquire(largeFile('idle.bin'));
    const busy = await files.acquire(largeFile('busy.bin'));
    if (!idle || !busy) throw new Error('the files were not served');
    idle.release();
    files.close();
    const buffer = Buffer.alloc(16);
    // the request that was reading goes on with its file open
    expect(await busy.read(buffer, 16, 0)).toBe(16);
    expect(buffer[0]).toBe(7);
    busy.release();
    await new Promise((resolve) => setImmediate(resolve));
    // both files are closed now (a read through their handles fails), none left to the collector
    await expect(busy.read(buffer, 16, 0)).rejects.toThrow();
    await expect(idle.read(buffer, 16, 0)).rejects.toThrow();
  });

  it('closes a file whose opening was under way, once the request that asked for it is done', async () => {
    const files = new ServedFiles();
    const asked = files.acquire(largeFile('opening.bin')); // open() still in flight
    files.close();
    const served = await asked;
    if (!served) throw new Error('the file was not served');
    const buffer = Buffer.alloc(16);
    expect(await served.read(buffer, 16, 0)).toBe(16);
    served.release();
    await new Promise((resolve) => setImmediate(resolve));
    await expect(served.read(buffer, 16, 0)).rejects.toThrow(); // closed, not left to the collector
  });
});
