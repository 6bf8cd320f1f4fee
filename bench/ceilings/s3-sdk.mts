/**
 * Ceiling: the AWS SDK's own PutObject / UploadPart loop. A file up to one
 * part is one PutObject; a larger one a multipart upload of 8 MiB parts, 4
 * in flight; a folder's files go FILES_IN_FLIGHT at a time. Bodies stream from the file
 * (no Content-MD5, no read-back, no records): the SDK alone.
 *
 *   CEILING='{"endpoint":…,"region":…,"accessKeyId":…,"secretAccessKey":…,"bucket":…,"prefix":…}' \
 *     node bench/ceilings/s3-sdk.mts SOURCE
 */
import { createReadStream } from 'node:fs';
import {
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  type S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { eachLimited, PART_SIZE, PARTS_IN_FLIGHT, type SourceFile } from './lib.mts';
import { runS3Ceiling, type S3Settings } from './s3-ceiling.mts';

const body = (path: string, start: number, end: number) =>
  createReadStream(path, { start, end: end - 1, highWaterMark: 1024 * 1024 });

async function upload(client: S3Client, s: S3Settings, file: SourceFile, key: string) {
  if (file.size <= PART_SIZE) {
    await client.send(
      new PutObjectCommand({
        Bucket: s.bucket,
        Key: key,
        Body: file.size ? body(file.path, 0, file.size) : Buffer.alloc(0),
        ContentLength: file.size,
      }),
    );
    return;
  }
  const { UploadId } = await client.send(
    new CreateMultipartUploadCommand({ Bucket: s.bucket, Key: key }),
  );
  const count = Math.ceil(file.size / PART_SIZE);
  const parts = Array.from({ length: count }, (_, i) => i);
  const etags: string[] = [];
  await eachLimited(parts, PARTS_IN_FLIGHT, async (i) => {
    const start = i * PART_SIZE;
    const end = Math.min(file.size, start + PART_SIZE);
    const answer = await client.send(
      new UploadPartCommand({
        Bucket: s.bucket,
        Key: key,
        UploadId,
        PartNumber: i + 1,
        Body: body(file.path, start, end),
        ContentLength: end - start,
      }),
    );
    etags[i] = answer.ETag ?? '';
  });
  await client.send(
    new CompleteMultipartUploadCommand({
      Bucket: s.bucket,
      Key: key,
      UploadId,
      MultipartUpload: { Parts: etags.map((ETag, i) => ({ ETag, PartNumber: i + 1 })) },
    }),
  );
}

runS3Ceiling(upload);
