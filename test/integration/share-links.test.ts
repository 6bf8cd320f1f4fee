import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  ListObjectsV2Command,
  S3Client,
} from '@aws-sdk/client-s3';
import { BlobServiceClient, StorageSharedKeyCredential } from '@azure/storage-blob';
import { Storage } from '@google-cloud/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../main/core/engine/engine';
import type { TaskRecord } from '../../main/core/transfer/records';
import {
  exportFiles,
  exportTaskOf,
  makeFile,
  openTestEngine,
  sha256File,
  tempDir,
} from '../support/engine';
import { gcsV4Signature } from '../support/gcs-signed-url';
import { run } from '../support/net';
import {
  AZURITE,
  GCS_EMULATOR,
  KEYSTONE,
  RGW,
  SWIFT_S3,
  assertServerUp,
  type S3Endpoint,
  s3TaskOf,
} from '../support/servers';
import { download, expectExpiry, expectWorksThenExpires } from '../support/share-link-checks';
import { swiftCli, type SwiftCli } from '../support/swift-cli';

/**
 * The `share_link` extension against the real servers: after an export, the
 * result's `url` downloads the same bytes with a plain fetch (no credentials)
 * and stops working after `expires_in`. S3 presigned URLs on Ceph RGW and on
 * Swift's s3api, read-only SAS URLs on azurite, TempURLs on Swift (Keystone
 * account). The GCS emulator checks no signatures, so its V4 signed URL is
 * checked offline: its form, its X-Goog-* parameters, and the RSA signature
 * itself, recomputed from the canonical request and verified with the public
 * key of the service account the test made.
 */

type ResultFile = NonNullable<TaskRecord['result']>['files'][number];

const suffix = randomBytes(4).toString('hex');
// A name that needs encoding: signatures must cover the same path the URL carries.
const OBJECT_NAME = 'shared/naïve report 1.bin';
const SHORT_EXPIRY = 3;

let engine: Engine;
let close: () => Promise<void>;
let dir: string;
let source: string;
let sourceSha256: string;

async function exportOne(task: Record<string, unknown>): Promise<ResultFile> {
  const record = exportTaskOf(await exportFiles(engine, task, [source]));
  expect(record, record.message).toMatchObject({ status: 'finished' });
  const [file] = record.result?.files ?? [];
  if (!file) throw new Error('no result file');
  return file;
}

beforeAll(async () => {
  ({ engine, close } = await openTestEngine());
  dir = await tempDir();
  source = await makeFile(dir, 'report.bin', 300_000);
  sourceSha256 = await sha256File(source);
});

afterAll(async () => {
  await close?.();
  await fs.rm(dir, { recursive: true, force: true });
});

describe.each([RGW, SWIFT_S3])('share_link on export/s3 ($name)', (server: S3Endpoint) => {
  const bucket = `outbox-share-${server.name}-${suffix}`;
  const client = new S3Client({
    region: server.region,
    endpoint: server.endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
  });
  const task = (shareLink: unknown) => ({
    ...s3TaskOf(server),
    bucket,
    key: OBJECT_NAME,
    share_link: shareLink,
  });

  beforeAll(async () => {
    await assertServerUp(server.name);
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
  });

  afterAll(async () => {
    const listed = await client.send(new ListObjectsV2Command({ Bucket: bucket }));
    for (const object of listed.Contents ?? []) {
      await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: object.Key }));
    }
    await client.send(new DeleteBucketCommand({ Bucket: bucket }));
    client.destroy();
  });

  it('share_link: true gives a 24-hour presigned GET that downloads without credentials', async () => {
    const before = Date.now();
    const file = await exportOne(task(true));
    expectExpiry(file, 86400, before);
    const url = new URL(String(file.url));
    expect(`${url.origin}${url.pathname}`).toBe(
      `${server.endpoint}/${bucket}/shared/na%C3%AFve%20report%201.bin`,
    );
    expect(url.searchParams.get('X-Amz-Algorithm')).toBe('AWS4-HMAC-SHA256');
    expect(url.searchParams.get('X-Amz-Expires')).toBe('86400');
    expect(String(file.url)).not.toContain(server.secretAccessKey);
    expect(await download(String(file.url))).toEqual({ status: 200, sha256: sourceSha256 });
    // Without the signature the object stays private (RGW 403, Swift's s3api 400).
    expect([400, 403]).toContain((await download(`${url.origin}${url.pathname}`)).status);
  });

  it(`stops working after expires_in (${SHORT_EXPIRY} s)`, async () => {
    const file = await exportOne(task({ expires_in: SHORT_EXPIRY }));
    expect(new URL(String(file.url)).searchParams.get('X-Amz-Expires')).toBe(String(SHORT_EXPIRY));
    await expectWorksThenExpires(file, sourceSha256, [403]);
  });
});

