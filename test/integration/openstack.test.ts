import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../main/core/engine/engine';
import {
  exportFiles,
  exportTaskOf,
  makeFile,
  openTestEngine,
  sha256File,
  tempDir,
} from '../support/engine';
import { KEYSTONE, assertServerUp } from '../support/servers';
import { swiftCli as swiftCliOf, type SwiftCli } from '../support/swift-cli';

/**
 * export/openstack against real Swift + Keystone v3 (Debian packages, started
 * by scripts/test-env). Objects are read back with Debian's `swift` client,
 * an implementation independent of the exporter, and compared by sha256.
 */

const keystone = KEYSTONE;
const MiB = 1024 * 1024;
const container = `outbox-os-${randomBytes(4).toString('hex')}`;

let swiftCli: SwiftCli['swift'];

async function listing(name: string, prefix = ''): Promise<string[]> {
  const { stdout } = await swiftCli('list', name, ...(prefix ? ['--prefix', prefix] : []));
  return stdout.split('\n').filter(Boolean);
}

/** Downloads an object with the swift CLI and returns its sha256. */
async function downloadedSha256(object: string): Promise<string> {
  const out = join(await tempDir('outbox-swift-get-'), 'object');
  await swiftCli('download', container, object, '--output', out);
  return sha256File(out);
}

const baseTask = {
  operation: 'export/openstack',
  auth_url: keystone.authUrl,
  region: keystone.region,
  container,
  username: keystone.username,
  password: keystone.password,
};

