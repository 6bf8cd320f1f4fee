import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeliveryEntry } from '../../main/core/delivery-log/delivery-entry';
import type { WatchView } from '../../main/core/watch/watch-service';
import { assertBuilt, outbox, spawnOutbox, until } from '../support/cli';
import { makeFile, sha256, sha256File, tempDir } from '../support/engine';
import { run } from '../support/net';
import { awsEnv, RGW, s3TaskOf } from '../support/servers';

/**
 * Watch folders end to end, through the CLI as users run it: `outbox watch
 * add/list/rm` and the watches running in `outbox watch run` (killed with
 * SIGKILL and started again), delivering to Ceph RGW (the fastest real
 * server here); what arrived is read back with the AWS CLI.
 */

const suffix = randomBytes(4).toString('hex');
const bucket = `watch-${suffix}`;
let dir: string;
let env: Record<string, string>;
const runners = new Set<ChildProcess>();
const profiles: string[] = [];

const aws = (...args: string[]) =>
  run('/usr/bin/aws', ['--endpoint-url', RGW.endpoint, ...args], {
    env: awsEnv(RGW),
    maxBuffer: 64 * 1024 * 1024,
  });

beforeAll(async () => {
  assertBuilt();
  dir = await tempDir('outbox-watch-it-');
  env = { OUTBOX_HOME: join(dir, 'home') };
  await aws('s3', 'mb', `s3://${bucket}`);
});
afterAll(async () => {
  for (const child of runners) child.kill('SIGKILL');
  for (const name of profiles) await outbox(['profile', 'rm', name], env);
  await aws('s3', 'rb', `s3://${bucket}`, '--force').catch(() => {});
  await fs.rm(dir, { recursive: true, force: true });
});

/** Saves an S3 profile on the test bucket under `prefix`. */
async function addProfile(name: string, prefix: string, secret: string = RGW.secretAccessKey) {
  const task = join(dir, `${name}.json`);
  await fs.writeFile(
    task,
    JSON.stringify({ ...s3TaskOf(RGW), secret_access_key: secret, bucket, key_prefix: prefix }),
  );
  const added = await outbox(['profile', 'add', name, '--task', task], env);
  expect(added.stderr).toBe('');
  profiles.push(name);
}

async function addWatch(args: string[]): Promise<string> {
  const added = await outbox(['watch', 'add', ...args], env);
  expect(added.stderr).toBe('');
  expect(added.code).toBe(0);
  return /as (w[0-9a-f]+)/.exec(added.stdout)?.[1] as string;
}

async function watches(): Promise<WatchView[]> {
  const listed = await outbox(['watch', 'list', '--json'], env);
  expect(listed.code).toBe(0);
  return JSON.parse(listed.stdout) as WatchView[];
}

async function watchOf(id: string): Promise<WatchView> {
  return (await watches()).find((w) => w.id === id) as WatchView;
}

/** `outbox watch run`, once it says it runs. */
async function startRunner(): Promise<ChildProcess> {
  const child = spawnOutbox(['watch', 'run'], env);
  runners.add(child);
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => process.stderr.write(d));
  await until(() => out.includes('Running'), 30_000);
  return child;
}

async function kill9(child: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
  runners.delete(child);
}

async function stop(child: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
  runners.delete(child);
}

async function keys(prefix: string): Promise<string[]> {
  const listed = await aws(
    's3api',
    'list-objects-v2',
    '--bucket',
    bucket,
    '--prefix',
    prefix,
    '--output',
    'json',
  );
  const body = listed.stdout.trim() === '' ? {} : (JSON.parse(listed.stdout) as object);
  return ((body as { Contents?: { Key: string }[] }).Contents ?? []).map((o) => o.Key).sort();
}

