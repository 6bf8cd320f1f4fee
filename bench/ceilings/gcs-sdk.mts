/**
 * Ceiling (and GCS's only comparison: no peer tool talks to the emulator):
 * the Google Cloud Storage SDK's own `bucket.upload`, resumable above 8 MiB
 * as Outbox does, the file streamed in one request; a folder's files go
 * FILES_IN_FLIGHT at a time. The SDK's own MD5/CRC32C validation is off, as in Outbox,
 * which compares the MD5 itself.
 *
 *   CEILING='{"endpoint":…,"projectId":…,"bucket":…,"prefix":…}' node bench/ceilings/gcs-sdk.mts SOURCE
 */
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
    await bucket.upload(file.path, {
      destination: nameOf(s.prefix, folder, file),
      resumable: file.size > PART_SIZE,
      validation: false,
    });
  });
});
