/**
 * Ceiling with Outbox's verification: the GCS SDK's `file.createWriteStream`
 * (resumable above 8 MiB, as Outbox and gcs-sdk.mts), fed from the file
 * through an MD5 of every byte read, and the object resource GCS answers with
 * checked against what was read (its md5Hash and size), as Outbox checks it.
 * The SDK's own validation is off, as in Outbox; a folder's files go
 * FILES_IN_FLIGHT at a time.
 *
 *   CEILING='{"endpoint":…,"projectId":…,"bucket":…,"prefix":…}' node bench/ceilings/gcs-sdk-md5.mts SOURCE
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Storage } from '@google-cloud/storage';
import { eachLimited, filesOf, FILES_IN_FLIGHT, nameOf, PART_SIZE, run } from './lib.mts';

type Settings = { endpoint: string; projectId: string; bucket: string; prefix: string };

run<Settings>(async (s, source) => {
  // The emulator checks no credentials; the SDK sends none to a custom endpoint.
  const bucket = new Storage({
    projectId: s.projectId,
    apiEndpoint: s.endpoint,
    retryOptions: { autoRetry: false },
  }).bucket(s.bucket);
  const { folder, files } = await filesOf(source);
  await eachLimited(files, folder ? FILES_IN_FLIGHT : 1, async (file) => {
    const object = bucket.file(nameOf(s.prefix, folder, file));
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
        `${object.name}: GCS stored ${String(stored.size)} bytes, MD5 ${String(stored.md5Hash)}; read ${size}, ${read}`,
      );
    }
  });
});
