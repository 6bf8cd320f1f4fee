import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { describe, expect, it } from 'vitest';
import type { TaskRecord } from '../../main/core/transfer/records';
import { exportTaskOf, makeFile, sha256 } from '../support/engine';
import { s3Of, useFaultHarness } from '../support/fault-harness';
import type { FaultProxy } from '../support/fault-proxy';
import { keystoneRelay } from '../support/keystone-relay';
import { MiB } from '../support/mid-upload';
import { KEYSTONE, RGW, SFTP, SWIFT_S3, s3TaskOf } from '../support/servers';

/**
 * Files changed or truncated while an exporter uploads them (the fault proxy
 * stalls the upload mid-way, the test changes the file): the export fails with
 * FILE_CHANGED and leaves nothing (no object, no multipart upload, no SFTP
 * temporary file, no Swift segment). The harness: test/support/fault-harness.ts.
 */

const faults = useFaultHarness();
const { suffix, bucket, rgw, swiftS3, proxyTo, presigned, s3Sha256, s3Exists, openUploads } =
  faults;

/** Starts a job, waits until the proxy stalls (the upload is mid-way), changes the file. */
async function changeDuringUpload(
  proxy: FaultProxy,
  task: Record<string, unknown>,
  path: string,
  change: (path: string) => Promise<void>,
): Promise<TaskRecord> {
  const job = await faults.engine.submit({
    tasks: {
      'import-files': { operation: 'import/file', path: [path] },
      export: { ...task, input: 'import-files' },
    },
  });
  const started = Date.now();
  while (proxy.faulted === 0 && Date.now() - started < 20_000) {
    await new Promise((r) => setTimeout(r, 20));
  }
  expect(proxy.faulted).toBe(1);
  await change(path);
  return exportTaskOf(await faults.engine.wait(job.id));
}

/** Same size, other bytes in the middle: a mix if the change went unnoticed. */
async function overwriteMiddle(path: string): Promise<void> {
  const handle = await fs.open(path, 'r+');
  const { size } = await handle.stat();
  await handle.write(Buffer.alloc(64 * 1024, 0x41), 0, 64 * 1024, Math.floor(size / 2));
  await handle.close();
}

async function truncateHalf(path: string): Promise<void> {
  const { size } = await fs.stat(path);
  await fs.truncate(path, Math.floor(size / 2));
}

function expectChanged(task: TaskRecord): void {
  expect(task.status).toBe('error');
  expect(task.code).toBe('FILE_CHANGED');
  expect(task.message).toMatch(/changed during the export/);
}

