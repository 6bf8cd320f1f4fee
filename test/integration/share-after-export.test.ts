import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  ListObjectsV2Command,
  S3Client,
} from '@aws-sdk/client-s3';
import {
  BlobServiceClient,
  ContainerSASPermissions,
  StorageSharedKeyCredential,
  generateBlobSASQueryParameters,
} from '@azure/storage-blob';
import { Storage } from '@google-cloud/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../main/core/engine/engine';
import type { JobRecord, ResultFile } from '../../main/core/transfer/records';
import { ProfileService } from '../../main/core/profiles/profile-service';
import { assertBuilt, outbox } from '../support/cli';
import {
  exportFiles,
  exportTaskOf,
  makeFile,
  sha256File,
  tempDir,
  testConfig,
} from '../support/engine';
import { gcsV4Signature } from '../support/gcs-signed-url';
import { assertKeyringUp } from '../support/keyring';
import { AZURITE, GCS_EMULATOR, KEYSTONE, RGW, assertServerUp, s3TaskOf } from '../support/servers';
import { download, expectExpiry, expectWorksThenExpires } from '../support/share-link-checks';
import { swiftCli, type SwiftCli } from '../support/swift-cli';

/**
 * "Create share link" after the fact (engine.createShareLink and
 * `outbox jobs share`), against the real servers: files are exported with
 * saved profiles (secrets in the private gnome-keyring), then another engine
 * on the same data directory (as after a restart: no credentials in memory)
 * signs links with the profile's credentials. Each link downloads the same
 * bytes with a plain fetch, without credentials, and stops working when it
 * says. GCS's emulator checks no signatures: its URL is checked offline.
 */

const suffix = randomBytes(4).toString('hex');
const SHORT_EXPIRY = 3;
const bucket = `outbox-later-${suffix}`;
const container = `outbox-later-${suffix}`;
const swiftContainer = `outbox-later-os-${suffix}`;
const gcsBucket = `outbox-later-gcs-${suffix}`;
const gcsKeys = generateKeyPairSync('rsa', { modulusLength: 2048 });
const gcsEmail = 'outbox-later@demo-outbox.iam.gserviceaccount.com';

const s3 = new S3Client({
  region: RGW.region,
  endpoint: RGW.endpoint,
  forcePathStyle: true,
  credentials: { accessKeyId: RGW.accessKeyId, secretAccessKey: RGW.secretAccessKey },
});
const azure = new BlobServiceClient(
  AZURITE.endpoint,
  new StorageSharedKeyCredential(AZURITE.account, AZURITE.key),
);

const profileTasks = {
  s3: {
    ...s3TaskOf(RGW),
    bucket,
    key_prefix: 'later/',
  },
  azure: {
    operation: 'export/azure/blob',
    storage_account: AZURITE.account,
    storage_access_key: AZURITE.key,
    container,
    endpoint: AZURITE.endpoint,
  },
  swift: {
    operation: 'export/openstack',
    auth_url: KEYSTONE.authUrl,
    region: KEYSTONE.region,
    container: swiftContainer,
    username: KEYSTONE.username,
    password: KEYSTONE.password,
  },
  gcs: {
    operation: 'export/google-cloud-storage',
    project_id: GCS_EMULATOR.projectId,
    bucket: gcsBucket,
    client_email: gcsEmail,
    private_key: gcsKeys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    endpoint: GCS_EMULATOR.endpoint,
  },
};
const profileName = (kind: string) => `later ${kind} ${suffix}`;

let home: string;
let dir: string;
let profiles: ProfileService;
/** Runs the exports. */
let exporting: Engine;
/** Another engine on the same data directory: it never saw the credentials. */
let later: Engine;
let source: string;
let sourceSha256: string;

async function exported(task: Record<string, unknown>, paths = [source]): Promise<JobRecord> {
  const record = await exportFiles(exporting, task, paths);
  expect(exportTaskOf(record), exportTaskOf(record).message).toMatchObject({ status: 'finished' });
  return record;
}

