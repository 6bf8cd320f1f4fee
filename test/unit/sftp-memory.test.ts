import { createHash } from 'node:crypto';
import { runInNewContext } from 'node:vm';
import type { SFTPWrapper } from 'ssh2';
import { describe, expect, it } from 'vitest';
import { collectGarbageEvery, type GarbageKind } from '../../main/core/exporters/collect-garbage';
import type { ReadInto } from '../../main/core/exporters/exporter';
import {
  SFTP_CHUNK,
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
      await new Promise((resolve) => setImmediate(resolve));
      yield buffer.subarray(0, length);
    }
  }
  return { bytes, read };
}

describe('SFTP upload memory', () => {
  it('keeps at most SFTP_IN_FLIGHT writes in flight, from a small pool of reused read buffers', async () => {
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
      { written: (n) => (written += n) },
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