describe('export/openstack (Swift + Keystone v3)', () => {
  let engine: Engine;
  let close: () => Promise<void>;
  let dir: string;

  beforeAll(async () => {
    await assertServerUp('swift');
    ({ engine, close } = await openTestEngine());
    dir = await tempDir();
    const cli = await swiftCliOf();
    swiftCli = cli.swift;
    expect(cli.storageUrl).toMatch(/^http:\/\/127\.0\.0\.1:8080\/v1\/AUTH_/);
    await swiftCli('post', container);
  });

  afterAll(async () => {
    await close?.();
    await swiftCli('delete', container).catch(() => undefined);
    await swiftCli('delete', `${container}_segments`).catch(() => undefined);
  });

  it('uploads one file under `file`, with its content type and a verified MD5', async () => {
    const path = await makeFile(dir, 'report.pdf', 300_000);
    const record = await exportFiles(engine, { ...baseTask, file: 'reports/2024/report.pdf' }, [
      path,
    ]);
    const task = exportTaskOf(record);
    expect(task.status, task.message).toBe('finished');
    const [file] = task.result?.files ?? [];
    expect(file).toMatchObject({
      filename: 'report.pdf',
      size: 300_000,
      container,
      file: 'reports/2024/report.pdf',
      verified: true,
      checksum: { algorithm: 'md5' },
    });
    expect(await downloadedSha256('reports/2024/report.pdf')).toBe(await sha256File(path));
    const { stdout } = await swiftCli('stat', container, 'reports/2024/report.pdf');
    expect(stdout).toMatch(/Content Type: application\/pdf/);
    expect(stdout).toContain(String((file?.checksum as { value: string }).value));
  });

  it('uploads several files with file_prefix, keeping their names (sub-folders too)', async () => {
    const sub = await tempDir();
    const paths = [
      await makeFile(sub, 'drop/a.txt', 'alpha\n'),
      await makeFile(sub, 'drop/nested/b.bin', 70_000),
      await makeFile(sub, 'drop/c d é.json', '{"x":1}'),
    ];
    const record = await exportFiles(engine, { ...baseTask, file_prefix: 'batch/' }, [
      join(sub, 'drop'),
    ]);
    const task = exportTaskOf(record);
    expect(task.status, task.message).toBe('finished');
    expect(task.result?.files.map((f) => f.file).sort()).toEqual([
      'batch/drop/a.txt',
      'batch/drop/c d é.json',
      'batch/drop/nested/b.bin',
    ]);
    expect(await downloadedSha256('batch/drop/a.txt')).toBe(await sha256File(paths[0]!));
    expect(await downloadedSha256('batch/drop/nested/b.bin')).toBe(await sha256File(paths[1]!));
    expect(await downloadedSha256('batch/drop/c d é.json')).toBe(await sha256File(paths[2]!));
  });

  it('numbers several files with a %d placeholder in `file`', async () => {
    const paths = [await makeFile(dir, 'one.bin', 1000), await makeFile(dir, 'two.bin', 2000)];
    const record = await exportFiles(
      engine,
      { ...baseTask, file: 'numbered/part-%02d.bin' },
      paths,
    );
    const task = exportTaskOf(record);
    expect(task.status, task.message).toBe('finished');
    expect(await listing(container, 'numbered/')).toEqual([
      'numbered/part-01.bin',
      'numbered/part-02.bin',
    ]);
    expect(await downloadedSha256('numbered/part-02.bin')).toBe(await sha256File(paths[1]!));
  });

  it('sends a file above segment_size as a Static Large Object of parallel segments', async () => {
    const path = await makeFile(dir, 'large.bin', 5 * MiB + 12345);
    const task = {
      ...baseTask,
      file: 'large/large.bin',
      segment_size: MiB,
      concurrency: 3,
    };
    const first = exportTaskOf(await exportFiles(engine, task, [path]));
    expect(first.status, first.message).toBe('finished');
    expect(first.result?.files[0]).toMatchObject({
      segments: 6,
      verified: true,
      checksum: { algorithm: 'md5-multipart' },
    });
    expect(await downloadedSha256('large/large.bin')).toBe(await sha256File(path));
    const { stdout } = await swiftCli('stat', container, 'large/large.bin');
    expect(stdout).toMatch(
      /Manifest: .*_segments|Static Large Object|X-Static-Large-Object: True/i,
    );
    expect(await listing(`${container}_segments`, 'large/large.bin/slo/')).toHaveLength(6);

    // Replacing it deletes the old object's segments: no orphans.
    const again = exportTaskOf(await exportFiles(engine, task, [path]));
    expect(again.status, again.message).toBe('finished');
    expect(await listing(`${container}_segments`, 'large/large.bin/slo/')).toHaveLength(6);
    expect(await downloadedSha256('large/large.bin')).toBe(await sha256File(path));
  });

  it('deletes the uploaded segments when a large upload is cancelled', async () => {
    const path = await makeFile(dir, 'cancelled.bin', 96 * MiB);
    const job = await engine.submit({
      tasks: {
        'import-files': { operation: 'import/file', path: [path] },
        export: {
          ...baseTask,
          input: 'import-files',
          file: 'cancel/cancelled.bin',
          segment_size: MiB,
          concurrency: 2,
        },
      },
    });
    // Cancel once a few segments are stored (1 MiB each, so 8 MiB sent means several).
    await new Promise<void>((resolve) => {
      const off = engine.on('progress', (p) => {
        if (p.job_id === job.id && p.bytes >= 8 * MiB) {
          off();
          resolve();
        }
      });
    });
    engine.cancel(job.id);
    const task = exportTaskOf(await engine.wait(job.id));
    expect(task.status).toBe('error');
    expect(task.code).toBe('CANCELLED');
    expect(await listing(`${container}_segments`, 'cancel/')).toEqual([]);
    expect(await listing(container, 'cancel/')).toEqual([]);
  });

  it('refuses a wrong password with AUTH_FAILED', async () => {
    const path = await makeFile(dir, 'x.txt', 'x');
    const task = exportTaskOf(
      await exportFiles(engine, { ...baseTask, password: 'not-the-password' }, [path]),
    );
    expect(task.status).toBe('error');
    expect(task.code).toBe('AUTH_FAILED');
    expect(task.message).toMatch(/password was rejected/);
    expect(task.message).not.toContain('not-the-password');
  });

  it('names the available regions when the region is unknown', async () => {
    const path = await makeFile(dir, 'x.txt', 'x');
    const task = exportTaskOf(
      await exportFiles(engine, { ...baseTask, region: 'Atlantis' }, [path]),
    );
    expect(task.status).toBe('error');
    expect(task.message).toMatch(/"Atlantis".*regions available: RegionOne/);
  });

  it('says which container is missing', async () => {
    const path = await makeFile(dir, 'x.txt', 'x');
    const missing = `${container}-missing`;
    const task = exportTaskOf(
      await exportFiles(engine, { ...baseTask, container: missing }, [path]),
    );
    expect(task.status).toBe('error');
    expect(task.code).toBe('NOT_FOUND');
    expect(task.message).toContain(`container "${missing}" does not exist`);
  });

  it('scopes to a project given by name and domain', async () => {
    const path = await makeFile(dir, 'scoped.txt', 'scoped\n');
    const task = exportTaskOf(
      await exportFiles(
        engine,
        {
          ...baseTask,
          project_name: 'test',
          project_domain_name: 'Default',
          user_domain_name: 'Default',
        },
        [path],
      ),
    );
    expect(task.status, task.message).toBe('finished');
    expect(await downloadedSha256('scoped.txt')).toBe(await sha256File(path));
  });

  it('probe checks write access and leaves nothing behind', async () => {
    const before = await listing(container);
    const result = await engine.probe({ ...baseTask, input: 'probe' });
    expect(result.ok).toBe(true);
    expect(result.message).toContain(container);
    expect(await listing(container)).toEqual(before);
  });
});
