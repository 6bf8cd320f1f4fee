import { PassThrough } from 'node:stream';
import type { SFTPWrapper } from 'ssh2';
import { describe, expect, it } from 'vitest';
import type { ReadInto } from '../../main/core/exporters/exporter';
import { writePipelined } from '../../main/core/exporters/sftp/pipelined-write';
import { batchWritesOn } from '../../main/core/exporters/sftp/sftp-session';

const PACKET = 32 * 1024;
const MiB = 1024 * 1024;

/** A channel that, as ssh2 does, writes each WRITE to the connection at once in 32 KiB packets. */
function channelOver(connection: PassThrough) {
  const corkedWrites: number[] = [];
  const sftp = {
    write(
      _handle: Buffer,
      data: Buffer,
      offset: number,
      length: number,
      _position: number,
      done: (error?: Error) => void,
    ) {
      for (let at = offset; at < offset + length; at += PACKET) {
        corkedWrites.push(connection.writableCorked);
        connection.write(data.subarray(at, Math.min(at + PACKET, offset + length)));
      }
      setImmediate(done);
    },
  };
  return { sftp: sftp as unknown as SFTPWrapper, corkedWrites };
}

async function* bytes(size: number, into: ReadInto): AsyncIterable<Buffer> {
  for (let position = 0; position < size;) {
    const buffer = typeof into === 'function' ? into() : into;
    const length = Math.min(buffer.length, size - position);
    buffer.fill(position & 0xff, 0, length);
    position += length;
    await new Promise((resolve) => setImmediate(resolve));
    yield buffer.subarray(0, length);
  }
}

describe('SFTP writes batched per tick', () => {
  it('hands the connection each tick’s packets together (corked until the tick ends)', async () => {
    const connection = new PassThrough({ highWaterMark: 64 * MiB });
    const received: Buffer[] = [];
    const { sftp, corkedWrites } = channelOver(connection);
    batchWritesOn(sftp, connection);
    connection.on('data', (chunk: Buffer) => received.push(chunk));
    const size = 3 * MiB + 5;
    await writePipelined(
      sftp,
      Buffer.from('handle'),
      (into) => bytes(size, into),
      { add: () => undefined },
      async () => undefined,
      { bytes: size, written: () => undefined },
    );
    await new Promise((resolve) => setImmediate(resolve));
    expect(corkedWrites.length).toBeGreaterThan(size / PACKET);
    expect(corkedWrites.every((corked) => corked > 0)).toBe(true);
    expect(connection.writableCorked).toBe(0);
    expect(Buffer.concat(received).length).toBe(size);
  });

  it('batches what is written while data received is handled', async () => {
    const connection = new PassThrough();
    const { sftp } = channelOver(connection);
    batchWritesOn(sftp, connection);
    let corkedInHandler = -1;
    connection.on('data', () => (corkedInHandler = connection.writableCorked));
    connection.emit('data', Buffer.from('answer'));
    expect(corkedInHandler).toBe(1);
    await new Promise((resolve) => process.nextTick(resolve));
    expect(connection.writableCorked).toBe(0);
  });
});
