import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import {
  AbortMultipartUploadCommand,
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, expect } from 'vitest';
import type { Engine } from '../../main/core/engine/engine';
import type { ResultFile } from '../../main/core/transfer/records';
import { exportFiles, exportTaskOf, openTestEngine, sha256, tempDir } from './engine';
import { assertServerUp, type S3Endpoint, s3TaskOf } from './servers';

/**
 * export/s3 tests on a real S3 server (Ceph RGW or Swift's s3api): a fresh bucket per
 * describe, emptied and deleted after it, and one engine for the whole test file.
 */

export const MiB = 1024 * 1024;

/**
 * Call once at the top of a test file: returns `useBucket`, which each describe calls for a
 * fresh bucket on its server and the file's engine (closed after the file).
 */
export function useS3Buckets() {
  // One engine for the whole file: its worker threads start once (a few seconds under tsx).
  let sharedEngine: Promise<{ engine: Engine; close: () => Promise<void> }> | undefined;
  afterAll(async () => {
    await (await sharedEngine)?.close();
  });

  /** A fresh bucket on `server` and the shared engine, for the tests of the enclosing describe. */
  return function useBucket(server: S3Endpoint) {
    const bucket = `outbox-s3-${server.name}-${randomBytes(4).toString('hex')}`;
    const fx = {
      server,
      bucket,
      engine: undefined as unknown as Engine,
      client: undefined as unknown as S3Client,
      dir: '',
      task(extra: Record<string, unknown> = {}): Record<string, unknown> {
        return {
          ...s3TaskOf(server),
          bucket,
          ...extra,
        };
      },
      /** Probes take a task as `outbox test` reads it: with a placeholder input. */
      probeTask(extra: Record<string, unknown> = {}): Record<string, unknown> {
        return { ...fx.task(extra), input: 'probe' };
      },
      async exported(extra: Record<string, unknown>, paths: string[]): Promise<ResultFile[]> {
        const record = exportTaskOf(await exportFiles(fx.engine, fx.task(extra), paths));
        expect(record.message ?? '').toBe('');
        expect(record.status).toBe('finished');
        return record.result?.files ?? [];
      },
      async failed(extra: Record<string, unknown>, paths: string[]) {
        const record = exportTaskOf(await exportFiles(fx.engine, fx.task(extra), paths));
        expect(record.status).toBe('error');
        return { code: record.code, message: record.message ?? '' };
      },
      async stored(key: string): Promise<string> {
        const object = await fx.client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        return sha256(
          await (
            object.Body as { transformToByteArray(): Promise<Uint8Array> }
          ).transformToByteArray(),
        );
      },
      head(key: string) {
        return fx.client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
      },
      async multipartUploads(): Promise<unknown[]> {
        const list = await fx.client.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
        return list.Uploads ?? [];
      },
      async keys(prefix: string): Promise<string[]> {
        const listed = await fx.client.send(
          new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }),
        );
        return (listed.Contents ?? []).map((o) => o.Key ?? '');
      },
    };
    beforeAll(async () => {
      await assertServerUp(server.name);
      fx.client = new S3Client({
        region: server.region,
        endpoint: server.endpoint,
        forcePathStyle: true,
        credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
        requestChecksumCalculation: 'WHEN_REQUIRED',
        responseChecksumValidation: 'WHEN_REQUIRED',
      });
      await fx.client.send(new CreateBucketCommand({ Bucket: bucket }));
      sharedEngine ??= openTestEngine();
      fx.engine = (await sharedEngine).engine;
      fx.dir = await tempDir('outbox-s3-files-');
    });

    afterAll(async () => {
      if (fx.dir) await fs.rm(fx.dir, { recursive: true, force: true });
      const client = fx.client;
      if (!client) return;
      // One DeleteObject each: Swift's s3api wants Content-MD5 on DeleteObjects, which SDK v3 no longer sends.
      for (const key of await fx.keys('')) {
        await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
      }
      const uploads = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
      for (const upload of uploads.Uploads ?? []) {
        await client.send(
          new AbortMultipartUploadCommand({
            Bucket: bucket,
            Key: upload.Key,
            UploadId: upload.UploadId,
          }),
        );
      }
      await client.send(new DeleteBucketCommand({ Bucket: bucket }));
      client.destroy();
    });
    return fx;
  };
}
