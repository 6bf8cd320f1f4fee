import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  HELD_LIMIT,
  IDLE_LIMIT,
  bufferClassOf,
  dropIdleBuffers,
  giveBackBuffer,
  reserveBufferBytes,
  takeBuffer,
} from '../../main/core/exporters/part-buffers';
import {
  DEFAULT_PART_SIZE,
  planParts,
  sendParts,
  sendWholeFile,
} from '../../main/core/exporters/parts';
import { sourceReads } from '../../main/core/exporters/source-stream';
import { transferPolicyOf } from '../../main/core/transfer/retry';
import type { SourceFile } from '../../main/core/transfer/sources';

/**
 * The exporter thread's part buffers (part-buffers.ts): reused across files
 * by size class, given back only after a request succeeded, and the bytes
 * files may hold at once (HELD_LIMIT) reserved per file before it is read.
 */

const KiB = 1024;
const MiB = 1024 * KiB;

beforeEach(() => dropIdleBuffers());

describe('buffer classes and reuse', () => {
  it('rounds sizes up to a power of two to the default part size (8 MiB), whole MiB above', () => {
    // part-buffers.ts's boundary is the default part size, written apart (parts.ts imports it)
    expect(bufferClassOf(DEFAULT_PART_SIZE / 2 + 1)).toBe(DEFAULT_PART_SIZE);
    expect(bufferClassOf(DEFAULT_PART_SIZE + 1)).toBe(DEFAULT_PART_SIZE + MiB);
    expect(bufferClassOf(1)).toBe(4 * KiB);
    expect(bufferClassOf(5000)).toBe(8 * KiB);
    expect(bufferClassOf(64 * KiB)).toBe(64 * KiB);
    expect(bufferClassOf(MiB)).toBe(MiB);
    expect(bufferClassOf(MiB + 1)).toBe(2 * MiB);
    expect(bufferClassOf(4.2 * MiB)).toBe(8 * MiB); // a photo of 4.2 MiB shares a class with those of 5–8
    expect(bufferClassOf(8 * MiB)).toBe(8 * MiB);
    expect(bufferClassOf(8 * MiB + 1)).toBe(9 * MiB); // planned parts: no more than 1 MiB unused
    expect(bufferClassOf(20.5 * MiB)).toBe(21 * MiB);
  });

  it('hands a given-back buffer to the next part its class or half of it fits', () => {
    const first = takeBuffer(3 * MiB);
    expect(first.length).toBe(4 * MiB);
    giveBackBuffer(first);
    // (identity compared as booleans: a failing or negated matcher would print megabytes)
    expect(takeBuffer(2.5 * MiB) === first).toBe(true); // same class
    giveBackBuffer(first);
    expect(takeBuffer(MiB) === first).toBe(false); // 3 MiB is more than twice 1 MiB: not lent
    expect(takeBuffer(2 * MiB) === first).toBe(true); // up to twice the class asked for
  });

  it('keeps at most IDLE_LIMIT idle, and none once dropped', () => {
    const size = 4 * MiB;
    const given = Array.from({ length: IDLE_LIMIT / size + 2 }, () => takeBuffer(size));
    for (const buffer of given) giveBackBuffer(buffer);
    const reused = Array.from({ length: given.length }, () => takeBuffer(size)).filter((b) =>
      given.includes(b),
    );
    expect(reused).toHaveLength(IDLE_LIMIT / size);
    giveBackBuffer(given[0]!);
    dropIdleBuffers();
    expect(takeBuffer(size) === given[0]).toBe(false);
  });
});

