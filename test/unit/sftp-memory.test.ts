import { createHash } from 'node:crypto';
import { runInNewContext } from 'node:vm';
import type { SFTPWrapper } from 'ssh2';
import { describe, expect, it } from 'vitest';
import { collectGarbageEvery, type GarbageKind } from '../../main/core/exporters/collect-garbage';
import type { ReadInto } from '../../main/core/exporters/exporter';
import { dropIdleBuffers } from '../../main/core/exporters/part-buffers';
import {
  SFTP_CHUNK,
  SFTP_HELD_LIMIT,
  SFTP_IN_FLIGHT,
  writePipelined,
} from '../../main/core/exporters/sftp/pipelined-write';

const MiB = 1024 * 1024;

/** A server that answers each WRITE a few ticks later, recording what is in flight at most. */
function fakeSftp() {
  const stored = new Map<number, Buffer>();
  let inFlight = 0;
  const seen = { maxBytesInFlight: 0, maxWritesInFlight: 0 };
  const sftp = {
    write(
      _handle: Buffer,
      data: Buffer,
      offset: number,
      length: number,
      position: number,
      done: (error?: Error) => void,
    ) {
      inFlight += length;
      seen.maxBytesInFlight = Math.max(seen.maxBytesInFlight, inFlight);
      // the bytes are taken when the answer comes, as late as a server could need them
      setTimeout(() => {
        stored.set(position, Buffer.from(data.subarray(offset, offset + length)));
        inFlight -= length;
        done();
      }, 1);
    },
  };
  return { sftp: sftp as unknown as SFTPWrapper, stored, seen };
}

/** A server that answers WRITEs only when told to (`answerAll`), all alike: none while a small file is read. */
function answeringWhenTold(error?: Error) {
  const waiting: ((error?: Error) => void)[] = [];
  const sftp = {
    write: (...args: unknown[]) => {
      written++;
      waiting.push(args[5] as (error?: Error) => void);
    },
  } as unknown as SFTPWrapper;
  let written = 0;
  const answerAll = () => setImmediate(() => waiting.splice(0).forEach((done) => done(error)));
  return { sftp, answerAll, written: () => written };
}

const noProgress = { add: () => undefined };

type Server = ReturnType<typeof answeringWhenTold>;
const tick = () => new Promise((resolve) => setImmediate(resolve));

/** Answers `server`'s writes as they come until `sending` settles. */
async function answerUntil(server: Server, sending: Promise<unknown>): Promise<void> {
  let settled = false;
  void sending.finally(() => (settled = true));
  while (!settled) {
    server.answerAll();
    await tick();
  }
  await sending;
}

/** A source of `size` bytes read in chunks into the buffers `into` gives, noting the memory of each. */
function source(size: number, buffers: Set<ArrayBufferLike>) {
  const bytes = Buffer.alloc(size);
  for (let i = 0; i < size; i++) bytes[i] = (i * 7919) & 0xff;
  async function* read(into: ReadInto): AsyncIterable<Buffer> {
    for (let position = 0; position < size;) {
      const buffer = typeof into === 'function' ? into() : into;
      buffers.add(buffer.buffer);
      const length = Math.min(buffer.length, size - position);
      bytes.copy(buffer, 0, position, position + length);
      position += length;
      await tick();
      yield buffer.subarray(0, length);
    }
  }
  return { bytes, read };
}

