import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { GetObjectTaggingCommand } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { makeFile, sha256, sha256File, tempDir } from '../support/engine';
import { run } from '../support/net';
import type { ResultFile } from '../../main/core/transfer/records';
import { MiB, useS3Buckets } from '../support/s3-bucket';
import { type Recorded, recordingProxy } from '../support/s3-recording';
import { RGW, SWIFT_S3 } from '../support/servers';

/**
 * export/s3's optional parameters (headers, metadata, tags, ACL, server-side
 * encryption, session token) on the two real S3 implementations: Ceph RGW
 * stores all of them; OpenStack Swift's s3api stores headers and metadata,
 * ignores object ACLs and refuses tagging and KMS. What was sent is recorded
 * by a pass-through proxy, what was stored is read back with the SDK and by
 * anonymous GETs.
 */

const useBucket = useS3Buckets();

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