function sharedFile(record: JobRecord, index = 0): ResultFile {
  const file = exportTaskOf(record).result?.files[index];
  if (!file) throw new Error(`no result file ${index}`);
  return file;
}

let swift: SwiftCli['swift'];

beforeAll(async () => {
  await assertKeyringUp();
  for (const server of ['rgw', 'azurite', 'swift', 'gcs'] as const) await assertServerUp(server);
  ({ swift } = await swiftCli());
  home = await tempDir('outbox-later-');
  dir = await tempDir('outbox-later-files-');
  source = await makeFile(dir, 'quarterly report.bin', 300_000);
  sourceSha256 = await sha256File(source);
  profiles = new ProfileService(home);
  for (const [kind, task] of Object.entries(profileTasks)) {
    await profiles.add(profileName(kind), task);
  }
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  await azure.getContainerClient(container).create();
  await swift('post', swiftContainer);
  exporting = await Engine.open(testConfig(home), { resolveProfile: profiles.resolver });
  later = await Engine.open(testConfig(home), { resolveProfile: profiles.resolver });
});

afterAll(async () => {
  await exporting?.close();
  await later?.close();
  const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket })).catch(() => undefined);
  for (const object of listed?.Contents ?? []) {
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: object.Key }));
  }
  await s3.send(new DeleteBucketCommand({ Bucket: bucket })).catch(() => undefined);
  s3.destroy();
  await azure.getContainerClient(container).deleteIfExists();
  await swift('delete', swiftContainer).catch(() => undefined);
  await new Storage({ projectId: GCS_EMULATOR.projectId, apiEndpoint: GCS_EMULATOR.endpoint })
    .bucket(gcsBucket)
    .deleteFiles({ force: true })
    .catch(() => undefined);
  for (const kind of Object.keys(profileTasks)) {
    await profiles?.remove(profileName(kind)).catch(() => undefined);
  }
  await fs.rm(dir, { recursive: true, force: true });
  await fs.rm(home, { recursive: true, force: true });
});

describe('createShareLink on S3 (Ceph RGW), from a profile', () => {
  it('signs a 24-hour presigned GET into the result, saves it and announces the job', async () => {
    const record = await exported({ profile: profileName('s3') });
    const plain = sharedFile(record);
    expect(plain.expires_at).toBeUndefined();
    expect(plain.url).toBeUndefined();
    expect(plain.location).toBe(`${RGW.endpoint}/${bucket}/later/quarterly%20report.bin`);
    // Without a signature the object is private: its location downloads nothing.
    expect((await download(String(plain.location))).status).toBe(403);

    const events: JobRecord[] = [];
    const stop = later.on('job', (job) => events.push(job));
    const before = Date.now();
    const updated = await later.createShareLink(record.id, 'export');
    stop();
    const file = sharedFile(updated);
    expectExpiry(file, 86400, before);
    const url = new URL(String(file.url));
    expect(`${url.origin}${url.pathname}`).toBe(String(plain.location));
    expect(url.searchParams.get('X-Amz-Algorithm')).toBe('AWS4-HMAC-SHA256');
    expect(url.searchParams.get('X-Amz-Expires')).toBe('86400');
    expect(String(file.url)).not.toContain(RGW.secretAccessKey);
    expect(file).toMatchObject({
      filename: 'quarterly report.bin',
      key: plain.key,
      verified: true,
    });
    expect(await download(String(file.url))).toEqual({ status: 200, sha256: sourceSha256 });

    expect(events.map((job) => sharedFile(job).url)).toEqual([file.url]);
    // On disk, for every host (and without any secret).
    expect(sharedFile((await exporting.get(record.id)) as JobRecord)).toEqual(file);
    const stored = await fs.readFile(join(home, 'jobs', `${record.id}.json`), 'utf8');
    expect(stored).toContain(String(file.expires_at));
    expect(stored).not.toContain(RGW.secretAccessKey);
  });

  it(`a link for ${SHORT_EXPIRY} s stops working then`, async () => {
    const record = await exported({ profile: profileName('s3') });
    const before = Date.now();
    const file = sharedFile(await later.createShareLink(record.id, 'export', 0, SHORT_EXPIRY));
    expectExpiry(file, SHORT_EXPIRY, before);
    await expectWorksThenExpires(file, sourceSha256, [403]);
  });

  it('one file of several, by index; the others keep their plain URL', async () => {
    const second = await makeFile(dir, 'second.bin', 'the second file');
    const record = await exported({ profile: profileName('s3') }, [source, second]);
    const updated = await later.createShareLink(record.id, 'export', 1, 600);
    expect(sharedFile(updated, 0)).toEqual(sharedFile(record, 0));
    const file = sharedFile(updated, 1);
    expect(file.filename).toBe('second.bin');
    const response = await fetch(String(file.url));
    expect(await response.text()).toBe('the second file');
    // All files when no index is given.
    const all = await later.createShareLink(record.id, 'export', undefined, 600);
    expect(exportTaskOf(all).result?.files.every((f) => typeof f.expires_at === 'string')).toBe(
      true,
    );
    expect(await download(String(sharedFile(all, 0).url))).toEqual({
      status: 200,
      sha256: sourceSha256,
    });
  });

  it('refuses to hand out a link to an object deleted since the export', async () => {
    const lonely = await makeFile(dir, 'deleted-later.bin', 'soon gone');
    const record = await exported({ profile: profileName('s3') }, [lonely]);
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'later/deleted-later.bin' }));
    await expect(later.createShareLink(record.id, 'export')).rejects.toMatchObject({
      code: 'NOT_FOUND',
      message: expect.stringMatching(
        /^deleted-later\.bin \(127\.0\.0\.1:7480\) is no longer at the destination/,
      ),
    });
    expect(sharedFile((await later.get(record.id)) as JobRecord).expires_at).toBeUndefined();
  });
});

