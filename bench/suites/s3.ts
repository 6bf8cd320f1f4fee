import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import {
  AbortMultipartUploadCommand,
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectsCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { RGW, SWIFT_S3, TEST_ENV_DIR, type S3Endpoint, s3TaskOf } from '../../test/support/servers';
import { filesOf, nameOf } from '../ceilings/lib.mts';
import { ceilingTool, curlTool } from '../lib/ceiling';
import type { BenchContext } from '../lib/context';
import { failedLine, throughputLine } from '../lib/line';
import { awsEnv, rcloneTool } from '../lib/peers';
import { runCommand } from '../lib/proc';
import { restartServer } from '../lib/servers';
import type { Line } from '../lib/table';
import { outboxTool, type Tool } from '../lib/tool';
import { describeSize, sourceBytes } from '../lib/units';

/**
 * `scale`: the server also gets the 20,000-file line (RGW; Swift's s3api
 * takes ~10 ms a file). `memstore`: it keeps objects in an in-memory OSD
 * (RGW), so it starts afresh before each line and its garbage is collected
 * after each run (freshRgwBucket, rgwCollectGarbage).
 */
type Server = {
  endpoint: S3Endpoint;
  label: string;
  provider: string;
  scale: boolean;
  memstore: boolean;
};

export const S3_SERVERS: Server[] = [
  { endpoint: RGW, label: 'S3 on Ceph RGW', provider: 'Ceph', scale: true, memstore: true },
  {
    endpoint: SWIFT_S3,
    label: 'S3 on Swift s3api',
    provider: 'Other',
    scale: false,
    memstore: false,
  },
];

/** A scale line's time budget: a round of 20,000 files takes minutes. */
const SCALE_BUDGET_SECONDS = 900;
/**
 * Small files on a slow server still get 3 runs: on s3api a round of 2,000 files takes
 * 3–4 min (the board of 05:07 stopped at 2 runs of ~220 s with 600 s).
 */
const SMALL_FILES_BUDGET_SECONDS = 900;

/** The harness's own client: creates and empties buckets (never timed). */
export function adminClient(s3: S3Endpoint): S3Client {
  const client = new S3Client({
    endpoint: s3.endpoint,
    region: s3.region,
    forcePathStyle: true,
    credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  // Swift's s3api wants Content-MD5 on DeleteObjects (the SDK now sends CRC32 instead).
  client.middlewareStack.add(
    (next) => async (args) => {
      const request = args.request as { body?: unknown; headers?: Record<string, string> };
      if (typeof request.body === 'string' && request.headers) {
        request.headers['content-md5'] = createHash('md5').update(request.body).digest('base64');
        for (const h of Object.keys(request.headers)) {
          if (h.startsWith('x-amz-checksum-') || h === 'x-amz-sdk-checksum-algorithm')
            delete request.headers[h];
        }
      }
      return next(args);
    },
    // build step, after the SDK's checksum middleware and before signing
    { step: 'build', priority: 'low', name: 'benchContentMd5' },
  );
  return client;
}

/** Deletes every object (and unfinished multipart upload) under `prefix`. */
export async function emptyPrefix(client: S3Client, bucket: string, prefix: string): Promise<void> {
  let token: string | undefined;
  do {
    const page = await client.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
    );
    const keys = (page.Contents ?? []).flatMap((o) => (o.Key ? [{ Key: o.Key }] : []));
    if (keys.length) {
      await client.send(
        new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys, Quiet: true } }),
      );
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  const uploads = await client.send(
    new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: prefix }),
  );
  for (const u of uploads.Uploads ?? []) {
    await client.send(
      new AbortMultipartUploadCommand({ Bucket: bucket, Key: u.Key, UploadId: u.UploadId }),
    );
  }
}

/** RGW frees deleted data only when its garbage collector runs (by default hours later). */
export async function rgwCollectGarbage(): Promise<void> {
  await runCommand(
    ['radosgw-admin', '-c', `${TEST_ENV_DIR}/rgw/ceph.conf`, 'gc', 'process', '--include-all'],
    { timeoutMs: 120_000 },
  );
}

