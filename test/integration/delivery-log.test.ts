import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeliveryEntry } from '../../main/core/delivery-log/delivery-entry';
import { assertBuilt, outbox, repoRoot, spawnOutbox } from '../support/cli';
import { makeFile, tempDir } from '../support/engine';
import { run } from '../support/net';
import { awsEnv, RGW, s3TaskOf, SFTP } from '../support/servers';

/**
 * The delivery log end to end: the CLI exports to real servers (Ceph RGW with
 * credentials given inline, SFTP through a saved profile whose password is in
 * the keychain, temporary links), `outbox log` reads back what was recorded,
 * the stored objects are read back with the server's own client, and the
 * database files hold none of the secrets used.
 */

const suffix = randomBytes(4).toString('hex');
const bucket = `log-${suffix}`;
const profile = `log-sftp-${suffix}`;
let dir: string;
let env: Record<string, string>;

const aws = (...args: string[]) =>
  run('/usr/bin/aws', ['--endpoint-url', RGW.endpoint, ...args], { env: awsEnv(RGW) });

beforeAll(async () => {
  assertBuilt();
  dir = await tempDir('outbox-log-it-');
  env = { OUTBOX_HOME: join(dir, 'home') };
  await aws('s3', 'mb', `s3://${bucket}`);
});
afterAll(async () => {
  await outbox(['profile', 'rm', profile], env);
  await aws('s3', 'rb', `s3://${bucket}`, '--force').catch(() => {});
  await fs.rm(dir, { recursive: true, force: true });
});

function md5(data: Buffer): string {
  return createHash('md5').update(data).digest('hex');
}

/** Runs `outbox ARGS`, which must succeed without a word on stderr; its stdout. */
async function succeeds(args: string[]): Promise<string> {
  const result = await outbox(args, env);
  expect(result.stderr, args.join(' ')).toBe('');
  expect(result.code, args.join(' ')).toBe(0);
  return result.stdout;
}

async function logJson(...args: string[]): Promise<DeliveryEntry[]> {
  return JSON.parse(await succeeds(['log', '--json', ...args])) as DeliveryEntry[];
}

describe('the delivery log', () => {
  it('records every delivered file of every export path, with no secret in it', async () => {
    const a = await makeFile(dir, 'in/report, final.pdf', 100_000);
    const b = await makeFile(dir, 'in/b.txt', 'bee');
    const c = await makeFile(dir, 'in/c.txt', 'sea');

    // export/s3 with credentials inline.
    const s3Task = join(dir, 's3.json');
    await fs.writeFile(s3Task, JSON.stringify({ ...s3TaskOf(RGW), bucket, key_prefix: 'in/' }));
    await succeeds(['export', '--task', s3Task, a, b]);

    // export/sftp through a saved profile (its password goes to the keychain).
    const sftpTask = join(dir, 'sftp.json');
    await fs.writeFile(
      sftpTask,
      JSON.stringify({
        operation: 'export/sftp',
        host: SFTP.host,
        port: SFTP.port,
        username: SFTP.username,
        password: SFTP.password,
        path: `log-${suffix}/`,
      }),
    );
    await succeeds(['profile', 'add', profile, '--task', sftpTask]);
    await succeeds(['export', '--profile', profile, c]);

    // export/url: one ZIP link of two files, through a whole job.
    const job = join(dir, 'job.json');
    await fs.writeFile(
      job,
      JSON.stringify({
        tasks: {
          in: { operation: 'import/file', path: [b, c] },
          link: { operation: 'export/url', input: 'in', archive_multiple_files: true },
        },
      }),
    );
    const links = await outbox(['run', job, '--json'], env);
    expect(links.code).toBe(0);
    const linkUrl = (
      JSON.parse(links.stdout) as { tasks: { result?: { files: { url: string }[] } }[] }
    ).tasks
      .flatMap((t) => t.result?.files ?? [])
      .find((f) => f.url)?.url as string;
    const linkToken = new URL(linkUrl).pathname.split('/')[3] as string;
    expect(linkToken.length).toBeGreaterThan(20);

    const entries = await logJson();
    expect(entries).toHaveLength(5);
    const s3Entries = entries.filter((e) => e.operation === 'export/s3');
    const aBytes = await fs.readFile(a);
    expect(s3Entries.find((e) => e.filename === 'report, final.pdf')).toMatchObject({
      destination: 'export/s3',
      source_path: a,
      size: 100_000,
      checksum: `md5:${md5(aBytes)}`,
      location: `${RGW.endpoint}/${bucket}/in/report%2C%20final.pdf`,
      verified_by: 'md5',
      task: 'export',
    });
    expect(entries.find((e) => e.operation === 'export/sftp')).toMatchObject({
      destination: profile,
      source_path: c,
      filename: 'c.txt',
      size: 3,
      verified_by: 'size',
    });
    const linkEntries = entries.filter((e) => e.operation === 'export/url');
    expect(linkEntries.map((e) => e.filename).sort()).toEqual(['b.txt', 'c.txt']);
    expect(linkEntries[0]?.location).toMatch(/^link:/);

    // What the log says is where the server's own client finds it.
    const head = await aws(
      's3api',
      'head-object',
      '--bucket',
      bucket,
      '--key',
      'in/report, final.pdf',
    );
    expect(JSON.parse(head.stdout)).toMatchObject({
      ETag: `"${md5(aBytes)}"`,
      ContentLength: 100_000,
    });

    // No secret in any file of the database (WAL and all).
    const logDir = join(env.OUTBOX_HOME as string, 'delivery-log');
    const files = await fs.readdir(logDir);
    expect(files).toContain('deliveries.sqlite');
    for (const name of files) {
      const bytes = await fs.readFile(join(logDir, name));
      for (const secret of [RGW.secretAccessKey, SFTP.password, linkToken]) {
        expect(bytes.includes(Buffer.from(secret)), `${secret} in ${name}`).toBe(false);
      }
    }
  });

  it('filters by destination, name and dates; prints CSV; refuses bad dates', async () => {
    expect((await logJson('--destination', profile)).map((e) => e.filename)).toEqual(['c.txt']);
    expect((await logJson('--name', 'FINAL')).map((e) => e.filename)).toEqual([
      'report, final.pdf',
    ]);
    const tomorrow = new Date(Date.now() + 86400_000).toISOString().slice(0, 10);
    expect(await logJson('--since', tomorrow)).toEqual([]);
    expect(await logJson('--until', '2000-01-01')).toEqual([]);

    const csv = await succeeds(['log', '--csv', '--destination', 'export/s3']);
    const rows = csv.split('\r\n');
    expect(rows[0]).toBe(
      'delivered_at,filename,size,destination,operation,location,verified_by,checksum,source_path,job_id,task,id',
    );
    expect(rows).toHaveLength(4); // header, two files, the empty string after the last CRLF
    expect(csv).toContain(',"report, final.pdf",100000,export/s3,export/s3,');

    const text = await succeeds(['log']);
    expect(text.trim().split('\n')).toHaveLength(5);

    const bad = await outbox(['log', '--since', '2024-02-30'], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^outbox log: --since "2024-02-30": give a date as YYYY-MM-DD/);
    const both = await outbox(['log', '--csv', '--json'], env);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/choose one of --csv and --json/);
    const reversed = await outbox(['log', '--since', '2024-02-02', '--until', '2024-02-01'], env);
    expect(reversed.code).toBe(2);
    expect(reversed.stderr).toMatch(/--since must be earlier than --until/);
  });
});

