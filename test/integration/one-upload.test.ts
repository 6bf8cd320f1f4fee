import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { BlobServiceClient, StorageSharedKeyCredential } from '@azure/storage-blob';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, outbox, spawnOutbox, until } from '../support/cli';
import {
  exportFiles,
  makeFile,
  openTestEngine,
  sha256,
  sha256File,
  tempDir,
} from '../support/engine';
import type { FaultProxy } from '../support/fault-proxy';
import { keystoneRelay } from '../support/keystone-relay';
import {
  expectContinued,
  FILE_SIZE,
  MiB,
  openUploads,
  PART,
  proxyPool,
  rgwClient,
  STALL_AT,
  stagedBlocks,
  storedParts,
  swiftSegments,
  temporaryBytes,
  type ResumedFile,
} from '../support/mid-upload';
import { run } from '../support/net';
import { AZURITE, KEYSTONE, RGW, SFTP, assertServerUp, awsEnv, s3TaskOf } from '../support/servers';
import { fetchedSha256 } from '../support/sftp-cli';
import { swiftCli, type SwiftCli } from '../support/swift-cli';

/**
 * One upload per destination at a time, across processes (issue 13). Two
 * `outbox export` processes on the same data directory send the same file to
 * the same place: the first (A) is held mid-upload by a stalling proxy once
 * the server has parts of it; the second (B) ends at once with
 * ALREADY_EXPORTING, naming A's job, and sends nothing. Then A is killed
 * (SIGKILL): its claim is dead, and a third run (C) takes it over and
 * continues A's partial upload (resumed_bytes, and fewer bytes cross the
 * proxy than the file holds). The stored object is read back with the
 * server's own client (aws, az SDK, sftp, swift) and compared by sha256: B
 * did not disturb the partial upload it was refused.
 */

const suffix = randomBytes(4).toString('hex');

let dir: string;
let source: string;
let sourceSha256: string;
const proxies = proxyPool();
const cleanups: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  assertBuilt();
  dir = await tempDir('outbox-one-upload-');
  source = await makeFile(dir, 'big.bin', FILE_SIZE);
  sourceSha256 = await sha256File(source);
});

afterAll(async () => {
  for (const cleanup of cleanups) await cleanup().catch(() => undefined);
  await proxies.close();
  await fs.rm(dir, { recursive: true, force: true });
});

type Exported = { code: number | null; task: Record<string, unknown>; file?: ResumedFile };

/** `outbox export --task TASK FILE --json` on `home`: its export task and delivered file. */
async function exportOnce(home: string, taskFile: string): Promise<Exported> {
  const result = await outbox(['export', '--task', taskFile, source, '--json'], {
    OUTBOX_HOME: home,
  });
  const json = JSON.parse(result.stdout) as { tasks: Record<string, unknown>[] };
  const task = json.tasks[1] ?? {};
  const file = (task.result as { files?: ResumedFile[] } | undefined)?.files?.[0];
  return { code: result.code, task, ...(file ? { file } : {}) };
}

/**
 * A runs and stalls mid-upload, B is refused, A is killed, C continues.
 * Returns C's delivered file and the bytes C sent through the proxy.
 */
async function twoProcesses(
  task: Record<string, unknown>,
  proxy: FaultProxy,
  serverHasParts: () => Promise<boolean>,
): Promise<{ file: ResumedFile; sent: number }> {
  const home = await tempDir('outbox-one-upload-home-');
  cleanups.push(() => fs.rm(home, { recursive: true, force: true }));
  const taskFile = join(dir, `${randomBytes(4).toString('hex')}-task.json`);
  await fs.writeFile(taskFile, JSON.stringify(task));

  const stallAt = proxy.bytesUp + STALL_AT;
  proxy.setPolicy({ fault: { kind: 'stall', afterBytes: stallAt, ms: 600_000, across: true } });
  const a = spawnOutbox(['export', '--task', taskFile, source, '--json'], { OUTBOX_HOME: home });
  const aExited = new Promise((resolve) => a.on('exit', resolve));
  let aOutput = '';
  a.stderr?.on('data', (d: Buffer) => (aOutput += d.toString()));
  try {
    await until(async () => proxy.bytesUp >= stallAt && (await serverHasParts()), 60_000).catch(
      (error: unknown) => {
        throw new Error(`A never stored parts: ${String(error)}\n${aOutput}`);
      },
    );
    const [aJob] = JSON.parse((await outbox(['jobs', '--json'], { OUTBOX_HOME: home })).stdout) as {
      id: string;
      status: string;
    }[];
    expect(aJob?.status).toBe('processing');

    // B: the same file to the same place while A holds it.
    const before = proxy.bytesUp;
    const b = await exportOnce(home, taskFile);
    expect(a.exitCode, aOutput).toBeNull(); // A still holds its claim
    expect(b.code, JSON.stringify(b.task)).toBe(1);
    expect(b.task).toMatchObject({ status: 'error', code: 'ALREADY_EXPORTING' });
    expect(String(b.task.message)).toMatch(
      new RegExp(`^big\\.bin is already being exported to the same place by job ${aJob?.id} `),
    );
    expect(proxy.bytesUp).toBe(before);
  } finally {
    a.kill('SIGKILL');
    await aExited;
  }

  // C: A's claim died with it; C takes it over and continues A's upload.
  proxy.setPolicy({ fault: { kind: 'none' } });
  const before = proxy.bytesUp;
  const c = await exportOnce(home, taskFile);
  expect(c.code, JSON.stringify(c.task)).toBe(0);
  expect(await fs.readdir(join(home, 'claims'))).toEqual([]);
  expect(await fs.readdir(join(home, 'partials'))).toEqual([]);
  return { file: c.file ?? { size: 0 }, sent: proxy.bytesUp - before };
}

