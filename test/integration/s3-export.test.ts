import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { HeadObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { exportTaskOf, makeFile, sha256, sha256File } from '../support/engine';
import { freePort, run } from '../support/net';
import type { ResultFile } from '../../main/core/transfer/records';
import { MiB, useS3Buckets } from '../support/s3-bucket';
import { recordingProxy } from '../support/s3-recording';
import { awsEnv, RGW, SWIFT_S3, type S3Endpoint } from '../support/servers';

/**
 * export/s3 against two real S3 implementations with one suite: Ceph RGW
 * (full feature set) and OpenStack Swift's s3api (no object tagging, object
 * ACLs ignored, no KMS). Objects are read back with the SDK (an independent
 * client of the exporter's code) and Debian's `aws` CLI, and compared by
 * sha256 and stored headers. What each server does with the optional
 * parameters is in s3-parameters.test.ts.
 */

const S3_SERVERS: S3Endpoint[] = [RGW, SWIFT_S3];

const md5Hex = (data: Buffer | string) => createHash('md5').update(data).digest('hex');

const useBucket = useS3Buckets();

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
