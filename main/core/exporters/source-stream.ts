import { createReadStream, promises as fs } from 'node:fs';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { OutboxError } from '../errors';
import { fileError, type SourceFile } from '../engine/sources';
import type { ByteRange, ProgressSink } from './exporter';

const READ_CHUNK = 1024 * 1024;

/**
 * Reads a source file (or a range) and refuses to pass off a changed file as
 * the original: when the stream ends, the bytes read must match the range and
 * the file's size and mtime must still be those seen when the job started.
 */
export function openSource(source: SourceFile, range?: ByteRange, signal?: AbortSignal): Readable {
  const start = range?.start ?? 0;
  const end = range?.end ?? source.size;
  const expected = end - start;
  let read = 0;
  // The last chunk is held back until the final check passed: a server that got the whole
  // Content-Length would store the object before a late FILE_CHANGED could stop the request.
  let held: Buffer | undefined;
  const guard = new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      read += chunk.length;
      if (read > expected) return callback(changed(source, 'it grew while it was read'));
      const previous = held;
      held = chunk;
      callback(null, previous);
    },
    flush(callback: TransformCallback) {
      if (read !== expected) return callback(changed(source, 'it shrank while it was read'));
      fs.stat(source.path).then(
        (stat) => {
          if (stat.size !== source.size || stat.mtimeMs !== source.mtimeMs) {
            callback(changed(source, 'it was modified during the upload'));
          } else callback(null, held);
        },
        () => callback(changed(source, 'it was deleted during the upload')),
      );
    },
  });
  if (expected === 0) {
    // createReadStream cannot express an empty range; still check the file.
    guard.end();
    return guard;
  }
  const file = createReadStream(source.path, {
    start,
    end: end - 1,
    highWaterMark: READ_CHUNK,
    ...(signal ? { signal } : {}),
  });
  // A file deleted or locked after planning: say so in the user's terms, not as a raw errno.
  file.on('error', (error: NodeJS.ErrnoException) =>
    guard.destroy(
      error.code === 'ENOENT'
        ? changed(source, 'it was deleted during the upload')
        : fileError(source.path, error),
    ),
  );
  return file.pipe(guard);
}

function changed(source: SourceFile, why: string): OutboxError {
  return new OutboxError(
    'FILE_CHANGED',
    `${source.path} changed during the export (${why}); nothing was stored under its name. Export it again once it is complete.`,
  );
}

/** Counts bytes as the consumer pulls them: with back-pressure, that is what was sent. */
export function countSent(stream: Readable, progress: ProgressSink): Readable {
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      progress.add(chunk.length);
      callback(null, chunk);
    },
  });
  stream.on('error', (error) => counter.destroy(error));
  return stream.pipe(counter);
}
