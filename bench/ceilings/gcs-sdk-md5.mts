/**
 * Ceiling with Outbox's verification: the GCS SDK's `file.createWriteStream`
 * (resumable above 8 MiB, as Outbox and gcs-sdk.mts), fed from the file
 * through an MD5 of every byte read, and the object resource GCS answers with
 * checked against what was read (its md5Hash and size), as Outbox checks it.
 * The SDK's own validation is off, as in Outbox (gcs-ceiling.mts walks the files).
 *
 *   CEILING='{"endpoint":…,"projectId":…,"bucket":…,"prefix":…}' node bench/ceilings/gcs-sdk-md5.mts SOURCE
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { runGcsCeiling } from './gcs-ceiling.mts';
import { PART_SIZE } from './lib.mts';

runGcsCeiling(async (bucket, file, name) => {
  const object = bucket.file(name);
  const md5 = createHash('md5');
  let size = 0;
  const hashed = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      md5.update(chunk);
      size += chunk.length;
      done(null, chunk);
    },
  });
  await pipeline(
    createReadStream(file.path),
    hashed,
    object.createWriteStream({ resumable: file.size > PART_SIZE, validation: false }),
  );
  const stored = object.metadata;
  const read = md5.digest('base64');
  if (stored.md5Hash !== read || Number(stored.size) !== size) {
    throw new Error(
      `${name}: GCS stored ${String(stored.size)} bytes, MD5 ${String(stored.md5Hash)}; read ${size}, ${read}`,
    );
  }
});
