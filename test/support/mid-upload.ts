import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import {
  AbortMultipartUploadCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  ListPartsCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import type { BlockBlobClient } from '@azure/storage-blob';
import { expect } from 'vitest';
import { startFaultProxy, type FaultProxy } from './fault-proxy';
import { RGW, SFTP } from './servers';
import type { SwiftCli } from './swift-cli';

/**
 * Uploads interrupted in the middle (resume and one-upload tests): a large
 * file sent in parts through a fault proxy that stalls it once the server
 * holds some, and what each server holds of the unfinished upload, asked of
 * the server directly.
 */

export const MiB = 1024 * 1024;
export const FILE_SIZE = 24 * MiB;
export const PART = 5 * MiB;
/** Two parts (10 MiB) are stored before the stall, the third is cut off. */
export const STALL_AT = 12 * MiB;

/** Fault proxies made by a test file, closed together at its end. */
export function proxyPool(): {
  to: (port: number) => Promise<FaultProxy>;
  close: () => Promise<void>;
} {
  const proxies: FaultProxy[] = [];
  return {
    async to(port) {
      const proxy = await startFaultProxy({ host: '127.0.0.1', port });
      proxies.push(proxy);
      return proxy;
    },
    async close() {
      for (const proxy of proxies) await proxy.close();
    },
  };
}

/** An S3 client straight to Ceph RGW (not through a proxy, not through Outbox). */
export function rgwClient(): S3Client {
  return new S3Client({
    endpoint: RGW.endpoint,
    region: RGW.region,
    forcePathStyle: true,
    credentials: { accessKeyId: RGW.accessKeyId, secretAccessKey: RGW.secretAccessKey },
  });
}

/**
 * Deletes a test bucket with its objects and open multipart uploads: RGW keeps
 * its data in memory, and what runs leave behind fills it within a day.
 */
export async function emptyBucket(s3: S3Client, bucket: string): Promise<void> {
  const uploads = await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
  for (const { Key, UploadId } of uploads.Uploads ?? []) {
    await s3.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key, UploadId }));
  }
  const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
  for (const { Key } of listed.Contents ?? []) {
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key }));
  }
  await s3.send(new DeleteBucketCommand({ Bucket: bucket }));
}

export async function openUploads(s3: S3Client, bucket: string, key: string) {
  return (
    (await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: key }))).Uploads ?? []
  );
}

/** Parts the server holds of the key's open multipart upload. */
export async function storedParts(s3: S3Client, bucket: string, key: string): Promise<number> {
  const [upload] = await openUploads(s3, bucket, key);
  if (!upload) return 0;
  const parts = await s3.send(
    new ListPartsCommand({ Bucket: bucket, Key: key, UploadId: upload.UploadId }),
  );
  return parts.Parts?.length ?? 0;
}

/** Blocks staged and not yet committed for an Azure blob. */
export async function stagedBlocks(blob: BlockBlobClient): Promise<number> {
  const list = await blob.getBlockList('uncommitted').catch(() => undefined);
  return list?.uncommittedBlocks?.length ?? 0;
}

/** Segments in `<container>_segments`, listed with the swift CLI. */
export async function swiftSegments(
  swift: SwiftCli['swift'],
  container: string,
): Promise<string[]> {
  return (await swift('list', `${container}_segments`).catch(() => ({ stdout: '' }))).stdout
    .split('\n')
    .filter(Boolean);
}

/** Bytes in the SFTP temporary file (`.NAME.outbox-….part`) of a folder in the test user's home. */
export async function temporaryBytes(folder: string): Promise<number> {
  const names = await fs.readdir(join(SFTP.home, folder)).catch(() => [] as string[]);
  const part = names.find((n) => n.endsWith('.part'));
  return part === undefined ? 0 : (await fs.stat(join(SFTP.home, folder, part))).size;
}

export type ResumedFile = { size: number; resumed_bytes?: number; [field: string]: unknown };

/** Continuing must not send again what the server had: everything sent is at most the rest plus one part. */
export function expectContinued(file: ResumedFile, sent: number, atLeast: number): void {
  expect(file.size).toBe(FILE_SIZE);
  expect(file.resumed_bytes).toBeGreaterThanOrEqual(atLeast);
  expect(sent).toBeLessThan(FILE_SIZE - (file.resumed_bytes ?? 0) + MiB);
  expect(sent).toBeLessThan(FILE_SIZE - atLeast + MiB);
}
