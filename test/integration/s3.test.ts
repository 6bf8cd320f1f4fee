import { createHash, randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import {
  createServer,
  request as httpRequest,
  type IncomingHttpHeaders,
  type Server,
} from 'node:http';
import { join } from 'node:path';
import {
  AbortMultipartUploadCommand,
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../main/core/engine/engine';
import type { TaskRecord } from '../../main/core/transfer/records';
import { bucketUrl, objectUrl } from '../../main/core/exporters/s3/client';
import {
  exportFiles,
  exportTaskOf,
  makeFile,
  openTestEngine,
  sha256,
  sha256File,
  tempDir,
} from '../support/engine';
import { freePort, run } from '../support/net';
import {
  assertServerUp,
  awsEnv,
  RGW,
  SWIFT_S3,
  type S3Endpoint,
  s3TaskOf,
} from '../support/servers';

/**
 * export/s3 against two real S3 implementations with one suite: Ceph RGW
 * (full feature set) and OpenStack Swift's s3api (no object tagging, object
 * ACLs ignored, no KMS). Objects are read back with the SDK (an independent
 * client of the exporter's code) and Debian's `aws` CLI, and compared by
 * sha256 and stored headers.
 */

type S3Server = S3Endpoint;
type ResultFile = NonNullable<TaskRecord['result']>['files'][number];

const S3_SERVERS: S3Server[] = [RGW, SWIFT_S3];

const MiB = 1024 * 1024;
const md5Hex = (data: Buffer | string) => createHash('md5').update(data).digest('hex');

/** A pass-through HTTP proxy that records requests (and may refuse some) to assert what was sent. */
type Recorded = { method: string; url: string; headers: IncomingHttpHeaders };
async function recordingProxy(
  upstream: string,
  refuse?: (request: Recorded) => { status: number; body: string } | undefined,
): Promise<{ endpoint: string; requests: Recorded[]; close: () => Promise<void> }> {
  const target = new URL(upstream);
  const requests: Recorded[] = [];
  const server: Server = createServer((req, res) => {
    const recorded = { method: req.method ?? '', url: req.url ?? '', headers: req.headers };
    requests.push(recorded);
    const refusal = refuse?.(recorded);
    if (refusal) {
      req.resume();
      req.on('end', () => {
        res.writeHead(refusal.status, { 'content-type': 'application/xml' });
        res.end(refusal.body);
      });
      return;
    }
    // The Host header is kept as the client signed it (SigV4 signs the host).
    const forward = httpRequest(
      {
        host: target.hostname,
        port: target.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forward.on('error', () => res.destroy());
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

// One engine for the whole file: its worker threads start once (a few seconds under tsx).
let sharedEngine: Promise<{ engine: Engine; close: () => Promise<void> }> | undefined;
afterAll(async () => {
  await (await sharedEngine)?.close();
});

/** A fresh bucket on `server` and the shared engine, for the tests of the enclosing describe. */
function useBucket(server: S3Server) {
  const bucket = `outbox-s3-${server.name}-${randomBytes(4).toString('hex')}`;
  const fx = {
    server,
    bucket,
    engine: undefined as unknown as Engine,
    client: undefined as unknown as S3Client,
    dir: '',
    task(extra: Record<string, unknown> = {}): Record<string, unknown> {
      return {
        ...s3TaskOf(server),
        bucket,
        ...extra,
      };
    },
    /** Probes take a task as `outbox test` reads it: with a placeholder input. */
    probeTask(extra: Record<string, unknown> = {}): Record<string, unknown> {
      return { ...fx.task(extra), input: 'probe' };
    },
    async exported(extra: Record<string, unknown>, paths: string[]): Promise<ResultFile[]> {
      const record = exportTaskOf(await exportFiles(fx.engine, fx.task(extra), paths));
      expect(record.message ?? '').toBe('');
      expect(record.status).toBe('finished');
      return record.result?.files ?? [];
    },
    async failed(extra: Record<string, unknown>, paths: string[]) {
      const record = exportTaskOf(await exportFiles(fx.engine, fx.task(extra), paths));
      expect(record.status).toBe('error');
      return { code: record.code, message: record.message ?? '' };
    },
    async stored(key: string): Promise<string> {
      const object = await fx.client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      return sha256(
        await (
          object.Body as { transformToByteArray(): Promise<Uint8Array> }
        ).transformToByteArray(),
      );
    },
    head(key: string) {
      return fx.client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    },
    async multipartUploads(): Promise<unknown[]> {
      const list = await fx.client.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
      return list.Uploads ?? [];
    },
    async keys(prefix: string): Promise<string[]> {
      const listed = await fx.client.send(
        new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }),
      );
      return (listed.Contents ?? []).map((o) => o.Key ?? '');
    },
  };
  beforeAll(async () => {
    await assertServerUp(server.name);
    fx.client = new S3Client({
      region: server.region,
      endpoint: server.endpoint,
      forcePathStyle: true,
      credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
    await fx.client.send(new CreateBucketCommand({ Bucket: bucket }));
    sharedEngine ??= openTestEngine();
    fx.engine = (await sharedEngine).engine;
    fx.dir = await tempDir('outbox-s3-files-');
  });

  afterAll(async () => {
    if (fx.dir) await fs.rm(fx.dir, { recursive: true, force: true });
    const client = fx.client;
    if (!client) return;
    // One DeleteObject each: Swift's s3api wants Content-MD5 on DeleteObjects, which SDK v3 no longer sends.
    for (const key of await fx.keys('')) {
      await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
    }
    const uploads = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
    for (const upload of uploads.Uploads ?? []) {
      await client.send(
        new AbortMultipartUploadCommand({
          Bucket: bucket,
          Key: upload.Key,
          UploadId: upload.UploadId,
        }),
      );
    }
    await client.send(new DeleteBucketCommand({ Bucket: bucket }));
    client.destroy();
  });
  return fx;
}

describe.each(S3_SERVERS)('export/s3 on $name', (server) => {
  const fx = useBucket(server);
  const { bucket } = fx;

  it('stores a single file with its bytes, a content type from its extension and no ACL header', async () => {
    const path = await makeFile(fx.dir, 'report.pdf', 3000);
    const proxy = await recordingProxy(server.endpoint);
    try {
      const [file] = await fx.exported({ endpoint: proxy.endpoint, key: 'single/report.pdf' }, [
        path,
      ]);
      const md5 = md5Hex(await fs.readFile(path));
      // The object's place in `location`; no `url`: the plain object URL downloads nothing.
      expect(file).toEqual({
        filename: 'report.pdf',
        size: 3000,
        location: `${proxy.endpoint}/${bucket}/single/report.pdf`,
        bucket,
        key: 'single/report.pdf',
        checksum: { algorithm: 'md5', value: md5 },
        verified: true,
        verified_by: 'md5',
        parts: 1,
      });
      const put = proxy.requests.find((r) => r.method === 'PUT');
      expect(put?.headers['content-md5']).toBe(Buffer.from(md5, 'hex').toString('base64'));
      expect(put?.headers['content-length']).toBe('3000');
      expect(put?.headers['x-amz-acl']).toBeUndefined();
      expect(put?.headers['x-amz-tagging']).toBeUndefined();
      expect(put?.headers['x-amz-server-side-encryption']).toBeUndefined();
      // No aws-chunked framing or trailing checksums (S3-compatible servers reject or store them).
      expect(put?.headers['content-encoding']).toBeUndefined();
      expect(put?.headers['x-amz-trailer']).toBeUndefined();
      expect(put?.headers['x-amz-content-sha256'] ?? '').not.toMatch(/^STREAMING/);
      // One request: the server checked the Content-MD5 and answered the MD5 as ETag.
      expect(proxy.requests.map((r) => r.method)).toEqual(['PUT']);
    } finally {
      await proxy.close();
    }
    expect(await fx.stored('single/report.pdf')).toBe(await sha256File(path));
    const head = await fx.client.send(
      new HeadObjectCommand({ Bucket: bucket, Key: 'single/report.pdf' }),
    );
    expect(head.ContentType).toBe('application/pdf');
    expect(head.ContentLength).toBe(3000);
  });

  it('numbers several files with %d in key', async () => {
    const paths = await Promise.all(
      ['a.txt', 'b.txt', 'c.txt'].map((name, i) =>
        makeFile(join(fx.dir, 'many'), name, `file ${i}\n`),
      ),
    );
    const files = await fx.exported({ key: 'numbered/part-%d.txt' }, paths);
    expect(files.map((f) => f.key).sort()).toEqual([
      'numbered/part-1.txt',
      'numbered/part-2.txt',
      'numbered/part-3.txt',
    ]);
    for (const file of files) {
      const source = paths[Number(/part-(\d)/.exec(String(file.key))?.[1]) - 1] as string;
      expect(await fx.stored(String(file.key))).toBe(await sha256File(source));
      expect(file.verified).toBe(true);
    }
  });

  it('puts files under key_prefix, keeping their names', async () => {
    const paths = [
      await makeFile(join(fx.dir, 'prefixed'), 'one.json', '{"n":1}'),
      await makeFile(join(fx.dir, 'prefixed'), 'two.csv', 'a,b\n1,2\n'),
    ];
    const files = await fx.exported({ key_prefix: 'with/prefix/' }, paths);
    expect(files.map((f) => f.key).sort()).toEqual(['with/prefix/one.json', 'with/prefix/two.csv']);
    expect(await fx.stored('with/prefix/two.csv')).toBe(sha256('a,b\n1,2\n'));
    const head = await fx.client.send(
      new HeadObjectCommand({ Bucket: bucket, Key: 'with/prefix/one.json' }),
    );
    expect(head.ContentType).toBe('application/json');
  });

  it('stores an empty file', async () => {
    const path = await makeFile(fx.dir, 'empty.bin', '');
    const [file] = await fx.exported({ key: 'empty/empty.bin' }, [path]);
    expect(file).toMatchObject({
      size: 0,
      checksum: { algorithm: 'md5', value: 'd41d8cd98f00b204e9800998ecf8427e' },
      verified: true,
    });
    const head = await fx.client.send(
      new HeadObjectCommand({ Bucket: bucket, Key: 'empty/empty.bin' }),
    );
    expect(head.ContentLength).toBe(0);
    expect(await fx.stored('empty/empty.bin')).toBe(sha256(''));
  });

  it('sends a large file as a multipart upload and checks the composite ETag', async () => {
    const path = await makeFile(fx.dir, 'big.bin', 12 * MiB + 12345);
    const data = await fs.readFile(path);
    const partMd5s = [0, 1, 2].map((i) =>
      createHash('md5')
        .update(data.subarray(i * 5 * MiB, (i + 1) * 5 * MiB))
        .digest(),
    );
    const composite = `${createHash('md5').update(Buffer.concat(partMd5s)).digest('hex')}-3`;
    const proxy = await recordingProxy(server.endpoint);
    let file: ResultFile | undefined;
    try {
      [file] = await fx.exported(
        { endpoint: proxy.endpoint, key: 'multi/big.bin', part_size: 5 * MiB, concurrency: 2 },
        [path],
      );
      const parts = proxy.requests.filter(
        (r) => r.method === 'PUT' && r.url.includes('partNumber='),
      );
      expect(parts).toHaveLength(3);
      for (const part of parts)
        expect(part.headers['content-md5']).toMatch(/^[A-Za-z0-9+/]{22}==$/);
    } finally {
      await proxy.close();
    }
    expect(file).toMatchObject({
      size: 12 * MiB + 12345,
      checksum: { algorithm: 'md5-multipart', value: composite },
      verified: true,
      verified_by: 'md5',
      parts: 3,
    });
    const head = await fx.client.send(
      new HeadObjectCommand({ Bucket: bucket, Key: 'multi/big.bin' }),
    );
    expect(head.ETag?.replace(/"/g, '')).toBe(composite);
    expect(await fx.stored('multi/big.bin')).toBe(sha256(data));
    expect(await fx.multipartUploads()).toEqual([]);
  });

  it('handles non-ASCII file names and prefixes', async () => {
    const name = 'Grüße – 日本語 ✓.txt';
    const path = await makeFile(join(fx.dir, 'intl'), name, 'héllo wörld\n');
    const [file] = await fx.exported({ key_prefix: 'ünïcødé/' }, [path]);
    expect(file?.key).toBe(`ünïcødé/${name}`);
    expect(file?.location).toBe(
      `${server.endpoint}/${bucket}/${encodeURIComponent('ünïcødé')}/${encodeURIComponent(name)}`,
    );
    expect(await fx.stored(`ünïcødé/${name}`)).toBe(sha256('héllo wörld\n'));
    // An independent client sees the same key.
    const { stdout } = await run(
      '/usr/bin/aws',
      [
        's3api',
        'list-objects-v2',
        '--bucket',
        bucket,
        '--prefix',
        'ünïcødé/',
        '--endpoint-url',
        server.endpoint,
      ],
      { env: awsEnv(server) },
    );
    expect(JSON.parse(stdout).Contents.map((o: { Key: string }) => o.Key)).toEqual([
      `ünïcødé/${name}`,
    ]);
  });

  it('cancelling mid-upload aborts the multipart upload, leaving no parts', async () => {
    const path = await makeFile(fx.dir, 'cancel.bin', 64 * MiB);
    const job = await fx.engine.submit({
      tasks: {
        files: { operation: 'import/file', path: [path] },
        export: {
          ...fx.task({ key: 'cancel/cancel.bin', part_size: 5 * MiB, concurrency: 1 }),
          input: 'files',
        },
      },
    });
    let sentAtCancel = 0;
    const off = fx.engine.on('progress', (update) => {
      if (update.job_id === job.id && update.bytes > 0 && sentAtCancel === 0) {
        sentAtCancel = update.bytes;
        fx.engine.cancel(job.id);
      }
    });
    const record = exportTaskOf(await fx.engine.wait(job.id));
    off();
    expect(sentAtCancel).toBeGreaterThan(0);
    expect(sentAtCancel).toBeLessThan(64 * MiB);
    expect(record.code).toBe('CANCELLED');
    expect(await fx.multipartUploads()).toEqual([]);
    const listed = await fx.client.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: 'cancel/' }),
    );
    expect(listed.Contents ?? []).toEqual([]);
  });

  it('a failing part aborts the multipart upload and says why', async () => {
    const path = await makeFile(fx.dir, 'fail.bin', 11 * MiB);
    const proxy = await recordingProxy(server.endpoint, (r) =>
      r.method === 'PUT' && r.url.includes('partNumber=2')
        ? {
            status: 403,
            body: '<?xml version="1.0"?><Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>',
          }
        : undefined,
    );
    try {
      const error = await fx.failed(
        { endpoint: proxy.endpoint, key: 'fail/fail.bin', part_size: 5 * MiB, concurrency: 1 },
        [path],
      );
      expect(error.code).toBe('ACCESS_DENIED');
      expect(error.message).toContain(`bucket "${bucket}"`);
      expect(proxy.requests.some((r) => r.method === 'DELETE' && r.url.includes('uploadId='))).toBe(
        true,
      );
    } finally {
      await proxy.close();
    }
    expect(await fx.multipartUploads()).toEqual([]);
  });

  it('wrong credentials: AUTH_FAILED', async () => {
    const path = await makeFile(fx.dir, 'auth.txt', 'x');
    const error = await fx.failed(
      { key: 'auth.txt', secret_access_key: 'wrong-secret-0000000000' },
      [path],
    );
    expect(error.code).toBe('AUTH_FAILED');
    expect(error.message).toMatch(/secret_access_key/);
    expect(error.message).not.toContain('wrong-secret-0000000000');
  });

  it('missing bucket: NOT_FOUND naming it', async () => {
    const path = await makeFile(fx.dir, 'nobucket.txt', 'x');
    const error = await fx.failed({ key: 'x.txt', bucket: `${bucket}-missing` }, [path]);
    expect(error.code).toBe('NOT_FOUND');
    expect(error.message).toContain(`bucket "${bucket}-missing" does not exist`);
  });

  it('unreachable endpoint: UNREACHABLE; https to a plain HTTP server: TLS_ERROR', async () => {
    const path = await makeFile(fx.dir, 'net.txt', 'x');
    const port = await freePort();
    const unreachable = await fx.failed({ key: 'x.txt', endpoint: `http://127.0.0.1:${port}` }, [
      path,
    ]);
    expect(unreachable.code).toBe('UNREACHABLE');
    expect(unreachable.message).toContain('connection refused');
    const tls = await fx.failed(
      { key: 'x.txt', endpoint: server.endpoint.replace('http:', 'https:') },
      [path],
    );
    expect(tls.code).toBe('TLS_ERROR');
  });

  it('Test connection writes and deletes a probe object, leaving nothing behind', async () => {
    const result = await fx.engine.probe(fx.probeTask({ key_prefix: 'probe/' }));
    expect(result.ok).toBe(true);
    expect(result.message).toContain('written and deleted');
    const listed = await fx.client.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: 'probe/' }),
    );
    expect(listed.Contents ?? []).toEqual([]);
    await expect(
      fx.engine.probe(fx.probeTask({ secret_access_key: 'wrong-secret-0000000000' })),
    ).rejects.toMatchObject({
      code: 'AUTH_FAILED',
    });
    await expect(
      fx.engine.probe(fx.probeTask({ bucket: `${bucket}-missing` })),
    ).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
  });
});

const everyHeader = {
  cache_control: 'max-age=172800',
  content_disposition: 'attachment; filename="summary.txt"',
  content_type: 'text/x-outbox; charset=utf-8',
  metadata: { owner: 'outbox', 'project-id': '42' },
  // Servers here ignore session tokens with static keys; the request must still carry it.
  session_token: 'session-token-for-test',
};

/** Each sent request of an upload: the PUT of a single file, or the create + parts of a multipart one. */
function uploadRequests(requests: Recorded[]): Recorded[] {
  return requests.filter(
    (r) =>
      (r.method === 'PUT' && !r.url.includes('tagging')) ||
      (r.method === 'POST' && r.url.includes('uploads')),
  );
}

async function anonymousGet(url: string): Promise<{ status: number; sha256: string }> {
  const response = await fetch(url);
  return { status: response.status, sha256: sha256(new Uint8Array(await response.arrayBuffer())) };
}

describe('export/s3 parameters stored by RGW', () => {
  const fx = useBucket(RGW);
  const [kmsKey] = RGW.kmsKeyIds;

  it.each([
    ['a single PUT', 2000, {}],
    ['a multipart upload', 11 * MiB, { part_size: 5 * MiB }],
  ])(
    'every parameter on %s: headers, metadata, tags, public-read ACL, aws:kms key',
    async (_, size, sizing) => {
      const path = await makeFile(fx.dir, `all-${size}.txt`, size);
      const key = `all/${size}.txt`;
      const proxy = await recordingProxy(RGW.endpoint);
      let file: ResultFile | undefined;
      try {
        [file] = await fx.exported(
          {
            ...everyHeader,
            ...sizing,
            endpoint: proxy.endpoint,
            key,
            acl: 'public-read',
            tagging: { team: 'blue', 'cost center': 'a&b=c ü' },
            server_side_encryption: 'aws:kms',
            kms_key_id: kmsKey,
          },
          [path],
        );
        for (const request of uploadRequests(proxy.requests)) {
          expect(request.headers['x-amz-security-token']).toBe('session-token-for-test');
        }
      } finally {
        await proxy.close();
      }
      // RGW keeps the plaintext MD5 as ETag under SSE-KMS, so the ETag check applies.
      expect(file).toMatchObject({
        verified: true,
        verified_by: 'md5',
        server_side_encryption: 'aws:kms',
      });
      const head = await fx.head(key);
      expect(head).toMatchObject({
        ContentLength: size,
        CacheControl: 'max-age=172800',
        ContentDisposition: 'attachment; filename="summary.txt"',
        ContentType: 'text/x-outbox; charset=utf-8',
        Metadata: { owner: 'outbox', 'project-id': '42' },
        ServerSideEncryption: 'aws:kms',
        SSEKMSKeyId: kmsKey,
      });
      const tags = await fx.client.send(
        new GetObjectTaggingCommand({ Bucket: fx.bucket, Key: key }),
      );
      expect(tags.TagSet?.map((t) => [t.Key, t.Value]).sort()).toEqual([
        ['cost center', 'a&b=c ü'],
        ['team', 'blue'],
      ]);
      // public-read: anyone can GET it, without credentials.
      const anonymous = await anonymousGet(`${RGW.endpoint}/${fx.bucket}/${key}`);
      expect(anonymous).toEqual({ status: 200, sha256: await sha256File(path) });
    },
  );

  it('outbox test --task probes from the command line', async () => {
    const file = join(fx.dir, 'probe-task.json');
    await fs.writeFile(file, JSON.stringify(fx.task({ key_prefix: 'cli-probe/' })));
    const home = await tempDir('outbox-s3-cli-');
    const { stdout } = await run(
      process.execPath,
      ['--import', 'tsx', 'main/cli/outbox.ts', 'test', '--task', file],
      { env: { ...process.env, OUTBOX_HOME: home }, cwd: join(__dirname, '..', '..') },
    );
    expect(stdout).toContain(`bucket "${fx.bucket}" is writable`);
    expect(stdout).toContain('written and deleted');
    expect(await fx.keys('cli-probe/')).toEqual([]);
    await fs.rm(home, { recursive: true, force: true });
  });

  it('acl private is sent only when set, and refuses anonymous reads', async () => {
    const path = await makeFile(fx.dir, 'private.txt', 'secret');
    const proxy = await recordingProxy(RGW.endpoint);
    try {
      await fx.exported({ endpoint: proxy.endpoint, key: 'acl/private.txt', acl: 'private' }, [
        path,
      ]);
      expect(uploadRequests(proxy.requests)[0]?.headers['x-amz-acl']).toBe('private');
    } finally {
      await proxy.close();
    }
    expect((await anonymousGet(`${RGW.endpoint}/${fx.bucket}/acl/private.txt`)).status).toBe(403);
  });

  it('AES256: sent, accepted, but RGW without a default key stores the object unencrypted (reported as such)', async () => {
    const path = await makeFile(fx.dir, 'aes.txt', 'aes');
    const proxy = await recordingProxy(RGW.endpoint);
    let file: ResultFile | undefined;
    try {
      [file] = await fx.exported(
        { endpoint: proxy.endpoint, key: 'sse/aes.txt', server_side_encryption: 'AES256' },
        [path],
      );
      expect(uploadRequests(proxy.requests)[0]?.headers['x-amz-server-side-encryption']).toBe(
        'AES256',
      );
    } finally {
      await proxy.close();
    }
    // The test RGW has no rgw_crypt_default_encryption_key: HeadObject reports no encryption,
    // and the result says so instead of claiming AES256.
    expect(file).toMatchObject({ verified: true, server_side_encryption: null });
    expect((await fx.head('sse/aes.txt')).ServerSideEncryption).toBeUndefined();
  });

  it('aws:kms without kms_key_id: RGW demands a key id, reported as a parameter error', async () => {
    const path = await makeFile(fx.dir, 'kms.txt', 'kms');
    const error = await fx.failed({ key: 'sse/kms.txt', server_side_encryption: 'aws:kms' }, [
      path,
    ]);
    expect(error.code).toBe('INVALID_DATA');
    expect(error.message).toContain('x-amz-server-side-encryption-aws-kms-key-id');
  });
});

describe('export/s3 parameters on Swift s3api', () => {
  const fx = useBucket(SWIFT_S3);

  it.each([
    ['a single PUT', 2000, {}],
    ['a multipart upload', 11 * MiB, { part_size: 5 * MiB }],
  ])(
    'headers, metadata and AES256 stored; ACL sent (Swift ignores object ACLs) on %s',
    async (_, size, sizing) => {
      const path = await makeFile(fx.dir, `all-${size}.txt`, size);
      const key = `all/${size}.txt`;
      const proxy = await recordingProxy(SWIFT_S3.endpoint);
      let file: ResultFile | undefined;
      try {
        [file] = await fx.exported(
          {
            ...everyHeader,
            ...sizing,
            endpoint: proxy.endpoint,
            key,
            acl: 'public-read',
            server_side_encryption: 'AES256',
          },
          [path],
        );
        const sent = uploadRequests(proxy.requests)[0];
        // Swift's s3api accepts but does not apply object ACLs: what can be checked is the request.
        expect(sent?.headers['x-amz-acl']).toBe('public-read');
        expect(sent?.headers['x-amz-server-side-encryption']).toBe('AES256');
        for (const request of uploadRequests(proxy.requests)) {
          expect(request.headers['x-amz-security-token']).toBe('session-token-for-test');
        }
      } finally {
        await proxy.close();
      }
      // Swift encrypts at rest (encryption middleware) but HeadObject does not report it.
      expect(file).toMatchObject({
        verified: true,
        verified_by: 'md5',
        server_side_encryption: null,
      });
      expect(await fx.stored(key)).toBe(await sha256File(path));
      expect(await fx.head(key)).toMatchObject({
        ContentLength: size,
        CacheControl: 'max-age=172800',
        ContentDisposition: 'attachment; filename="summary.txt"',
        ContentType: 'text/x-outbox; charset=utf-8',
        Metadata: { owner: 'outbox', 'project-id': '42' },
      });
      // The ACL was not applied: no anonymous read.
      expect((await anonymousGet(`${SWIFT_S3.endpoint}/${fx.bucket}/${key}`)).status).not.toBe(200);
    },
  );

  it.each([
    ['a single PUT', 2000, {}],
    ['a multipart upload', 11 * MiB, { part_size: 5 * MiB }],
  ])('tagging: NOT_IMPLEMENTED, saying to remove "tagging" (%s)', async (_, size, sizing) => {
    const path = await makeFile(fx.dir, `tagged-${size}.txt`, size);
    const error = await fx.failed(
      { ...sizing, key: `tagged/${size}.txt`, tagging: { team: 'blue' } },
      [path],
    );
    expect(error.code).toBe('NOT_IMPLEMENTED');
    expect(error.message).toContain('Remove "tagging" from the task');
    expect(await fx.keys('tagged/')).toEqual([]);
    expect(await fx.multipartUploads()).toEqual([]);
  });

  it('aws:kms: NOT_IMPLEMENTED, saying to remove the encryption parameters', async () => {
    const path = await makeFile(fx.dir, 'kms.txt', 'kms');
    const error = await fx.failed(
      { key: 'kms.txt', server_side_encryption: 'aws:kms', kms_key_id: 'testkey-1' },
      [path],
    );
    expect(error.code).toBe('NOT_IMPLEMENTED');
    expect(error.message).toContain(
      'Remove "server_side_encryption" and "kms_key_id" from the task',
    );
  });

  it('Test connection with tagging fails the same way, leaving nothing', async () => {
    await expect(
      fx.engine.probe(fx.probeTask({ tagging: { team: 'blue' } })),
    ).rejects.toMatchObject({
      code: 'NOT_IMPLEMENTED',
      message: expect.stringContaining('"tagging"'),
    });
    expect(await fx.keys('probe-tagged/')).toEqual([]);
  });
});

describe('export/s3 addressing and part planning (no server)', () => {
  const destination = {
    bucket: 'my-bucket',
    region: 'eu-west-1',
    access_key_id: 'a',
    secret_access_key: 's',
  };

  it('uses path-style for custom endpoints and virtual hosts on AWS, unless overridden', () => {
    expect(objectUrl({ ...destination, endpoint: 'http://127.0.0.1:7480' }, 'a b/ü.txt')).toBe(
      'http://127.0.0.1:7480/my-bucket/a%20b/%C3%BC.txt',
    );
    expect(
      bucketUrl({ ...destination, endpoint: 'https://s3.example.com', force_path_style: false }),
    ).toBe('https://my-bucket.s3.example.com');
    expect(objectUrl(destination, 'k')).toBe('https://my-bucket.s3.eu-west-1.amazonaws.com/k');
    expect(bucketUrl({ ...destination, force_path_style: true })).toBe(
      'https://s3.eu-west-1.amazonaws.com/my-bucket',
    );
  });
});
