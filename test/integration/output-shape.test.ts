import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { BlobServiceClient, StorageSharedKeyCredential } from '@azure/storage-blob';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../main/core/engine/engine';
import type { ResultFile } from '../../main/core/transfer/records';
import {
  exportFiles,
  exportTaskOf,
  makeFile,
  openTestEngine,
  sha256File,
  tempDir,
} from '../support/engine';
import { gcsTestKey } from '../support/gcs-key';
import { rgwClient } from '../support/mid-upload';
import { run } from '../support/net';
import {
  AZURITE,
  GCS_EMULATOR,
  KEYSTONE,
  RGW,
  SFTP,
  assertServerUp,
  s3TaskOf,
} from '../support/servers';
import { swiftCli } from '../support/swift-cli';

/**
 * The result of a delivered file has one shape whatever the destination
 * (issue 13, "Output that scripts can rely on"): `filename` is the stored
 * object's base name, `location` says where it is, `url` is there only when
 * it downloads without credentials, and `verified`, `verified_by` and
 * `checksum` say how the stored bytes were checked. One file, named
 * `source.bin`, is stored as `…/target.bin` at each real server.
 */

const suffix = randomBytes(4).toString('hex');
const bucket = `outbox-shape-${suffix}`;
const folder = `outbox-shape-${suffix}`;
const VERIFIED_BY = ['md5', 'content-md5', 'size', 'none'];

const s3 = rgwClient();

let engine: Engine;
let close: () => Promise<void>;
let dir: string;
let source: string;

beforeAll(async () => {
  for (const server of ['rgw', 'azurite', 'gcs', 'swift', 'sftp'] as const)
    await assertServerUp(server);
  ({ engine, close } = await openTestEngine());
  dir = await tempDir('outbox-shape-');
  source = await makeFile(dir, 'source.bin', 70_000);
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  await new BlobServiceClient(
    AZURITE.endpoint,
    new StorageSharedKeyCredential(AZURITE.account, AZURITE.key),
  )
    .getContainerClient(bucket)
    .create();
  await (await swiftCli()).swift('post', bucket);
});

afterAll(async () => {
  await close?.();
  await fs.rm(dir, { recursive: true, force: true });
  await fs.rm(join(SFTP.home, folder), { recursive: true, force: true });
});

async function delivered(task: Record<string, unknown>): Promise<ResultFile> {
  const record = exportTaskOf(await exportFiles(engine, task, [source]));
  expect(record.status, record.message).toBe('finished');
  const [file] = record.result?.files ?? [];
  return file as ResultFile;
}

function expectShape(file: ResultFile, location: string | RegExp): void {
  expect(file.filename).toBe('target.bin');
  expect(file.size).toBe(70_000);
  if (typeof location === 'string') expect(file.location).toBe(location);
  else expect(file.location).toMatch(location);
  expect(file.url).toBeUndefined();
  expect(typeof file.verified).toBe('boolean');
  expect(VERIFIED_BY).toContain(file.verified_by);
  expect(file.verified).toBe(file.verified_by !== 'none');
  expect(file.checksum).toEqual({ algorithm: expect.any(String), value: expect.any(String) });
  expect(file).not.toHaveProperty('verification');
}

describe('one result shape for every exporter', () => {
  it('S3', async () => {
    const file = await delivered({ ...s3TaskOf(RGW), bucket, key: 'shape/target.bin' });
    expectShape(file, `${RGW.endpoint}/${bucket}/shape/target.bin`);
    expect(file).toMatchObject({ bucket, key: 'shape/target.bin', verified_by: 'md5' });
  });

  it('Azure Blob', async () => {
    const file = await delivered({
      operation: 'export/azure/blob',
      storage_account: AZURITE.account,
      storage_access_key: AZURITE.key,
      endpoint: AZURITE.endpoint,
      container: bucket,
      blob: 'shape/target.bin',
    });
    expectShape(file, `${AZURITE.endpoint}/${bucket}/shape/target.bin`);
    expect(file).toMatchObject({ container: bucket, blob: 'shape/target.bin', verified_by: 'md5' });
  });

  it('Google Cloud Storage', async () => {
    const file = await delivered({
      operation: 'export/google-cloud-storage',
      project_id: GCS_EMULATOR.projectId,
      bucket,
      client_email: `outbox@${GCS_EMULATOR.projectId}.iam.gserviceaccount.com`,
      private_key: gcsTestKey,
      endpoint: GCS_EMULATOR.endpoint,
      file: 'shape/target.bin',
    });
    expectShape(file, `${GCS_EMULATOR.endpoint}/${bucket}/shape/target.bin`);
    expect(file).toMatchObject({ bucket, file: 'shape/target.bin', verified_by: 'md5' });
  });

  it('OpenStack Swift', async () => {
    const file = await delivered({
      operation: 'export/openstack',
      auth_url: KEYSTONE.authUrl,
      region: KEYSTONE.region,
      container: bucket,
      username: KEYSTONE.username,
      password: KEYSTONE.password,
      file: 'shape/target.bin',
    });
    expectShape(
      file,
      new RegExp(`^${KEYSTONE.swiftUrl}/v1/AUTH_\\w+/${bucket}/shape/target\\.bin$`),
    );
    expect(file).toMatchObject({ container: bucket, file: 'shape/target.bin', verified_by: 'md5' });
  });

  it('SFTP: the location is an sftp:// URL that curl downloads', async () => {
    const file = await delivered({
      operation: 'export/sftp',
      host: SFTP.host,
      port: SFTP.port,
      username: SFTP.username,
      password: SFTP.password,
      file: `${folder}/target.bin`,
    });
    expectShape(file, `sftp://${SFTP.username}@${SFTP.host}:${SFTP.port}/~/${folder}/target.bin`);
    expect(file).toMatchObject({
      host: SFTP.host,
      file: `${folder}/target.bin`,
      verified_by: 'size',
    });
    const out = join(dir, 'via-location.bin');
    await run('curl', [
      '-fsS',
      '-k',
      '-u',
      `${SFTP.username}:${SFTP.password}`,
      '-o',
      out,
      String(file.location),
    ]);
    expect(await sha256File(out)).toBe(await sha256File(source));
  });

  it('HTTP PUT: filename and location from the URL, never its signature', async () => {
    const url = await getSignedUrl(
      s3,
      new PutObjectCommand({ Bucket: bucket, Key: 'put/target.bin' }),
      { expiresIn: 600 },
    );
    const file = await delivered({ operation: 'export/upload', url });
    expectShape(file, `${RGW.endpoint}/${bucket}/put/target.bin`);
    expect(JSON.stringify(file)).not.toContain('X-Amz-Signature');
  });

  it('url appears where a file downloads without credentials: share links and export/url', async () => {
    const shared = await delivered({
      ...s3TaskOf(RGW),
      bucket,
      key: 'shared/target.bin',
      share_link: true,
    });
    expect(shared.location).toBe(`${RGW.endpoint}/${bucket}/shared/target.bin`);
    expect(String(shared.url)).toMatch(/X-Amz-Signature=/);
    expect(shared.expires_at).toEqual(expect.any(String));
    const response = await fetch(String(shared.url));
    expect(response.status).toBe(200);
    await response.body?.cancel();

    const link = exportTaskOf(await exportFiles(engine, { operation: 'export/url' }, [source]))
      .result?.files[0];
    expect(link).toMatchObject({ filename: 'source.bin', url: expect.stringMatching(/\/d\//) });
    expect(link).not.toHaveProperty('location');
  });
});
