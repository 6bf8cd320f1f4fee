import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeFile, sha256File, tempDir } from '../support/engine';
import { assertBuilt, outbox, spawnOutbox, until } from '../support/cli';
import { freePort, run } from '../support/net';
import { SFTP, assertServerUp, sftpPasswordTask } from '../support/servers';
import { fetchedSha256 } from '../support/sftp-cli';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

let dir: string;
let env: Record<string, string>;
let port: number;

beforeAll(async () => {
  assertBuilt();
  dir = await tempDir('outbox-cli-');
  port = await freePort();
  env = { OUTBOX_HOME: join(dir, 'home'), OUTBOX_PORT: String(port) };
  await fs.writeFile(join(dir, 'url.json'), JSON.stringify({ operation: 'export/url' }));
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

describe('outbox', () => {
  it('has --help on every command', async () => {
    const top = await outbox(['--help'], env);
    expect(top.code).toBe(0);
    for (const command of ['run', 'export', 'serve', 'links', 'test', 'jobs', 'profile']) {
      expect(top.stdout).toContain(`outbox ${command}`);
      const help = await outbox([command, '--help'], env);
      expect(help.code, command).toBe(0);
      expect(help.stdout, command).toMatch(/^Usage: outbox /);
    }
  });

  it('says what is wrong in one line on stderr, with a non-zero exit', async () => {
    const unknown = await outbox(['frobnicate'], env);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr.trim().split('\n')).toHaveLength(1);
    expect(unknown.stderr).toMatch(/unknown command "frobnicate"/);

    await fs.writeFile(
      join(dir, 'bad.json'),
      JSON.stringify({ tasks: { a: { operation: 'export/s3', input: 'b' } } }),
    );
    const invalid = await outbox(['run', join(dir, 'bad.json')], env);
    expect(invalid.code).toBe(1);
    expect(invalid.stderr.trim().split('\n')).toHaveLength(1);
    expect(invalid.stderr).toMatch(/tasks\.a\.input: unknown task "b"/);
    expect(invalid.stderr).toMatch(/tasks\.a\.bucket: is required/);

    const missing = await outbox(
      ['export', '--task', join(dir, 'url.json'), join(dir, 'nope.pdf')],
      env,
    );
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/nope\.pdf does not exist/);

    const notJson = await outbox(['run', join(dir, 'url.json') + '.missing'], env);
    expect(notJson.code).toBe(2);
    expect(notJson.stderr).toMatch(/cannot read/);
  });

  it('runs a job and prints the CloudConvert-shaped --json result: ids, tag, results', async () => {
    const file = await makeFile(dir, 'report.pdf', 1000);
    await fs.writeFile(
      join(dir, 'job.json'),
      JSON.stringify({
        tag: 'monthly-report',
        tasks: {
          'import-it': { operation: 'import/file', path: file },
          'export-it': { operation: 'export/url', input: ['import-it'], inline: true },
        },
      }),
    );
    const result = await outbox(['run', join(dir, 'job.json'), '--json'], env);
    expect(result.code).toBe(0);
    const json = JSON.parse(result.stdout);
    expect(Object.keys(json)).toEqual(['id', 'tag', 'status', 'tasks']);
    expect(json.id).toMatch(UUID);
    expect(json.tag).toBe('monthly-report');
    expect(json.status).toBe('finished');
    expect(json.tasks).toEqual([
      {
        id: expect.stringMatching(UUID),
        name: 'import-it',
        operation: 'import/file',
        status: 'finished',
        result: { files: [{ filename: 'report.pdf', size: 1000 }] },
      },
      {
        id: expect.stringMatching(UUID),
        name: 'export-it',
        operation: 'export/url',
        status: 'finished',
        result: {
          files: [
            expect.objectContaining({
              filename: 'report.pdf',
              size: 1000,
              url: expect.stringMatching(`^http://127.0.0.1:${port}/d/`),
            }),
          ],
        },
      },
    ]);
    expect(json.tasks[0].id).not.toBe(json.tasks[1].id);
    expect(result.stderr).toMatch(/no Outbox server is running/);
    // The job as `outbox jobs` lists it: the same id and tag.
    const jobs = JSON.parse((await outbox(['jobs', '--json'], env)).stdout) as {
      id: string;
      tag?: string;
    }[];
    expect(jobs.find((job) => job.id === json.id)?.tag).toBe('monthly-report');
  });

  it('export loads no link server, folder watcher or other command: each command is loaded when it runs', async () => {
    const file = await makeFile(dir, 'modules.bin', 100);
    const report = join(dir, 'modules.json');
    // Preloaded into the CLI: at exit, the main thread's built-in modules and node_modules packages.
    const preload = join(dir, 'report-modules.cjs');
    await fs.writeFile(
      preload,
      `if (require('node:worker_threads').isMainThread) process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(report)}, JSON.stringify({
        builtins: process.moduleLoadList.filter((m) => m.startsWith('NativeModule ')).map((m) => m.slice(13)),
        files: Object.keys(require.cache),
      })));`,
    );
    const result = await outbox(['export', '--task', join(dir, 'url.json'), file, '--json'], {
      ...env,
      NODE_OPTIONS: `--require ${preload}`,
    });
    expect(result.code).toBe(0);
    const loaded = JSON.parse(await fs.readFile(report, 'utf8')) as {
      builtins: string[];
      files: string[];
    };
    expect(loaded.builtins).toContain('sqlite'); // the report works: the delivery log is written
    for (const unused of ['http', 'https', 'zlib']) expect(loaded.builtins).not.toContain(unused);
    const chunks = loaded.files.map((path) => path.split(/[\\/]/).pop());
    expect(chunks).toContainEqual(expect.stringMatching(/^export-command-/));
    for (const unused of [
      'outbox-server',
      'watch-command',
      'links-command',
      'settings-command',
      'profile-command',
    ])
      expect(chunks).not.toContainEqual(expect.stringMatching(new RegExp(`^${unused}-`)));
    expect(loaded.files.some((path) => path.includes('node_modules/chokidar'))).toBe(false);
  });

  it('--json prints a job that does not start as a JSON document on stdout too', async () => {
    await fs.writeFile(
      join(dir, 'invalid.json'),
      JSON.stringify({
        tasks: {
          // A task name with a dot: errors still name the right task.
          'my.files': { operation: 'import/file', path: 5 },
          upload: { operation: 'export/sftp', input: 'my.files', host: 'h', port: true },
        },
      }),
    );
    const result = await outbox(['run', join(dir, 'invalid.json'), '--json'], env);
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/^outbox run: Invalid data: /);
    const json = JSON.parse(result.stdout);
    expect(json).toMatchObject({ status: 'error', code: 'INVALID_DATA' });
    expect(json.errors).toEqual(
      expect.arrayContaining([
        {
          task: 'upload',
          field: 'port',
          code: 'INVALID_DATA',
          message: expect.stringMatching(/^must be a whole number/),
        },
        { task: 'upload', field: 'username', code: 'INVALID_DATA', message: 'is required' },
        { task: 'my.files', field: 'path', code: 'INVALID_DATA', message: expect.any(String) },
      ]),
    );

    await fs.writeFile(join(dir, 'no-tasks.json'), JSON.stringify({ jobs: {} }));
    const job = JSON.parse(
      (await outbox(['run', join(dir, 'no-tasks.json'), '--json'], env)).stdout,
    );
    expect(job.errors).toEqual([
      { task: null, field: 'tasks', code: 'INVALID_DATA', message: expect.any(String) },
    ]);
  });

  it('links made by another process work at once while `outbox serve` runs, and serve stops cleanly', async () => {
    const server = spawnOutbox(['serve'], env);
    let output = '';
    server.stdout?.on('data', (d: Buffer) => (output += d.toString()));
    try {
      await until(() => output.includes('Data directory:')); // its last line at start
      // the UI it prints the address of is there (the built renderer, beside the CLI's bundles)
      const uiUrl = /Open the Outbox UI[^\n]*\n\s*(\S+)/.exec(output)?.[1];
      expect(uiUrl?.startsWith(`http://127.0.0.1:${port}/`), uiUrl).toBe(true);
      const signIn = await fetch(uiUrl!, { redirect: 'manual' }); // the key becomes a cookie
      const cookie = (signIn.headers.get('set-cookie') ?? '').split(';')[0]!;
      const ui = await fetch(`http://127.0.0.1:${port}/`, { headers: { Cookie: cookie } });
      expect(ui.status).toBe(200);
      expect(await ui.text()).toContain('<div id="root">');
      const file = await makeFile(dir, 'shared file.bin', 2_000_000);
      const exported = await outbox(
        ['export', '--task', join(dir, 'url.json'), file, '--json'],
        env,
      );
      expect(exported.code).toBe(0);
      expect(exported.stderr).toBe('');
      const url = JSON.parse(exported.stdout).tasks[1].result.files[0].url as string;
      const out = join(dir, 'downloaded.bin');
      await run('curl', ['-fsS', '-o', out, url]);
      expect(await sha256File(out)).toBe(await sha256File(file));

      const human = await outbox(['links'], env);
      expect(human.stdout).toContain('shared file.bin');
      const listed = JSON.parse((await outbox(['links', '--json'], env)).stdout) as {
        id: string;
        url: string;
        downloads: number;
        token?: string;
      }[];
      const link = listed.find((l) => l.url === url);
      expect(link).toMatchObject({ downloads: 1 });
      expect(link?.token).toBeUndefined();

      const revoked = await outbox(['links', 'revoke', link!.id], env);
      expect(revoked.code).toBe(0);
      const gone = await run('curl', ['-sS', '-o', '/dev/null', '-w', '%{http_code}', url]);
      expect(gone.stdout).toBe('410');
      expect((await outbox(['links', 'revoke', 'nope'], env)).code).toBe(1);
    } finally {
      const exited = new Promise<number | null>((resolve) => server.on('exit', resolve));
      server.kill('SIGTERM');
      expect(await exited).toBe(0);
    }
    await expect(fs.stat(join(env.OUTBOX_HOME!, 'server.json'))).rejects.toThrow();
  });

  it('exits non-zero when a task fails', async () => {
    const file = await makeFile(dir, 'fails.txt', 'x');
    await fs.writeFile(
      join(dir, 'put.json'),
      JSON.stringify({ operation: 'export/upload', url: 'http://127.0.0.1:1/nothing-listens' }),
    );
    const result = await outbox(['export', '--task', join(dir, 'put.json'), file, '--json'], env);
    expect(result.code).toBe(1);
    const json = JSON.parse(result.stdout);
    expect(json.status).toBe('error');
    expect(json.tasks[1]).toMatchObject({
      status: 'error',
      code: 'UNREACHABLE',
      message: expect.stringMatching(/connection refused/),
    });
    // Where the PUT went (scheme, host, port and path): no longer hidden as "[secret]".
    expect(json.tasks[1].message).toContain('PUT http://127.0.0.1:1/nothing-listens');
    expect(json.tasks[1].message).not.toContain('[secret]');
  });

  it('exports to several destinations in one job: one failing does not stop the others', async () => {
    await assertServerUp('sftp');
    const folder = `cli-multi-${process.pid}`;
    const file = await makeFile(dir, 'several.bin', 200_000);
    await fs.writeFile(
      join(dir, 'sftp.json'),
      JSON.stringify({ ...sftpPasswordTask, path: `${folder}/` }),
    );
    await fs.writeFile(
      join(dir, 'refused.json'),
      JSON.stringify({ operation: 'export/upload', url: 'http://127.0.0.1:1/nothing-listens' }),
    );
    try {
      const tasks = ['url.json', 'sftp.json', 'refused.json'].flatMap((t) => [
        '--task',
        join(dir, t),
      ]);
      const result = await outbox(['export', ...tasks, file, '--json'], env);
      expect(result.code).toBe(1);
      const json = JSON.parse(result.stdout);
      expect(json.status).toBe('error');
      expect(json.tasks.map((t: { name: string; status: string }) => [t.name, t.status])).toEqual([
        ['import-files', 'finished'],
        ['export-1', 'finished'],
        ['export-2', 'finished'],
        ['export-3', 'error'],
      ]);
      expect(json.tasks[2].result.files[0]).toMatchObject({
        filename: 'several.bin',
        verified: true,
      });
      expect(await fetchedSha256(`${folder}/several.bin`)).toBe(await sha256File(file));
    } finally {
      await fs.rm(join(SFTP.home, folder), { recursive: true, force: true });
    }

    const mixed = await outbox(
      ['export', '--task', join(dir, 'url.json'), '--profile', 'a', '--profile', 'b', file],
      env,
    );
    expect(mixed.code).toBe(2);
    expect(mixed.stderr).toMatch(
      /--task adds its parameters to --profile only for one destination/,
    );
  });
});
