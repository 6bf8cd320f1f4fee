import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import {
  CreateBucketCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { BlobServiceClient } from '@azure/storage-blob';
import { Storage } from '@google-cloud/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../main/core/engine/engine';
import type { JobRecord, TaskRecord } from '../../main/core/transfer/records';
import type { SourceFile } from '../../main/core/transfer/sources';
import { WorkerSessions } from '../../main/core/engine/session-cache';
import { OutboxError } from '../../main/core/errors';
import type { Exporter } from '../../main/core/exporters/exporter';
import { sftpExporter } from '../../main/core/exporters/sftp/sftp-exporter';
import { uploadExporter } from '../../main/core/exporters/upload/upload-exporter';
import { sourceReads } from '../../main/core/exporters/source-stream';
import { exportSftpSchema } from '../../main/core/exporters/sftp/destination';
import { exportUploadSchema } from '../../main/core/exporters/upload/destination';
import type { TaskOf } from '../../main/core/tasks/operations';
import { transferPolicyOf } from '../../main/core/transfer/retry';
import { emptyBucket } from '../support/mid-upload';
import {
  exportFiles,
  exportTaskOf,
  makeFile,
  openTestEngine,
  sha256,
  sha256File,
  tempDir,
} from '../support/engine';
import { startFaultProxy, type FaultPolicy, type FaultProxy } from '../support/fault-proxy';
import { keystoneRelay } from '../support/keystone-relay';
import {
  AZURITE,
  GCS_EMULATOR,
  KEYSTONE,
  RGW,
  SFTP,
  SWIFT_S3,
  assertServerUp,
  type S3Endpoint,
  s3TaskOf,
} from '../support/servers';
import { gcsTestKey } from '../support/gcs-key';

/**
 * Every exporter through a TCP fault proxy (test/support/fault-proxy.ts) in
 * front of the real server: the first connections are cut or reset mid-body,
 * the exporter retries, and the stored object (read back directly from the
 * server, not through the proxy) is byte-identical. Then: files changed or
 * truncated mid-upload fail with FILE_CHANGED and leave nothing (no object,
 * no multipart upload, no SFTP temporary file, no Swift segment), and a
 * server that stalls fails in bounded time with a clear error.
 *
 * OpenStack: Keystone's catalog names Swift at :8080 directly, so a small
 * HTTP relay in front of Keystone rewrites the catalog's Swift URL to the
 * fault proxy: the real Swift PUT/SLO path goes through the faults.
 */

const MiB = 1024 * 1024;
const suffix = randomBytes(4).toString('hex');
const bucket = `outbox-faults-${suffix}`;

/** Every secret these tests use (presigned signatures are added as they are made): scanned for at the end. */
const secrets: string[] = [
  RGW.secretAccessKey,
  SWIFT_S3.secretAccessKey,
  AZURITE.key,
  KEYSTONE.password,
  SFTP.password,
];

function s3Of(endpoint: S3Endpoint): S3Client {
  return new S3Client({
    region: endpoint.region,
    endpoint: endpoint.endpoint,
    forcePathStyle: true,
    credentials: {
      accessKeyId: endpoint.accessKeyId,
      secretAccessKey: endpoint.secretAccessKey,
    },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

async function s3Sha256(client: S3Client, key: string, on = bucket): Promise<string> {
  const object = await client.send(new GetObjectCommand({ Bucket: on, Key: key }));
  return sha256(await object.Body!.transformToByteArray());
}

async function s3Exists(client: S3Client, key: string, on = bucket): Promise<boolean> {
  return client.send(new HeadObjectCommand({ Bucket: on, Key: key })).then(
    () => true,
    (error: { $metadata?: { httpStatusCode?: number } }) => {
      if (error.$metadata?.httpStatusCode === 404) return false;
      throw error;
    },
  );
}

async function openUploads(client: S3Client, prefix: string, on = bucket): Promise<string[]> {
  const answer = await client.send(new ListMultipartUploadsCommand({ Bucket: on, Prefix: prefix }));
  return (answer.Uploads ?? []).map((u) => `${u.Key} ${u.UploadId}`);
}

function expectFinished(task: TaskRecord): void {
  expect(task.status, `${task.code ?? ''} ${task.message ?? ''}`).toBe('finished');
}

/** Cut the first two connections mid-body with a RST: the retries must get through. */
const cutTwice = (afterBytes: number): FaultPolicy => ({
  fault: { kind: 'cut', afterBytes, reset: true },
  connections: 2,
});

let engine: Engine;
let close: () => Promise<void>;
let home: string;
let dir: string;
const proxies: FaultProxy[] = [];
const rgw = s3Of(RGW);
const swiftS3 = s3Of(SWIFT_S3);

async function proxyTo(host: string, port: number, policy?: FaultPolicy): Promise<FaultProxy> {
  const proxy = await startFaultProxy({ host, port }, policy);
  proxies.push(proxy);
  return proxy;
}

/** Everything this process (and its worker threads) printed while the tests ran. */
let printed = '';
const originalWrites = { out: process.stdout.write, err: process.stderr.write };
function capture(stream: NodeJS.WriteStream, original: typeof process.stdout.write) {
  stream.write = ((chunk: string | Uint8Array, ...rest: never[]) => {
    printed += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    return original.call(stream, chunk, ...rest);
  }) as typeof process.stdout.write;
}

/** Remembers a presigned URL's signature as a secret and returns the URL. */
function presigned(url: string): string {
  const signature = new URL(url).searchParams.get('X-Amz-Signature');
  if (signature) secrets.push(signature);
  return url;
}

beforeAll(async () => {
  capture(process.stdout, originalWrites.out);
  capture(process.stderr, originalWrites.err);
  await Promise.all(
    (['rgw', 'swift', 'sftp', 'azurite', 'gcs'] as const).map((name) => assertServerUp(name)),
  );
  ({ engine, close, home } = await openTestEngine());
  dir = await tempDir('outbox-faults-');
  await rgw.send(new CreateBucketCommand({ Bucket: bucket }));
  await swiftS3.send(new CreateBucketCommand({ Bucket: bucket }));
});

afterAll(async () => {
  process.stdout.write = originalWrites.out;
  process.stderr.write = originalWrites.err;
  await close?.();
  await Promise.all(proxies.map((p) => p.close()));
  await emptyBucket(rgw, bucket).catch(() => undefined);
  await emptyBucket(swiftS3, bucket).catch(() => undefined);
  await emptyBucket(swiftS3, `${bucket}_segments`).catch(() => undefined);
  await fs.rm(join(SFTP.home, `outbox-faults-${suffix}`), { recursive: true, force: true });
  await fs.rm(dir, { recursive: true, force: true });
  await fs.rm(home, { recursive: true, force: true });
});

describe('cut and reset connections: every exporter retries, the stored bytes are identical', () => {
  it('S3 multipart on RGW', async () => {
    const proxy = await proxyTo(RGW.host, RGW.port, cutTwice(3 * MiB));
    const path = await makeFile(dir, 's3.bin', 14 * MiB);
    const task = exportTaskOf(
      await exportFiles(
        engine,
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
      const path = await makeFile(dir, 'azure.bin', 12 * MiB);
      const task = exportTaskOf(
        await exportFiles(
          engine,
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
    const small = await makeFile(dir, 'gcs-small.bin', 3 * MiB);
    const large = await makeFile(dir, 'gcs-large.bin', 10 * MiB);
    const task = exportTaskOf(
      await exportFiles(
        engine,
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
        .file(`cut/${path.slice(dir.length + 1)}`)
        .download();
      expect(sha256(data)).toBe(await sha256File(path));
    }
  });

  it('OpenStack Swift (Keystone v3, Static Large Object segments)', async () => {
    const proxy = await proxyTo(SWIFT_S3.host, SWIFT_S3.port, cutTwice(MiB + MiB / 2));
    const relay = await keystoneRelay(proxy.url);
    try {
      const small = await makeFile(dir, 'swift-small.bin', 2 * MiB);
      const large = await makeFile(dir, 'swift-large.bin', 5 * MiB + 123);
      const task = exportTaskOf(
        await exportFiles(
          engine,
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
      const path = await makeFile(dir, 'swift-streamed.bin', 65 * MiB);
      const task = exportTaskOf(await exportFiles(engine, swiftTask(relay.url), [path]));
      expectFinished(task);
      expect(proxy.faulted).toBe(1);
      expect(task.result?.files[0]).toMatchObject({ verified: true });
      expect(task.result?.files[0]?.segments).toBeUndefined(); // one object, not segments
      expect(await s3Sha256(swiftS3, 'damaged/swift-streamed.bin')).toBe(await sha256File(path));

      // Damaged on every try: the upload fails, and nothing is left under the name.
      const damaged = await makeFile(dir, 'swift-always.bin', 65 * MiB);
      const failed = exportTaskOf(await exportFiles(engine, swiftTask(alwaysRelay.url), [damaged]));
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
    const path = await makeFile(dir, 'sftp.bin', 6 * MiB);
    const task = exportTaskOf(
      await exportFiles(
        engine,
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
    const path = await makeFile(dir, 'presigned.bin', 4 * MiB);
    const viaProxy = s3Of({ ...SWIFT_S3, endpoint: proxy.url, port: proxy.port });
    const url = presigned(
      await getSignedUrl(
        viaProxy,
        new PutObjectCommand({ Bucket: bucket, Key: 'cut/presigned.bin' }),
        { expiresIn: 600 },
      ),
    );
    let record: JobRecord = await exportFiles(engine, { operation: 'export/upload', url }, [path]);
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
    record = await exportFiles(engine, { operation: 'export/upload', url: cutUrl }, [path]);
    expectFinished(exportTaskOf(record));
    expect(cutter.faulted).toBe(2);
    expect(await s3Sha256(swiftS3, 'cut/presigned.bin')).toBe(await sha256File(path));
  });
});

/** Starts a job, waits until the proxy stalls (the upload is mid-way), changes the file. */
async function changeDuringUpload(
  proxy: FaultProxy,
  task: Record<string, unknown>,
  path: string,
  change: (path: string) => Promise<void>,
): Promise<TaskRecord> {
  const job = await engine.submit({
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
  return exportTaskOf(await engine.wait(job.id));
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
      const path = await makeFile(dir, `changed-${name}.bin`, 16 * MiB);
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
    const path = await makeFile(dir, 'keep.bin', 4 * MiB);
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
      const path = await makeFile(dir, `sftp-${name}.bin`, 32 * MiB);
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
      const path = await makeFile(dir, `presigned-${name}.bin`, 32 * MiB);
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
      const path = await makeFile(dir, 'slo-changed.bin', 6 * MiB);
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

/** One try of an exporter, without the worker's retries: how long until it gives up, and how. */
async function oneTry<O extends 'export/sftp' | 'export/upload'>(
  exporter: Exporter<O>,
  params: TaskOf<O>,
  name: string,
): Promise<{ error: unknown; elapsed: number }> {
  const path = await makeFile(dir, `slow-${randomBytes(3).toString('hex')}.bin`, 1000);
  const stat = await fs.stat(path);
  const source: SourceFile = { path, name: 'slow.bin', size: stat.size, mtimeMs: stat.mtimeMs };
  const signal = new AbortController().signal;
  const sessions = new WorkerSessions();
  const started = Date.now();
  const error = await exporter
    .upload(
      { params, source, name },
      {
        signal,
        progress: { add() {} },
        sessions,
        // 60 s: OUTBOX_IDLE_TIMEOUT as a user might set it (each socket's idle timeout).
        policy: transferPolicyOf({ idleTimeoutSeconds: 60 }),
        resume: { save: async () => {} },
        ...sourceReads(source, signal),
      },
    )
    .then(
      () => undefined,
      (e: unknown) => e,
    );
  const elapsed = Date.now() - started;
  await sessions.clear();
  return { error, elapsed };
}

describe('a server that stops answering: bounded time, a clear error', () => {
  it('SFTP (no SSH greeting) and export/upload (no HTTP answer) give up with TIMEOUT', async () => {
    // Both stall forever (longer than the test): the exporters' own timeouts must end it.
    const stall: FaultPolicy = { fault: { kind: 'stall', afterBytes: 0, ms: 600_000 } };
    const sshProxy = await proxyTo(SFTP.host, SFTP.port, stall);
    const httpProxy = await proxyTo(RGW.host, RGW.port, stall);
    const putUrl = `${httpProxy.url}/${bucket}/slow.bin`;
    const [sftp, put] = await Promise.all([
      oneTry(
        sftpExporter,
        exportSftpSchema().parse({
          operation: 'export/sftp',
          input: 'files',
          host: '127.0.0.1',
          port: sshProxy.port,
          username: SFTP.username,
          password: SFTP.password,
          file: `outbox-faults-${suffix}/slow.bin`,
        }),
        `outbox-faults-${suffix}/slow.bin`,
      ),
      oneTry(
        uploadExporter,
        exportUploadSchema().parse({ operation: 'export/upload', input: 'files', url: putUrl }),
        putUrl,
      ),
    ]);
    // SFTP: the SSH handshake timeout (20 s).
    expect(sftp.error).toBeInstanceOf(OutboxError);
    expect((sftp.error as OutboxError).code).toBe('TIMEOUT');
    expect((sftp.error as OutboxError).message).toMatch(/handshake did not complete in time/);
    expect(sftp.elapsed).toBeGreaterThan(15_000);
    expect(sftp.elapsed).toBeLessThan(30_000);
    // export/upload: the idle timeout (60 s without a byte either way).
    expect(put.error).toBeInstanceOf(OutboxError);
    expect((put.error as OutboxError).code).toBe('TIMEOUT');
    expect((put.error as OutboxError).message).toContain(`PUT ${putUrl}`);
    expect(put.elapsed).toBeGreaterThan(55_000);
    expect(put.elapsed).toBeLessThan(70_000);
  }, 90_000);
});

describe('a server that stalls mid-body: the idle watchdog of every exporter', () => {
  // 3 s instead of the default 120 s (OUTBOX_IDLE_TIMEOUT), so five tries fit in a test.
  let stalled: Engine;
  let closeStalled: () => Promise<void>;
  const container = BlobServiceClient.fromConnectionString(
    AZURITE.connectionString,
  ).getContainerClient(`outbox-idle-${suffix}`);
  beforeAll(async () => {
    ({ engine: stalled, close: closeStalled } = await openTestEngine({
      config: { idleTimeoutSeconds: 3 },
    }));
    await container.createIfNotExists();
  });
  afterAll(async () => {
    await closeStalled();
    await container.deleteIfExists();
  });

  const gcsTask = (endpoint: string, file: string) => ({
    operation: 'export/google-cloud-storage',
    project_id: GCS_EMULATOR.projectId,
    bucket: `outbox-faults-${suffix}`,
    client_email: 'outbox-test@demo-outbox.iam.gserviceaccount.com',
    private_key: gcsTestKey,
    endpoint,
    file,
  });
  const azureTask = (endpoint: string, blob: string) => ({
    operation: 'export/azure/blob',
    storage_account: AZURITE.account,
    storage_access_key: AZURITE.key,
    container: container.containerName,
    blob,
    endpoint: `${endpoint}/${AZURITE.account}`,
  });
  const s3Task = (endpoint: string, key: string) => ({ ...s3TaskOf(RGW), bucket, endpoint, key });
  const sftpTask = (endpoint: string, file: string) => ({
    operation: 'export/sftp',
    host: '127.0.0.1',
    port: Number(new URL(endpoint).port),
    username: SFTP.username,
    password: SFTP.password,
    file: `outbox-faults-${suffix}/${file}`,
  });

  it('GCS, Azure and S3 give up with TIMEOUT when the server never answers again', async () => {
    const stallForever: FaultPolicy = {
      fault: { kind: 'stall', afterBytes: 256 * 1024, ms: 600_000 },
    };
    const file = await makeFile(dir, 'stalled.bin', 2 * MiB);
    const cases = [
      [GCS_EMULATOR, gcsTask] as const,
      [AZURITE, azureTask] as const,
      [RGW, s3Task] as const,
    ];
    const started = Date.now();
    const tasks = await Promise.all(
      cases.map(async ([server, task]) => {
        const proxy = await proxyTo(server.host, server.port, stallForever);
        return exportTaskOf(await exportFiles(stalled, task(proxy.url, 'stalled.bin'), [file]));
      }),
    );
    // Five tries of 3 s each, and 7.5-15 s of backoff between them.
    expect(Date.now() - started).toBeLessThan(60_000);
    for (const task of tasks) {
      expect(task.status).toBe('error');
      expect(task.code).toBe('TIMEOUT');
      expect(task.message).toMatch(
        /nothing was sent or received for 3 s; the server or the network stalled/,
      );
    }
  }, 90_000);

  it('SFTP gives up with TIMEOUT when the server never answers again', async () => {
    // ssh2 ends no stalled connection by itself before its keepalives run out (45 s or more
    // a try): the idle watchdog cuts it.
    const stallForever: FaultPolicy = {
      fault: { kind: 'stall', afterBytes: 256 * 1024, ms: 600_000 },
    };
    const file = await makeFile(dir, 'stalled-sftp.bin', 2 * MiB);
    const proxy = await proxyTo(SFTP.host, SFTP.port, stallForever);
    const started = Date.now();
    const task = exportTaskOf(
      await exportFiles(stalled, sftpTask(proxy.url, 'stalled-sftp.bin'), [file]),
    );
    expect(Date.now() - started).toBeLessThan(60_000);
    expect(task.status).toBe('error');
    expect(task.code).toBe('TIMEOUT');
    expect(task.message).toMatch(
      /nothing was sent or received for 3 s; the server or the network stalled/,
    );
    expect(proxy.faulted).toBe(5);
  }, 90_000);

  it('a stall on the first connection only: the next try completes, byte-identical', async () => {
    const stallOnce: FaultPolicy = {
      fault: { kind: 'stall', afterBytes: 256 * 1024, ms: 600_000 },
      connections: 1,
    };
    const file = await makeFile(dir, 'stalled-once.bin', 2 * MiB);
    const gcs = await proxyTo(GCS_EMULATOR.host, GCS_EMULATOR.port, stallOnce);
    const azure = await proxyTo(AZURITE.host, AZURITE.port, stallOnce);
    const [gcsJob, azureJob] = await Promise.all([
      exportFiles(stalled, gcsTask(gcs.url, 'stalled-once.bin'), [file]),
      exportFiles(stalled, azureTask(azure.url, 'stalled-once.bin'), [file]),
    ]);
    expectFinished(exportTaskOf(gcsJob));
    expectFinished(exportTaskOf(azureJob));
    expect(gcs.faulted).toBe(1);
    expect(azure.faulted).toBe(1);
    const [data] = await new Storage({ apiEndpoint: GCS_EMULATOR.endpoint, projectId: 'x' })
      .bucket(`outbox-faults-${suffix}`)
      .file('stalled-once.bin')
      .download();
    expect(sha256(data)).toBe(await sha256File(file));
    const blob = container.getBlockBlobClient('stalled-once.bin');
    expect(sha256(await blob.downloadToBuffer())).toBe(await sha256File(file));
  }, 90_000);
});

describe('secrets after the fault tests', () => {
  it('appear nowhere in the data directory, the job records or the console output', async () => {
    const found: string[] = [];
    async function scan(root: string): Promise<void> {
      const entries = await fs.readdir(root, { withFileTypes: true }).catch(() => []);
      for (const entry of entries) {
        const path = join(root, entry.name);
        if (entry.isDirectory()) await scan(path);
        else if (entry.isFile()) {
          const text = await fs.readFile(path, 'latin1');
          for (const secret of secrets) if (text.includes(secret)) found.push(`${path}`);
        }
      }
    }
    await scan(home);
    // Every task record and its messages, as the API would show them.
    const jobs = JSON.stringify(await engine.list());
    for (const secret of secrets) expect(jobs.includes(secret)).toBe(false);
    expect(jobs.length).toBeGreaterThan(1000);
    expect(found).toEqual([]);
    // Console output of this process and the export workers (crash and SDK output included).
    for (const secret of secrets) expect(printed.includes(secret)).toBe(false);
    // The scan saw real material: the presigned signatures were collected.
    expect(secrets.length).toBeGreaterThan(6);
  });
});
