import { pipeline, Transform, type Readable, type TransformCallback } from 'node:stream';

/**
 * `stream`, with `seen` told of each chunk as the consumer pulls it (progress,
 * hashing). pipeline, not pipe: an error on either side destroys both, so a
 * body its consumer drops (a failed or abandoned request) closes its source
 * file now, not whenever the collector reaches the handle. Failures reach the
 * consumer through the returned stream; the callback has nothing to add.
 */
export function tapStream(stream: Readable, seen: (chunk: Buffer) => void): Readable {
  const tap = new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      seen(chunk);
      callback(null, chunk);
    },
  });
  return pipeline(stream, tap, () => undefined);
}
