import type { SFTPWrapper } from 'ssh2';

/**
 * SFTP writes without ssh2's copy of the data. ssh2's `write` allocates each
 * WRITE request (header and data) as a new buffer and copies the caller's
 * data into it: a second pass over every byte, and a fresh 255 KiB buffer per
 * write whose pages are faulted in once and left to the garbage collector.
 *
 * Outbox reads each chunk straight into a buffer laid out as that request
 * (`requestHeaderLength` bytes of room, then the data) and lends it to ssh2
 * as the one buffer `write` allocates. ssh2 writes the header into the room
 * and copies the data onto itself (a no-op for memmove). ssh2 has no public
 * way to send a request built by its caller, and its window handling
 * (`sendOrBuffer`) is private to its module: lending the buffer keeps all of
 * that ssh2's. test/integration/sftp-in-place-write.test.ts fails if a
 * later ssh2 allocates its request some other way (then every write still
 * goes out, copied as before).
 */

/** What an SFTP WRITE request holds before its data: length, type, id, handle (a string), offset, data length. */
export function requestHeaderLength(handleLength: number): number {
  return 4 + 1 + 4 + (4 + handleLength) + 8 + 4;
}

/** The most room a request's header takes: SFTP handles are at most 256 bytes. */
export const LONGEST_REQUEST_HEADER = requestHeaderLength(256);

/**
 * Writes `request`'s data (after `requestHeaderLength(handle.length)` bytes of room)
 * at `position`, as `sftp.write` would, from `request` itself. The buffer
 * belongs to ssh2 until `done` is called.
 */
export function writeInPlace(
  sftp: SFTPWrapper,
  handle: Buffer,
  request: Buffer<ArrayBuffer>,
  position: number,
  done: (error: Error | null | undefined) => void,
): void {
  const headerLength = requestHeaderLength(handle.length);
  const allocUnsafe = Buffer.allocUnsafe;
  // Only the request `write` allocates first, and only if it is this one's size: a
  // write longer than the server takes is split by ssh2, into requests of its own.
  Buffer.allocUnsafe = (size: number) => {
    Buffer.allocUnsafe = allocUnsafe;
    return size === request.length ? request : allocUnsafe(size);
  };
  try {
    sftp.write(handle, request, headerLength, request.length - headerLength, position, done);
  } finally {
    Buffer.allocUnsafe = allocUnsafe;
  }
}
