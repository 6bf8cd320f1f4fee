/**
 * Ceiling with Outbox's verification: the AWS SDK's PutObject / UploadPart
 * loop (as s3-sdk.mts: 8 MiB parts, 4 in flight, folders FILES_IN_FLIGHT
 * files at a time) that also does what Outbox must: each part read once into memory,
 * its MD5 computed with node:crypto and sent as Content-MD5 (the server
 * checks it), a PutObject's ETag compared with the MD5, and a multipart
 * upload's composite ETag read back (HeadObject) and compared. Bodies go as
 * streams, so SigV4 does not hash them (UNSIGNED-PAYLOAD), as in Outbox.
 *
 *   CEILING='{"endpoint":…,"region":…,"accessKeyId":…,"secretAccessKey":…,"bucket":…,"prefix":…}' \
 *     node bench/ceilings/s3-sdk-md5.mts SOURCE
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import {
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  HeadObjectCommand,
  PutObjectCommand,
  type S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { PART_SIZE, sameEtag, sendHashedParts, type SourceFile } from './lib.mts';
import { runS3Ceiling, type S3Settings } from './s3-ceiling.mts';

async function upload(client: S3Client, s: S3Settings, file: SourceFile, key: string) {
  const target = { Bucket: s.bucket, Key: key };
  if (file.size <= PART_SIZE) {
    await sendHashedParts(file, async ({ data, md5 }) => {
      const answer = await client.send(
        new PutObjectCommand({
          ...target,
          Body: Readable.from([data]),
          ContentLength: data.length,
          ContentMD5: md5.toString('base64'),
        }),
      );
      sameEtag(key, answer.ETag, md5.toString('hex'));
    });
    return;
  }
  const { UploadId } = await client.send(new CreateMultipartUploadCommand(target));
  const md5s: Buffer[] = [];
  const etags = await sendHashedParts(file, async ({ index, data, md5 }) => {
    md5s[index] = md5;
    const answer = await client.send(
      new UploadPartCommand({
        ...target,
        UploadId,
        PartNumber: index + 1,
        Body: Readable.from([data]),
        ContentLength: data.length,
        ContentMD5: md5.toString('base64'),
      }),
    );
    return answer.ETag ?? '';
  });
  await client.send(
    new CompleteMultipartUploadCommand({
      ...target,
      UploadId,
      MultipartUpload: { Parts: etags.map((ETag, i) => ({ ETag, PartNumber: i + 1 })) },
    }),
  );
  const composite = createHash('md5');
  for (const md5 of md5s) composite.update(md5);
  const head = await client.send(new HeadObjectCommand(target));
  sameEtag(key, head.ETag, `${composite.digest('hex')}-${md5s.length}`);
}

runS3Ceiling(upload);
