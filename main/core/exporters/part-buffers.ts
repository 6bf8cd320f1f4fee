/**
 * The buffers that parts and whole files are read into while they are sent
 * (parts.ts), and SFTP write requests (sftp/pipelined-write.ts), reused across
 * every file of an exporter thread. A new buffer per file is memory the kernel
 * faults in page by page, and once dead it waits for V8's next collection: 256
 * files of 4 MiB to S3 (32 in flight) peaked at ~450 MiB, most of it dead
 * buffers (BENCHMARKS.md).
 *
 * A buffer is taken for at least the size asked for, rounded up to a class
 * (a power of two up to 8 MiB, whole MiB above), and given back once the
 * request that sent it is over; one idle buffer of a class up to twice the
 * size asked for serves it too. Idle buffers are kept up to IDLE_LIMIT bytes
 * and dropped when the thread has nothing to send (`dropIdleBuffers`).
 *
 * Before a file's first buffer, its upload reserves what it will hold at
 * most (`reserveBufferBytes`): the files of a thread hold HELD_LIMIT at once,
 * however many are in flight (32 files of 4 MiB would hold 128 MiB, 32 large
 * files of 4 parts of 8 MiB 1 GiB). A file that needs more runs alone. SFTP
 * reserves its requests in a limit of its own (SFTP_HELD_LIMIT).
 */

import { ByteLimit } from './byte-limit';

const KiB = 1024;
const MiB = 1024 * KiB;
const SMALLEST = 4 * KiB;
/**
 * Up to the default part size (parts.ts's DEFAULT_PART_SIZE; parts.ts imports
 * this module, so the test ties the two), buffers hold whole files of every
 * size (a folder of photos of 2–8 MiB): one class per power of two lets a file
 * reuse what a file of another size gave back (256 such photos to RGW peaked
 * at 182 MiB instead of 218, with less CPU). Larger parts are planned, one
 * size per file: whole MiB, so no part holds up to twice its size.
 */
const POWER_CLASSES_UP_TO = 8 * MiB;
/** Idle buffers kept for the next parts; more are left to the garbage collector. */
export const IDLE_LIMIT = 64 * MiB;
/** What the files of one exporter thread may hold in part buffers at once. */
export const HELD_LIMIT = 64 * MiB;

const idle = new Map<number, Buffer[]>();
let idleBytes = 0;

/** The size of buffer a part of `size` bytes is read into. */
export function bufferClassOf(size: number): number {
  if (size > POWER_CLASSES_UP_TO) return Math.ceil(size / MiB) * MiB;
  let power = SMALLEST;
  while (power < size) power *= 2;
  return power;
}

/** The smallest class of idle buffer that serves a part of class `wanted`: its own, up to twice it. */
function idleClassFor(wanted: number): number | undefined {
  let best: number | undefined;
  for (const [length, list] of idle) {
    const serves = list.length > 0 && length >= wanted && length <= 2 * wanted;
    if (serves && (best === undefined || length < best)) best = length;
  }
  return best;
}

/** A buffer of at least `size` bytes (uninitialised): an idle one if one serves, else a new one. */
export function takeBuffer(size: number): Buffer {
  const wanted = bufferClassOf(size);
  const found = idleClassFor(wanted);
  const buffer = found === undefined ? undefined : idle.get(found)?.pop();
  if (!buffer) return Buffer.allocUnsafeSlow(wanted);
  idleBytes -= buffer.length;
  return buffer;
}

/**
 * Gives back a buffer from `takeBuffer` once nothing reads from it any more
 * (the request that sent it answered). A buffer whose request failed may still
 * be in a socket's queue: it is not given back.
 */
export function giveBackBuffer(buffer: Buffer): void {
  if (idleBytes + buffer.length > IDLE_LIMIT) return;
  const list = idle.get(buffer.length);
  if (list) list.push(buffer);
  else idle.set(buffer.length, [buffer]);
  idleBytes += buffer.length;
}

/** Lets every idle buffer go (the thread has nothing to send); their memory goes at the next collection. */
export function dropIdleBuffers(): void {
  idle.clear();
  idleBytes = 0;
}

const heldParts = new ByteLimit(HELD_LIMIT);

/** Reserves `bytes` for one file's upload within HELD_LIMIT (see ByteLimit.reserve). */
export function reserveBufferBytes(bytes: number, signal?: AbortSignal): Promise<() => void> {
  return heldParts.reserve(bytes, signal);
}