describe('createShareLink on Azure Blob (azurite), from a profile', () => {
  it('signs a read-only SAS that downloads the bytes, then expires', async () => {
    const record = await exported({ profile: profileName('azure') });
    const before = Date.now();
    const file = sharedFile(await later.createShareLink(record.id, 'export', 0, SHORT_EXPIRY));
    expectExpiry(file, SHORT_EXPIRY, before);
    const url = new URL(String(file.url));
    expect(`${url.origin}${url.pathname}`).toBe(
      `${AZURITE.endpoint}/${container}/quarterly%20report.bin`,
    );
    expect(url.searchParams.get('sp')).toBe('r');
    expect(String(file.url)).not.toContain(AZURITE.key);
    await expectWorksThenExpires(file, sourceSha256, [403]);
  });

  it('explains that a profile with a SAS token cannot sign links', async () => {
    const name = profileName('azure sas');
    const { storage_access_key: _key, ...withoutKey } = profileTasks.azure;
    const sas = generateBlobSASQueryParameters(
      {
        containerName: container,
        permissions: ContainerSASPermissions.parse('rcw'),
        expiresOn: new Date(Date.now() + 3600_000),
      },
      new StorageSharedKeyCredential(AZURITE.account, AZURITE.key),
    ).toString();
    await profiles.add(name, { ...withoutKey, sas_token: sas });
    try {
      const record = await exported({ profile: name });
      await expect(later.createShareLink(record.id, 'export')).rejects.toMatchObject({
        code: 'INVALID_DATA',
        message: `Azure share links are signed with the storage account key, and profile "${name}" signs in with a SAS token, which cannot sign them. Add the storage access key to profile "${name}".`,
      });
    } finally {
      await profiles.remove(name);
    }
  });
});

describe('createShareLink on OpenStack Swift (TempURL, Keystone), from a profile', () => {
  it('signs a TempURL that downloads the bytes without credentials, then expires', async () => {
    const record = await exported({ profile: profileName('swift') });
    const before = Date.now();
    const file = sharedFile(await later.createShareLink(record.id, 'export', 0, SHORT_EXPIRY));
    expectExpiry(file, SHORT_EXPIRY, before);
    const url = new URL(String(file.url));
    expect(url.pathname).toMatch(
      new RegExp(`^/v1/AUTH_\\w+/${swiftContainer}/quarterly%20report\\.bin$`),
    );
    expect(url.searchParams.get('temp_url_expires')).toBe(
      String(Date.parse(String(file.expires_at)) / 1000),
    );
    await expectWorksThenExpires(file, sourceSha256, [401]);
  });
});

