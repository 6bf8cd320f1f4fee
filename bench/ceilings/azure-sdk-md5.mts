/**
 * Ceiling with Outbox's verification: the Azure SDK's block calls with 8 MiB
 * blocks, 4 in flight (files up to one block in one Put Blob), folders FILES_IN_FLIGHT
 * files at a time, doing what Outbox must: each block read once into memory,
 * its MD5 computed with node:crypto and sent as transactionalContentMD5 (the
 * server checks it); the whole file's MD5, from the same reads, set as the
 * blob's Content-MD5 with commitBlockList and read back (getProperties); a
 * Put Blob's answered MD5 compared.
 *
 *   CEILING='{"connectionString":…,"container":…,"prefix":…}' node bench/ceilings/azure-sdk-md5.mts SOURCE
 */
import { createHash } from 'node:crypto';
import { BlobServiceClient, type BlockBlobClient } from '@azure/storage-blob';
import {
  eachLimited,
  filesOf,
  FILES_IN_FLIGHT,
  nameOf,
  PART_SIZE,
  run,
  sendHashedParts,
  type SourceFile,
} from './lib.mts';

type Settings = { connectionString: string; container: string; prefix: string };

function same(what: string, stored: Uint8Array | undefined, expected: Buffer) {
  if (!stored || !expected.equals(stored)) {
    throw new Error(
      `${what}: stored MD5 ${Buffer.from(stored ?? []).toString('hex')}, expected ${expected.toString('hex')}`,
    );
  }
}

const blockId = (index: number) => Buffer.from(String(index).padStart(6, '0')).toString('base64');

async function upload(blob: BlockBlobClient, file: SourceFile) {
  if (file.size <= PART_SIZE) {
    await sendHashedParts(file, async ({ data, md5 }) => {
      const answer = await blob.upload(data, data.length, {
        blobHTTPHeaders: { blobContentMD5: md5 },
      });
      same(blob.name, answer.contentMD5, md5);
    });
    return;
  }
  const whole = createHash('md5');
  const ids = await sendHashedParts(
    file,
    async ({ index, data, md5 }) => {
      await blob.stageBlock(blockId(index), data, data.length, { transactionalContentMD5: md5 });
      return blockId(index);
    },
    (data) => whole.update(data),
  );
  const md5 = whole.digest();
  await blob.commitBlockList(ids, { blobHTTPHeaders: { blobContentMD5: md5 } });
  same(blob.name, (await blob.getProperties()).contentMD5, md5);
}

run<Settings>(async (s, source) => {
  const container = BlobServiceClient.fromConnectionString(s.connectionString, {
    retryOptions: { maxTries: 1 },
  }).getContainerClient(s.container);
  const { folder, files } = await filesOf(source);
  await eachLimited(files, folder ? FILES_IN_FLIGHT : 1, (file) =>
    upload(container.getBlockBlobClient(nameOf(s.prefix, folder, file)), file),
  );
});
