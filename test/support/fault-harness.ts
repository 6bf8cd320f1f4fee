import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import {
  CreateBucketCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../main/core/engine/engine';
import type { JobRecord, TaskRecord } from '../../main/core/transfer/records';
import { openTestEngine, sha256, tempDir } from './engine';
import { startFaultProxy, type FaultPolicy, type FaultProxy } from './fault-proxy';
import { emptyBucket } from './mid-upload';
import { secretsOnDisk } from './secret-scan';
import { AZURITE, KEYSTONE, RGW, SFTP, SWIFT_S3, assertServerUp, type S3Endpoint } from './servers';

/**
 * The fault tests (test/integration/faults-*.test.ts): every exporter through
 * a TCP fault proxy (test/support/fault-proxy.ts) in front of the real server.
 * The first connections are cut or reset mid-body, the exporter retries, and
 * the stored object (read back directly from the server, not through the
 * proxy) is byte-identical. Files changed or truncated mid-upload fail with
 * FILE_CHANGED and leave nothing (no object, no multipart upload, no SFTP
 * temporary file, no Swift segment), and a server that stalls fails in
 * bounded time with a clear error.
 *
 * OpenStack: Keystone's catalog names Swift at :8080 directly, so a small
 * HTTP relay in front of Keystone rewrites the catalog's Swift URL to the
 * fault proxy: the real Swift PUT/SLO path goes through the faults.
 *
 * `useFaultHarness()` gives each test file its bucket (on RGW and on Swift's
 * S3 API), an engine on a fresh data directory, a temp folder and its fault
 * proxies, and records the console output; `itLeavesNoSecrets()` at the end
 * of the file checks that no secret its tests used was written or printed.
 */

export function s3Of(endpoint: S3Endpoint): S3Client {
  return new S3Client({
    region: endpoint.region,
    endpoint: endpoint.endpoint,
    forcePathStyle: true,
    credentials: {
      accessKeyId: endpoint.accessKeyId,
      secretAccessKey: endpoint.secretAccessKey,
    },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

export function expectFinished(task: TaskRecord): void {
  expect(task.status, `${task.code ?? ''} ${task.message ?? ''}`).toBe('finished');
}

export type FaultHarness = {
  /** Random, one per test file: in the names of its bucket, containers and SFTP folder. */
  readonly suffix: string;
  /** `outbox-faults-<suffix>`, on RGW and on Swift's S3 API (made before the tests, emptied after). */
  readonly bucket: string;
  /** S3 clients straight to the servers (not through a proxy): to read back what was stored. */
  readonly rgw: S3Client;
  readonly swiftS3: S3Client;
  readonly engine: Engine;
  /** The engine's data directory. */
  readonly home: string;
  /** A temp folder for the files the tests make. */
  readonly dir: string;
  /** A fault proxy to host:port (closed after the tests). */
  proxyTo: (host: string, port: number, policy?: FaultPolicy) => Promise<FaultProxy>;
  /** Remembers a presigned URL's signature as a secret and returns the URL. */
  presigned: (url: string) => string;
  s3Sha256: (client: S3Client, key: string, on?: string) => Promise<string>;
  s3Exists: (client: S3Client, key: string, on?: string) => Promise<boolean>;
  openUploads: (client: S3Client, prefix: string, on?: string) => Promise<string[]>;
  /** Another engine (`openTestEngine`): its data directory and job records are scanned for secrets too. */
  openEngine: typeof openTestEngine;
  /**
   * The secrets check, as the file's last test. `signedUrls`: the file made presigned
   * URLs, so their signatures must have been collected.
   */
  itLeavesNoSecrets: (options?: { signedUrls?: boolean }) => void;
};

/** Registers the fault tests' beforeAll/afterAll hooks; see the top of this file. */
export function useFaultHarness(): FaultHarness {
  const suffix = randomBytes(4).toString('hex');
  const bucket = `outbox-faults-${suffix}`;

  /** Every secret these tests use (presigned signatures are added as they are made): scanned for at the end. */
  const secrets: string[] = [
    RGW.secretAccessKey,
    SWIFT_S3.secretAccessKey,
    AZURITE.key,
    KEYSTONE.password,
    SFTP.password,
  ];

  let engine: Engine;
  let close: () => Promise<void>;
  let home: string;
  let dir: string;
  const proxies: FaultProxy[] = [];
  const rgw = s3Of(RGW);
  const swiftS3 = s3Of(SWIFT_S3);
  /** The data directories of the engines from `openEngine`, and their job records when closed. */
  const otherHomes: string[] = [];
  const otherJobs: JobRecord[] = [];

  async function s3Sha256(client: S3Client, key: string, on = bucket): Promise<string> {
    const object = await client.send(new GetObjectCommand({ Bucket: on, Key: key }));
    return sha256(await object.Body!.transformToByteArray());
  }

  async function s3Exists(client: S3Client, key: string, on = bucket): Promise<boolean> {
    return client.send(new HeadObjectCommand({ Bucket: on, Key: key })).then(
      () => true,
      (error: { $metadata?: { httpStatusCode?: number } }) => {
        if (error.$metadata?.httpStatusCode === 404) return false;
        throw error;
      },
    );
  }

  async function openUploads(client: S3Client, prefix: string, on = bucket): Promise<string[]> {
    const answer = await client.send(
      new ListMultipartUploadsCommand({ Bucket: on, Prefix: prefix }),
    );
    return (answer.Uploads ?? []).map((u) => `${u.Key} ${u.UploadId}`);
  }

  async function proxyTo(host: string, port: number, policy?: FaultPolicy): Promise<FaultProxy> {
    const proxy = await startFaultProxy({ host, port }, policy);
    proxies.push(proxy);
    return proxy;
  }

  /** Everything this process (and its worker threads) printed while the tests ran. */
  let printed = '';
  const originalWrites = { out: process.stdout.write, err: process.stderr.write };
  function capture(stream: NodeJS.WriteStream, original: typeof process.stdout.write) {
    stream.write = ((chunk: string | Uint8Array, ...rest: never[]) => {
      printed += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
      return original.call(stream, chunk, ...rest);
    }) as typeof process.stdout.write;
  }

  function presigned(url: string): string {
    const signature = new URL(url).searchParams.get('X-Amz-Signature');
    if (signature) secrets.push(signature);
    return url;
  }

  const openEngine: typeof openTestEngine = async (options) => {
    const opened = await openTestEngine(options);
    otherHomes.push(opened.home);
    return {
      ...opened,
      close: async () => {
        otherJobs.push(...(await opened.engine.list()));
        await opened.close();
      },
    };
  };

  beforeAll(async () => {
    capture(process.stdout, originalWrites.out);
    capture(process.stderr, originalWrites.err);
    await Promise.all(
      (['rgw', 'swift', 'sftp', 'azurite', 'gcs'] as const).map((name) => assertServerUp(name)),
    );
    ({ engine, close, home } = await openTestEngine());
    dir = await tempDir('outbox-faults-');
    await rgw.send(new CreateBucketCommand({ Bucket: bucket }));
    await swiftS3.send(new CreateBucketCommand({ Bucket: bucket }));
  });

  afterAll(async () => {
    process.stdout.write = originalWrites.out;
    process.stderr.write = originalWrites.err;
    await close?.();
    await Promise.all(proxies.map((p) => p.close()));
    await emptyBucket(rgw, bucket).catch(() => undefined);
    await emptyBucket(swiftS3, bucket).catch(() => undefined);
    await emptyBucket(swiftS3, `${bucket}_segments`).catch(() => undefined);
    await fs.rm(join(SFTP.home, `outbox-faults-${suffix}`), { recursive: true, force: true });
    await fs.rm(dir, { recursive: true, force: true });
    await fs.rm(home, { recursive: true, force: true });
    for (const other of otherHomes) await fs.rm(other, { recursive: true, force: true });
  });

  function itLeavesNoSecrets({ signedUrls = true }: { signedUrls?: boolean } = {}): void {
    describe('secrets after the fault tests', () => {
      it('appear nowhere in the data directory, the job records or the console output', async () => {
        const found: string[] = [];
        for (const root of [home, ...otherHomes]) {
          found.push(...(await secretsOnDisk(root, secrets)).leaks);
        }
        // Every task record and its messages, as the API would show them.
        const jobs = JSON.stringify([...(await engine.list()), ...otherJobs]);
        for (const secret of secrets) expect(jobs.includes(secret)).toBe(false);
        expect(jobs.length).toBeGreaterThan(1000);
        expect(found).toEqual([]);
        // Console output of this process and the export workers (crash and SDK output included).
        for (const secret of secrets) expect(printed.includes(secret)).toBe(false);
        // The scan saw real material: the presigned signatures were collected.
        if (signedUrls) expect(secrets.length).toBeGreaterThan(6);
      });
    });
  }

  return {
    suffix,
    bucket,
    rgw,
    swiftS3,
    get engine() {
      return engine;
    },
    get home() {
      return home;
    },
    get dir() {
      return dir;
    },
    proxyTo,
    presigned,
    s3Sha256,
    s3Exists,
    openUploads,
    openEngine,
    itLeavesNoSecrets,
  };
}
