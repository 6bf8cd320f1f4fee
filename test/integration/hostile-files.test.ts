import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../main/core/engine/engine';
import { ValidationError } from '../../main/core/errors';
import type { ResultFile, TaskRecord } from '../../main/core/transfer/records';
import { startServer, type RunningServer } from '../../main/core/server/outbox-server';
import { assertBuilt, outboxBin } from '../support/cli';
import { exportFiles, exportTaskOf, makeFile, openTestEngine, tempDir } from '../support/engine';
import { startFaultProxy } from '../support/fault-proxy';
import { freePort, run } from '../support/net';
import { RGW, assertServerUp, s3TaskOf } from '../support/servers';

/**
 * Hostile local files through the whole engine: export/url (links served by
 * the real link server, fetched with curl) and export/s3 on Ceph RGW (read
 * back with the SDK). Every case either exports the exact bytes under the
 * exact name, or fails the task with a clear code and message.
 */

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const bucket = `outbox-hostile-${randomBytes(4).toString('hex')}`;
const s3 = new S3Client({
  region: RGW.region,
  endpoint: RGW.endpoint,
  forcePathStyle: true,
  credentials: { accessKeyId: RGW.accessKeyId, secretAccessKey: RGW.secretAccessKey },
  requestChecksumCalculation: 'WHEN_REQUIRED',
  responseChecksumValidation: 'WHEN_REQUIRED',
});
const s3Task = (extra: Record<string, unknown> = {}) => ({
  ...s3TaskOf(RGW),
  bucket,
  ...extra,
});

let engine: Engine;
let close: () => Promise<void>;
let server: RunningServer;
let dir: string;
let port: number;

beforeAll(async () => {
  await assertServerUp('rgw');
  port = await freePort();
  ({ engine, close } = await openTestEngine({ config: { port } }));
  server = await startServer({ config: { ...engine.config, port }, links: engine.links });
  dir = await tempDir('outbox-hostile-');
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
});

afterAll(async () => {
  await server?.close();
  await close?.();
  const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket })).catch(() => undefined);
  for (const object of listed?.Contents ?? []) {
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: object.Key }));
  }
  await s3.send(new DeleteBucketCommand({ Bucket: bucket })).catch(() => undefined);
  await fs.rm(dir, { recursive: true, force: true });
});

function finished(task: TaskRecord): ResultFile[] {
  expect(task.status, `${task.code ?? ''} ${task.message ?? ''}`).toBe('finished');
  return task.result?.files ?? [];
}

async function urlExport(paths: string[], extra: Record<string, unknown> = {}) {
  return exportTaskOf(await exportFiles(engine, { operation: 'export/url', ...extra }, paths));
}

async function s3Export(paths: string[], extra: Record<string, unknown> = {}) {
  return exportTaskOf(await exportFiles(engine, s3Task(extra), paths));
}

async function s3Object(key: string): Promise<Buffer> {
  const answer = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return Buffer.from(await answer.Body!.transformToByteArray());
}

async function curl(url: string, ...args: string[]): Promise<string> {
  const { stdout } = await run('curl', ['-sS', '--fail', ...args, url], { maxBuffer: 64 * MiB });
  return stdout;
}