export async function s3Lines(ctx: BenchContext, server: Server): Promise<Line[]> {
  const s3 = server.endpoint;
  const bucket = `outbox-bench-${s3.name}-${ctx.tag}`;
  const client = adminClient(s3);
  const title = (what: string) => `${server.label}: ${what}`;
  const { sizes } = ctx.data;
  const kinds = [
    {
      id: `s3-${s3.name}-big`,
      what: describeSize(sizes.bigBytes),
      source: ctx.data.big,
      big: true,
    },
    {
      id: `s3-${s3.name}-small`,
      what: describeSize(sizes.smallBytes, sizes.smallCount),
      source: ctx.data.small,
    },
    ...(server.scale
      ? [
          {
            id: `s3-${s3.name}-medium`,
            what: describeSize(sizes.mediumBytes, sizes.mediumCount),
            source: ctx.data.medium,
          },
          {
            id: `s3-${s3.name}-scale`,
            what: describeSize(sizes.scaleBytes, sizes.scaleCount),
            source: ctx.data.scale,
            scale: true,
          },
        ]
      : []),
  ];
  const outbox = outboxTool(ctx, (target) => ({
    ...s3TaskOf(s3),
    bucket,
    key_prefix: `${target}/`,
  }));
  const rclone = rcloneTool(
    ctx,
    {
      name: `bench${s3.name}`,
      options: {
        type: 's3',
        provider: server.provider,
        endpoint: s3.endpoint,
        access_key_id: s3.accessKeyId,
        secret_access_key: s3.secretAccessKey,
        region: s3.region,
        force_path_style: 'true',
      },
    },
    (target) => `${bucket}/${target}`,
  );
  const aws: Tool = {
    name: 'aws',
    async command(source, target) {
      const isDir = (await fs.stat(source)).isDirectory();
      const dest = `s3://${bucket}/${target}/${isDir ? 'small/' : 'big.bin'}`;
      return {
        argv: [
          '/usr/bin/aws',
          '--endpoint-url',
          s3.endpoint,
          's3',
          'cp',
          ...(isDir ? ['--recursive'] : []),
          '--only-show-errors',
          '--no-progress',
          source,
          dest,
        ],
        env: await awsEnv(ctx, s3),
      };
    },
  };
  const sdkSettings = (target: string) => ({
    endpoint: s3.endpoint,
    region: s3.region,
    accessKeyId: s3.accessKeyId,
    secretAccessKey: s3.secretAccessKey,
    bucket,
    prefix: `${target}/`,
  });
  const sdk = ceilingTool(ctx, 'S3 SDK', 's3-sdk', sdkSettings);
  // The same loop doing Outbox's verification (Content-MD5, ETag checks): Outbox's overhead at equal work.
  const sdkMd5 = ceilingTool(ctx, 'S3 SDK + Content-MD5', 's3-sdk-md5', sdkSettings);
  const curl = curlTool(ctx, 'curl -T presigned', async (source, target) => {
    const { folder, files } = await filesOf(source);
    return Promise.all(
      files.map(async (file) => ({
        file: file.path,
        url: await getSignedUrl(
          client,
          new PutObjectCommand({ Bucket: bucket, Key: nameOf(`${target}/`, folder, file) }),
          { expiresIn: 3600 },
        ),
      })),
    );
  });
  const lines: Line[] = [];
  let created = false;
  try {
    for (const kind of kinds) {
      ctx.log(`${kind.id}: ${title(kind.what)}`);
      try {
        if (server.memstore) await freshRgwBucket(ctx, client, bucket);
        else if (!created) await createBucket(client, bucket);
        created = true;
      } catch (error) {
        lines.push(failedLine(kind.id, title(kind.what), `ready the bucket: ${String(error)}`));
        continue;
      }
      lines.push(
        await throughputLine(ctx, {
          id: kind.id,
          title: title(kind.what),
          source: kind.source,
          bytes: await sourceBytes(kind.source),
          outbox,
          // scale: the best peer and the SDK of the 2,000-file line only, or a round takes too long
          peers: 'scale' in kind ? [rclone] : [rclone, aws],
          ceilings: 'scale' in kind ? [sdk] : kind.big ? [sdk, sdkMd5, curl] : [sdk, curl],
          budgetSeconds:
            'scale' in kind
              ? SCALE_BUDGET_SECONDS
              : kind.big
                ? ctx.budgetSeconds
                : Math.max(ctx.budgetSeconds, SMALL_FILES_BUDGET_SECONDS),
          afterRun: async (_tool, target) => {
            await emptyPrefix(client, bucket, `${target}/`);
            if (server.memstore) await rgwCollectGarbage();
          },
        }),
      );
    }
  } finally {
    if (created) {
      await emptyPrefix(client, bucket, '').catch(() => undefined);
      await client.send(new DeleteBucketCommand({ Bucket: bucket })).catch((error: unknown) => {
        ctx.log(`  could not delete bucket ${bucket}: ${String(error)}`);
      });
      if (server.memstore) await rgwCollectGarbage();
    }
    client.destroy();
  }
  return lines;
}

async function createBucket(client: S3Client, bucket: string): Promise<void> {
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
}

/**
 * A fresh RGW (an empty cluster) and the bucket, before each RGW line (not
 * timed; the line's warm-up run follows). Its memstore OSD once declared
 * itself full a few minutes after a line of 1 GiB uploads, each deleted and
 * its garbage collected ("now -2147483648% full"), and every write then hung.
 */
export async function freshRgwBucket(
  ctx: BenchContext,
  client: S3Client,
  bucket: string,
): Promise<void> {
  await restartServer(ctx, 'rgw');
  await createBucket(client, bucket);
}
