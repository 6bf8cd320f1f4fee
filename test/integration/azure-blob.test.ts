import { createHash, randomBytes } from 'node:crypto';
import {
  BlobSASPermissions,
  BlobServiceClient,
  ContainerSASPermissions,
  StorageSharedKeyCredential,
  generateBlobSASQueryParameters,
  type ContainerClient,
} from '@azure/storage-blob';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../main/core/engine/engine';
import { WorkerSessions } from '../../main/core/engine/session-cache';
import { containerClientOf } from '../../main/core/exporters/azure-blob/client';
import { parseTask } from '../../main/core/tasks/validate';
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
import { assertServerUp, servers } from '../support/servers';

/**
 * export/azure/blob against azurite (a real implementation of the Blob
 * service: shared-key and SAS auth, Put Block/Put Block List with
 * Content-MD5 checks). Every blob is read back with the SDK in the test and
 * compared by sha256, stored headers and metadata.
 */

const MiB = 1024 * 1024;
const azurite = servers.azurite;
const md5Hex = (data: Buffer | string) => createHash('md5').update(data).digest('hex');

describe('export/azure/blob on azurite', () => {
  const containerName = `outbox-az-${randomBytes(4).toString('hex')}`;
  let container: ContainerClient;
  let engine: Engine;
  let close: () => Promise<void>;
  let dir: string;

  const task = (extra: Record<string, unknown>) => ({
    operation: 'export/azure/blob',
    input: 'files',
    storage_account: azurite.account,
    storage_access_key: azurite.key,
    container: containerName,
    endpoint: azurite.endpoint,
    ...extra,
  });

  async function download(blob: string): Promise<Buffer> {
    return container.getBlobClient(blob).downloadToBuffer();
  }

  async function expectStored(result: ResultFile, path: string, contentType: string) {
    const blob = String(result.blob);
    const data = await download(blob);
    expect(sha256(data)).toBe(await sha256File(path));
    const properties = await container.getBlobClient(blob).getProperties();
    expect(properties.contentType).toBe(contentType);
    expect(properties.contentLength).toBe(data.length);
    expect(Buffer.from(properties.contentMD5 ?? []).toString('hex')).toBe(md5Hex(data));
    expect(result).toMatchObject({
      size: data.length,
      container: containerName,
      checksum: { algorithm: 'md5', value: md5Hex(data) },
      verified: true,
      verified_by: 'md5',
      filename: blob.split('/').pop(),
      location: `${azurite.endpoint}/${containerName}/${blob.split('/').map(encodeURIComponent).join('/')}`,
    });
    expect(result.url).toBeUndefined();
  }

  beforeAll(async () => {
    await assertServerUp('azurite');
    const service = new BlobServiceClient(
      azurite.endpoint,
      new StorageSharedKeyCredential(azurite.account, azurite.key),
    );
    container = service.getContainerClient(containerName);
    await container.create();
    ({ engine, close } = await openTestEngine());
    dir = await tempDir();
  });

  afterAll(async () => {
    await close?.();
    await container?.deleteIfExists();
  });

  it('uploads one file with content type from the extension and Content-MD5', async () => {
    const path = await makeFile(dir, 'single.txt', 'hello azure\n');
    const record = exportTaskOf(
      await exportFiles(engine, task({ blob: 'one/single.txt' }), [path]),
    );
    expect(record.status).toBe('finished');
    const [result] = record.result?.files ?? [];
    expect(result).toMatchObject({ filename: 'single.txt', blob: 'one/single.txt' });
    await expectStored(result as ResultFile, path, 'text/plain; charset=utf-8');
  });

  it("sends its requests without the SDK's form-data step (it loads Node's fetch into the thread)", async () => {
    // The step asks for the global FormData on every request, and the first ask loads undici
    // into the exporter thread: count the asks while the exporter's client uploads.
    const real = Object.getOwnPropertyDescriptor(globalThis, 'FormData');
    let asked = 0;
    Object.defineProperty(globalThis, 'FormData', {
      configurable: true,
      get() {
        asked++;
        return real?.get ? real.get.call(globalThis) : real?.value;
      },
    });
    try {
      // The task as the exporter gets it: parsed by its schema, the client from the worker's cache.
      const params = parseTask(task({}), 'task');
      if (params?.operation !== 'export/azure/blob')
        throw new Error('the test task does not parse');
      const client = await containerClientOf(params, new WorkerSessions());
      await client.getBlockBlobClient('form-data/probe.txt').upload('probe', 5);
    } finally {
      if (real) Object.defineProperty(globalThis, 'FormData', real);
      else delete (globalThis as { FormData?: unknown }).FormData;
    }
    expect(asked).toBe(0);
    expect((await download('form-data/probe.txt')).toString()).toBe('probe');
  });

  it('names several files with %d', async () => {
    const paths = await Promise.all(
      [1, 2, 3].map((n) => makeFile(dir, `multi/part${n}.bin`, 1000 * n)),
    );
    const record = exportTaskOf(
      await exportFiles(engine, task({ blob: 'multi/file-%d.bin' }), paths),
    );
    expect(record.status).toBe('finished');
    const files = record.result?.files ?? [];
    expect(files.map((f) => f.blob).sort()).toEqual([
      'multi/file-1.bin',
      'multi/file-2.bin',
      'multi/file-3.bin',
    ]);
    for (const file of files) {
      const path = paths[Number(/(\d)\.bin$/.exec(String(file.blob))?.[1]) - 1] ?? '';
      await expectStored(file as ResultFile, path, 'application/octet-stream');
    }
  });

  it('puts files under blob_prefix, keeps non-ASCII names, stores an empty file', async () => {
    const unicode = await makeFile(dir, 'Grüße/日本語 файл.txt', 'ünïcödé');
    const empty = await makeFile(dir, 'empty.json', '');
    const record = exportTaskOf(
      await exportFiles(engine, task({ blob_prefix: 'prefixed/ü/' }), [unicode, empty]),
    );
    expect(record.status).toBe('finished');
    const files = record.result?.files ?? [];
    const byName = new Map(files.map((f) => [f.blob, f]));
    const unicodeResult = byName.get('prefixed/ü/日本語 файл.txt');
    const emptyResult = byName.get('prefixed/ü/empty.json');
    expect(unicodeResult).toBeDefined();
    expect(emptyResult).toBeDefined();
    await expectStored(unicodeResult as ResultFile, unicode, 'text/plain; charset=utf-8');
    await expectStored(emptyResult as ResultFile, empty, 'application/json; charset=utf-8');
    expect(emptyResult?.size).toBe(0);
    const listed: string[] = [];
    for await (const blob of container.listBlobsFlat({ prefix: 'prefixed/' }))
      listed.push(blob.name);
    expect(listed.sort()).toEqual(['prefixed/ü/empty.json', 'prefixed/ü/日本語 файл.txt']);
  });

  it('stores metadata', async () => {
    const path = await makeFile(dir, 'meta.pdf', 'not really a pdf');
    const record = exportTaskOf(
      await exportFiles(
        engine,
        task({ blob: 'meta.pdf', metadata: { project: 'outbox', Build_42: 'nightly run' } }),
        [path],
      ),
    );
    expect(record.status).toBe('finished');
    await expectStored(record.result?.files[0] as ResultFile, path, 'application/pdf');
    const { metadata } = await container.getBlobClient('meta.pdf').getProperties();
    const lowered = Object.fromEntries(
      Object.entries(metadata ?? {}).map(([k, v]) => [k.toLowerCase(), v]),
    );
    expect(lowered).toEqual({ project: 'outbox', build_42: 'nightly run' });
  });

  it('sends a large file as parallel blocks and commits them in order', async () => {
    const size = 13 * MiB + 123;
    const path = await makeFile(dir, 'large.bin', size);
    const record = exportTaskOf(
      await exportFiles(
        engine,
        task({ blob: 'large/large.bin', part_size: 5 * MiB, concurrency: 2 }),
        [path],
      ),
    );
    expect(record.status).toBe('finished');
    await expectStored(record.result?.files[0] as ResultFile, path, 'application/octet-stream');
    const blocks = await container.getBlockBlobClient('large/large.bin').getBlockList('committed');
    expect(blocks.committedBlocks?.map((b) => b.size)).toEqual([5 * MiB, 5 * MiB, 3 * MiB + 123]);
  });

  it('authenticates with a container SAS token', async () => {
    const sas = (permissions: string) =>
      generateBlobSASQueryParameters(
        {
          containerName,
          permissions: ContainerSASPermissions.parse(permissions),
          expiresOn: new Date(Date.now() + 3600_000),
        },
        new StorageSharedKeyCredential(azurite.account, azurite.key),
      ).toString();
    const path = await makeFile(dir, 'sas.txt', 'signed access');
    const base = { ...task({ blob: 'sas/sas.txt' }), storage_access_key: undefined };
    const record = exportTaskOf(
      await exportFiles(engine, { ...base, sas_token: `?${sas('rcw')}` }, [path]),
    );
    expect(record.status).toBe('finished');
    const result = record.result?.files[0] as ResultFile;
    expect(result.location).not.toContain('sig=');
    await expectStored(result, path, 'text/plain; charset=utf-8');

    // A write-only token (an upload drop box) works. The blob cannot be read back, but a
    // single Put Blob is verified by its answer: the MD5 the server computed of what it stored.
    const writeOnly = exportTaskOf(
      await exportFiles(engine, { ...base, blob: 'sas/write-only.txt', sas_token: sas('cw') }, [
        path,
      ]),
    );
    expect(writeOnly.status).toBe('finished');
    expect(writeOnly.result?.files[0]).toMatchObject({
      verified: true,
      verified_by: 'md5',
      size: 13,
    });
    expect(sha256(await download('sas/write-only.txt'))).toBe(await sha256File(path));

    // A read-only token signs in but may not write.
    const denied = exportTaskOf(
      await exportFiles(engine, { ...base, blob: 'sas/denied.txt', sas_token: sas('r') }, [path]),
    );
    expect(denied.code).toBe('ACCESS_DENIED');
    expect(denied.message).toContain('SAS token');
    expect(await container.getBlobClient('sas/denied.txt').exists()).toBe(false);
    // Secrets never reach task records.
    expect(JSON.stringify([record, writeOnly, denied])).not.toContain('sig=');
    expect(BlobSASPermissions.parse('r').write).toBe(false);
  });

  it('reports a wrong key as AUTH_FAILED, a missing container as NOT_FOUND', async () => {
    const path = await makeFile(dir, 'fail.txt', 'x');
    const wrongKey = randomBytes(64).toString('base64');
    const auth = exportTaskOf(
      await exportFiles(engine, task({ blob: 'fail.txt', storage_access_key: wrongKey }), [path]),
    );
    expect(auth.code).toBe('AUTH_FAILED');
    expect(auth.message).toContain('storage_access_key');
    expect(auth.message).not.toContain(wrongKey);

    const missing = exportTaskOf(
      await exportFiles(engine, task({ blob: 'fail.txt', container: `${containerName}-missing` }), [
        path,
      ]),
    );
    expect(missing.code).toBe('NOT_FOUND');
    expect(missing.message).toContain(`container "${containerName}-missing" does not exist`);
  });

  it('says when the endpoint is unreachable or not TLS', async () => {
    const port = new URL(azurite.endpoint).port;
    const refused = await engine
      .probe(task({ endpoint: 'http://127.0.0.1:1/devstoreaccount1' }))
      .catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: 'UNREACHABLE' });
    const tls = await engine
      .probe(task({ endpoint: `https://127.0.0.1:${port}/devstoreaccount1` }))
      .catch((e: unknown) => e);
    expect(tls).toMatchObject({ code: 'TLS_ERROR' });
  });

  it('tests the connection without leaving a blob behind', async () => {
    const before: string[] = [];
    for await (const blob of container.listBlobsFlat()) before.push(blob.name);
    const result = await engine.probe(task({}));
    expect(result.ok).toBe(true);
    expect(result.message).toContain(containerName);
    const after: string[] = [];
    for await (const blob of container.listBlobsFlat()) after.push(blob.name);
    expect(after).toEqual(before);

    const denied = await engine
      .probe(task({ storage_access_key: randomBytes(64).toString('base64') }))
      .catch((e: unknown) => e);
    expect(denied).toMatchObject({ code: 'AUTH_FAILED' });
  });

  it('cancelling mid-upload commits nothing', async () => {
    const size = 100 * MiB;
    const path = await makeFile(dir, 'cancel.bin', size);
    const job = await engine.submit({
      tasks: {
        files: { operation: 'import/file', path: [path] },
        export: {
          ...task({ blob: 'cancel/cancel.bin', part_size: 5 * MiB, concurrency: 1 }),
          input: 'files',
        },
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
    expect(sentAtCancel).toBeGreaterThan(0);
    expect(sentAtCancel).toBeLessThan(size);
    expect(record.code).toBe('CANCELLED');
    // Staged blocks are never committed: there is no blob (Azure, and azurite,
    // discard uncommitted blocks by themselves).
    expect(await container.getBlobClient('cancel/cancel.bin').exists()).toBe(false);
    const listed: string[] = [];
    for await (const blob of container.listBlobsFlat({ prefix: 'cancel/' })) listed.push(blob.name);
    expect(listed).toEqual([]);
  });
});