describe('share_link on export/azure/blob (azurite)', () => {
  const container = `outbox-share-${suffix}`;
  const service = new BlobServiceClient(
    AZURITE.endpoint,
    new StorageSharedKeyCredential(AZURITE.account, AZURITE.key),
  );
  const task = (shareLink: unknown, credential: Record<string, string>) => ({
    operation: 'export/azure/blob',
    storage_account: AZURITE.account,
    container,
    blob: OBJECT_NAME,
    endpoint: AZURITE.endpoint,
    share_link: shareLink,
    ...credential,
  });
  const accountKey = { storage_access_key: AZURITE.key };

  beforeAll(async () => {
    await assertServerUp('azurite');
    await service.getContainerClient(container).create();
  });

  afterAll(async () => {
    await service.getContainerClient(container).deleteIfExists();
  });

  it('share_link: true gives a read-only SAS URL valid for 24 hours', async () => {
    const before = Date.now();
    const file = await exportOne(task(true, accountKey));
    expectExpiry(file, 86400, before);
    const url = new URL(String(file.url));
    expect(`${url.origin}${url.pathname}`).toBe(
      `${AZURITE.endpoint}/${container}/shared/na%C3%AFve%20report%201.bin`,
    );
    expect(url.searchParams.get('sp')).toBe('r');
    expect(url.searchParams.get('sr')).toBe('b');
    expect(Date.parse(url.searchParams.get('se') ?? '')).toBe(Date.parse(String(file.expires_at)));
    expect(String(file.url)).not.toContain(AZURITE.key);
    expect(await download(String(file.url))).toEqual({ status: 200, sha256: sourceSha256 });
    // Read-only: the same SAS may not overwrite the blob.
    const put = await fetch(String(file.url), {
      method: 'PUT',
      headers: { 'x-ms-blob-type': 'BlockBlob' },
      body: 'overwritten',
    });
    expect(put.status).toBe(403);
    expect(await download(String(file.url))).toEqual({ status: 200, sha256: sourceSha256 });
  });

  it(`stops working after expires_in (${SHORT_EXPIRY} s)`, async () => {
    const file = await exportOne(task({ expires_in: SHORT_EXPIRY }, accountKey));
    await expectWorksThenExpires(file, sourceSha256, [403]);
  });

  it('refuses share_link with a SAS token credential before uploading', async () => {
    await expect(
      exportFiles(engine, task(true, { sas_token: 'sv=2024-01-01&sig=abc' }), [source]),
    ).rejects.toMatchObject({
      code: 'INVALID_DATA',
      fields: {
        'tasks.export.share_link': [expect.stringContaining('needs storage_access_key')],
      },
    });
  });
});

describe('share_link on export/openstack (Swift TempURL)', () => {
  const container = `outbox-share-os-${suffix}`;
  let storageUrl = '';
  let token = '';
  const task = (shareLink: unknown) => ({
    operation: 'export/openstack',
    auth_url: KEYSTONE.authUrl,
    region: KEYSTONE.region,
    container,
    username: KEYSTONE.username,
    password: KEYSTONE.password,
    file: OBJECT_NAME,
    share_link: shareLink,
  });

  /** The account's TempURL key, read with the swift CLI's token. */
  async function accountTempUrlKey(): Promise<string | null> {
    const response = await fetch(storageUrl, {
      method: 'HEAD',
      headers: { 'X-Auth-Token': token },
    });
    expect(response.status).toBe(204);
    return response.headers.get('x-account-meta-temp-url-key');
  }

  let swift: SwiftCli['swift'];

  beforeAll(async () => {
    await assertServerUp('swift');
    // Debian's python-swiftclient signs in on its own; its token is used for the checks.
    ({ storageUrl, token, swift } = await swiftCli());
    expect(storageUrl).toMatch(/^http:\/\/127\.0\.0\.1:8080\/v1\/AUTH_/);
    await swift('post', container);
  });

  afterAll(async () => {
    await swift('delete', container).catch(() => undefined);
  });

  it('sets a TempURL key on an account without one, and the TempURL downloads without credentials', async () => {
    // Start from an account without a key (it is test state: earlier runs set one).
    await swift('post', '-H', 'X-Remove-Account-Meta-Temp-URL-Key: x');
    expect(await accountTempUrlKey()).toBeNull();

    const before = Date.now();
    const file = await exportOne(task(true));
    expectExpiry(file, 86400, before);
    const key = await accountTempUrlKey();
    expect(key).toMatch(/^[0-9a-f]{64}$/);

    const url = new URL(String(file.url));
    expect(`${url.origin}${url.pathname}`).toBe(
      `${storageUrl}/${container}/shared/na%C3%AFve%20report%201.bin`,
    );
    const expires = Date.parse(String(file.expires_at)) / 1000;
    expect(url.searchParams.get('temp_url_expires')).toBe(String(expires));
    // python-swiftclient's own TempURL signature for the same object, key and expiry.
    const { stdout } = await run('swift', [
      'tempurl',
      '--absolute',
      '--digest',
      'sha256',
      'GET',
      String(expires),
      decodeURIComponent(url.pathname),
      String(key),
    ]);
    const reference = new URL(stdout.trim(), url.origin);
    expect(url.searchParams.get('temp_url_sig')).toBe(reference.searchParams.get('temp_url_sig'));
    expect(await download(String(file.url))).toEqual({ status: 200, sha256: sourceSha256 });
    expect((await download(`${url.origin}${url.pathname}`)).status).toBe(401);
  });

  it(`keeps an existing key, and the link stops working after expires_in (${SHORT_EXPIRY} s)`, async () => {
    const existing = await accountTempUrlKey();
    expect(existing).not.toBeNull();
    const file = await exportOne(task({ expires_in: SHORT_EXPIRY }));
    expect(await accountTempUrlKey()).toBe(existing);
    await expectWorksThenExpires(file, sourceSha256, [401]);
  });
});

