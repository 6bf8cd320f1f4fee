import { randomBytes } from 'node:crypto';
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import {
  BlobServiceClient,
  ContainerSASPermissions,
  StorageSharedKeyCredential,
  generateBlobSASQueryParameters,
} from '@azure/storage-blob';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../main/core/engine/engine';
import {
  exportFiles,
  exportTaskOf,
  makeFile,
  openTestEngine,
  sha256,
  sha256File,
  tempDir,
} from '../support/engine';
import { startPutServer } from '../support/put-server';
import { AZURITE, SWIFT_S3, assertServerUp } from '../support/servers';

/**
 * export/upload (HTTP PUT) against real servers: a presigned S3 PUT URL on
 * Swift's s3api and an Azure SAS URL on azurite. Objects are read back with
 * the S3 and Azure SDKs and compared by sha256.
 */

const suffix = randomBytes(4).toString('hex');
const bucket = `outbox-upload-${suffix}`;
const azureContainer = `outbox-upload-${suffix}`;

const s3 = new S3Client({
  endpoint: SWIFT_S3.endpoint,
  region: SWIFT_S3.region,
  forcePathStyle: true,
  credentials: { accessKeyId: SWIFT_S3.accessKeyId, secretAccessKey: SWIFT_S3.secretAccessKey },
  // Presigned URLs must not carry a checksum of an empty body (SDK default).
  requestChecksumCalculation: 'WHEN_REQUIRED',
  responseChecksumValidation: 'WHEN_REQUIRED',
});
const blobService = BlobServiceClient.fromConnectionString(AZURITE.connectionString);

async function s3Sha256(key: string): Promise<string> {
  const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return sha256(
    await (object.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray(),
  );
}

async function blobSha256(name: string): Promise<string> {
  const blob = blobService.getContainerClient(azureContainer).getBlobClient(name);
  return sha256(await blob.downloadToBuffer());
}

/** A container SAS URL for blob names matching `name` (which may hold %d). */
function sasUrl(name: string, expiresOn = new Date(Date.now() + 600_000)): string {
  const sas = generateBlobSASQueryParameters(
    { containerName: azureContainer, permissions: ContainerSASPermissions.parse('cw'), expiresOn },
    new StorageSharedKeyCredential(AZURITE.account, AZURITE.key),
  ).toString();
  return `${AZURITE.endpoint}/${azureContainer}/${name}?${sas}`;
}

describe('export/upload (HTTP PUT)', () => {
  let engine: Engine;
  let close: () => Promise<void>;
  let dir: string;
  const keys: string[] = [];

  beforeAll(async () => {
    await assertServerUp('swift');
    await assertServerUp('azurite');
    ({ engine, close } = await openTestEngine());
    dir = await tempDir();
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    await blobService.createContainer(azureContainer);
  });

  afterAll(async () => {
    await close?.();
    for (const key of keys) {
      await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key })).catch(() => undefined);
    }
    await s3.send(new DeleteBucketCommand({ Bucket: bucket })).catch(() => undefined);
    await blobService.deleteContainer(azureContainer).catch(() => undefined);
  });

  it('PUTs to a presigned S3 URL on Swift s3api (Content-Length, no chunked body)', async () => {
    const path = await makeFile(dir, 'presigned.bin', 3 * 1024 * 1024 + 5);
    const key = 'presigned/file.bin';
    keys.push(key);
    const url = await getSignedUrl(s3, new PutObjectCommand({ Bucket: bucket, Key: key }), {
      expiresIn: 600,
    });
    const task = exportTaskOf(
      await exportFiles(engine, { operation: 'export/upload', url }, [path]),
    );
    expect(task.status, task.message).toBe('finished');
    const [file] = task.result?.files ?? [];
    // filename: the stored object's base name (the key's), not the source's.
    expect(file).toMatchObject({
      filename: 'file.bin',
      size: 3 * 1024 * 1024 + 5,
      verified: true,
      verified_by: 'md5',
    });
    expect(file?.url).toBeUndefined();
    // The signature is not kept in the result.
    expect(String(file?.location)).toBe(`${SWIFT_S3.endpoint}/${bucket}/${key}`);
    expect(JSON.stringify(task)).not.toContain('X-Amz-Signature');
    expect(await s3Sha256(key)).toBe(await sha256File(path));
  });

  it('PUTs to an Azure SAS URL on azurite with x-ms-blob-type, several files numbered by %d', async () => {
    const paths = [await makeFile(dir, 'sas-1.bin', 200_000), await makeFile(dir, 'sas-2.bin', 1)];
    const task = exportTaskOf(
      await exportFiles(
        engine,
        {
          operation: 'export/upload',
          url: sasUrl('batch/file-%d.bin'),
          headers: { 'x-ms-blob-type': 'BlockBlob' },
        },
        paths,
      ),
    );
    expect(task.status, task.message).toBe('finished');
    expect(task.result?.files.map((f) => f.location)).toEqual([
      `${AZURITE.endpoint}/${azureContainer}/batch/file-1.bin`,
      `${AZURITE.endpoint}/${azureContainer}/batch/file-2.bin`,
    ]);
    expect(task.result?.files.every((f) => f.verified === true)).toBe(true);
    expect(await blobSha256('batch/file-1.bin')).toBe(await sha256File(paths[0]!));
    expect(await blobSha256('batch/file-2.bin')).toBe(await sha256File(paths[1]!));
  });

  it('refuses several files for a URL without a placeholder', async () => {
    const paths = [await makeFile(dir, 'p1.txt', '1'), await makeFile(dir, 'p2.txt', '2')];
    await expect(
      exportFiles(engine, { operation: 'export/upload', url: sasUrl('one.bin') }, paths),
    ).rejects.toMatchObject({
      code: 'INVALID_DATA',
      message: expect.stringMatching(/placeholder/),
    });
  });

  it('an expired presigned URL fails with 403 and the start of the server’s answer', async () => {
    const path = await makeFile(dir, 'late.txt', 'too late\n');
    const key = 'expired/late.txt';
    const url = await getSignedUrl(s3, new PutObjectCommand({ Bucket: bucket, Key: key }), {
      expiresIn: 1,
    });
    await new Promise((resolve) => setTimeout(resolve, 2500));
    const task = exportTaskOf(
      await exportFiles(engine, { operation: 'export/upload', url }, [path]),
    );
    expect(task.status).toBe('error');
    expect(task.code).toBe('ACCESS_DENIED');
    expect(task.message).toMatch(/403/);
    expect(task.message).toMatch(/Server said: .*(AccessDenied|expired)/i);
    expect(task.message).not.toContain('X-Amz-Signature');
  });

  it('retries a 503 by sending the whole body again (local server: a test of the retry logic)', async () => {
    // No real server answers 503 on demand: this small local server refuses the first PUT.
    const server = await startPutServer({ failFirst: { count: 1, status: 503 } });
    try {
      const path = await makeFile(dir, 'retry.bin', 1024 * 1024);
      const task = exportTaskOf(
        await exportFiles(
          engine,
          { operation: 'export/upload', url: `${server.url}/slot/retry.bin` },
          [path],
        ),
      );
      expect(task.status, task.message).toBe('finished');
      expect(server.requests).toBe(2);
      expect(server.received.get('/slot/retry.bin')).toEqual({
        bytes: 1024 * 1024,
        sha256: await sha256File(path),
      });
    } finally {
      await server.close();
    }
  });
});
