/**
 * Ceiling: the Azure SDK's own `BlockBlobClient.uploadFile`, with Outbox's
 * block size and parallelism (8 MiB blocks, 4 in flight; files up to one
 * block in one Put Blob); a folder's files go FILES_IN_FLIGHT at a time. No
 * Content-MD5, no read-back, no records: the SDK alone.
 *
 *   CEILING='{"connectionString":…,"container":…,"prefix":…}' node bench/ceilings/azure-upload-file.mts SOURCE
 */
import { BlobServiceClient } from '@azure/storage-blob';
import {
  eachLimited,
  filesOf,
  FILES_IN_FLIGHT,
  nameOf,
  PART_SIZE,
  PARTS_IN_FLIGHT,
  run,
} from './lib.mts';

type Settings = { connectionString: string; container: string; prefix: string };

run<Settings>(async (s, source) => {
  const container = BlobServiceClient.fromConnectionString(s.connectionString, {
    retryOptions: { maxTries: 1 },
  }).getContainerClient(s.container);
  const { folder, files } = await filesOf(source);
  await eachLimited(files, folder ? FILES_IN_FLIGHT : 1, async (file) => {
    await container.getBlockBlobClient(nameOf(s.prefix, folder, file)).uploadFile(file.path, {
      blockSize: PART_SIZE,
      maxSingleShotSize: PART_SIZE,
      concurrency: PARTS_IN_FLIGHT,
    });
  });
});
