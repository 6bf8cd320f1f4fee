import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, outbox } from '../support/cli';
import { makeFile, sha256File, tempDir } from '../support/engine';
import { freePort } from '../support/net';
import { SFTP, assertServerUp, sftpPasswordTask } from '../support/servers';
import { fetchedSha256 } from '../support/sftp-cli';

/** `outbox settings bwlimit` and `--bwlimit`, run as users run them (the built CLI). */

const MiB = 1024 * 1024;
const root = `outbox-bwlimit-cli-${randomBytes(4).toString('hex')}`;
let dir: string;
let env: Record<string, string>;

beforeAll(async () => {
  assertBuilt();
  await assertServerUp('sftp');
  dir = await tempDir('outbox-bwlimit-cli-');
  env = { OUTBOX_HOME: join(dir, 'home'), OUTBOX_PORT: String(await freePort()) };
  await fs.writeFile(
    join(dir, 'sftp.json'),
    JSON.stringify({ ...sftpPasswordTask, path: `${root}/` }),
  );
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
  await fs.rm(join(SFTP.home, root), { recursive: true, force: true });
});

describe('outbox settings bwlimit', () => {
  it('saves a global limit and a timetable for a destination, shown by outbox settings', async () => {
    expect((await outbox(['settings', 'bwlimit', '10M'], env)).code).toBe(0);
    const set = await outbox(
      ['settings', 'bwlimit', '08:00,1M 19:00,off', '--profile', 'backups'],
      env,
    );
    expect(set.code, set.stderr).toBe(0);
    expect(set.stdout).toMatch(/^Bandwidth limit of backups set to 08:00,1M 19:00,off/m);
    expect(set.stdout).toMatch(/^Bandwidth limit: 10M \(10\.5 MB\/s now\)$/m);
    expect(set.stdout).toMatch(/^ {2}to backups: 08:00,1M 19:00,off \((1\.05 MB\/s|off) now\)$/m);
    const shown = await outbox(['settings', '--json'], env);
    const json = JSON.parse(shown.stdout);
    expect(json.bandwidth_limit).toEqual({
      global: '10M',
      profiles: { backups: '08:00,1M 19:00,off' },
    });
    expect(json.bandwidth_now.global).toBe(10 * MiB);
    expect([0, MiB]).toContain(json.bandwidth_now.profiles.backups);
    const stored = JSON.parse(await fs.readFile(join(env.OUTBOX_HOME!, 'settings.json'), 'utf8'));
    expect(stored.bandwidth_limit.global).toBe('10M');

    expect((await outbox(['settings', 'bwlimit', 'off'], env)).code).toBe(0);
    expect((await outbox(['settings', 'bwlimit', 'off', '--profile', 'backups'], env)).code).toBe(
      0,
    );
    const off = await outbox(['settings'], env);
    expect(off.stdout).toMatch(/^Bandwidth limit: off$/m);
    expect(JSON.parse((await outbox(['settings', '--json'], env)).stdout).bandwidth_limit).toEqual(
      {},
    );
  });

  it('refuses a limit that does not parse, naming the field and why, and saves nothing', async () => {
    const bad = await outbox(['settings', 'bwlimit', '08:00,1M 25:00,off'], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(
      /bandwidth_limit\.global: "25:00,off": 25:00 is not a time of day\. Usage: outbox settings bwlimit RATE\|TIMETABLE\|off/,
    );
    const missing = await outbox(['settings', 'bwlimit'], env);
    expect(missing.code).toBe(2);
    expect(JSON.parse((await outbox(['settings', '--json'], env)).stdout).bandwidth_limit).toEqual(
      {},
    );
  });
});

describe('a destination and its limit', () => {
  it('a renamed profile keeps its limit; a deleted one takes it along', async () => {
    const name = `limited-${randomBytes(3).toString('hex')}`;
    const add = await outbox(['profile', 'add', name, '--task', join(dir, 'sftp.json')], env);
    expect(add.code, add.stderr).toBe(0);
    expect((await outbox(['settings', 'bwlimit', '1M', '--profile', name], env)).code).toBe(0);
    const renamed = `${name}-2`;
    expect((await outbox(['profile', 'rename', name, renamed], env)).code).toBe(0);
    const limits = async () =>
      JSON.parse((await outbox(['settings', '--json'], env)).stdout).bandwidth_limit;
    expect(await limits()).toEqual({ profiles: { [renamed]: '1M' } });
    expect((await outbox(['profile', 'rm', renamed], env)).code).toBe(0);
    expect(await limits()).toEqual({});
  });
});

describe('outbox export --bwlimit', () => {
  it('refuses a wrong --bwlimit before a byte moves', async () => {
    const path = await makeFile(dir, 'never.bin', 1000);
    const result = await outbox(
      ['export', '--task', join(dir, 'sftp.json'), '--bwlimit', '10Q', path],
      env,
    );
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--bwlimit: "10Q" is not a rate/);
    await expect(fs.stat(join(SFTP.home, root, 'never.bin'))).rejects.toThrow();
  });

  it('sends under the limit given and the files arrive verified', async () => {
    const path = await makeFile(dir, 'limited.bin', 2 * MiB + 3);
    const result = await outbox(
      ['export', '--task', join(dir, 'sftp.json'), '--bwlimit', '4M', '--json', path],
      env,
    );
    expect(result.code, result.stderr).toBe(0);
    const [task] = JSON.parse(result.stdout).tasks.filter(
      (t: { operation: string }) => t.operation === 'export/sftp',
    );
    expect(task.status).toBe('finished');
    expect(task.result.files[0]).toMatchObject({ verified: true });
    expect(await fetchedSha256(`${root}/limited.bin`)).toBe(await sha256File(path));
  });
});