describe('hostile files', () => {
  it('an empty file: a 0-byte link and a 0-byte object', async () => {
    const path = await makeFile(dir, 'empty.txt', '');
    const [link] = finished(await urlExport([path]));
    expect(await curl(link!.url!)).toBe('');
    expect(await curl(link!.url!, '-I')).toMatch(/content-length: 0/i);
    finished(await s3Export([path], { key: 'hostile/empty.txt' }));
    expect((await s3Object('hostile/empty.txt')).length).toBe(0);
  });

  it('a 64 GiB sparse file: export/url links it at once without reading it', async () => {
    const path = join(dir, 'sparse.img');
    const handle = await fs.open(path, 'w');
    await handle.truncate(64 * GiB);
    await handle.write(Buffer.from('TAIL'), 0, 4, 64 * GiB - 4);
    await handle.close();
    const started = Date.now();
    const [link] = finished(await urlExport([path]));
    // Reading 64 GiB of zeros takes minutes here; linking must not.
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(link!.size).toBe(64 * GiB);
    expect(await curl(link!.url!, '-I')).toMatch(new RegExp(`content-length: ${64 * GiB}`, 'i'));
    expect(await curl(link!.url!, '-r', `${64 * GiB - 4}-`)).toBe('TAIL');
  });

  it('an unreadable file (mode 000) is refused clearly, also for an unprivileged user', async () => {
    assertBuilt();
    const home = await tempDir('outbox-hostile-nobody-');
    const path = await makeFile(home, 'locked.txt', 'secret');
    await fs.chmod(path, 0o000);
    await fs.chmod(home, 0o777);
    const taskFile = join(home, 'url.json');
    await fs.writeFile(taskFile, JSON.stringify({ operation: 'export/url' }));
    await fs.chmod(taskFile, 0o644);
    // Root reads any file: the CLI runs as `nobody` then (setpriv), as a user would run it.
    const asUser =
      process.getuid?.() === 0
        ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', process.execPath]
        : [process.execPath];
    const cliPort = await freePort();
    const result = await new Promise<{ code: number | null; stdout: string; stderr: string }>(
      (resolve, reject) => {
        const child = spawn(
          asUser[0]!,
          [...asUser.slice(1), outboxBin, 'export', '--task', taskFile, path, '--json'],
          {
            env: { ...process.env, OUTBOX_HOME: join(home, 'data'), OUTBOX_PORT: String(cliPort) },
          },
        );
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
        child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        child.on('error', reject);
        child.on('close', (code) => resolve({ code, stdout, stderr }));
      },
    );
    await fs.rm(home, { recursive: true, force: true });
    expect(result.code, result.stderr).not.toBe(0);
    // Refused while planning, before anything runs, naming the field and the file.
    expect(`${result.stdout}${result.stderr}`).toMatch(
      /Invalid data: tasks\.[\w-]+\.path: \S*locked\.txt cannot be read: permission denied/,
    );
  });

  it('a file that vanishes between planning and its upload fails that file only', async () => {
    // One transfer at a time: the first upload stalls in a proxy; meanwhile the second file is deleted.
    const serial = await openTestEngine({ config: { port, transfersPerWorker: 1 } });
    const proxy = await startFaultProxy(
      { host: RGW.host, port: RGW.port },
      { fault: { kind: 'stall', afterBytes: 1024, ms: 1500 }, connections: 1 },
    );
    try {
      const first = await makeFile(dir, 'vanish/first.bin', MiB);
      const second = await makeFile(dir, 'vanish/second.bin', MiB);
      const job = await serial.engine.submit({
        tasks: {
          files: { operation: 'import/file', path: [first, second] },
          export: {
            ...s3Task({ endpoint: proxy.url, key_prefix: 'vanish/', concurrency: 1 }),
            input: 'files',
          },
        },
      });
      while (proxy.faulted === 0) await new Promise((r) => setTimeout(r, 20));
      await fs.rm(second);
      const task = exportTaskOf(await serial.engine.wait(job.id));
      expect(task.status).toBe('error');
      expect(task.message).toMatch(/second\.bin/);
      expect(task.message).toMatch(
        /second\.bin changed during the export \(it was deleted during the upload\)/,
      );
      const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'vanish/' }));
      expect((listed.Contents ?? []).map((o) => o.Key)).toEqual(['vanish/first.bin']);
    } finally {
      await proxy.close();
      await serial.close();
    }
  });

  it('symlinks: to a file and to a folder are followed; loops and dangling links are clear errors', async () => {
    const root = join(dir, 'links');
    await makeFile(root, 'real/data.txt', 'DATA');
    await fs.symlink(join(root, 'real/data.txt'), join(root, 'to-file.txt'));
    await fs.symlink(join(root, 'real'), join(root, 'to-dir'));
    await fs.symlink(root, join(root, 'real/up')); // a folder link back up the tree
    const [fileLink] = finished(await urlExport([join(root, 'to-file.txt')]));
    expect(fileLink!.filename).toBe('to-file.txt');
    expect(await curl(fileLink!.url!)).toBe('DATA');
    const dirLinks = finished(await urlExport([join(root, 'to-dir')]));
    expect(dirLinks.map((l) => l.filename)).toContain('to-dir/data.txt'); // its path in the folder
    // The loop back up (real/up → links) ends instead of recursing forever.
    expect(dirLinks.length).toBeLessThan(10);

    await fs.symlink(join(root, 'loop-b'), join(root, 'loop-a'));
    await fs.symlink(join(root, 'loop-a'), join(root, 'loop-b'));
    // Refused while planning: the job never starts.
    const loop = await refusal(urlExport([join(root, 'loop-a')]));
    expect(loop.fields['tasks.import-files.path']?.[0]).toMatch(/loop-a is a symbolic link loop/);

    await fs.symlink(join(root, 'missing.txt'), join(root, 'dangling.txt'));
    const dangling = await refusal(urlExport([join(root, 'dangling.txt')]));
    expect(dangling.fields['tasks.import-files.path']?.[0]).toMatch(/dangling\.txt does not exist/);
  });

  it('a folder keeps its relative paths on S3; an empty folder is refused clearly', async () => {
    const root = join(dir, 'album');
    await makeFile(root, 'a.txt', 'A');
    await makeFile(root, '2024/b.txt', 'B');
    const files = finished(await s3Export([root], { key_prefix: 'folder/' }));
    expect(files.map((f) => f.key).sort()).toEqual([
      'folder/album/2024/b.txt',
      'folder/album/a.txt',
    ]);
    expect((await s3Object('folder/album/2024/b.txt')).toString()).toBe('B');

    const empty = join(dir, 'empty-folder');
    await fs.mkdir(empty);
    const refused = await refusal(urlExport([empty]));
    expect(refused.fields['tasks.import-files.path']?.[0]).toMatch(/contains no files/);
  });

  it('names with spaces, quotes, RTL, emoji and 255 bytes: exact on S3 and in links', async () => {
    const names = [
      'with space  and  tabs-free.txt',
      `quotes "double" and 'single' & <angle>.txt`,
      'rtl \u202Egnp.exe\u202C and عربي.txt',
      'emoji 📦🚀 family 👨‍👩‍👧.txt',
      `${'n'.repeat(251)}.txt`,
      `${'é'.repeat(125)}.txt`, // 254 bytes in UTF-8
    ];
    const paths: string[] = [];
    for (const [i, name] of names.entries()) {
      expect(Buffer.byteLength(name)).toBeLessThanOrEqual(255);
      paths.push(await makeFile(join(dir, 'names'), name, `content ${i}`));
    }
    const objects = finished(await s3Export(paths, { key_prefix: 'names/' }));
    expect(objects.map((o) => o.key)).toEqual(names.map((n) => `names/${n}`));
    for (const [i, name] of names.entries()) {
      expect((await s3Object(`names/${name}`)).toString()).toBe(`content ${i}`);
    }
    const links = finished(await urlExport(paths));
    for (const [i, link] of links.entries()) {
      expect(link.filename).toBe(names[i]);
      expect(await curl(link.url!)).toBe(`content ${i}`);
      // The download is offered under the real name (RFC 6266 filename*).
      const headers = await curl(link.url!, '-I');
      expect(headers).toMatch(
        new RegExp(`filename\\*=UTF-8''${escapeRegExp(encodeRfc5987(names[i]!))}`),
      );
    }
  });

  it('a newline in a name is refused with the control-character error, nothing exported', async () => {
    const path = await makeFile(join(dir, 'nl'), 'line\nbreak.txt', 'x');
    for (const refused of [
      await refusal(urlExport([path])),
      await refusal(s3Export([path], { key_prefix: 'nl/' })),
    ]) {
      expect(refused.code).toBe('INVALID_DATA');
      expect(Object.values(refused.fields).flat().join(' ')).toMatch(
        /"line\\nbreak\.txt" contains control characters/,
      );
    }
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'nl/' }));
    expect(listed.KeyCount ?? 0).toBe(0);
  });
});

/** The ValidationError a job is refused with before it runs. */
async function refusal(pending: Promise<unknown>): Promise<ValidationError> {
  const error = await pending.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ValidationError);
  return error as ValidationError;
}

function encodeRfc5987(value: string): string {
  return encodeURIComponent(value).replace(
    /['()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

function escapeRegExp(value: string): string {
  return value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