describe('a source changed or truncated during the upload: FILE_CHANGED, nothing stored, no leftovers', () => {
  it('S3 multipart (RGW): no object, no open multipart upload', async () => {
    for (const [name, change] of [
      ['overwritten', overwriteMiddle],
      ['truncated', truncateHalf],
    ] as const) {
      // Stall after the first part: the file changes while the upload is under way.
      const proxy = await proxyTo(RGW.host, RGW.port, {
        fault: { kind: 'stall', afterBytes: 5 * MiB + 64 * 1024, ms: 1500 },
        connections: 1,
      });
      const path = await makeFile(faults.dir, `changed-${name}.bin`, 16 * MiB);
      const key = `changed/${name}.bin`;
      const task = await changeDuringUpload(
        proxy,
        {
          ...s3TaskOf(RGW),
          bucket,
          endpoint: proxy.url,
          key,
          part_size: 5 * MiB,
          concurrency: 1,
        },
        path,
        change,
      );
      expectChanged(task);
      expect(await s3Exists(rgw, key), name).toBe(false);
      expect(await openUploads(rgw, 'changed/'), name).toEqual([]);
    }
  });

  it('S3: an older object under the name stays as it was', async () => {
    const key = 'changed/keep.bin';
    const old = Buffer.from('the previous version\n');
    await rgw.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: old }));
    const proxy = await proxyTo(RGW.host, RGW.port, {
      fault: { kind: 'stall', afterBytes: 2 * MiB, ms: 1500 },
      connections: 1,
    });
    const path = await makeFile(faults.dir, 'keep.bin', 4 * MiB);
    const task = await changeDuringUpload(
      proxy,
      {
        ...s3TaskOf(RGW),
        bucket,
        endpoint: proxy.url,
        key,
      },
      path,
      truncateHalf,
    );
    // A single PUT reads the whole file for its Content-MD5 first: a change after that
    // is caught by the final check; the request then never completes.
    expect(['FILE_CHANGED', undefined]).toContain(task.code);
    if (task.status === 'finished') {
      // The file was fully read (and hashed) before the truncation: the stored bytes
      // are the complete original, never a mix.
      expect(task.result?.files?.[0]?.size).toBe(4 * MiB);
    } else {
      expect(await s3Sha256(rgw, key)).toBe(sha256(old));
    }
  });

  it('SFTP: no file under the name, no temporary file', async () => {
    for (const [name, change] of [
      ['overwritten', overwriteMiddle],
      ['truncated', truncateHalf],
    ] as const) {
      const proxy = await proxyTo(SFTP.host, SFTP.port, {
        fault: { kind: 'stall', afterBytes: 3 * MiB, ms: 1500 },
        connections: 1,
      });
      const remote = `outbox-faults-${suffix}/changed-${name}`;
      const path = await makeFile(faults.dir, `sftp-${name}.bin`, 32 * MiB);
      const task = await changeDuringUpload(
        proxy,
        {
          operation: 'export/sftp',
          host: '127.0.0.1',
          port: proxy.port,
          username: SFTP.username,
          password: SFTP.password,
          path: `${remote}/`,
        },
        path,
        change,
      );
      expectChanged(task);
      expect(await fs.readdir(join(SFTP.home, remote)), name).toEqual([]);
    }
  });

  it('export/upload (presigned PUT to Swift s3api): nothing stored, also for a same-size change', async () => {
    for (const [name, change] of [
      ['overwritten', overwriteMiddle],
      ['truncated', truncateHalf],
    ] as const) {
      const proxy = await proxyTo(SWIFT_S3.host, SWIFT_S3.port, {
        fault: { kind: 'stall', afterBytes: 2 * MiB, ms: 1500 },
        connections: 1,
      });
      const key = `changed/presigned-${name}.bin`;
      const viaProxy = s3Of({ ...SWIFT_S3, endpoint: proxy.url, port: proxy.port });
      const url = presigned(
        await getSignedUrl(viaProxy, new PutObjectCommand({ Bucket: bucket, Key: key }), {
          expiresIn: 600,
        }),
      );
      const path = await makeFile(faults.dir, `presigned-${name}.bin`, 32 * MiB);
      const task = await changeDuringUpload(
        proxy,
        { operation: 'export/upload', url },
        path,
        change,
      );
      expectChanged(task);
      expect(await s3Exists(swiftS3, key), name).toBe(false);
    }
  });

  it('OpenStack SLO: no manifest, no segments left', async () => {
    const proxy = await proxyTo(SWIFT_S3.host, SWIFT_S3.port, {
      fault: { kind: 'stall', afterBytes: 2 * MiB, ms: 1500 },
      connections: 1,
    });
    const relay = await keystoneRelay(proxy.url);
    try {
      const path = await makeFile(faults.dir, 'slo-changed.bin', 6 * MiB);
      const task = await changeDuringUpload(
        proxy,
        {
          operation: 'export/openstack',
          auth_url: relay.url,
          region: KEYSTONE.region,
          container: bucket,
          username: KEYSTONE.username,
          password: KEYSTONE.password,
          file: 'changed/slo.bin',
          segment_size: MiB,
          concurrency: 1,
        },
        path,
        overwriteMiddle,
      );
      expectChanged(task);
      expect(await s3Exists(swiftS3, 'changed/slo.bin')).toBe(false);
      const segments = await swiftS3
        .send(new ListObjectsV2Command({ Bucket: `${bucket}_segments`, Prefix: 'changed/' }))
        .catch(() => ({ Contents: [] }));
      expect((segments.Contents ?? []).map((o) => o.Key)).toEqual([]);
    } finally {
      relay.server.close();
    }
  });
});

faults.itLeavesNoSecrets();