describe('SFTP upload memory', () => {
  it('keeps at most SFTP_IN_FLIGHT writes in flight, from a small pool of reused read buffers', async () => {
    dropIdleBuffers(); // only this file's buffers to count
    const size = 40 * MiB + 12_345;
    const buffers = new Set<ArrayBufferLike>();
    const { bytes, read } = source(size, buffers);
    const { sftp, stored, seen } = fakeSftp();
    let written = 0;
    const result = await writePipelined(
      sftp,
      Buffer.from('handle'),
      read,
      { add: () => undefined },
      async () => 'done',
      { bytes: size, written: (n) => (written += n) },
    );
    expect(result).toBe('done');
    const sent = Buffer.concat([...stored.entries()].sort(([a], [b]) => a - b).map(([, b]) => b));
    expect(createHash('md5').update(sent).digest('hex')).toBe(
      createHash('md5').update(bytes).digest('hex'),
    );
    expect(written).toBe(size);
    expect(seen.maxBytesInFlight).toBeLessThanOrEqual(SFTP_IN_FLIGHT * SFTP_CHUNK);
    // a read buffer holds one write: the writes in flight, plus the one being read
    expect(buffers.size).toBeLessThanOrEqual(SFTP_IN_FLIGHT + 1);
  });

  it("reads into the thread's part buffers: the next file reuses them, and a failed write's is not reused", async () => {
    dropIdleBuffers();
    const size = 4 * MiB; // 17 writes, all in flight at once: each file reads into 17 buffers
    const send = async (error?: Error) => {
      const buffers = new Set<ArrayBufferLike>();
      const { sftp, answerAll } = answeringWhenTold(error);
      const finish = async () => answerAll();
      const sending = writePipelined(
        sftp,
        Buffer.from('h'),
        source(size, buffers).read,
        noProgress,
        finish,
        {
          bytes: size,
        },
      );
      return {
        buffers,
        sent: await sending.then(
          () => 'sent',
          (e: Error) => e.message,
        ),
      };
    };
    const first = await send();
    expect(first.sent).toBe('sent');
    expect(first.buffers.size).toBe(Math.ceil(size / SFTP_CHUNK));
    const second = await send();
    expect([...second.buffers].filter((buffer) => first.buffers.has(buffer))).toHaveLength(
      first.buffers.size,
    );
    // every write of the third file fails: none of its buffers goes back
    const third = await send(new Error('Failure'));
    expect(third.sent).toBe('Failure');
    const fourth = await send();
    expect([...fourth.buffers].filter((buffer) => third.buffers.has(buffer))).toHaveLength(0);
  });

  it("holds a thread's SFTP write requests within SFTP_HELD_LIMIT: a third large file waits for room", async () => {
    const size = 16 * MiB; // more writes than SFTP_IN_FLIGHT: each file reserves SFTP_IN_FLIGHT + 1 requests
    expect(3 * (SFTP_IN_FLIGHT + 1) * SFTP_CHUNK).toBeGreaterThan(SFTP_HELD_LIMIT);
    const servers = [0, 1, 2].map(() => answeringWhenTold());
    const sending = servers.map(({ sftp }) =>
      writePipelined(
        sftp,
        Buffer.from('h'),
        source(size, new Set()).read,
        noProgress,
        async () => 'done',
        { bytes: size },
      ),
    );
    const [first, second, third] = servers as [Server, Server, Server];
    while (first.written() < SFTP_IN_FLIGHT || second.written() < SFTP_IN_FLIGHT) await tick();
    expect(third.written()).toBe(0);
    await answerUntil(first, sending[0]!);
    await answerUntil(third, sending[2]!); // room again: the third runs
    await answerUntil(second, sending[1]!);
    expect(third.written()).toBe(Math.ceil(size / SFTP_CHUNK));
  });

  it('paces the garbage collections by the bytes written to ssh2', () => {
    const runs: GarbageKind[] = [];
    const count = collectGarbageEvery({ minor: 8, major: 32 }, (kind) => runs.push(kind));
    for (let i = 0; i < 16; i++) count(4);
    expect(runs).toEqual(['minor', 'minor', 'minor', 'major', 'minor', 'minor', 'minor', 'major']);
  });

  it('collects without leaving a global gc for contexts created afterwards', () => {
    const count = collectGarbageEvery({ minor: 1, major: 2 });
    count(1); // a scavenge
    count(1); // a full collection
    expect(runInNewContext('typeof gc')).toBe('undefined');
  });
});
