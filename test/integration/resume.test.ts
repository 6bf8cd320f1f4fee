import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { CreateBucketCommand, GetObjectCommand } from '@aws-sdk/client-s3';
import { BlobServiceClient, StorageSharedKeyCredential } from '@azure/storage-blob';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, outbox, spawnOutbox, until } from '../support/cli';
import { Engine } from '../../main/core/engine/engine';
import { ProfileService } from '../../main/core/profiles/profile-service';
import { exportTaskOf, makeFile, sha256, sha256File, tempDir, testConfig } from '../support/engine';
import type { FaultProxy } from '../support/fault-proxy';
import { keystoneRelay } from '../support/keystone-relay';
import { freePort } from '../support/net';
import { AZURITE, KEYSTONE, RGW, SFTP, assertServerUp, s3TaskOf } from '../support/servers';
import {
  emptyBucket,
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
import { swiftCli, type SwiftCli } from '../support/swift-cli';

/**
 * kill -9 in the middle of a large upload, then Outbox again: the upload
 * continues from what the server already holds instead of starting over (S3
 * multipart parts, Azure uncommitted blocks, Swift SLO segments, the SFTP
 * temporary file), and the stored object is byte-identical.
 *
 * How: the real CLI (`outbox export --profile`) sends through a TCP fault
 * proxy that stalls the connection after STALL_AT bytes; once the server has
 * the first parts, the CLI is killed with SIGKILL. The job is then resumed
 * (`outbox jobs resume`, or `outbox serve`, which resumes by itself) and the
 * bytes that cross the proxy are counted: far fewer than the file's size.
 * The object is read back directly from the server, not through Outbox.
 */

const suffix = randomBytes(4).toString('hex');

let dir: string;
let source: string;
let sourceSha256: string;
const proxies = proxyPool();
/** Data directories and everything the CLI printed (killed runs included), scanned for secrets at the end. */
const homes: string[] = [];
let printed = '';

/** `outbox ARGS`, its output kept for the secret scan. */
async function cli(args: string[], env: Record<string, string>) {
  const result = await outbox(args, env);
  printed += result.stdout + result.stderr;
  return result;
}

/** A spawned `outbox ARGS`, its output kept for the secret scan. */
function spawnCli(args: string[], env: Record<string, string>) {
  const child = spawnOutbox(args, env);
  child.stdout?.on('data', (d: Buffer) => (printed += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (printed += d.toString()));
  return child;
}
const closers: (() => Promise<void>)[] = [];

beforeAll(async () => {
  assertBuilt();
  dir = await tempDir('outbox-resume-');
  source = await makeFile(dir, 'big.bin', FILE_SIZE);
  sourceSha256 = await sha256File(source);
});

afterAll(async () => {
  for (const close of closers) await close().catch(() => undefined);
  await proxies.close();
  await fs.rm(dir, { recursive: true, force: true });
});

type Scenario = {
  /** The profile's task (its secrets end up in the keychain). */
  task: Record<string, unknown>;
  proxy: FaultProxy;
  /** Resolves once the server holds parts of the interrupted upload (`home`: the data directory). */
  serverHasParts: (home: string) => Promise<boolean>;
};

/**
 * A data directory with the profile saved, and an export of `file` killed
 * mid-upload (the proxy stalls after `stallAt` bytes); returns the job id.
 * `partials`: the partial-upload records the crash leaves (one large file: 1).
 */
async function crashMidUpload(
  scenario: Scenario,
  file = source,
  { stallAt = STALL_AT, partials = 1 } = {},
): Promise<{ home: string; id: string }> {
  const home = await tempDir('outbox-resume-home-');
  homes.push(home);
  closers.push(async () => {
    await cli(['profile', 'rm', 'dest'], { OUTBOX_HOME: home });
    await fs.rm(home, { recursive: true, force: true });
  });
  const taskFile = join(home, '..', `${randomBytes(4).toString('hex')}-task.json`);
  await fs.writeFile(taskFile, JSON.stringify(scenario.task));
  const added = await cli(['profile', 'add', 'dest', '--task', taskFile], { OUTBOX_HOME: home });
  await fs.rm(taskFile);
  expect(added.stderr).toBe('');
  expect(added.code).toBe(0);

  scenario.proxy.setPolicy({ fault: { kind: 'stall', afterBytes: stallAt, ms: 600_000 } });
  const child = spawnCli(['export', '--profile', 'dest', file, '--json'], { OUTBOX_HOME: home });
  const exited = new Promise((resolve) => child.on('exit', resolve));
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  await until(async () => scenario.proxy.bytesUp >= stallAt, 60_000).catch((error: unknown) => {
    throw new Error(`the export never reached ${stallAt} bytes: ${String(error)}\n${stderr}`);
  });
  await until(() => scenario.serverHasParts(home), 20_000);
  // What the crash leaves to find the upload again: a record of it, and the job.
  const records = await fs.readdir(join(home, 'partials')).catch(() => []);
  expect(records.filter((name) => name.endsWith('.json'))).toHaveLength(partials);
  child.kill('SIGKILL');
  await exited;
  scenario.proxy.setPolicy({ fault: { kind: 'none' } });

  const jobs = await cli(['jobs', '--json'], { OUTBOX_HOME: home });
  const [job] = JSON.parse(jobs.stdout) as { id: string; status: string }[];
  expect(job?.status).toBe('error');
  return { home, id: job?.id ?? '' };
}

/** `outbox jobs resume ID --json`: the delivered file, and the bytes that crossed the proxy. */
async function resume(
  home: string,
  id: string,
  proxy: FaultProxy,
): Promise<{ file: ResumedFile; sent: number }> {
  const before = proxy.bytesUp;
  const resumed = await cli(['jobs', 'resume', id, '--json'], { OUTBOX_HOME: home });
  expect(resumed.stderr).toBe('');
  expect(resumed.code).toBe(0);
  const summary = JSON.parse(resumed.stdout) as {
    status: string;
    tasks: { operation: string; result?: { files: ResumedFile[] } }[];
  };
  expect(summary.status).toBe('finished');
  const task = summary.tasks.find((t) => t.operation !== 'import/file');
  const file = task?.result?.files[0] as ResumedFile;
  expect(await fs.readdir(join(home, 'partials'))).toEqual([]);
  return { file, sent: proxy.bytesUp - before };
}

describe('S3 (Ceph RGW): multipart upload id and finished parts', () => {
  const bucket = `outbox-resume-${suffix}`;
  const s3 = rgwClient();
  let proxy: FaultProxy;

  beforeAll(async () => {
    await assertServerUp('rgw');
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    proxy = await proxies.to(RGW.port);
  });
  afterAll(() => emptyBucket(s3, bucket));

  const task = (key: string) => ({
    ...s3TaskOf(RGW),
    bucket,
    endpoint: proxy.url,
    key,
    part_size: PART,
    concurrency: 1,
  });
  const storedSha256 = async (key: string) => {
    const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return sha256(
      await (object.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray(),
    );
  };

  it('outbox jobs resume continues the upload from the stored parts', async () => {
    const key = 'resume/jobs-resume.bin';
    const { home, id } = await crashMidUpload({
      task: task(key),
      proxy,
      serverHasParts: async () => (await storedParts(s3, bucket, key)) >= 2,
    });
    const { file, sent } = await resume(home, id, proxy);
    expectContinued(file, sent, 2 * PART);
    expect(await storedSha256(key)).toBe(sourceSha256);
    expect(await openUploads(s3, bucket, key)).toEqual([]);
  });

  it('outbox serve resumes interrupted jobs by itself when it starts', async () => {
    const key = 'resume/serve.bin';
    const { home, id } = await crashMidUpload({
      task: task(key),
      proxy,
      serverHasParts: async () => (await storedParts(s3, bucket, key)) >= 2,
    });
    const before = proxy.bytesUp;
    const serve = spawnCli(['serve', '--port', String(await freePort())], {
      OUTBOX_HOME: home,
    });
    const exited = new Promise((resolve) => serve.on('exit', resolve));
    let output = '';
    serve.stdout?.on('data', (d: Buffer) => (output += d.toString()));
    serve.stderr?.on('data', (d: Buffer) => (output += d.toString()));
    try {
      const record = async () =>
        JSON.parse(await fs.readFile(join(home, 'jobs', `${id}.json`), 'utf8')) as {
          status: string;
          tasks: { name: string; result?: { files: ResumedFile[] } }[];
        };
      await until(async () => (await record()).status === 'finished', 60_000).catch(
        async (error: unknown) => {
          throw new Error(`${String(error)}: ${JSON.stringify(await record())}\n${output}`);
        },
      );
      const file = (await record()).tasks.find((t) => t.name === 'export')?.result
        ?.files[0] as ResumedFile;
      expectContinued(file, proxy.bytesUp - before, 2 * PART);
    } finally {
      serve.kill('SIGTERM');
      await exited;
    }
    expect(await storedSha256(key)).toBe(sourceSha256);
    expect(await openUploads(s3, bucket, key)).toEqual([]);
  });

  it('a folder of small files: the files delivered before the crash are not sent again', async () => {
    // More files than go at once: every connection stalls in its second file, the rest wait.
    const count = 100;
    const each = 64 * 1024;
    const folder = join(dir, 'many');
    for (let i = 0; i < count; i++) await makeFile(folder, `f${i}.bin`, each);
    const prefix = 'resume/many/';
    const deliveredLog = async (home: string) => {
      const logs = await fs.readdir(join(home, 'delivered')).catch(() => []);
      const text = logs[0] ? await fs.readFile(join(home, 'delivered', logs[0]), 'utf8') : '';
      return text.split('\n').filter(Boolean).length;
    };
    const { home, id } = await crashMidUpload(
      {
        task: { ...task('unused'), key: undefined, key_prefix: prefix },
        proxy,
        // the delivered log holds some files: they were written down before the kill
        serverHasParts: async (h) => (await deliveredLog(h)) >= 10,
      },
      folder,
      { stallAt: each * 1.5, partials: 0 },
    );
    const logged = await deliveredLog(home);
    const before = proxy.bytesUp;
    const resumed = await cli(['jobs', 'resume', id, '--json'], { OUTBOX_HOME: home });
    expect(resumed.code, resumed.stderr).toBe(0);
    const summary = JSON.parse(resumed.stdout) as {
      status: string;
      tasks: { operation: string; result?: { files: { key: string }[] } }[];
    };
    expect(summary.status).toBe('finished');
    const files = summary.tasks.find((t) => t.operation === 'export/s3')?.result?.files ?? [];
    expect(files.map((f) => f.key).sort()).toEqual(
      Array.from({ length: count }, (_, i) => `${prefix}many/f${i}.bin`).sort(),
    );
    // Only the files not in the log crossed the proxy again (each with ~1 KiB of headers).
    expect(proxy.bytesUp - before).toBeLessThan((count - logged) * (each + 2048));
    // The job ended: its log is gone.
    expect(await fs.readdir(join(home, 'delivered'))).toEqual([]);
  });

  it('a file changed after the crash: the old upload is aborted and the new bytes are stored', async () => {
    const key = 'resume/changed.bin';
    const changing = await makeFile(dir, 'changing.bin', FILE_SIZE);
    const { home, id } = await crashMidUpload(
      {
        task: task(key),
        proxy,
        serverHasParts: async () => (await storedParts(s3, bucket, key)) >= 2,
      },
      changing,
    );
    const [interrupted] = await openUploads(s3, bucket, key);
    await fs.writeFile(changing, randomBytes(FILE_SIZE));
    const { file, sent } = await resume(home, id, proxy);
    expect(file.resumed_bytes).toBeUndefined();
    expect(sent).toBeGreaterThanOrEqual(FILE_SIZE);
    expect(await storedSha256(key)).toBe(await sha256File(changing));
    const left = await openUploads(s3, bucket, key);
    expect(left.map((u) => u.UploadId)).not.toContain(interrupted?.UploadId);
    expect(left).toEqual([]);
  });

  it('a job with credentials given inline cannot be resumed, and says what to do', async () => {
    const home = await tempDir('outbox-resume-inline-');
    homes.push(home);
    closers.push(() => fs.rm(home, { recursive: true, force: true }));
    // The user's own task file holds the key: outside the data directory.
    const taskFile = join(dir, 'inline-task.json');
    await fs.writeFile(taskFile, JSON.stringify(task('resume/inline.bin')));
    proxy.setPolicy({ fault: { kind: 'stall', afterBytes: STALL_AT, ms: 600_000 } });
    const child = spawnCli(['export', '--task', taskFile, source, '--json'], {
      OUTBOX_HOME: home,
    });
    const exited = new Promise((resolve) => child.on('exit', resolve));
    await until(async () => (await storedParts(s3, bucket, 'resume/inline.bin')) >= 2, 60_000);
    child.kill('SIGKILL');
    await exited;
    proxy.setPolicy({ fault: { kind: 'none' } });
    const [job] = JSON.parse((await cli(['jobs', '--json'], { OUTBOX_HOME: home })).stdout) as {
      id: string;
    }[];
    const resumed = await cli(['jobs', 'resume', job?.id ?? ''], { OUTBOX_HOME: home });
    expect(resumed.code).toBe(1);
    expect(resumed.stderr).toMatch(
      /cannot be resumed: task export had credentials that are not kept/,
    );
    // Exporting the same file again to the same place continues the upload all the same.
    const before = proxy.bytesUp;
    const again = await cli(['export', '--task', taskFile, source, '--json'], {
      OUTBOX_HOME: home,
    });
    expect(again.code, again.stderr).toBe(0);
    const result = (JSON.parse(again.stdout) as { tasks: { result?: { files: ResumedFile[] } }[] })
      .tasks[1]?.result?.files[0] as ResumedFile;
    expectContinued(result, proxy.bytesUp - before, 2 * PART);
    expect(await storedSha256('resume/inline.bin')).toBe(sourceSha256);
    expect(await openUploads(s3, bucket, 'resume/inline.bin')).toEqual([]);
  });
});

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
    expect(sha256(await blob.downloadToBuffer())).toBe(sourceSha256);
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
    expect(await sha256File(join(remote, 'big.bin'))).toBe(sourceSha256);
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
    const out = join(dir, 'slo-download.bin');
    await swift('download', container, 'resume/slo.bin', '--output', out);
    expect(await sha256File(out)).toBe(sourceSha256);
    // Exactly the manifest's segments: none left over from the interrupted try.
    expect(await segments()).toHaveLength(Math.ceil(FILE_SIZE / PART));
  });
});

describe('secrets after the crash and resume tests', () => {
  it('appear nowhere in the data directories (partial-upload records included) or the output', async () => {
    const secrets = [RGW.secretAccessKey, AZURITE.key, SFTP.password, KEYSTONE.password];
    const found: string[] = [];
    async function scan(root: string): Promise<void> {
      for (const entry of await fs.readdir(root, { withFileTypes: true })) {
        const path = join(root, entry.name);
        if (entry.isDirectory()) await scan(path);
        else if (entry.isFile()) {
          const text = await fs.readFile(path, 'latin1');
          for (const secret of secrets) if (text.includes(secret)) found.push(path);
        }
      }
    }
    expect(homes.length).toBeGreaterThanOrEqual(6);
    for (const home of homes) await scan(home);
    expect(found).toEqual([]);
    expect(printed).toContain('resumed_bytes'); // the scan saw real output
    for (const secret of secrets) expect(printed.includes(secret)).toBe(false);
  });
});
