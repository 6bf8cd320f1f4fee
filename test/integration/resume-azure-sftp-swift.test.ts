import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { BlobServiceClient, StorageSharedKeyCredential } from '@azure/storage-blob';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../main/core/engine/engine';
import { ProfileService } from '../../main/core/profiles/profile-service';
import { exportTaskOf, sha256, sha256File, testConfig } from '../support/engine';
import type { FaultProxy } from '../support/fault-proxy';
import { keystoneRelay } from '../support/keystone-relay';
import { AZURITE, KEYSTONE, SFTP, assertServerUp } from '../support/servers';
import {
  expectContinued,
  FILE_SIZE,
  MiB,
  PART,
  stagedBlocks,
  swiftSegments,
  temporaryBytes,
  type ResumedFile,
} from '../support/mid-upload';
import { useResumeHarness } from '../support/resume-harness';
import { swiftCli, type SwiftCli } from '../support/swift-cli';

/**
 * kill -9 in the middle of a large upload to Azure Blob (uncommitted blocks),
 * SFTP (the temporary file) or OpenStack Swift (SLO segments), then Outbox
 * again: the upload continues from what the server already holds. The
 * harness, and how the crash is made: test/support/resume-harness.ts.
 */

const harness = useResumeHarness();
const { suffix, proxies, closers, crashMidUpload, resume } = harness;

describe('Azure Blob (azurite): uncommitted blocks', () => {
  const container = `outbox-resume-${suffix}`;
  const service = new BlobServiceClient(
    AZURITE.endpoint,
    new StorageSharedKeyCredential(AZURITE.account, AZURITE.key),
  );
  let proxy: FaultProxy;

  beforeAll(async () => {
    await assertServerUp('azurite');
    await service.getContainerClient(container).create();
    proxy = await proxies.to(AZURITE.port);
  });
  afterAll(async () => {
    await service.getContainerClient(container).deleteIfExists();
  });

  it('continues with the blocks the server staged (Retry in the app)', async () => {
    const name = 'resume/blocks.bin';
    const blob = service.getContainerClient(container).getBlockBlobClient(name);
    const { home, id } = await crashMidUpload({
      task: {
        operation: 'export/azure/blob',
        storage_account: AZURITE.account,
        storage_access_key: AZURITE.key,
        container,
        blob: name,
        endpoint: `${proxy.url}/${AZURITE.account}`,
        part_size: PART,
        concurrency: 1,
      },
      proxy,
      serverHasParts: async () => (await stagedBlocks(blob)) >= 2,
    });
    // The app's Retry button (engine.retry) resumes the job, with the profile's key from the keychain.
    const before = proxy.bytesUp;
    const engine = await Engine.open(testConfig(home), {
      resolveProfile: new ProfileService(home).resolver,
    });
    try {
      const resumed = await engine.retry(id);
      expect(resumed.id).toBe(id);
      const record = await engine.wait(id);
      expect(record.status).toBe('finished');
      const file = exportTaskOf(record).result?.files[0] as ResumedFile;
      expectContinued(file, proxy.bytesUp - before, 2 * PART);
    } finally {
      await engine.close();
    }
    expect(await fs.readdir(join(home, 'partials'))).toEqual([]);
    expect(sha256(await blob.downloadToBuffer())).toBe(harness.sourceSha256);
  });
});

describe('SFTP (OpenSSH): the temporary file', () => {
  let proxy: FaultProxy;
  const folder = `resume-${suffix}`;

  beforeAll(async () => {
    await assertServerUp('sftp');
    proxy = await proxies.to(SFTP.port);
  });
  afterAll(async () => {
    await fs.rm(join(SFTP.home, folder), { recursive: true, force: true });
  });

  it('continues writing the temporary file after the bytes it holds', async () => {
    const remote = join(SFTP.home, folder);
    const { home, id } = await crashMidUpload({
      task: {
        operation: 'export/sftp',
        host: '127.0.0.1',
        port: proxy.port,
        username: SFTP.username,
        password: SFTP.password,
        file: `${folder}/big.bin`,
      },
      proxy,
      serverHasParts: async () => (await temporaryBytes(folder)) >= 4 * MiB,
    });
    const { file, sent } = await resume(home, id, proxy);
    expectContinued(file, sent, 4 * MiB);
    expect(await sha256File(join(remote, 'big.bin'))).toBe(harness.sourceSha256);
    expect(await fs.readdir(remote)).toEqual(['big.bin']);
  });
});

describe('OpenStack Swift: segments of a Static Large Object', () => {
  const container = `outbox-resume-${suffix}`;
  let proxy: FaultProxy;
  let relayUrl: string;
  let swift: SwiftCli['swift'];

  beforeAll(async () => {
    await assertServerUp('swift');
    ({ swift } = await swiftCli());
    await swift('post', container);
    proxy = await proxies.to(8080);
    const relay = await keystoneRelay(proxy.url);
    relayUrl = relay.url;
    closers.push(async () => void relay.server.close());
  });
  afterAll(async () => {
    await swift('delete', container).catch(() => undefined);
    await swift('delete', `${container}_segments`).catch(() => undefined);
  });

  it('continues with the segments already stored', async () => {
    const segments = () => swiftSegments(swift, container);
    const { home, id } = await crashMidUpload({
      task: {
        operation: 'export/openstack',
        auth_url: relayUrl,
        region: KEYSTONE.region,
        container,
        username: KEYSTONE.username,
        password: KEYSTONE.password,
        file: 'resume/slo.bin',
        segment_size: PART,
        concurrency: 1,
      },
      proxy,
      serverHasParts: async () => (await segments()).length >= 2,
    });
    const { file, sent } = await resume(home, id, proxy);
    expectContinued(file, sent, 2 * PART);
    const out = join(harness.dir, 'slo-download.bin');
    await swift('download', container, 'resume/slo.bin', '--output', out);
    expect(await sha256File(out)).toBe(harness.sourceSha256);
    // Exactly the manifest's segments: none left over from the interrupted try.
    expect(await segments()).toHaveLength(Math.ceil(FILE_SIZE / PART));
  });
});

harness.itLeavesNoSecrets({ homes: 3 });
