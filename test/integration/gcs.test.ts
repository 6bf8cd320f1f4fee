import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Storage, type Bucket } from '@google-cloud/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../main/core/engine/engine';
import type { ResultFile } from '../../main/core/transfer/records';
import {
  exportFiles,
  exportTaskOf,
  makeFile,
  openTestEngine,
  sha256,
  sha256File,
  tempDir,
} from '../support/engine';
import { startFaultProxy } from '../support/fault-proxy';
import { assertServerUp, servers } from '../support/servers';
import { gcsTestKey } from '../support/gcs-key';

/**
 * export/google-cloud-storage against firebase-tools' Cloud Storage emulator
 * (the GCS JSON API: multipart and resumable uploads, object metadata with
 * md5Hash/crc32c). Objects are read back with @google-cloud/storage in the
 * test and compared by sha256 and stored metadata.
 *
 * What the emulator cannot show, and how it is covered instead:
 * - it checks no credentials (and the SDK sends none to an emulator): the
 *   service-account JWT is tested in test/unit/gcs-auth.test.ts;
 * - it creates any bucket on first use: "missing bucket" and "access denied"
 *   answers are played by a local server that answers as GCS does;
 * - it has no chunked resumable uploads: it finalizes the object after the
 *   first chunk, and a streamed upload then never ends. So `part_size`
 *   (one request per chunk) is not tested here; without it a large file goes
 *   as a resumable session with one streamed request, which the emulator
 *   supports (the tested path).
 */

const MiB = 1024 * 1024;
const gcs = servers.gcs;
const md5Hex = (data: Buffer | string) => createHash('md5').update(data).digest('hex');

