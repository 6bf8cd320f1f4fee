import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, outbox, spawnOutbox, until, type CliResult } from './cli';
import { makeFile, sha256File, tempDir } from './engine';
import type { FaultProxy } from './fault-proxy';
import { FILE_SIZE, proxyPool, STALL_AT, type ResumedFile } from './mid-upload';
import { secretsOnDisk } from './secret-scan';
import { AZURITE, KEYSTONE, RGW, SFTP } from './servers';

/**
 * The crash-and-resume tests (test/integration/resume-*.test.ts): kill -9 in
 * the middle of a large upload, then Outbox again: the upload continues from
 * what the server already holds instead of starting over (S3 multipart parts,
 * Azure uncommitted blocks, Swift SLO segments, the SFTP temporary file), and
 * the stored object is byte-identical.
 *
 * How: the real CLI (`outbox export --profile`) sends through a TCP fault
 * proxy that stalls the connection after STALL_AT bytes; once the server has
 * the first parts, the CLI is killed with SIGKILL. The job is then resumed
 * (`outbox jobs resume`, or `outbox serve`, which resumes by itself) and the
 * bytes that cross the proxy are counted: far fewer than the file's size.
 * The object is read back directly from the server, not through Outbox.
 *
 * `useResumeHarness()` gives each test file its large source file, its fault
 * proxies and the CLI runs; `itLeavesNoSecrets()` at the end of the file checks
 * the data directories and the output of its runs for the servers' secrets.
 */

export type Scenario = {
  /** The profile's task (its secrets end up in the keychain). */
  task: Record<string, unknown>;
  proxy: FaultProxy;
  /** Resolves once the server holds parts of the interrupted upload (`home`: the data directory). */
  serverHasParts: (home: string) => Promise<boolean>;
};

export type ResumeHarness = {
  /** Random, one per test file: in the names of its bucket, containers and SFTP folder. */
  readonly suffix: string;
  /** A temp folder for the files the tests make. */
  readonly dir: string;
  /** The large file (FILE_SIZE) the tests upload, and its SHA-256. */
  readonly source: string;
  readonly sourceSha256: string;
  /** Fault proxies, closed after the tests. */
  readonly proxies: ReturnType<typeof proxyPool>;
  /** Data directories, scanned for secrets at the end. */
  readonly homes: string[];
  /** Run after the tests (before the proxies close): profiles removed, relays closed. */
  readonly closers: (() => Promise<void>)[];
  /** `outbox ARGS`, its output kept for the secret scan. */
  cli: (args: string[], env: Record<string, string>) => Promise<CliResult>;
  /** A spawned `outbox ARGS`, its output kept for the secret scan. */
  spawnCli: (args: string[], env: Record<string, string>) => ReturnType<typeof spawnOutbox>;
  /**
   * A data directory with the profile saved, and an export of `file` killed
   * mid-upload (the proxy stalls after `stallAt` bytes); returns the job id.
   * `partials`: the partial-upload records the crash leaves (one large file: 1).
   */
  crashMidUpload: (
    scenario: Scenario,
    file?: string,
    options?: { stallAt?: number; partials?: number },
  ) => Promise<{ home: string; id: string }>;
  /** `outbox jobs resume ID --json`: the delivered file, and the bytes that crossed the proxy. */
  resume: (
    home: string,
    id: string,
    proxy: FaultProxy,
  ) => Promise<{ file: ResumedFile; sent: number }>;
  /**
   * The secrets check, as the file's last test. `homes`: how many data directories
   * the file's tests made at least (the scan must have seen them).
   */
  itLeavesNoSecrets: (options: { homes: number }) => void;
};

/** Registers the resume tests' beforeAll/afterAll hooks; see the top of this file. */
export function useResumeHarness(): ResumeHarness {
  const suffix = randomBytes(4).toString('hex');

  let dir: string;
  let source: string;
  let sourceSha256: string;
  const proxies = proxyPool();
  /** Data directories and everything the CLI printed (killed runs included), scanned for secrets at the end. */
  const homes: string[] = [];
  let printed = '';

  async function cli(args: string[], env: Record<string, string>) {
    const result = await outbox(args, env);
    printed += result.stdout + result.stderr;
    return result;
  }

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

  function itLeavesNoSecrets({ homes: atLeast }: { homes: number }): void {
    describe('secrets after the crash and resume tests', () => {
      it('appear nowhere in the data directories (partial-upload records included) or the output', async () => {
        const secrets = [RGW.secretAccessKey, AZURITE.key, SFTP.password, KEYSTONE.password];
        const found: string[] = [];
        expect(homes.length).toBeGreaterThanOrEqual(atLeast);
        for (const home of homes) found.push(...(await secretsOnDisk(home, secrets)).leaks);
        expect(found).toEqual([]);
        expect(printed).toContain('resumed_bytes'); // the scan saw real output
        for (const secret of secrets) expect(printed.includes(secret)).toBe(false);
      });
    });
  }

  return {
    suffix,
    get dir() {
      return dir;
    },
    get source() {
      return source;
    },
    get sourceSha256() {
      return sourceSha256;
    },
    proxies,
    homes,
    closers,
    cli,
    spawnCli,
    crashMidUpload,
    resume,
    itLeavesNoSecrets,
  };
}
