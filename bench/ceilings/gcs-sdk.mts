/**
 * Ceiling (and GCS's only comparison: no peer tool talks to the emulator):
 * the Google Cloud Storage SDK's own `bucket.upload`, resumable above 8 MiB
 * as Outbox does, the file streamed in one request (gcs-ceiling.mts walks
 * the files). The SDK's own MD5/CRC32C validation is off, as in Outbox,
 * which compares the MD5 itself.
 *
 *   CEILING='{"endpoint":…,"projectId":…,"bucket":…,"prefix":…}' node bench/ceilings/gcs-sdk.mts SOURCE
 */
import { runGcsCeiling } from './gcs-ceiling.mts';
import { PART_SIZE } from './lib.mts';

runGcsCeiling(async (bucket, file, name) => {
  await bucket.upload(file.path, {
    destination: name,
    resumable: file.size > PART_SIZE,
    validation: false,
  });
});