describe('createShareLink on Google Cloud Storage (emulator, checked offline)', () => {
  it('signs a V4 URL with a valid signature over GET of the object', async () => {
    const record = await exported({ profile: profileName('gcs') });
    const before = Date.now();
    const file = sharedFile(await later.createShareLink(record.id, 'export', 0, 7 * 86400));
    expectExpiry(file, 7 * 86400, before);
    const url = new URL(String(file.url));
    expect(`${url.origin}${url.pathname}`).toBe(
      `${GCS_EMULATOR.endpoint}/${gcsBucket}/quarterly%20report.bin`,
    );
    const { param, signedAt, scope, canonicalRequest, verifies } = gcsV4Signature(
      url,
      gcsKeys.publicKey,
    );
    expect(param('X-Goog-Algorithm')).toBe('GOOG4-RSA-SHA256');
    expect(param('X-Goog-Credential')).toBe(`${gcsEmail}/${scope}`);
    expect(signedAt + Number(param('X-Goog-Expires')) * 1000).toBe(
      Date.parse(String(file.expires_at)),
    );
    expect(verifies(canonicalRequest)).toBe(true);
    expect(verifies(canonicalRequest.replace('quarterly%20report', 'other'))).toBe(false);
  });
});

describe('createShareLink refuses what it cannot do, saying why', () => {
  const inline = () => ({ ...profileTasks.s3 });

  it('a job without a profile can be shared in the session that ran it, not after', async () => {
    const record = await exported(inline());
    // The engine that ran it still holds its original (with the credentials).
    const file = sharedFile(await exporting.createShareLink(record.id, 'export', 0, 600));
    expect(await download(String(file.url))).toEqual({ status: 200, sha256: sourceSha256 });
    // Another engine (Outbox restarted) has only the record, which holds no secret.
    await expect(later.createShareLink(record.id, 'export')).rejects.toMatchObject({
      code: 'INVALID_DATA',
      message: expect.stringMatching(
        /credentials of task "export" are not kept .*export with a saved profile.*share_link parameter/,
      ),
    });
  });

  it('a profile deleted since the export is named', async () => {
    const name = profileName('s3 gone');
    await profiles.add(name, profileTasks.s3);
    const record = await exported({ profile: name });
    await profiles.remove(name);
    await expect(later.createShareLink(record.id, 'export')).rejects.toMatchObject({
      code: 'PROFILE_NOT_FOUND',
      message: expect.stringContaining(`The profile "${name}" that task "export" used`),
    });
  });

  it('only finished cloud exports, existing jobs, tasks and files; expiry up to 7 days', async () => {
    const record = await exported({ profile: profileName('s3') });
    await expect(later.createShareLink('no-such-job', 'export')).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
    await expect(later.createShareLink(record.id, 'nope')).rejects.toMatchObject({
      code: 'NOT_FOUND',
      message: expect.stringContaining('no task "nope"'),
    });
    await expect(later.createShareLink(record.id, 'import-files')).rejects.toMatchObject({
      code: 'INVALID_DATA',
      message: expect.stringMatching(/import\/file: share links are made for export\/s3, /),
    });
    await expect(later.createShareLink(record.id, 'export', 1)).rejects.toMatchObject({
      code: 'INVALID_DATA',
      fields: { file: ['task "export" delivered 1 file: give 0 to 0'] },
    });
    await expect(
      later.createShareLink(record.id, 'export', 0, 7 * 86400 + 1),
    ).rejects.toMatchObject({
      fields: { expires_in: ['must be a whole number of seconds from 1 to 604800 (7 days)'] },
    });
    await expect(later.createShareLink(record.id, 'export', 0, 0)).rejects.toMatchObject({
      fields: { expires_in: ['must be a whole number of seconds from 1 to 604800 (7 days)'] },
    });

    const links = await exported({ operation: 'export/url' });
    await expect(later.createShareLink(links.id, 'export')).rejects.toMatchObject({
      code: 'INVALID_DATA',
      message: expect.stringContaining('Task "export" is export/url'),
    });

    const failed = await exportFiles(exporting, { ...inline(), bucket: `missing-${suffix}` }, [
      source,
    ]);
    expect(exportTaskOf(failed).status).toBe('error');
    await expect(exporting.createShareLink(failed.id, 'export')).rejects.toMatchObject({
      code: 'INVALID_DATA',
      message: 'Task "export" is error: share links are made for finished exports only.',
    });
  });
});

