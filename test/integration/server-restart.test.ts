import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { BlobServiceClient, StorageSharedKeyCredential } from '@azure/storage-blob';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../main/core/engine/engine';
import { until } from '../support/cli';
import {
  exportFiles,
  exportTaskOf,
  makeFile,
  openTestEngine,
  sha256,
  sha256File,
  tempDir,
} from '../support/engine';
import { keystoneRelay } from '../support/keystone-relay';
import { freePort } from '../support/net';
import { AZURITE, KEYSTONE, SFTP, TEST_ENV_DIR, assertServerUp } from '../support/servers';
import { swiftCli, type SwiftCli } from '../support/swift-cli';

/**
 * A server restarted in the middle of an upload: the job rides it out
 * (per-part and per-file retries with backoff, then continuing what was
 * stored) and the object is byte-identical; a server that stays down fails
 * the job with a clear error within a bounded time.
 *
 * Each test runs its own instance of the real server (sshd, azurite, Swift's
 * proxy) on a free port, from the same installation and data as the shared
 * one, so restarting it disturbs no other suite. The restart is a crash:
 * SIGKILL to the server and every process it started (open sessions included).
 */

const MiB = 1024 * 1024;
/** Longest a job may take to give up on a server that stays down. */
const GIVE_UP_BOUND_MS = 90_000;

let engine: Engine;
let close: () => Promise<void>;
let dir: string;
const running = new Set<ChildProcess>();

beforeAll(async () => {
  // A try that stalls across a restart is cut after 30 s (not the default 120 s), so the retry
  // that completes it fits in a test.
  ({ engine, close } = await openTestEngine({ config: { idleTimeoutSeconds: 30 } }));
  dir = await tempDir('outbox-restart-');
});

afterAll(async () => {
  for (const child of running) kill(child);
  await close?.();
  await fs.rm(dir, { recursive: true, force: true });
});

/** The process and everything it started (sshd puts each session in its own session). */
function descendants(pid: number): number[] {
  const table = execFileSync('ps', ['-eo', 'pid=,ppid='], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .map((line) => line.trim().split(/\s+/).map(Number) as [number, number]);
  const found = [pid];
  for (let i = 0; i < found.length; i++) {
    for (const [child, parent] of table) if (parent === found[i]) found.push(child);
  }
  return found;
}

function kill(child: ChildProcess, signal: NodeJS.Signals = 'SIGKILL'): void {
  for (const pid of descendants(child.pid ?? 0).reverse()) {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
  running.delete(child);
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * A server process, restartable. `stop`: SIGKILL (a crash) by default;
 * azurite gets SIGTERM, as it keeps acknowledged writes only in memory until
 * it saves them (a real Azure never loses a staged block).
 */
function privateServer(
  port: number,
  command: string,
  args: string[],
  options: { cwd?: string; stop?: NodeJS.Signals } = {},
) {
  let child: ChildProcess | undefined;
  let output = '';
  return {
    async start() {
      child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], cwd: options.cwd });
      child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
      child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
      running.add(child);
      await until(() => listening(port), 30_000).catch((error: unknown) => {
        throw new Error(`${command} did not listen on ${port}: ${String(error)}\n${output}`);
      });
    },
    /** Its processes now, with their command lines as ps shows them. */
    processes(): { pid: number; args: string }[] {
      const ours = new Set(descendants(child?.pid ?? 0));
      return execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' })
        .trim()
        .split('\n')
        .map((line) => line.trim().match(/^(\d+)\s+(.*)$/))
        .filter((match) => match !== null && ours.has(Number(match[1])))
        .map((match) => ({ pid: Number(match?.[1]), args: match?.[2] ?? '' }));
    },
    async crash() {
      if (!child || child.exitCode !== null) return;
      const exited = new Promise((resolve) => child?.once('exit', resolve));
      kill(child, options.stop);
      await exited;
    },
  };
}

/** Crashes the server once `midUpload` holds, and starts it again `downMs` later. */
async function restartDuring(
  server: ReturnType<typeof privateServer>,
  midUpload: () => Promise<boolean>,
  downMs: number,
): Promise<void> {
  await until(midUpload, 60_000);
  await server.crash();
  await new Promise((resolve) => setTimeout(resolve, downMs));
  await server.start();
}