describe('S3 (Ceph RGW): one multipart upload id per object', () => {
  const bucket = `outbox-one-upload-${suffix}`;
  const s3 = rgwClient();
  let proxy: FaultProxy;

  beforeAll(async () => {
    await assertServerUp('rgw');
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    proxy = await proxies.to(RGW.port);
  });

  it('a second process is refused; after a crash the next run continues the upload', async () => {
    const key = 'one/big.bin';
    const { file, sent } = await twoProcesses(
      { ...s3TaskOf(RGW), bucket, endpoint: proxy.url, key, part_size: PART, concurrency: 1 },
      proxy,
      async () => (await storedParts(s3, bucket, key)) >= 2,
    );
    expectContinued(file, sent, 2 * PART);
    const out = join(dir, 's3-download.bin');
    await run(
      '/usr/bin/aws',
      [
        's3api',
        'get-object',
        '--bucket',
        bucket,
        '--key',
        key,
        '--endpoint-url',
        RGW.endpoint,
        out,
      ],
      { env: awsEnv(RGW) },
    );
    expect(await sha256File(out)).toBe(sourceSha256);
    expect(await openUploads(s3, bucket, key)).toEqual([]);
  });
});

describe('Azure Blob (azurite): one block-id nonce per blob', () => {
  const container = `outbox-one-upload-${suffix}`;
  const service = new BlobServiceClient(
    AZURITE.endpoint,
    new StorageSharedKeyCredential(AZURITE.account, AZURITE.key),
  );
  let proxy: FaultProxy;

  beforeAll(async () => {
    await assertServerUp('azurite');
    await service.getContainerClient(container).create();
    proxy = await proxies.to(AZURITE.port);
    cleanups.push(() => service.getContainerClient(container).deleteIfExists());
  });

  it('a second process is refused; after a crash the next run continues with the staged blocks', async () => {
    const name = 'one/big.bin';
    const blob = service.getContainerClient(container).getBlockBlobClient(name);
    const { file, sent } = await twoProcesses(
      {
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
      async () => (await stagedBlocks(blob)) >= 2,
    );
    expectContinued(file, sent, 2 * PART);
    // No az CLI here: the Azure SDK, directly on azurite (not through the proxy or Outbox).
    expect(sha256(await blob.downloadToBuffer())).toBe(sourceSha256);
  });
});

describe('SFTP (OpenSSH): one temporary file per destination file', () => {
  const folder = `one-upload-${suffix}`;
  let proxy: FaultProxy;

  beforeAll(async () => {
    await assertServerUp('sftp');
    proxy = await proxies.to(SFTP.port);
    cleanups.push(() => fs.rm(join(SFTP.home, folder), { recursive: true, force: true }));
  });

  const task = (port: number, file: string) => ({
    operation: 'export/sftp',
    host: '127.0.0.1',
    port,
    username: SFTP.username,
    password: SFTP.password,
    file: `${folder}/${file}`,
  });

  it('a second process is refused; after a crash the next run continues the temporary file', async () => {
    const { file, sent } = await twoProcesses(
      task(proxy.port, 'big.bin'),
      proxy,
      async () => (await temporaryBytes(folder)) >= 4 * MiB,
    );
    expectContinued(file, sent, 4 * MiB);
    expect(await fetchedSha256(`${folder}/big.bin`)).toBe(sourceSha256);
    expect(await fs.readdir(join(SFTP.home, folder))).toEqual(['big.bin']);
  });

  it('two jobs of one process (a double drop): the second is refused, the first finishes', async () => {
    const { engine, close } = await openTestEngine();
    try {
      // The first job is held 15 s mid-file, then goes on by itself.
      proxy.setPolicy({ fault: { kind: 'stall', afterBytes: STALL_AT, ms: 15_000 } });
      const first = exportFiles(engine, task(proxy.port, 'double.bin'), [source]);
      await until(async () => (await temporaryBytes(folder)) >= 4 * MiB, 60_000);
      const second = await exportFiles(engine, task(proxy.port, 'double.bin'), [source]);
      expect(second.tasks[1]).toMatchObject({ status: 'error', code: 'ALREADY_EXPORTING' });
      expect(second.tasks[1]?.message).toMatch(/^big\.bin is already being exported/);
      const done = await first;
      expect(done.status, JSON.stringify(done.tasks[1])).toBe('finished');
      expect(await sha256File(join(SFTP.home, folder, 'double.bin'))).toBe(sourceSha256);
    } finally {
      proxy.setPolicy({ fault: { kind: 'none' } });
      await close();
    }
  });
});

describe('OpenStack Swift: one segment prefix per object', () => {
  const container = `outbox-one-upload-${suffix}`;
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
    cleanups.push(async () => relay.server.close());
    cleanups.push(() => swift('delete', container));
    cleanups.push(() => swift('delete', `${container}_segments`));
  });

  it('a second process is refused; after a crash the next run continues with the stored segments', async () => {
    const segments = () => swiftSegments(swift, container);
    const { file, sent } = await twoProcesses(
      {
        operation: 'export/openstack',
        auth_url: relayUrl,
        region: KEYSTONE.region,
        container,
        username: KEYSTONE.username,
        password: KEYSTONE.password,
        file: 'one/slo.bin',
        segment_size: PART,
        concurrency: 1,
      },
      proxy,
      async () => (await segments()).length >= 2,
    );
    expectContinued(file, sent, 2 * PART);
    const out = join(dir, 'slo-download.bin');
    await swift('download', container, 'one/slo.bin', '--output', out);
    expect(await sha256File(out)).toBe(sourceSha256);
    expect(await segments()).toHaveLength(Math.ceil(FILE_SIZE / PART));
  });
});