/** The lines of stderr that Outbox itself printed (not a runtime's warnings). */
function outboxErrors(stderr: string): string[] {
  return stderr.split('\n').filter((line) => line.startsWith('outbox'));
}

describe('outbox jobs share (the CLI)', () => {
  it('prints a working link for a job exported with --profile, and errors in one line', async () => {
    assertBuilt();
    const env = { OUTBOX_HOME: home };
    const exportedByCli = await outbox(
      ['export', '--profile', profileName('s3'), source, '--json'],
      env,
    );
    expect(outboxErrors(exportedByCli.stderr)).toEqual([]);
    expect(exportedByCli.code).toBe(0);
    const jobs = JSON.parse((await outbox(['jobs', '--json'], env)).stdout) as {
      id: string;
      tasks: { name: string; status: string }[];
    }[];
    const id = jobs[0]?.id ?? '';
    expect(jobs[0]?.tasks.map((t) => [t.name, t.status])).toEqual([
      ['import-files', 'finished'],
      ['export', 'finished'],
    ]);
    expect((await outbox(['jobs'], env)).stdout).toContain(`${id}  finished   `);

    const shared = await outbox(
      ['jobs', 'share', id, 'export', '--expires-in', '3600', '--json'],
      env,
    );
    expect(outboxErrors(shared.stderr)).toEqual([]);
    expect(shared.code).toBe(0);
    const { files } = JSON.parse(shared.stdout) as {
      files: { index: number; filename: string; size: number; url: string; expires_at: string }[];
    };
    expect(files).toEqual([
      {
        index: 0,
        filename: 'quarterly report.bin',
        size: 300_000,
        url: expect.stringContaining('X-Amz-Expires=3600'),
        expires_at: expect.any(String),
      },
    ]);
    expect(await download(files[0]?.url ?? '')).toEqual({ status: 200, sha256: sourceSha256 });
    // The record has it too: `outbox jobs --json` shows the signed URL.
    expect((await outbox(['jobs', '--json'], env)).stdout).toContain(files[0]?.url);

    const human = await outbox(['jobs', 'share', id, 'export', '--file', '0'], env);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toMatch(
      /^0 {2}quarterly report\.bin \(300 KB\) {2}expires \S+Z\n {4}http:\/\/127\.0\.0\.1:7480\/\S+X-Amz-Expires=86400/,
    );

    for (const [args, code, message] of [
      [['--file', '3'], 1, /file: task "export" delivered 1 file/],
      [
        ['--expires-in', '604801'],
        1,
        /expires_in: must be a whole number of seconds from 1 to 604800/,
      ],
      [['--expires-in', 'soon'], 2, /--expires-in takes a whole number/],
      [['--file', '-1'], 2, /--file/],
    ] as const) {
      const result = await outbox(['jobs', 'share', id, 'export', ...args], env);
      expect(result.code, args.join(' ')).toBe(code);
      expect(outboxErrors(result.stderr)).toEqual([expect.stringMatching(message)]);
    }
    const missing = await outbox(['jobs', 'share', id], env);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/give a JOB_ID and a TASK name/);
    const help = await outbox(['jobs', '--help'], env);
    expect(help.stdout).toMatch(
      /outbox jobs share JOB_ID TASK \[--file N\] \[--expires-in SECONDS\]/,
    );
  });
});
