import type { SFTPWrapper } from 'ssh2';
import type { ProgressSink } from '../exporter';
import type { ReadInto } from '../exporter';
import { collectGarbageEvery } from '../collect-garbage';
import { ByteLimit } from '../byte-limit';
import { bufferClassOf, giveBackBuffer, takeBuffer } from '../part-buffers';
import { readsAtOnce } from '../source-stream';
import { LONGEST_REQUEST_HEADER, requestHeaderLength, writeInPlace } from './in-place-write';
import { batchWrites, closedSignalOf } from './sftp-session';

/** OpenSSH's largest SFTP write (its limits@openssh.com answer): fewer, fuller packets. */
export const SFTP_CHUNK = 261_120;
/** Writes in flight per file: enough to keep a fast link busy (ssh2's fastPut uses the same). */
export const SFTP_IN_FLIGHT = 32;
/** The part-buffer class a write request is read into: its header, then a chunk (256 KiB). */
const REQUEST_BUFFER = bufferClassOf(LONGEST_REQUEST_HEADER + SFTP_CHUNK);
/**
 * What a thread's SFTP uploads hold in write requests at once: two large
 * files' requests in flight (one file's open, size check and rename overlap
 * the other's writes). A thread has one SSH connection (destination.ts), and
 * the server takes no more than its channel window at a time (OpenSSH's: 2
 * MiB); more requests only wait in ssh2's queue, in memory. Folders of 1, 32
 * and 64 MiB files: 165, 222 and 222 MiB peak RSS with 32 files' requests per
 * thread, 128, 171 and 180 MiB with this limit, no slower (BENCHMARKS.md).
 */
export const SFTP_HELD_LIMIT = 2 * (SFTP_IN_FLIGHT + 1) * REQUEST_BUFFER;
const heldRequests = new ByteLimit(SFTP_HELD_LIMIT);

/**
 * ssh2 copies each write into its packets and leaves the copies to the
 * garbage collector: collections paced by the bytes written keep the dead
 * copies to a few MiB (a 4 GiB upload's peak RSS: ~165 → ~143 MiB when ssh2
 * still copied each write twice, see BENCHMARKS.md). One pacing for all of a
 * worker's uploads: their copies pile up together.
 */
export const COLLECT_EVERY = { minor: 8 * 1024 * 1024, major: 128 * 1024 * 1024 };
const collectGarbage = collectGarbageEvery(COLLECT_EVERY);

/**
 * Writes a file's bytes to an open remote handle the way fastPut does — many
 * WRITE requests in flight, each a full chunk — but from the engine's checked
 * reads, so change detection sits in the path. `read` reads the range to send
 * into the buffers it is given, one chunk each, each buffer laid out as the
 * WRITE request that sends it (in-place-write.ts), so no byte is copied or
 * allocated on Outbox's side, nor by ssh2 for the request. The buffers come
 * from the thread's part buffers (part-buffers.ts) and go back once the server
 * acknowledged their write, for this file's next chunks or another file's;
 * `bytes` (what `read` yields) reserves the most this file holds at once,
 * SFTP_IN_FLIGHT + 1 of them, within SFTP_HELD_LIMIT. A chunk read
 * elsewhere (readSource reads a small range at once) goes through ssh2's own
 * copy. `onRead` sees each chunk before it goes (e.g. to hash it). Progress
 * counts bytes the server acknowledged. `finish` queues the requests that
 * follow the writes on this handle (fstat, close) as soon as the last write is
 * queued, not after its answer: SFTP servers process one handle's requests in
 * order, so they share the writes' round trip and still see every byte. Returns
 * what `finish` resolves to once every write succeeded; on failure every write
 * still in flight has settled (or its session closed) before it throws.
 * `start`: where in the remote file the first byte goes. `written` is told the
 * bytes of each chunk handed to ssh2 (default: the garbage collections paced
 * above). `signal` stops the wait for room in SFTP_HELD_LIMIT (a cancel).
 */
export async function writePipelined<T>(
  sftp: SFTPWrapper,
  handle: Buffer,
  read: (into: ReadInto) => AsyncIterable<Buffer>,
  progress: ProgressSink,
  finish: () => Promise<T>,
  options: {
    bytes: number;
    start?: number;
    signal?: AbortSignal;
    onRead?: (chunk: Buffer) => void;
    written?: (bytes: number) => void;
  },
): Promise<T> {
  const headerLength = requestHeaderLength(handle.length);
  const { bytes } = options;
  const held = readsAtOnce(bytes)
    ? 0
    : Math.min(SFTP_IN_FLIGHT + 1, Math.ceil(bytes / SFTP_CHUNK)) * REQUEST_BUFFER;
  const unreserve = held > 0 ? await heldRequests.reserve(held, options.signal) : () => undefined;
  const written = options.written ?? collectGarbage;
  let position = options.start ?? 0;
  let inFlight = 0;
  let failure: unknown;
  let finished: Promise<T> | undefined;
  let wake: (() => void) | undefined;
  const settled = () => new Promise<void>((resolve) => (wake = resolve));
  let taken: Buffer<ArrayBuffer> | undefined;
  // readSource asks for one buffer per chunk, just before reading that chunk: the data's part of a request.
  const take = () =>
    (taken = takeBuffer(REQUEST_BUFFER) as Buffer<ArrayBuffer>).subarray(
      headerLength,
      headerLength + SFTP_CHUNK,
    );

  // A write made after its channel ended is never answered: a closed session ends the wait.
  const closed = closedSignalOf(sftp);
  const onClosed = () => {
    failure ??= closed.reason;
    const resume = wake;
    wake = undefined;
    resume?.();
  };
  if (closed.aborted) onClosed();
  else closed.addEventListener('abort', onClosed, { once: true });

  const send = (chunk: Buffer, request: Buffer<ArrayBuffer> | undefined) => {
    batchWrites(sftp);
    // one write, from the request buffer the chunk was read into
    const inPlace =
      request !== undefined &&
      chunk.buffer === request.buffer &&
      chunk.byteOffset === request.byteOffset + headerLength &&
      chunk.length <= SFTP_CHUNK;
    for (let offset = 0; offset < chunk.length; offset += SFTP_CHUNK) {
      const length = Math.min(SFTP_CHUNK, chunk.length - offset);
      inFlight++;
      const acknowledged = (error: Error | null | undefined) => {
        inFlight--;
        if (error) failure ??= error;
        else {
          progress.add(length);
          // back for the next chunk or file (a failed write may still be queued on its socket)
          if (inPlace) giveBackBuffer(request);
        }
        const resume = wake;
        wake = undefined;
        resume?.();
      };
      if (inPlace) {
        writeInPlace(
          sftp,
          handle,
          request.subarray(0, headerLength + length),
          position,
          acknowledged,
        );
      } else sftp.write(handle, chunk, offset, length, position, acknowledged);
      position += length;
    }
    written(chunk.length);
  };

  try {
    for await (const chunk of read(take)) {
      const request = taken;
      taken = undefined;
      options.onRead?.(chunk);
      const writes = Math.ceil(chunk.length / SFTP_CHUNK);
      while (inFlight + writes > SFTP_IN_FLIGHT && failure === undefined) await settled();
      if (failure !== undefined) throw failure;
      send(chunk, request);
    }
    if (failure === undefined) finished = finish();
  } finally {
    while (inFlight > 0 && !closed.aborted) await settled();
    closed.removeEventListener('abort', onClosed);
    unreserve();
  }
  if (failure !== undefined) {
    finished?.catch(() => undefined); // the write's failure is the one to report
    throw failure;
  }
  return finished as Promise<T>;
}
