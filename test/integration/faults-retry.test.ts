import { PutObjectCommand } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { BlobServiceClient } from '@azure/storage-blob';
import { Storage } from '@google-cloud/storage';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { JobRecord } from '../../main/core/transfer/records';
import { exportFiles, exportTaskOf, makeFile, sha256, sha256File } from '../support/engine';
import { expectFinished, s3Of, useFaultHarness } from '../support/fault-harness';
import type { FaultPolicy } from '../support/fault-proxy';
import { gcsTestKey } from '../support/gcs-key';
import { keystoneRelay } from '../support/keystone-relay';
import { MiB } from '../support/mid-upload';
import { AZURITE, GCS_EMULATOR, KEYSTONE, RGW, SFTP, SWIFT_S3, s3TaskOf } from '../support/servers';

/**
 * Every exporter through a TCP fault proxy in front of the real server: the
 * first connections are cut or reset mid-body, the exporter retries, and the
 * stored object (read back directly from the server, not through the proxy)
 * is byte-identical. The harness: test/support/fault-harness.ts.
 */

const faults = useFaultHarness();
const { suffix, bucket, rgw, swiftS3, proxyTo, presigned, s3Sha256, s3Exists, openUploads } =
  faults;

/** Cut the first two connections mid-body with a RST: the retries must get through. */
const cutTwice = (afterBytes: number): FaultPolicy => ({
  fault: { kind: 'cut', afterBytes, reset: true },
  connections: 2,
});

