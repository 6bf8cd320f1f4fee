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
import { afterAll, beforeAll, expect } from 'vitest';
import { Engine } from '../../main/core/engine/engine';
import type { JobRecord, ResultFile } from '../../main/core/transfer/records';
import { ProfileService } from '../../main/core/profiles/profile-service';
import { exportFiles, exportTaskOf, makeFile, sha256File, tempDir, testConfig } from './engine';
import { assertKeyringUp } from './keyring';
import { AZURITE, GCS_EMULATOR, KEYSTONE, RGW, assertServerUp, s3TaskOf } from './servers';
import { swiftCli, type SwiftCli } from './swift-cli';

/**
 * The fixture of the "share link after the export" suites: a saved profile
 * per cloud (secrets in the private gnome-keyring), a bucket or container for
 * each, a source file, and two engines on one data directory — `exporting`
 * runs the exports, `later` (as after a restart: no credentials in memory)
 * signs the links.
 */

export const suffix = randomBytes(4).toString('hex');
export const SHORT_EXPIRY = 3;
export const bucket = `outbox-later-${suffix}`;
export const container = `outbox-later-${suffix}`;
export const swiftContainer = `outbox-later-os-${suffix}`;
export const gcsBucket = `outbox-later-gcs-${suffix}`;
export const gcsKeys = generateKeyPairSync('rsa', { modulusLength: 2048 });
export const gcsEmail = 'outbox-later@demo-outbox.iam.gserviceaccount.com';

export const s3 = new S3Client({
  region: RGW.region,
  endpoint: RGW.endpoint,
  forcePathStyle: true,
  credentials: { accessKeyId: RGW.accessKeyId, secretAccessKey: RGW.secretAccessKey },
});
export const azure = new BlobServiceClient(
  AZURITE.endpoint,
  new StorageSharedKeyCredential(AZURITE.account, AZURITE.key),
);

export const profileTasks = {
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
export const profileName = (kind: string) => `later ${kind} ${suffix}`;

export type ShareLater = {
  home: string;
  dir: string;
  profiles: ProfileService;
  /** Runs the exports. */
  exporting: Engine;
  /** Another engine on the same data directory: it never saw the credentials. */
  later: Engine;
  source: string;
  sourceSha256: string;
  swift: SwiftCli['swift'];
  /** Exports `paths` (the source file by default) with `exporting`; the finished record. */
  exported: (task: Record<string, unknown>, paths?: string[]) => Promise<JobRecord>;
};

export function sharedFile(record: JobRecord, index = 0): ResultFile {
  const file = exportTaskOf(record).result?.files[index];
  if (!file) throw new Error(`no result file ${index}`);
  return file;
}

/** Registers the fixture's hooks; its fields are filled in before the first test. */
export function useShareLater(): ShareLater {
  const state = {
    exported: async (task: Record<string, unknown>, paths = [state.source]) => {
      const record = await exportFiles(state.exporting, task, paths);
      expect(exportTaskOf(record), exportTaskOf(record).message).toMatchObject({
        status: 'finished',
      });
      return record;
    },
  } as ShareLater;

  beforeAll(async () => {
    await assertKeyringUp();
    for (const server of ['rgw', 'azurite', 'swift', 'gcs'] as const) await assertServerUp(server);
    ({ swift: state.swift } = await swiftCli());
    state.home = await tempDir('outbox-later-');
    state.dir = await tempDir('outbox-later-files-');
    state.source = await makeFile(state.dir, 'quarterly report.bin', 300_000);
    state.sourceSha256 = await sha256File(state.source);
    state.profiles = new ProfileService(state.home);
    for (const [kind, task] of Object.entries(profileTasks)) {
      await state.profiles.add(profileName(kind), task);
    }
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    await azure.getContainerClient(container).create();
    await state.swift('post', swiftContainer);
    state.exporting = await Engine.open(testConfig(state.home), {
      resolveProfile: state.profiles.resolver,
    });
    state.later = await Engine.open(testConfig(state.home), {
      resolveProfile: state.profiles.resolver,
    });
  });

  afterAll(async () => {
    await state.exporting?.close();
    await state.later?.close();
    const listed = await s3
      .send(new ListObjectsV2Command({ Bucket: bucket }))
      .catch(() => undefined);
    for (const object of listed?.Contents ?? []) {
      await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: object.Key }));
    }
    await s3.send(new DeleteBucketCommand({ Bucket: bucket })).catch(() => undefined);
    s3.destroy();
    await azure.getContainerClient(container).deleteIfExists();
    await state.swift('delete', swiftContainer).catch(() => undefined);
    await new Storage({ projectId: GCS_EMULATOR.projectId, apiEndpoint: GCS_EMULATOR.endpoint })
      .bucket(gcsBucket)
      .deleteFiles({ force: true })
      .catch(() => undefined);
    for (const kind of Object.keys(profileTasks)) {
      await state.profiles?.remove(profileName(kind)).catch(() => undefined);
    }
    await fs.rm(state.dir, { recursive: true, force: true });
    await fs.rm(state.home, { recursive: true, force: true });
  });

  return state;
}