async function deliveries(profile: string): Promise<DeliveryEntry[]> {
  const log = await outbox(['log', '--json', '--destination', profile], env);
  expect(log.code).toBe(0);
  return JSON.parse(log.stdout) as DeliveryEntry[];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('outbox watch add/list/rm', () => {
  it('checks everything before saving, naming the field', async () => {
    await addProfile(`wv-${suffix}`, 'checks/');
    const folder = join(dir, 'checks');
    await fs.mkdir(folder);
    const file = await makeFile(dir, 'not-a-folder.txt', 'x');
    const cases: [string[], RegExp][] = [
      [['nope', folder], /PROFILE: no profile named "nope"/],
      [[`wv-${suffix}`, join(dir, 'missing')], /DIR: .*missing does not exist/],
      [[`wv-${suffix}`, file], /DIR: .*not-a-folder.txt is not a folder/],
      [[`wv-${suffix}`, folder, '--after', 'archive'], /--after: "archive" is not one of/],
      [[`wv-${suffix}`, folder, '--include', 'a[b'], /--include\[0\]: "a\[b" has a \[ without \]/],
      [[`wv-${suffix}`, folder, '--exclude', '../x'], /--exclude\[0\]: .*no \.\./],
      [[`wv-${suffix}`, folder, '--settle', '0x5'], /--settle: "0x5" is not a number of seconds/],
      [[`wv-${suffix}`, folder, '--settle', '0'], /--settle: "0" is not a number of seconds/],
    ];
    for (const [args, message] of cases) {
      const result = await outbox(['watch', 'add', ...args], env);
      expect(result.code, args.join(' ')).toBe(1);
      expect(result.stderr).toMatch(message);
    }
    expect(await watches()).toEqual([]);

    const id = await addWatch([
      `wv-${suffix}`,
      folder,
      '--after',
      'move',
      '--include',
      '*.pdf',
      '--include',
      'scans/**',
      '--exclude',
      'tmp',
      '--settle',
      '2.5',
    ]);
    expect(await watches()).toEqual([
      expect.objectContaining({
        id,
        profile: `wv-${suffix}`,
        dir: await fs.realpath(folder),
        after: 'move',
        include: ['*.pdf', 'scans/**'],
        exclude: ['tmp'],
        settle_seconds: 2.5,
        state: 'not running',
        pending: 0,
      }),
    ]);
    const text = await outbox(['watch', 'list'], env);
    expect(text.stdout).toContain(
      `${id}  not running  ${await fs.realpath(folder)} → wv-${suffix}`,
    );
    const removed = await outbox(['watch', 'rm', id], env);
    expect(removed.stdout).toBe(`Removed watch ${id}.\n`);
    expect(await watches()).toEqual([]);
    const again = await outbox(['watch', 'rm', id], env);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/no watch w[0-9a-f]+ \(see "outbox watch list"\)/);
  });
});