describe('share_link on export/google-cloud-storage (GCS emulator, checked offline)', () => {
  const bucket = `outbox-share-gcs-${suffix}`;
  const clientEmail = 'outbox-share@demo-outbox.iam.gserviceaccount.com';
  // A real RSA key: the signed URL is signed locally with it (the emulator ignores credentials).
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const task = (shareLink: unknown) => ({
    operation: 'export/google-cloud-storage',
    project_id: GCS_EMULATOR.projectId,
    bucket,
    client_email: clientEmail,
    private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    endpoint: GCS_EMULATOR.endpoint,
    file: OBJECT_NAME,
    share_link: shareLink,
  });

  beforeAll(async () => {
    await assertServerUp('gcs');
  });

  afterAll(async () => {
    await new Storage({ projectId: GCS_EMULATOR.projectId, apiEndpoint: GCS_EMULATOR.endpoint })
      .bucket(bucket)
      .deleteFiles({ force: true });
  });

  /** The URL is checked the way GCS checks it (see gcsV4Signature). */
  it('share_link gives a V4 signed URL with a valid RSA signature over GET of the object', async () => {
    const before = Date.now();
    const file = await exportOne(task({ expires_in: 600 }));
    expectExpiry(file, 600, before);
    const url = new URL(String(file.url));
    expect(`${url.origin}${url.pathname}`).toBe(
      `${GCS_EMULATOR.endpoint}/${bucket}/shared/na%C3%AFve%20report%201.bin`,
    );
    const { param, date, signedAt, scope, canonicalRequest, verifies } = gcsV4Signature(
      url,
      publicKey,
    );
    expect(date).toMatch(/^\d{8}T\d{6}Z$/);
    expect(param('X-Goog-Algorithm')).toBe('GOOG4-RSA-SHA256');
    expect(param('X-Goog-Credential')).toBe(`${clientEmail}/${scope}`);
    expect(param('X-Goog-SignedHeaders')).toBe('host');
    // The link ends when the result says it does.
    expect(signedAt + Number(param('X-Goog-Expires')) * 1000).toBe(
      Date.parse(String(file.expires_at)),
    );
    expect(Number(param('X-Goog-Expires'))).toBeLessThanOrEqual(600);
    expect(param('X-Goog-Signature')).toMatch(/^[0-9a-f]{512}$/);
    expect(verifies(canonicalRequest)).toBe(true);
    // Not for another method or object: the check above can fail.
    expect(verifies(canonicalRequest.replace(/^GET/, 'PUT'))).toBe(false);
    expect(verifies(canonicalRequest.replace('report%201', 'report%202'))).toBe(false);
  });
});

describe('share_link validation', () => {
  const s3Task = (shareLink: unknown) => ({
    ...s3TaskOf(RGW),
    bucket: 'never-used',
    share_link: shareLink,
  });

  it.each([
    [{ expires_in: 7 * 86400 + 1 }, 'must be a whole number of seconds from 1 to 604800 (7 days)'],
    [{ expires_in: 0 }, 'must be a whole number of seconds from 1 to 604800 (7 days)'],
    [{ expires_in: 1.5 }, 'must be a whole number of seconds from 1 to 604800 (7 days)'],
  ])('refuses %j with INVALID_DATA naming share_link.expires_in', async (shareLink, message) => {
    await expect(exportFiles(engine, s3Task(shareLink), [source])).rejects.toMatchObject({
      code: 'INVALID_DATA',
      fields: { 'tasks.export.share_link.expires_in': [message] },
    });
  });

  it.each([['yes'], [false], [3600]])('refuses share_link %j, naming share_link', async (value) => {
    await expect(exportFiles(engine, s3Task(value), [source])).rejects.toMatchObject({
      code: 'INVALID_DATA',
      fields: { 'tasks.export.share_link': [expect.stringContaining('must be true or an object')] },
    });
  });
});