describe('a killed writer', () => {
  it('leaves a log that opens, with every acknowledged entry', async () => {
    const home = join(dir, 'crash-home');
    const done: number[] = [];
    for (let round = 0; round < 3; round++) {
      const child = spawn(
        process.execPath,
        [
          '--import',
          'tsx',
          join(repoRoot, 'test/support/delivery-log-writer.ts'),
          home,
          `round-${round}`,
        ],
        { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const exited = new Promise((resolve) => child.on('exit', resolve));
      let roundAcked = 0;
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (d: Buffer) => {
          for (const match of d.toString().matchAll(/acked (\d+)/g)) roundAcked = Number(match[1]);
          // Killed in the middle of writing: thousands of entries a second.
          if (roundAcked >= 20_000) {
            child.kill('SIGKILL');
            resolve();
          }
        });
        child.on('exit', () => reject(new Error(`writer exited by itself: ${stderr}`)));
      }).catch((error: unknown) => {
        if (roundAcked < 20_000) throw error;
      });
      await exited;

      const db = new DatabaseSync(join(home, 'delivery-log', 'deliveries.sqlite'));
      try {
        expect(db.prepare('PRAGMA integrity_check').get()).toEqual({ integrity_check: 'ok' });
        db.exec("INSERT INTO delivery_names (delivery_names) VALUES ('integrity-check')");
        // Every entry this round's writer acknowledged is there, once (and earlier rounds' too).
        for (const [r, count] of [...done, roundAcked].entries()) {
          const row = db
            .prepare(
              'SELECT count(*) AS n, count(DISTINCT size) AS sizes, max(size) AS top FROM deliveries WHERE job_id = ? AND size < ?',
            )
            .get(`round-${r}`, count);
          expect(row).toEqual({ n: count, sizes: count, top: count - 1 });
        }
      } finally {
        db.close();
      }
      done.push(roundAcked);
    }
    expect(done).toHaveLength(3);
  });
});

describe('a reader that stops reading', () => {
  it('ends `outbox log` quietly, with the status SIGPIPE gives a shell', async () => {
    const home = join(dir, 'pipe-home');
    await run(
      process.execPath,
      [
        '--import',
        'tsx',
        join(repoRoot, 'test/support/seed-delivery-log.ts'),
        home,
        '20000',
        'export/s3',
        new Date().toISOString(),
      ],
      { cwd: repoRoot },
    );
    for (const args of [['log', '--json'], ['log']]) {
      // `outbox log | head -c 100`: the reader takes one chunk and closes the pipe
      const child = spawnOutbox(args, { OUTBOX_HOME: home });
      let stderr = '';
      child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
      child.stdin?.end();
      const first = await new Promise<string>((resolve) =>
        child.stdout?.once('data', (d: Buffer) => resolve(d.toString())),
      );
      child.stdout?.destroy();
      const code = await new Promise((resolve) => child.on('close', resolve));
      expect(first.length).toBeGreaterThan(0);
      expect({ args, code, stderr }).toEqual({ args, code: 141, stderr: '' });
    }
  });
});
