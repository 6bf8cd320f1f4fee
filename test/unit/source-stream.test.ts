import { promises as fs, readdirSync, readlinkSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hashing } from '../../main/core/exporters/integrity';
import { openSource } from '../../main/core/exporters/source-stream';

/** This process's descriptors open on `path` (Linux: /proc/self/fd). */
function descriptorsOn(path: string): number {
  return readdirSync('/proc/self/fd').filter((fd) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`) === path;
    } catch {
      return false; // closed while listed
    }
  }).length;
}

describe('a body made of a source file', () => {
  it('closes the file as soon as its consumer drops it half-read (a failed request), not at GC', async () => {
    const dir = await fs.mkdtemp(join(tmpdir(), 'outbox-source-'));
    const path = join(dir, 'big.bin');
    await fs.writeFile(path, Buffer.alloc(3 * 1024 * 1024, 7)); // over the blocking-read limit
    const { size, mtimeMs } = statSync(path);
    let counted = 0;
    // As the GCS and PUT exporters make a body: the file, hashed and counted in one tap.
    const body = hashing(openSource({ path, name: 'big.bin', size, mtimeMs }), {
      add: (bytes) => (counted += bytes),
    }).stream;
    const first = await new Promise<Buffer>((resolve) => body.once('data', resolve));
    expect(first.length).toBeGreaterThan(0);
    expect(descriptorsOn(path)).toBe(1);

    body.destroy(); // what an HTTP client does with the body of a request that failed
    for (let i = 0; i < 100 && descriptorsOn(path) > 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(descriptorsOn(path)).toBe(0);
    expect(counted).toBeGreaterThan(0);
    await fs.rm(dir, { recursive: true });
  });
});
