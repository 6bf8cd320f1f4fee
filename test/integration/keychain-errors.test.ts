import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../support/engine';
import { secretsOnDisk } from '../support/secret-scan';

/**
 * When the keychain is locked, missing or refuses, Outbox says what to do and
 * never keeps the secret anywhere else. Each case runs the `outbox` CLI in a
 * child process with its own D-Bus session (or none), so it does not disturb
 * the keyring the other profile tests share.
 */

const run = promisify(execFile);
const REPO = join(__dirname, '..', '..');
const SECRET = `locked-secret-${randomBytes(6).toString('hex')}`;
const OUTBOX = `node --import tsx ${JSON.stringify(join(REPO, 'main', 'cli', 'outbox.ts'))}`;

type Step = { code: number; stdout: string; stderr: string };

/**
 * Runs `steps` (name → shell command) in a fresh D-Bus session: with an
 * unlocked gnome-keyring, or with none started. `lock` as a step locks the
 * login keyring at that point. Returns each step's exit code and output.
 */
async function inSession(
  keyring: 'gnome-keyring' | 'none',
  steps: [string, string][],
  env: NodeJS.ProcessEnv,
): Promise<Record<string, Step>> {
  const dir = await tempDir('outbox-keychain-session-');
  for (const sub of ['data', 'cache', 'run', 'out'])
    await fs.mkdir(join(dir, sub), { mode: 0o700 });
  const lines = [
    'set -u',
    keyring === 'gnome-keyring'
      ? [
          'echo -n test-pass | gnome-keyring-daemon --unlock --components=secrets >/dev/null',
          'for _ in $(seq 1 50); do',
          '  dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null | grep -q "boolean true" && break',
          '  sleep 0.1',
          'done',
        ].join('\n')
      : '',
    ...steps.map(([name, command]) =>
      command === 'lock'
        ? 'dbus-send --session --print-reply --dest=org.freedesktop.secrets /org/freedesktop/secrets org.freedesktop.Secret.Service.Lock array:objpath:/org/freedesktop/secrets/collection/login >/dev/null'
        : `(${command}) >"$OUT/${name}.out" 2>"$OUT/${name}.err" </dev/null; echo $? >"$OUT/${name}.rc"`,
    ),
  ];
  const childEnv: NodeJS.ProcessEnv = {
    ...process.env,
    ...env,
    OUT: join(dir, 'out'),
    XDG_DATA_HOME: join(dir, 'data'),
    XDG_CACHE_HOME: join(dir, 'cache'),
    XDG_RUNTIME_DIR: join(dir, 'run'),
  };
  delete childEnv.DBUS_SESSION_BUS_ADDRESS;
  delete childEnv._IN_KEYRING_SESSION;
  try {
    await run('dbus-run-session', ['--', 'bash', '-c', lines.join('\n')], {
      cwd: REPO,
      env: childEnv,
      timeout: 90_000,
    });
    return await collect(join(dir, 'out'), steps);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

async function collect(out: string, steps: [string, string][]): Promise<Record<string, Step>> {
  const result: Record<string, Step> = {};
  for (const [name, command] of steps) {
    if (command === 'lock') continue;
    const read = (ext: string) => fs.readFile(join(out, `${name}.${ext}`), 'utf8');
    result[name] = {
      code: Number((await read('rc')).trim()),
      stdout: await read('out'),
      stderr: await read('err'),
    };
  }
  return result;
}

async function expectNoSecretIn(dir: string): Promise<void> {
  expect((await secretsOnDisk(dir, [SECRET])).leaks).toEqual([]);
}

function expectOneLine(step: Step | undefined, message: RegExp): void {
  expect(step?.code).toBe(1);
  expect(step?.stderr.trim().split('\n')).toHaveLength(1);
  expect(step?.stderr).toMatch(message);
  expect(step?.stderr).not.toContain(SECRET);
}

describe('keychain locked, missing or refusing', () => {
  let home: string;
  let taskFile: string;
  let file: string;

  beforeAll(async () => {
    home = await tempDir('outbox-keychain-errors-');
    taskFile = join(home, '..', `outbox-keychain-task-${randomBytes(4).toString('hex')}.json`);
    await fs.writeFile(
      taskFile,
      JSON.stringify({
        operation: 'export/sftp',
        host: '127.0.0.1',
        port: 2222,
        username: 'outbox',
        password: SECRET,
      }),
    );
    file = join(home, '..', `outbox-keychain-file-${randomBytes(4).toString('hex')}.txt`);
    await fs.writeFile(file, 'hello');
  });

  afterAll(async () => {
    await fs.rm(home, { recursive: true, force: true });
    await fs.rm(taskFile, { force: true });
    await fs.rm(file, { force: true });
  });

  it('a locked keyring: clear errors, the profile and its secret stay as they were', async () => {
    const steps = await inSession(
      'gnome-keyring',
      [
        ['add-unlocked', `${OUTBOX} profile add before --task ${taskFile}`],
        ['lock', 'lock'],
        ['add-locked', `${OUTBOX} profile add after --task ${taskFile}`],
        ['list', `${OUTBOX} profile list`],
        ['show', `${OUTBOX} profile show before`],
        ['export', `${OUTBOX} export --profile before ${file}`],
        ['include', `${OUTBOX} profile export before --include-secrets`],
        ['rm', `${OUTBOX} profile rm before`],
        ['list-after', `${OUTBOX} profile list`],
      ],
      { OUTBOX_HOME: home },
    );
    expect(steps['add-unlocked']?.code).toBe(0);
    expectOneLine(steps['add-locked'], /keyring is locked: unlock your login keyring/);
    // Plain parameters need no keychain.
    expect(steps.list?.code).toBe(0);
    expect(steps.list?.stdout.trim().split('\n')).toEqual([
      'before  export/sftp  outbox@127.0.0.1:2222',
    ]);
    expect(steps.show?.stdout).toMatch(/password: \(secret, set\)/);
    expectOneLine(
      steps.export,
      /tasks\.export\.profile: Outbox could not (use|read a secret from) the keychain: the keyring is locked/,
    );
    expectOneLine(steps.include, /keyring is locked/);
    // A locked Secret Service answers "nothing to delete": rm must not believe it.
    expectOneLine(steps.rm, /keyring is locked/);
    expect(steps['list-after']?.stdout).toMatch(/^before /);
    await expectNoSecretIn(home);
  });

  it('no D-Bus session: a clear error, and nothing written in plain text', async () => {
    const env = {
      ...process.env,
      OUTBOX_HOME: home,
      DBUS_SESSION_BUS_ADDRESS: `unix:path=${join(home, 'no-such-bus')}`,
    };
    const add = await run(
      process.execPath,
      [
        '--import',
        'tsx',
        join(REPO, 'main', 'cli', 'outbox.ts'),
        'profile',
        'add',
        'nobus',
        '--task',
        taskFile,
      ],
      { cwd: REPO, env },
    ).then(
      () => undefined,
      (error: { code: number; stdout: string; stderr: string }) => error,
    );
    expectOneLine(add, /no D-Bus session, so no Secret Service/);
    const list = await run(
      process.execPath,
      ['--import', 'tsx', join(REPO, 'main', 'cli', 'outbox.ts'), 'profile', 'list'],
      { cwd: REPO, env },
    );
    expect(list.stdout).not.toMatch(/nobus/);
    await expectNoSecretIn(home);
  });

  it('no D-Bus session: a profile without secrets is removed all the same; one with secrets says how to get a keychain', async () => {
    const noBus = {
      ...process.env,
      OUTBOX_HOME: home,
      DBUS_SESSION_BUS_ADDRESS: `unix:path=${join(home, 'no-such-bus')}`,
    };
    const cli = (args: string[], env: NodeJS.ProcessEnv) =>
      run(process.execPath, ['--import', 'tsx', join(REPO, 'main', 'cli', 'outbox.ts'), ...args], {
        cwd: REPO,
        env,
      }).then(
        ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
        (error: Step) => error,
      );
    const urlTask = join(home, '..', `outbox-keychain-url-${randomBytes(4).toString('hex')}.json`);
    await fs.writeFile(urlTask, JSON.stringify({ operation: 'export/url' }));
    try {
      expect((await cli(['profile', 'add', 'links', '--task', urlTask], noBus)).code).toBe(0);
      const removed = await cli(['profile', 'rm', 'links'], noBus);
      expect(removed.stderr).toBe('');
      expect(removed).toMatchObject({ code: 0, stdout: 'Deleted profile "links".\n' });

      // Saved while the keychain works (this test's keyring session), removed without one.
      const withKeychain = { ...process.env, OUTBOX_HOME: home };
      expect((await cli(['profile', 'add', 'secret', '--task', taskFile], withKeychain)).code).toBe(
        0,
      );
      expectOneLine(
        await cli(['profile', 'rm', 'secret'], noBus),
        /no D-Bus session, so no Secret Service: run Outbox in your desktop session \(or start one with dbus-run-session and gnome-keyring-daemon\)/,
      );
      expect((await cli(['profile', 'rm', 'secret'], withKeychain)).code).toBe(0);
    } finally {
      await fs.rm(urlTask, { force: true });
    }
  });

  it('a D-Bus session without a usable keyring: a clear error', async () => {
    const steps = await inSession(
      'none',
      [['add', `${OUTBOX} profile add nokeyring --task ${taskFile}`]],
      { OUTBOX_HOME: home },
    );
    // D-Bus may start gnome-keyring on demand (then it has no default keyring) or find none at all.
    expectOneLine(
      steps.add,
      /Outbox could not save a secret in the keychain: (the Secret Service has no default keyring|no Secret Service is running)/,
    );
    await expectNoSecretIn(home);
  });
});