/** Whether the temporary file of `name` in `remote` holds 16 MiB yet: the upload is mid-way. */
function partHolds(remote: string, name: string): () => Promise<boolean> {
  return async () => {
    const names = await fs.readdir(remote).catch(() => [] as string[]);
    const part = names.find((n) => n.startsWith(`.${name}.`) && n.endsWith('.part'));
    return part !== undefined && (await fs.stat(join(remote, part))).size >= 16 * MiB;
  };
}

describe('sshd restarted mid-upload', () => {
  let port: number;
  let server: ReturnType<typeof privateServer>;
  const folder = `restart-${randomBytes(4).toString('hex')}`;

  beforeAll(async () => {
    await assertServerUp('sftp');
    port = await freePort();
    const shared = await fs.readFile(join(TEST_ENV_DIR, 'sftp/sshd/sshd_config'), 'utf8');
    const config = join(dir, 'sshd_config');
    await fs.writeFile(
      config,
      shared
        .replace(/^Port .*$/m, `Port ${port}`)
        .replace(/^PidFile .*$/m, `PidFile ${join(dir, 'sshd.pid')}`),
    );
    server = privateServer(port, '/usr/sbin/sshd', ['-f', config, '-D', '-e']);
    await server.start();
  });
  afterAll(async () => {
    await server.crash();
    await fs.rm(join(SFTP.home, folder), { recursive: true, force: true });
  });

  const task = () => ({
    operation: 'export/sftp',
    host: '127.0.0.1',
    port,
    username: SFTP.username,
    password: SFTP.password,
    file: `${folder}/big.bin`,
  });

  it('the job completes after the server returns, byte-identical', async () => {
    const file = await makeFile(dir, 'sftp.bin', 256 * MiB);
    const remote = join(SFTP.home, folder);
    const job = exportFiles(engine, task(), [file]);
    await restartDuring(server, partHolds(remote, 'big.bin'), 1500);
    const record = exportTaskOf(await job);
    expect(record.message).toBeUndefined();
    expect(record.status).toBe('finished');
    expect(await sha256File(join(remote, 'big.bin'))).toBe(await sha256File(file));
    expect(await fs.readdir(remote)).toEqual(['big.bin']);
  });

  it('the SFTP channel dies mid-upload and the connection stays: the job completes', async () => {
    // sshd runs internal-sftp in a child of the session: killed alone, the session closes the
    // SFTP channel and keeps the connection, and ssh2 never answers a request sent after that.
    const file = await makeFile(dir, 'sftp-channel.bin', 256 * MiB);
    const remote = join(SFTP.home, folder);
    const job = exportFiles(engine, { ...task(), file: `${folder}/channel.bin` }, [file]);
    await until(partHolds(remote, 'channel.bin'), 60_000);
    const subsystems = server.processes().filter((p) => p.args.endsWith('@internal-sftp'));
    expect(subsystems).toHaveLength(1);
    process.kill(subsystems[0]?.pid ?? 0, 'SIGKILL');
    const record = exportTaskOf(await job);
    expect(record.message).toBeUndefined();
    expect(record.status).toBe('finished');
    expect(await sha256File(join(remote, 'channel.bin'))).toBe(await sha256File(file));
    const left = (await fs.readdir(remote)).filter((n) => n.includes('channel.bin'));
    expect(left).toEqual(['channel.bin']);
  });

  it('a server that stays down fails the job with a clear error, in bounded time', async () => {
    const file = await makeFile(dir, 'sftp-down.bin', 256 * MiB);
    const remote = join(SFTP.home, folder);
    const started = Date.now();
    const job = exportFiles(engine, { ...task(), file: `${folder}/down.bin` }, [file]);
    await until(partHolds(remote, 'down.bin'), 60_000);
    await server.crash();
    try {
      const record = exportTaskOf(await job);
      expect(Date.now() - started).toBeLessThan(GIVE_UP_BOUND_MS);
      expect(record.status).toBe('error');
      expect(record.code).toBe('UNREACHABLE');
      expect(record.message).toMatch(/connection refused.*server is running/);
    } finally {
      await server.start();
    }
  });
});