describe('reserving what files hold', () => {
  it('waits while the limit is taken, and a file over the limit runs alone', async () => {
    const first = await reserveBufferBytes(HELD_LIMIT / 2);
    const second = await reserveBufferBytes(HELD_LIMIT / 2);
    let thirdIn = false;
    const third = reserveBufferBytes(HELD_LIMIT / 4).then((give) => {
      thirdIn = true;
      return give;
    });
    await new Promise((r) => setImmediate(r));
    expect(thirdIn).toBe(false);
    first();
    first(); // a second call gives nothing back
    const giveThird = await third;
    expect(thirdIn).toBe(true);
    // HELD_LIMIT/2 + HELD_LIMIT/4 held: a file of the whole limit waits for both
    let hugeIn = false;
    const huge = reserveBufferBytes(HELD_LIMIT * 2).then((give) => {
      hugeIn = true;
      return give;
    });
    second();
    await new Promise((r) => setImmediate(r));
    expect(hugeIn).toBe(false);
    giveThird();
    (await huge)();
    expect(hugeIn).toBe(true);
  });

  it('first come, first served: a small file does not pass a large one waiting', async () => {
    const some = await reserveBufferBytes(MiB);
    const order: string[] = [];
    const huge = reserveBufferBytes(HELD_LIMIT).then((give) => {
      order.push('huge');
      return give;
    });
    const small = reserveBufferBytes(MiB).then((give) => {
      order.push('small');
      return give;
    });
    await new Promise((r) => setImmediate(r));
    expect(order).toEqual([]); // the small one would fit, but waits behind the large one
    some();
    const giveHuge = await huge;
    await new Promise((r) => setImmediate(r));
    expect(order).toEqual(['huge']);
    giveHuge();
    (await small)();
    expect(order).toEqual(['huge', 'small']);
  });

  it('stops waiting when the transfer is cancelled', async () => {
    const all = await reserveBufferBytes(HELD_LIMIT);
    const cancel = new AbortController();
    const waiting = reserveBufferBytes(MiB, cancel.signal);
    cancel.abort(new Error('cancelled'));
    await expect(waiting).rejects.toThrow('cancelled');
    all();
    (await reserveBufferBytes(HELD_LIMIT))(); // nothing left reserved by the cancelled one
  });
});

describe('parts and whole files through the buffers', () => {
  let dir: string;
  let source: SourceFile;
  const size = 10 * MiB + 123;

  beforeAll(async () => {
    dir = await fs.mkdtemp(join(tmpdir(), 'outbox-part-buffers-'));
    const path = join(dir, 'parts.bin');
    await fs.writeFile(path, Buffer.alloc(size, 7));
    const stat = await fs.stat(path);
    source = { path, name: 'parts.bin', size, mtimeMs: stat.mtimeMs };
  });
  afterAll(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  const contextOf = (signal = new AbortController().signal) => ({
    ...sourceReads(source, signal),
    signal,
    progress: { add: () => {} },
    policy: transferPolicyOf({ idleTimeoutSeconds: 30 }),
  });

  it('a second file reuses the first file’s part buffers', async () => {
    const plan = planParts(
      size,
      { partSize: 2 * MiB, concurrency: 2 },
      {
        service: 'test',
        maxParts: 100,
        maxPartSize: 64 * MiB,
      },
    );
    const seen = new Set<ArrayBufferLike>();
    for (let file = 0; file < 2; file++) {
      await sendParts(plan, size, contextOf(), async (_index, part) => {
        seen.add(part.data!.buffer);
      });
    }
    // 6 parts a file, 12 in all: never more buffers than parts held at once
    expect(seen.size).toBeLessThanOrEqual(plan.concurrency + 1);
  });

  it('a held part’s body counts progress as each 1 MiB slice is pulled, again for a retry', async () => {
    await sendWholeFile(contextOf(), 3 * MiB + 5, async (part) => {
      let counted = 0;
      const body = part.body({ add: (bytes) => (counted += bytes) });
      const pulled: number[] = [];
      for await (const chunk of body) {
        pulled.push(chunk.length);
        expect(counted).toBe(pulled.reduce((a, b) => a + b)); // not ahead of what was pulled
      }
      expect(pulled).toEqual([MiB, MiB, MiB, 5]);
      // a retry's body counts from zero into its own progress
      let again = 0;
      for await (const _ of part.body({ add: (bytes) => (again += bytes) }));
      expect([counted, again]).toEqual([3 * MiB + 5, 3 * MiB + 5]);
    });
  });

  it('a whole file whose request failed does not give its buffer back, one that succeeded does', async () => {
    let failed: ArrayBufferLike | undefined;
    await expect(
      sendWholeFile(contextOf(), 3 * MiB, async (part) => {
        failed = part.data!.buffer;
        throw new Error('the server hung up');
      }),
    ).rejects.toThrow('the server hung up');
    expect(takeBuffer(3 * MiB).buffer === failed).toBe(false);
    let sent: ArrayBufferLike | undefined;
    await sendWholeFile(contextOf(), 3 * MiB, async (part) => {
      sent = part.data!.buffer;
    });
    expect(takeBuffer(3 * MiB).buffer === sent).toBe(true);
    // and neither left bytes reserved
    (await reserveBufferBytes(HELD_LIMIT))();
  });
});
