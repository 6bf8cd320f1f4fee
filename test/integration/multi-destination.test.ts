import { randomBytes } from 'node:crypto';
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
} from '@aws-sdk/client-s3';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { BlobServiceClient, StorageSharedKeyCredential } from '@azure/storage-blob';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportJobOf } from '../../main/core/api/export-job';
import { Engine } from '../../main/core/engine/engine';
import { ProfileService } from '../../main/core/profiles/profile-service';
import type { JobRecord, TaskRecord } from '../../main/core/transfer/records';
import { makeFile, sha256, sha256File, tempDir, testConfig } from '../support/engine';
import { rgwClient } from '../support/mid-upload';
import { AZURITE, RGW, SFTP, assertServerUp, s3TaskOf, sftpPasswordTask } from '../support/servers';
import { fetchedSha256 } from '../support/sftp-cli';
import { MemorySecrets } from '../support/memory-secrets';

/**
 * One drop to three real destinations (Ceph RGW, OpenSSH, azurite) as the UI
 * and `outbox export --profile A --profile B …` build it: one job, one import
 * task, one export task per destination. The Azure profile has a wrong key:
 * its task fails, the other two deliver and verify, read back with the
 * servers' own clients. After the key is fixed in the profile, Retry runs the
 * failed task alone, in the same job. (Profiles keep their secrets in a
 * memory keychain here: the keychain is tested in profiles-keychain.test.ts.)
 */

const suffix = randomBytes(4).toString('hex');
const bucket = `outbox-multi-${suffix}`;
const folder = `multi-${suffix}`;
const container = `multi-${suffix}`;
const names = { s3: 'rgw-reports', sftp: 'sftp-reports', azure: 'azure-reports' };

let dir: string;
let files: string[];
let engine: Engine;
let profiles: ProfileService;
const s3 = rgwClient();
const azure = new BlobServiceClient(
  AZURITE.endpoint,
  new StorageSharedKeyCredential(AZURITE.account, AZURITE.key),
);

function taskOf(record: JobRecord, name: string): TaskRecord {
  const task = record.tasks.find((t) => t.name === name);
  if (!task) throw new Error(`no task ${name} in ${record.tasks.map((t) => t.name).join(', ')}`);
  return task;
}

describe('one drop, several destinations', () => {
  beforeAll(async () => {
    await Promise.all([assertServerUp('rgw'), assertServerUp('sftp'), assertServerUp('azurite')]);
    dir = await tempDir();
    files = [
      await makeFile(dir, 'q3.pdf', 3 * 1024 * 1024),
      await makeFile(dir, 'notes.txt', 70_000),
    ];
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    await azure.getContainerClient(container).create();
    const home = await tempDir();
    profiles = new ProfileService(home, new MemorySecrets());
    await profiles.add(names.s3, { ...s3TaskOf(RGW), bucket, key_prefix: 'in/' });
    await profiles.add(names.sftp, { ...sftpPasswordTask, path: `${folder}/` });
    await profiles.add(names.azure, {
      operation: 'export/azure/blob',
      storage_account: AZURITE.account,
      storage_access_key: Buffer.from('not the key').toString('base64'),
      container,
      endpoint: AZURITE.endpoint,
    });
    engine = await Engine.open(testConfig(home), { resolveProfile: profiles.resolver });
  });

  afterAll(async () => {
    await engine?.close();
    await fs.rm(join(SFTP.home, folder), { recursive: true, force: true });
    await azure.getContainerClient(container).deleteIfExists();
  });

  it('delivers to the destinations that work, and Retry sends only to the one that failed', async () => {
    const job = exportJobOf(
      [{ profile: names.s3 }, { profile: names.sftp }, { profile: names.azure }],
      files,
    );
    expect(Object.keys(job.tasks)).toEqual(['import-files', names.s3, names.sftp, names.azure]);
    const first = await engine.run(job);

    expect(first.status).toBe('error');
    expect(first.tasks.map((t) => [t.name, t.status])).toEqual([
      ['import-files', 'finished'],
      [names.s3, 'finished'],
      [names.sftp, 'finished'],
      [names.azure, 'error'],
    ]);
    expect(taskOf(first, names.azure).code).toBe('AUTH_FAILED');
    const digests = await Promise.all(files.map(sha256File));
    for (const name of [names.s3, names.sftp]) {
      const results = taskOf(first, name).result?.files ?? [];
      expect(results.map((f) => [f.filename, f.verified])).toEqual([
        ['q3.pdf', true],
        ['notes.txt', true],
      ]);
    }
    // Read back with each server's own client, not through Outbox.
    for (const [i, file] of ['q3.pdf', 'notes.txt'].entries()) {
      const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: `in/${file}` }));
      expect(sha256(await object.Body!.transformToByteArray())).toBe(digests[i]);
      expect(await fetchedSha256(`${folder}/${file}`)).toBe(digests[i]);
    }
    expect(await azure.getContainerClient(container).getBlockBlobClient('q3.pdf').exists()).toBe(
      false,
    );

    // The key is fixed in the profile; Retry reads the profile again.
    await profiles.edit(names.azure, { storage_access_key: AZURITE.key });
    const sentTo = new Set<string>();
    const started = new Set<string>();
    const stopProgress = engine.on('progress', (p) => sentTo.add(p.task));
    const stopJob = engine.on('job', (record) => {
      for (const task of record.tasks) if (task.status === 'processing') started.add(task.name);
    });
    const retried = await engine.retry(first.id);
    expect(retried.id).toBe(first.id);
    const second = await engine.wait(first.id);
    stopProgress();
    stopJob();

    expect(second.status).toBe('finished');
    expect([...started]).toEqual([names.azure]);
    expect([...sentTo]).toEqual([names.azure]);
    for (const name of [names.s3, names.sftp]) {
      // Untouched: the same run's times and results.
      expect(taskOf(second, name)).toEqual(taskOf(first, name));
    }
    const blobs = taskOf(second, names.azure).result?.files ?? [];
    expect(blobs.map((f) => [f.filename, f.verified])).toEqual([
      ['q3.pdf', true],
      ['notes.txt', true],
    ]);
    for (const [i, file] of ['q3.pdf', 'notes.txt'].entries()) {
      const blob = azure.getContainerClient(container).getBlockBlobClient(file);
      expect(sha256(await blob.downloadToBuffer())).toBe(digests[i]);
    }
    // Nothing failed any more: a second Retry has nothing to do, and says so.
    await expect(engine.retry(first.id)).rejects.toThrow(/no failed task/);
  });

  afterAll(async () => {
    for (const file of ['q3.pdf', 'notes.txt']) {
      await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: `in/${file}` }));
    }
    await s3.send(new DeleteBucketCommand({ Bucket: bucket }));
  });
});