describe('azurite restarted mid-upload', () => {
  const container = `outbox-restart-${randomBytes(4).toString('hex')}`;
  let port: number;
  let server: ReturnType<typeof privateServer>;

  beforeAll(async () => {
    await assertServerUp('azurite');
    port = await freePort();
    // On disk (unlike the shared in-memory one), so staged blocks survive the restart.
    const location = join(dir, 'azurite');
    await fs.mkdir(location);
    const main = join(__dirname, '../../node_modules/azurite/dist/src/blob/main.js');
    server = privateServer(
      port,
      process.execPath,
      [
        main,
        '--blobHost',
        '127.0.0.1',
        '--blobPort',
        String(port),
        '--location',
        location,
        '--silent',
        '--disableTelemetry',
        '--skipApiVersionCheck',
        '--loose',
      ],
      { cwd: location, stop: 'SIGTERM' },
    );
    await server.start();
    await service().getContainerClient(container).create();
  });
  afterAll(() => server.crash());

  const endpoint = () => `http://127.0.0.1:${port}/${AZURITE.account}`;
  const service = () =>
    new BlobServiceClient(endpoint(), new StorageSharedKeyCredential(AZURITE.account, AZURITE.key));

  it('the job completes after the server returns, byte-identical', async () => {
    const file = await makeFile(dir, 'azure.bin', 96 * MiB);
    const name = 'restart/blocks.bin';
    const blob = service().getContainerClient(container).getBlockBlobClient(name);
    const job = exportFiles(
      engine,
      {
        operation: 'export/azure/blob',
        storage_account: AZURITE.account,
        storage_access_key: AZURITE.key,
        container,
        blob: name,
        endpoint: endpoint(),
        part_size: 5 * MiB,
        concurrency: 2,
      },
      [file],
    );
    await restartDuring(
      server,
      async () => {
        const list = await blob.getBlockList('uncommitted').catch(() => undefined);
        return (list?.uncommittedBlocks?.length ?? 0) >= 3;
      },
      1000,
    );
    const record = exportTaskOf(await job);
    expect(record.message).toBeUndefined();
    expect(record.status).toBe('finished');
    expect(sha256(await blob.downloadToBuffer())).toBe(await sha256File(file));
  });
});

describe('Swift proxy restarted mid-upload', () => {
  const container = `outbox-restart-${randomBytes(4).toString('hex')}`;
  let port: number;
  let server: ReturnType<typeof privateServer>;
  let authUrl: string;
  let swift: SwiftCli['swift'];

  beforeAll(async () => {
    await assertServerUp('swift');
    port = await freePort();
    const etc = join(TEST_ENV_DIR, 'swift/etc/swift');
    const shared = await fs.readFile(join(etc, 'proxy-server.conf'), 'utf8');
    const config = join(dir, 'proxy-server.conf');
    await fs.writeFile(config, shared.replace(/^bind_port = .*$/m, `bind_port = ${port}`));
    server = privateServer(port, 'swift-proxy-server', [config]);
    await server.start();
    // Keystone's catalog names the shared proxy: the relay points it at this one.
    const relay = await keystoneRelay(`http://127.0.0.1:${port}`);
    authUrl = relay.url;
    ({ swift } = await swiftCli());
    await swift('post', container);
    return async () => {
      relay.server.close();
      await server.crash();
      await swift('delete', container).catch(() => undefined);
      await swift('delete', `${container}_segments`).catch(() => undefined);
    };
  });

  it('the job completes after the server returns, byte-identical', async () => {
    const file = await makeFile(dir, 'swift.bin', 64 * MiB);
    const segments = async () =>
      (
        await swift('list', `${container}_segments`).catch(() => ({
          stdout: '',
        }))
      ).stdout
        .split('\n')
        .filter(Boolean);
    const job = exportFiles(
      engine,
      {
        operation: 'export/openstack',
        auth_url: authUrl,
        region: KEYSTONE.region,
        container,
        username: KEYSTONE.username,
        password: KEYSTONE.password,
        file: 'restart/slo.bin',
        segment_size: 5 * MiB,
        concurrency: 2,
      },
      [file],
    );
    await restartDuring(server, async () => (await segments()).length >= 3, 1000);
    const record = exportTaskOf(await job);
    expect(record.message).toBeUndefined();
    expect(record.status).toBe('finished');
    const out = join(dir, 'swift-download.bin');
    await swift('download', container, 'restart/slo.bin', '--output', out);
    expect(await sha256File(out)).toBe(await sha256File(file));
  });
});