/** Answers every request like GCS does for `status`, recording what was asked. */
async function gcsLike(
  status: number,
  message: string,
): Promise<{ url: string; server: Server; requests: string[] }> {
  const requests: string[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    requests.push(`${req.method} ${req.url}`);
    req.resume();
    req.on('end', () => {
      res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8' });
      res.end(
        JSON.stringify({
          error: { code: status, message, errors: [{ message, domain: 'global', reason: 'x' }] },
        }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server, requests };
}

describe('export/google-cloud-storage on the GCS emulator', () => {
  // The emulator creates a bucket on its first request (bucket creation itself answers 501).
  const bucketName = `outbox-gcs-${randomBytes(4).toString('hex')}`;
  let bucket: Bucket;
  let engine: Engine;
  let close: () => Promise<void>;
  let dir: string;

  const task = (extra: Record<string, unknown>) => ({
    operation: 'export/google-cloud-storage',
    input: 'files',
    project_id: gcs.projectId,
    bucket: bucketName,
    client_email: 'outbox-test@demo-outbox.iam.gserviceaccount.com',
    private_key: gcsTestKey,
    endpoint: gcs.endpoint,
    ...extra,
  });

  async function names(prefix = ''): Promise<string[]> {
    const [files] = await bucket.getFiles({ prefix });
    return files.map((f) => f.name).sort();
  }

  async function expectStored(result: ResultFile, path: string, contentType: string) {
    const name = String(result.file);
    const file = bucket.file(name);
    const [data] = await file.download();
    expect(sha256(data)).toBe(await sha256File(path));
    const [metadata] = await file.getMetadata();
    expect(metadata.contentType).toBe(contentType);
    expect(Number(metadata.size)).toBe(data.length);
    expect(Buffer.from(String(metadata.md5Hash), 'base64').toString('hex')).toBe(md5Hex(data));
    expect(result).toMatchObject({
      size: data.length,
      bucket: bucketName,
      checksum: { algorithm: 'md5', value: md5Hex(data) },
      verified: true,
      verified_by: 'md5',
      filename: name.split('/').pop(),
      location: `${gcs.endpoint}/${bucketName}/${name.split('/').map(encodeURIComponent).join('/')}`,
    });
    expect(result.url).toBeUndefined();
  }

  beforeAll(async () => {
    await assertServerUp('gcs');
    bucket = new Storage({ projectId: gcs.projectId, apiEndpoint: gcs.endpoint }).bucket(
      bucketName,
    );
    ({ engine, close } = await openTestEngine());
    dir = await tempDir();
  });

  afterAll(async () => {
    await close?.();
    await bucket?.deleteFiles({ force: true });
  });

  it('uploads one file with content type from the extension', async () => {
    const path = await makeFile(dir, 'single.txt', 'hello gcs\n');
    const record = exportTaskOf(
      await exportFiles(engine, task({ file: 'one/single.txt' }), [path]),
    );
    expect(record.status).toBe('finished');
    const [result] = record.result?.files ?? [];
    expect(result).toMatchObject({ filename: 'single.txt', file: 'one/single.txt' });
    await expectStored(result as ResultFile, path, 'text/plain; charset=utf-8');
  });

  it('names several files with %d', async () => {
    const paths = await Promise.all(
      [1, 2, 3].map((n) => makeFile(dir, `multi/p${n}.bin`, 999 * n)),
    );
    const record = exportTaskOf(await exportFiles(engine, task({ file: 'multi/f-%d.bin' }), paths));
    expect(record.status).toBe('finished');
    const files = record.result?.files ?? [];
    expect(files.map((f) => f.file).sort()).toEqual([
      'multi/f-1.bin',
      'multi/f-2.bin',
      'multi/f-3.bin',
    ]);
    for (const file of files) {
      const path = paths[Number(/(\d)\.bin$/.exec(String(file.file))?.[1]) - 1] ?? '';
      await expectStored(file as ResultFile, path, 'application/octet-stream');
    }
  });

  it('puts files under file_prefix, keeps non-ASCII names, stores an empty file', async () => {
    const unicode = await makeFile(dir, 'Grüße/日本語 файл.txt', 'ünïcödé');
    const empty = await makeFile(dir, 'empty.json', '');
    const record = exportTaskOf(
      await exportFiles(engine, task({ file_prefix: 'prefixed/ü/' }), [unicode, empty]),
    );
    expect(record.status).toBe('finished');
    const byName = new Map((record.result?.files ?? []).map((f) => [f.file, f]));
    await expectStored(
      byName.get('prefixed/ü/日本語 файл.txt') as ResultFile,
      unicode,
      'text/plain; charset=utf-8',
    );
    await expectStored(
      byName.get('prefixed/ü/empty.json') as ResultFile,
      empty,
      'application/json; charset=utf-8',
    );
    expect(await names('prefixed/')).toEqual([
      'prefixed/ü/empty.json',
      'prefixed/ü/日本語 файл.txt',
    ]);
  });

  it('sends a large file as a resumable upload', async () => {
    const size = 20 * MiB + 17;
    const path = await makeFile(dir, 'large.bin', size);
    const record = exportTaskOf(
      await exportFiles(engine, task({ file: 'large/large.bin' }), [path]),
    );
    expect(record.status).toBe('finished');
    await expectStored(record.result?.files[0] as ResultFile, path, 'application/octet-stream');
  });

  it('maps GCS answers: missing bucket, access denied, rejected credentials', async () => {
    const path = await makeFile(dir, 'fail.txt', 'x');
    const cases = [
      [
        404,
        'The specified bucket does not exist.',
        'NOT_FOUND',
        `bucket "${bucketName}" does not exist`,
      ],
      [
        403,
        'outbox-test@demo-outbox.iam.gserviceaccount.com does not have storage.objects.create access',
        'ACCESS_DENIED',
        'storage.objects.create',
      ],
      [401, 'Invalid Credentials', 'AUTH_FAILED', 'client_email and private_key'],
    ] as const;
    for (const [status, message, code, says] of cases) {
      const fake = await gcsLike(status, message);
      try {
        const record = exportTaskOf(
          await exportFiles(engine, task({ file: 'fail.txt', endpoint: fake.url }), [path]),
        );
        expect(record.code).toBe(code);
        expect(record.message).toContain(says);
        expect(fake.requests[0]).toMatch(
          new RegExp(`^POST /upload/storage/v1/b/${bucketName}/o\\?`),
        );
      } finally {
        fake.server.close();
      }
    }
  });

  it('says when the endpoint is unreachable or not TLS', async () => {
    const port = new URL(gcs.endpoint).port;
    await expect(engine.probe(task({ endpoint: 'http://127.0.0.1:1' }))).rejects.toMatchObject({
      code: 'UNREACHABLE',
    });
    await expect(
      engine.probe(task({ endpoint: `https://127.0.0.1:${port}` })),
    ).rejects.toMatchObject({
      code: 'TLS_ERROR',
    });
  });

  it('tests the connection without leaving an object behind', async () => {
    const before = await names();
    const result = await engine.probe(task({}));
    expect(result.ok).toBe(true);
    expect(result.message).toContain(bucketName);
    expect(await names()).toEqual(before);
  });

  it('cancelling mid-upload leaves no object', async () => {
    const size = 100 * MiB;
    const path = await makeFile(dir, 'cancel.bin', size);
    // The emulator takes 100 MiB in about a second: a proxy that holds the upload after
    // 8 MiB makes sure the cancel lands mid-upload, not after the object is complete.
    const proxy = await startFaultProxy(
      { host: '127.0.0.1', port: Number(new URL(gcs.endpoint).port) },
      { fault: { kind: 'stall', afterBytes: 8 * MiB, ms: 5000 } },
    );
    const job = await engine.submit({
      tasks: {
        files: { operation: 'import/file', path: [path] },
        export: { ...task({ file: 'cancel/cancel.bin', endpoint: proxy.url }), input: 'files' },
      },
    });
    let sentAtCancel = 0;
    const off = engine.on('progress', (update) => {
      if (update.job_id === job.id && update.bytes > 0 && sentAtCancel === 0) {
        sentAtCancel = update.bytes;
        engine.cancel(job.id);
      }
    });
    const record = exportTaskOf(await engine.wait(job.id));
    off();
    await proxy.close();
    expect(sentAtCancel).toBeGreaterThan(0);
    expect(sentAtCancel).toBeLessThan(size);
    expect(record.code).toBe('CANCELLED');
    expect(await names('cancel/')).toEqual([]);
  });
});
