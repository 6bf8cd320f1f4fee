import type { Readable } from 'node:stream';
import type { SFTPWrapper } from 'ssh2';
import type { ProgressSink } from '../exporter';

/** OpenSSH's largest SFTP write (its limits@openssh.com answer): fewer, fuller packets. */
export const SFTP_CHUNK = 261_120;
/** Writes in flight per file: enough to keep a fast link busy (ssh2's fastPut uses the same). */
export const SFTP_IN_FLIGHT = 32;

/**
 * Writes a stream to an open remote handle the way fastPut does — many
 * WRITE requests in flight, each a full chunk — but from any Readable, so
 * the engine's change detection sits in the path. Progress counts bytes the
 * server acknowledged. Returns the bytes written; on failure every request
 * still in flight has settled before it throws (the handle can be closed).
 * `start`: where in the remote file the stream's first byte goes.
 */
export async function writePipelined(
  sftp: SFTPWrapper,
  handle: Buffer,
  source: Readable,
  progress: ProgressSink,
  start = 0,
): Promise<number> {
  let position = start;
  let inFlight = 0;
  let written = 0;
  let failure: unknown;
  let wake: (() => void) | undefined;
  const settled = () => new Promise<void>((resolve) => (wake = resolve));

  const send = (buffer: Buffer, offset: number, length: number) => {
    inFlight++;
    sftp.write(handle, buffer, offset, length, position, (error) => {
      inFlight--;
      if (error) failure ??= error;
      else {
        written += length;
        progress.add(length);
      }
      const resume = wake;
      wake = undefined;
      resume?.();
    });
    position += length;
  };

  // ssh2 copies the data into its packet, so slices of the read buffer are safe to reuse.
  const queue = async (buffer: Buffer, offset: number, length: number) => {
    while (inFlight >= SFTP_IN_FLIGHT && failure === undefined) await settled();
    if (failure !== undefined) throw failure;
    send(buffer, offset, length);
  };

  try {
    let carry: Buffer | undefined;
    for await (const piece of source as AsyncIterable<Buffer>) {
      const chunk: Buffer = carry ? Buffer.concat([carry, piece]) : piece;
      carry = undefined;
      let offset = 0;
      for (; chunk.length - offset >= SFTP_CHUNK; offset += SFTP_CHUNK) {
        await queue(chunk, offset, SFTP_CHUNK);
      }
      if (offset < chunk.length) carry = chunk.subarray(offset);
    }
    if (carry) await queue(carry, 0, carry.length);
  } finally {
    while (inFlight > 0) await settled();
  }
  if (failure !== undefined) throw failure;
  return written;
}