describe('cut and reset connections: every exporter retries, the stored bytes are identical', () => {
  it('S3 multipart on RGW', async () => {
    const proxy = await proxyTo(RGW.host, RGW.port, cutTwice(3 * MiB));
    const path = await makeFile(faults.dir, 's3.bin', 14 * MiB);
    const task = exportTaskOf(
      await exportFiles(
        faults.engine,
        {
          ...s3TaskOf(RGW),
          bucket,
          endpoint: proxy.url,
          key: 'cut/s3.bin',
          part_size: 5 * MiB,
          concurrency: 2,
        },
        [path],
      ),
    );
    expectFinished(task);
    expect(proxy.faulted).toBe(2);
    expect(await s3Sha256(rgw, 'cut/s3.bin')).toBe(await sha256File(path));
    expect(await openUploads(rgw, 'cut/')).toEqual([]);
  });

  it('Azure Blob blocks on azurite', async () => {
    const proxy = await proxyTo(AZURITE.host, AZURITE.port, cutTwice(2 * MiB));
    const container = `outbox-faults-${suffix}`;
    const service = BlobServiceClient.fromConnectionString(AZURITE.connectionString);
    const client = service.getContainerClient(container);
    await client.createIfNotExists();
    try {
      const path = await makeFile(faults.dir, 'azure.bin', 12 * MiB);
      const task = exportTaskOf(
        await exportFiles(
          faults.engine,
          {
            operation: 'export/azure/blob',
            storage_account: AZURITE.account,
            storage_access_key: AZURITE.key,
            container,
            endpoint: `${proxy.url}/${AZURITE.account}`,
            blob: 'cut/azure.bin',
            part_size: 5 * MiB,
            concurrency: 2,
          },
          [path],
        ),
      );
      expectFinished(task);
      expect(proxy.faulted).toBe(2);
      const data = await client.getBlobClient('cut/azure.bin').downloadToBuffer();
      expect(sha256(data)).toBe(await sha256File(path));
    } finally {
      await client.deleteIfExists();
    }
  });

  it('GCS on the emulator (single request and resumable session)', async () => {
    const proxy = await proxyTo(GCS_EMULATOR.host, GCS_EMULATOR.port, cutTwice(MiB));
    const gcsBucket = `outbox-faults-${suffix}`;
    const small = await makeFile(faults.dir, 'gcs-small.bin', 3 * MiB);
    const large = await makeFile(faults.dir, 'gcs-large.bin', 10 * MiB);
    const task = exportTaskOf(
      await exportFiles(
        faults.engine,
        {
          operation: 'export/google-cloud-storage',
          project_id: GCS_EMULATOR.projectId,
          bucket: gcsBucket,
          client_email: 'outbox-test@demo-outbox.iam.gserviceaccount.com',
          private_key: gcsTestKey,
          endpoint: proxy.url,
          file_prefix: 'cut/',
        },
        [small, large],
      ),
    );
    expectFinished(task);
    expect(proxy.faulted).toBe(2);
    const storage = new Storage({ apiEndpoint: GCS_EMULATOR.endpoint, projectId: 'x' });
    for (const path of [small, large]) {
      const [data] = await storage
        .bucket(gcsBucket)
        .file(`cut/${path.slice(faults.dir.length + 1)}`)
        .download();
      expect(sha256(data)).toBe(await sha256File(path));
    }
  });

  it('OpenStack Swift (Keystone v3, Static Large Object segments)', async () => {
    const proxy = await proxyTo(SWIFT_S3.host, SWIFT_S3.port, cutTwice(MiB + MiB / 2));
    const relay = await keystoneRelay(proxy.url);
    try {
      const small = await makeFile(faults.dir, 'swift-small.bin', 2 * MiB);
      const large = await makeFile(faults.dir, 'swift-large.bin', 5 * MiB + 123);
      const task = exportTaskOf(
        await exportFiles(
          faults.engine,
          {
            operation: 'export/openstack',
            auth_url: relay.url,
            region: KEYSTONE.region,
            container: bucket,
            username: KEYSTONE.username,
            password: KEYSTONE.password,
            file_prefix: 'cut/',
            segment_size: MiB,
            concurrency: 2,
          },
          [small, large],
        ),
      );
      expectFinished(task);
      expect(proxy.faulted).toBe(2);
      // Read back through Swift's S3 API (same account): an SLO reads as its whole content.
      expect(await s3Sha256(swiftS3, 'cut/swift-small.bin')).toBe(await sha256File(small));
      expect(await s3Sha256(swiftS3, 'cut/swift-large.bin')).toBe(await sha256File(large));
    } finally {
      relay.server.close();
    }
  });

  it('OpenStack Swift: a streamed PUT (over 64 MiB) damaged on the way is deleted and sent again', async () => {
    // One PUT hashed as it is sent, no ETag up front: the MD5 Swift answers is the check.
    const proxy = await proxyTo(SWIFT_S3.host, SWIFT_S3.port, {
      fault: { kind: 'corrupt', atByte: 10 * MiB },
      connections: 1,
    });
    // Damaged on every try (a proxy of its own: connections stay open between tries).
    const always = await proxyTo(SWIFT_S3.host, SWIFT_S3.port, {
      fault: { kind: 'corrupt', atByte: 10 * MiB, every: 16 * MiB },
    });
    const relay = await keystoneRelay(proxy.url);
    const alwaysRelay = await keystoneRelay(always.url);
    const swiftTask = (authUrl: string) => ({
      operation: 'export/openstack',
      auth_url: authUrl,
      region: KEYSTONE.region,
      container: bucket,
      username: KEYSTONE.username,
      password: KEYSTONE.password,
      file_prefix: 'damaged/',
    });
    try {
      const path = await makeFile(faults.dir, 'swift-streamed.bin', 65 * MiB);
      const task = exportTaskOf(await exportFiles(faults.engine, swiftTask(relay.url), [path]));
      expectFinished(task);
      expect(proxy.faulted).toBe(1);
      expect(task.result?.files[0]).toMatchObject({ verified: true });
      expect(task.result?.files[0]?.segments).toBeUndefined(); // one object, not segments
      expect(await s3Sha256(swiftS3, 'damaged/swift-streamed.bin')).toBe(await sha256File(path));

      // Damaged on every try: the upload fails, and nothing is left under the name.
      const damaged = await makeFile(faults.dir, 'swift-always.bin', 65 * MiB);
      const failed = exportTaskOf(
        await exportFiles(faults.engine, swiftTask(alwaysRelay.url), [damaged]),
      );
      expect(failed.code).toBe('INTEGRITY_ERROR');
      expect(failed.message).toMatch(/the object was deleted/);
      expect(await s3Exists(swiftS3, 'damaged/swift-always.bin')).toBe(false);
    } finally {
      relay.server.close();
      alwaysRelay.server.close();
    }
  });

  it('SFTP on sshd: a fresh connection after the cut', async () => {
    const proxy = await proxyTo(SFTP.host, SFTP.port, cutTwice(2 * MiB));
    const remote = `outbox-faults-${suffix}/cut`;
    const path = await makeFile(faults.dir, 'sftp.bin', 6 * MiB);
    const task = exportTaskOf(
      await exportFiles(
        faults.engine,
        {
          operation: 'export/sftp',
          host: '127.0.0.1',
          port: proxy.port,
          username: SFTP.username,
          password: SFTP.password,
          path: `${remote}/`,
        },
        [path],
      ),
    );
    expectFinished(task);
    expect(proxy.faulted).toBe(2);
    expect(await sha256File(join(SFTP.home, remote, 'sftp.bin'))).toBe(await sha256File(path));
    // A cut connection cannot remove its temporary file, but the retry writes (and renames)
    // the same one: nothing is left behind.
    expect(await fs.readdir(join(SFTP.home, remote))).toEqual(['sftp.bin']);
  });

  it('export/upload: presigned PUT to Swift s3api, reset on connect and cut mid-body', async () => {
    const proxy = await proxyTo(SWIFT_S3.host, SWIFT_S3.port, {
      fault: { kind: 'reset' },
      connections: 1,
    });
    const path = await makeFile(faults.dir, 'presigned.bin', 4 * MiB);
    const viaProxy = s3Of({ ...SWIFT_S3, endpoint: proxy.url, port: proxy.port });
    const url = presigned(
      await getSignedUrl(
        viaProxy,
        new PutObjectCommand({ Bucket: bucket, Key: 'cut/presigned.bin' }),
        { expiresIn: 600 },
      ),
    );
    let record: JobRecord = await exportFiles(faults.engine, { operation: 'export/upload', url }, [
      path,
    ]);
    expectFinished(exportTaskOf(record));
    expect(proxy.faulted).toBe(1);
    // A new proxy (same URL would reuse the kept-alive connection): cut twice mid-body.
    const cutter = await proxyTo(SWIFT_S3.host, SWIFT_S3.port, cutTwice(MiB));
    const viaCutter = s3Of({ ...SWIFT_S3, endpoint: cutter.url, port: cutter.port });
    const cutUrl = presigned(
      await getSignedUrl(
        viaCutter,
        new PutObjectCommand({ Bucket: bucket, Key: 'cut/presigned.bin' }),
        { expiresIn: 600 },
      ),
    );
    record = await exportFiles(faults.engine, { operation: 'export/upload', url: cutUrl }, [path]);
    expectFinished(exportTaskOf(record));
    expect(cutter.faulted).toBe(2);
    expect(await s3Sha256(swiftS3, 'cut/presigned.bin')).toBe(await sha256File(path));
  });
});

faults.itLeavesNoSecrets();
