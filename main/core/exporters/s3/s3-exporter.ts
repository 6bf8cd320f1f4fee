import { createHash } from 'node:crypto';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  PutObjectCommand,
  PutObjectTaggingCommand,
  type HeadObjectCommandOutput,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { OutboxError } from '../../errors';
import { withRetry } from '../../transfer/retry';
import type { Exporter, ShareLinkExpiry, TransferContext } from '../exporter';
import { bareEtag, multipartEtag, verify, type Checksum } from '../integrity';
import { describeDestination, objectUrl, s3Client, s3PutObject } from './client';
import { s3Error, type S3ErrorScope } from './errors';
import { uploadMultipart, type MultipartTarget } from './multipart';
import { objectOptions, optionalFeaturesOf } from './object-options';
import { planParts, sendWholeFile, type PartLimits } from '../parts';
import type { PutObject } from './put-object';
import { storedName, withShareLink } from '../share-link';
import { storedFile, type VerifiedBy } from '../stored-file';

const S3_LIMITS: PartLimits = { service: 'S3', maxParts: 10_000, maxPartSize: 5 * 1024 ** 3 };

/**
 * How the stored object was checked. `md5`: its ETag equals the MD5 (or the
 * composite multipart MD5) of the bytes read. `content-md5`: the object is
 * encrypted with KMS or a customer key, so its ETag is no MD5; the size was
 * compared, and every request carried Content-MD5, which the server checked.
 */
type Verification = Extract<VerifiedBy, 'md5' | 'content-md5'>;

/** One PUT with Content-MD5; returns the MD5 of what was sent and the ETag the server answered. */
function putSingle(
  target: MultipartTarget,
  put: PutObject,
  size: number,
  context: TransferContext,
) {
  return sendWholeFile(context, size, async (part) => {
    const answer = await put(
      target.key,
      target.options,
      part,
      context.progress,
      context.signal,
    ).catch((error: unknown) => {
      throw s3Error(error, target.scope);
    });
    return { md5: part.md5, etag: answer.etag };
  });
}

function etagIsNoMd5(head: HeadObjectCommandOutput): boolean {
  return (
    head.SSECustomerAlgorithm !== undefined ||
    (head.ServerSideEncryption?.startsWith('aws:kms') ?? false)
  );
}

/** Compares the stored object with what was sent; says which check it could make. */
async function verifyStored(
  target: MultipartTarget,
  expected: { size: number; checksum: Checksum },
  { signal, policy }: Pick<TransferContext, 'signal' | 'policy'>,
): Promise<{ verification: Verification; head: HeadObjectCommandOutput }> {
  const { client, bucket, key, scope } = target;
  const head = await withRetry(
    () =>
      client
        .send(new HeadObjectCommand({ Bucket: bucket, Key: key }), { abortSignal: signal })
        .catch((error: unknown) => {
          throw s3Error(error, scope);
        }),
    { signal, policy: policy.retry },
  );
  const what = `${scope.destination}, key "${key}"`;
  // RGW answers CompleteMultipartUpload with an empty ETag: HeadObject has the real one.
  const etag = bareEtag(head.ETag ?? '');
  if (etagIsNoMd5(head) && etag !== expected.checksum.value) {
    verify(what, expected, { size: head.ContentLength ?? -1 });
    return { verification: 'content-md5', head };
  }
  if (!etag) {
    throw new OutboxError(
      'INTEGRITY_ERROR',
      `${what}: the server reports no ETag for the stored object, so it cannot be verified.`,
    );
  }
  verify(what, expected, { size: head.ContentLength ?? -1, checksum: etag });
  return { verification: 'md5', head };
}

/**
 * Tags asked for on a multipart upload, checked and set if missing: RGW 16
 * accepts x-amz-tagging on CreateMultipartUpload but does not store it. A
 * user allowed to tag but not to read tags is trusted with the header.
 */
async function ensureTags(
  target: MultipartTarget,
  tags: Record<string, string>,
  { signal, policy }: Pick<TransferContext, 'signal' | 'policy'>,
): Promise<void> {
  const { client, bucket, key, scope } = target;
  const stored = await client
    .send(new GetObjectTaggingCommand({ Bucket: bucket, Key: key }), { abortSignal: signal })
    .catch((error: unknown) => {
      const failure = s3Error(error, scope);
      if (failure.code === 'ACCESS_DENIED') return undefined;
      throw failure;
    });
  if (!stored) return;
  const have = new Map((stored.TagSet ?? []).map((tag) => [tag.Key, tag.Value]));
  const complete =
    have.size === Object.keys(tags).length &&
    Object.entries(tags).every(([name, value]) => have.get(name) === value);
  if (complete) return;
  const body = {
    TagSet: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
  };
  await withRetry(
    () =>
      client
        .send(new PutObjectTaggingCommand({ Bucket: bucket, Key: key, Tagging: body }), {
          abortSignal: signal,
        })
        .catch((error: unknown) => {
          throw s3Error(error, scope);
        }),
    { signal, policy: policy.retry },
  );
}