describe('outbox watch run', () => {
  it('delivers a file written slowly over 20 s once, whole, then moves it to sent/', async () => {
    const profile = `ws-${suffix}`;
    await addProfile(profile, 'slow/');
    const folder = join(dir, 'slow');
    await fs.mkdir(folder);
    const id = await addWatch([profile, folder, '--after', 'move']);
    const runner = await startRunner();

    // 200 MB in 40 pieces of 5 MB, one every half second.
    const path = join(folder, 'render.bin');
    const handle = await fs.open(path, 'w');
    const piece = 5 * 1024 * 1024;
    for (let i = 0; i < 40; i++) {
      await handle.write(randomBytes(piece));
      await sleep(500);
    }
    await handle.close();
    const whole = await sha256File(path);

    await until(async () => (await watchOf(id)).last_delivery_at !== undefined, 120_000);
    await until(
      async () => (await fs.stat(join(folder, 'sent', 'render.bin')).catch(() => null)) !== null,
    );
    await expect(fs.stat(path)).rejects.toThrow(/ENOENT/);
    const logged = await deliveries(profile);
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({ filename: 'render.bin', size: 200 * 1024 * 1024 });
    const back = join(dir, 'render.back');
    await aws('s3', 'cp', `s3://${bucket}/slow/render.bin`, back);
    expect(await sha256File(back)).toBe(whole);
    expect(await sha256File(join(folder, 'sent', 'render.bin'))).toBe(whole);
    await fs.rm(back);
    expect(await watchOf(id)).toMatchObject({ state: 'watching', pending: 0 });
    await stop(runner);
    expect((await watchOf(id)).state).toBe('not running');
    await outbox(['watch', 'rm', id], env);
  }, 240_000);

  it('delivers 1,000 files written in bursts exactly once across two kill -9', async () => {
    const profile = `wk-${suffix}`;
    await addProfile(profile, 'burst/');
    const folder = join(dir, 'burst');
    await fs.mkdir(folder);
    const id = await addWatch([profile, folder, '--settle', '1']);
    const written = new Map<string, string>();
    const burst = async (n: number) => {
      await Promise.all(
        Array.from({ length: 100 }, async (_, i) => {
          const rel = `b${n}/f-${String(i).padStart(3, '0')}.bin`;
          const data = randomBytes(1024 + ((n * 100 + i) % 16) * 1024);
          await makeFile(folder, rel, '');
          await fs.writeFile(join(folder, rel), data);
          written.set(rel, sha256(data));
        }),
      );
    };

    let runner = await startRunner();
    for (let n = 0; n < 4; n++) {
      await burst(n);
      await sleep(700);
    }
    await kill9(runner);
    await burst(4);
    runner = await startRunner();
    for (let n = 5; n < 8; n++) {
      await burst(n);
      await sleep(700);
    }
    await kill9(runner);
    runner = await startRunner();
    for (let n = 8; n < 10; n++) await burst(n);

    await until(async () => (await keys('burst/')).length >= 1000, 240_000);
    await until(async () => (await watchOf(id)).pending === 0, 60_000);
    const stored = await keys('burst/');
    expect(stored).toEqual([...written.keys()].map((rel) => `burst/${rel}`).sort());

    const back = join(dir, 'burst-back');
    await aws('s3', 'cp', `s3://${bucket}/burst/`, back, '--recursive', '--only-show-errors');
    for (const [rel, hash] of written) expect(await sha256File(join(back, rel)), rel).toBe(hash);
    // Every file is in the delivery log; a file sent again after a kill overwrote the same key.
    const logged = new Set((await deliveries(profile)).map((e) => e.source_path));
    for (const rel of written.keys())
      expect(logged.has(join(await fs.realpath(folder), rel))).toBe(true);
    expect((await watchOf(id)).last_error).toBeUndefined();
    await stop(runner);
    await outbox(['watch', 'rm', id], env);
  }, 420_000);

  it('keeps files pending with backoff while the credentials are wrong, then delivers and deletes', async () => {
    const profile = `wc-${suffix}`;
    await addProfile(profile, 'creds/', 'wrong-secret-0000000000000000000000000000');
    const folder = join(dir, 'creds');
    await fs.mkdir(folder);
    const id = await addWatch([profile, folder, '--after', 'delete', '--settle', '1']);
    const runner = await startRunner();
    const path = await makeFile(folder, 'invoice.pdf', 'invoice 42');

    await until(async () => (await watchOf(id)).last_error !== undefined, 60_000);
    const failing = await watchOf(id);
    expect(failing).toMatchObject({ state: 'retrying', pending: 1 });
    expect(failing.last_error).toMatch(/credential|signature|access key|denied/i);
    expect(failing.retry_at).toBeDefined();
    expect(await fs.readFile(path, 'utf8')).toBe('invoice 42');
    expect(await keys('creds/')).toEqual([]);

    const fixed = await outbox(
      ['profile', 'edit', profile, '--set', `secret_access_key=${RGW.secretAccessKey}`],
      env,
    );
    expect(fixed.code).toBe(0);
    await until(async () => (await keys('creds/')).length === 1, 90_000);
    await until(async () => (await fs.stat(path).catch(() => null)) === null);
    await until(async () => (await watchOf(id)).pending === 0);
    const after = await watchOf(id);
    expect(after).toMatchObject({ state: 'watching', pending: 0 });
    expect(after.last_error).toBeUndefined();
    const got = await aws('s3', 'cp', `s3://${bucket}/creds/invoice.pdf`, '-');
    expect(got.stdout).toBe('invoice 42');
    await stop(runner);
    await outbox(['watch', 'rm', id], env);
  }, 180_000);

  it('takes files renamed in at once, sends a changed file again, not an untouched copy', async () => {
    const profile = `wn-${suffix}`;
    await addProfile(profile, 'versions/');
    const folder = join(dir, 'versions');
    await fs.mkdir(folder);
    const id = await addWatch([profile, folder, '--exclude', '*.part', '--settle', '30']);
    const runner = await startRunner();

    // Written elsewhere, renamed in: complete at once, no 30 s settle.
    const outside = await makeFile(dir, 'staging/scan.tif', 'scan v1');
    const old = new Date(Date.now() - 60_000);
    await fs.utimes(outside, old, old);
    await fs.rename(outside, join(folder, 'scan.tif'));
    await makeFile(folder, 'scan.tif.part', 'being written');
    await until(async () => (await deliveries(profile)).length === 1, 20_000);

    // Changed after delivery: delivered again (the same key now holds the new content).
    const v2 = await makeFile(dir, 'staging/scan.tif', 'scan v2');
    const older = new Date(Date.now() - 120_000);
    await fs.utimes(v2, older, older);
    await fs.rename(v2, join(folder, 'scan.tif'));
    await until(async () => (await deliveries(profile)).length === 2, 20_000);
    expect((await aws('s3', 'cp', `s3://${bucket}/versions/scan.tif`, '-')).stdout).toBe('scan v2');

    // The same content with another mtime is not sent again.
    const touched = new Date(Date.now() - 90_000);
    await fs.utimes(join(folder, 'scan.tif'), touched, touched);
    await sleep(3000);
    expect(await deliveries(profile)).toHaveLength(2);
    expect(await keys('versions/')).toEqual(['versions/scan.tif']);
    expect((await watchOf(id)).pending).toBe(0); // scan.tif.part is excluded
    await stop(runner);
    await outbox(['watch', 'rm', id], env);
  }, 120_000);
});