/** A SigV4 presigned GET of the object (signed locally with the task's credentials). */
function presignedGet(
  target: Pick<MultipartTarget, 'client' | 'bucket' | 'key'>,
  expiry: ShareLinkExpiry,
): Promise<string> {
  return getSignedUrl(
    target.client,
    new GetObjectCommand({ Bucket: target.bucket, Key: target.key }),
    { expiresIn: expiry.seconds, signingDate: expiry.signedAt },
  );
}

/**
 * export/s3: objects in an S3 or S3-compatible bucket. Files up to one part
 * go as one PUT, larger ones as a parallel multipart upload; either way each
 * request carries Content-MD5 and the stored object is read back (HeadObject)
 * and compared by size and ETag.
 */
export const s3Exporter: Exporter<'export/s3'> = {
  operation: 'export/s3',

  async upload({ params, source, name: key }, context) {
    const scope: S3ErrorScope = {
      destination: describeDestination(params),
      bucket: params.bucket,
      key,
      features: optionalFeaturesOf(params),
    };
    const target: MultipartTarget = {
      client: await s3Client(params, context),
      bucket: params.bucket,
      key,
      options: objectOptions(params, key, source.name),
      scope,
    };
    const plan = planParts(
      source.size,
      { partSize: params.part_size, concurrency: params.concurrency },
      S3_LIMITS,
    );

    let checksum: Checksum;
    let reusedBytes = 0;
    let answeredMd5 = false;
    if (plan.partCount === 1) {
      const put = await putSingle(target, await s3PutObject(params, context), source.size, context);
      checksum = { algorithm: 'md5', value: put.md5.toString('hex') };
      answeredMd5 = put.etag === checksum.value;
    } else {
      const multipart = await uploadMultipart(target, plan, source.size, context);
      const { md5s } = multipart;
      reusedBytes = multipart.reusedBytes;
      checksum = { algorithm: 'md5-multipart', value: multipartEtag(md5s) };
      if (target.options.Tagging && params.tagging) {
        await ensureTags(target, params.tagging, context);
      }
    }
    // An unencrypted single PUT is verified by its own answer: the server checked the
    // Content-MD5 and answered the MD5 of what it stored (no second request per small
    // file). Encrypted objects are read back: some servers echo a header they ignored.
    const encrypted = target.options.ServerSideEncryption !== undefined;
    const stored =
      answeredMd5 && !encrypted
        ? undefined
        : await verifyStored(target, { size: source.size, checksum }, context);

    const result = storedFile({
      name: key,
      size: source.size,
      location: objectUrl(params, key),
      place: { bucket: params.bucket, key },
      checksum,
      verifiedBy: stored?.verification ?? 'md5',
      resumedBytes: reusedBytes,
      details: {
        parts: plan.partCount,
        // What the server says it did: some accept the header and do nothing (RGW without a default key).
        ...(params.server_side_encryption
          ? { server_side_encryption: stored?.head.ServerSideEncryption ?? null }
          : {}),
      },
    });
    return withShareLink(result, params.share_link, (expiry) => presignedGet(target, expiry));
  },

  async shareLink(params, file, expiry, context) {
    const client = await s3Client(params, context);
    return presignedGet(
      { client, bucket: storedName(file, 'bucket'), key: storedName(file, 'key') },
      expiry,
    );
  },

  async probe(params, context, key) {
    const { signal } = context;
    const client = await s3Client(params, context);
    const features = optionalFeaturesOf(params);
    const scope: S3ErrorScope = {
      destination: describeDestination(params),
      bucket: params.bucket,
      features,
    };
    const body = Buffer.from('Outbox connection test: this object is deleted right away.\n');
    // Written with the task's own options, so a server that refuses one of them says so now.
    await client
      .send(
        new PutObjectCommand({
          Bucket: params.bucket,
          Key: key,
          ...objectOptions(params, key, key),
          Body: body,
          ContentLength: body.length,
          ContentMD5: createHash('md5').update(body).digest('base64'),
        }),
        { abortSignal: signal },
      )
      .catch((error: unknown) => {
        throw s3Error(error, scope);
      });
    const written = `credentials accepted and ${scope.destination} is writable${features.length > 0 ? ` with ${features.join(', ')}` : ''}`;
    try {
      await client.send(new DeleteObjectCommand({ Bucket: params.bucket, Key: key }), {
        abortSignal: signal,
      });
    } catch (error) {
      const why = s3Error(error, { ...scope, key }).message;
      return {
        ok: true,
        message: `Connected: ${written}, but the test object "${key}" could not be deleted (${why}); delete it by hand.`,
      };
    }
    return { ok: true, message: `Connected: ${written} (a test object was written and deleted).` };
  },
};
