import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  ListPartsCommand,
  UploadPartCommand,
  type CompletedPart,
  type S3Client,
} from '@aws-sdk/client-s3';
import { OutboxError } from '../../errors';
import { bareEtag } from '../integrity';
import { withRetry, type RetryPolicy } from '../../transfer/retry';
import type { TransferContext } from '../exporter';
import { s3Error, type S3ErrorScope } from './errors';
import type { ObjectOptions } from './object-options';
import type { ResumeStateOf } from '../resume-states';
import { sendParts, type PartPlan, type StoredPart } from '../parts';
import { pausedBy } from '../pause';

// Removing the upload must not wait on the (possibly cancelled) transfer's signal.
const ABORT_REQUEST_TIMEOUT_MS = 15_000;
const ABORT_TOTAL_TIMEOUT_MS = 60_000;

export type MultipartTarget = {
  client: S3Client;
  bucket: string;
  key: string;
  options: ObjectOptions;
  scope: S3ErrorScope;
};

/** A transfer that saves its multipart upload id and part size to be continued after a crash. */
type S3Context = TransferContext<ResumeStateOf<'export/s3'>>;

/**
 * The parts an interrupted upload already stored, if it can be continued:
 * same file, same part size, and the upload still open on the server.
 * Otherwise it is aborted (a changed file's parts must not linger).
 */
async function continuable(
  target: MultipartTarget,
  plan: PartPlan,
  context: S3Context,
): Promise<{ uploadId: string; stored: Map<number, { etag: string; size: number }> } | undefined> {
  const previous = context.resume.previous;
  if (!previous) return undefined;
  const { uploadId, partSize } = previous.state;
  if (!previous.sameSource || partSize !== plan.partSize) {
    await abortUpload(target, uploadId, context.policy.retry);
    return undefined;
  }
  const stored = new Map<number, { etag: string; size: number }>();
  let marker: string | undefined;
  try {
    do {
      const page = await target.client.send(
        new ListPartsCommand({
          Bucket: target.bucket,
          Key: target.key,
          UploadId: uploadId,
          ...(marker ? { PartNumberMarker: marker } : {}),
        }),
        { abortSignal: context.signal },
      );
      for (const part of page.Parts ?? []) {
        if (part.PartNumber && part.ETag) {
          stored.set(part.PartNumber, {
            etag: bareEtag(part.ETag),
            size: part.Size ?? -1,
          });
        }
      }
      marker = page.IsTruncated ? page.NextPartNumberMarker : undefined;
    } while (marker);
  } catch (error) {
    context.signal.throwIfAborted();
    if ((error as { name?: string }).name === 'NoSuchUpload') return undefined; // completed or expired
    throw s3Error(error, target.scope);
  }
  return { uploadId, stored };
}

async function createUpload(target: MultipartTarget, context: TransferContext): Promise<string> {
  const { client, bucket, key, scope } = target;
  const created = await client
    .send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, ...target.options }), {
      abortSignal: context.signal,
    })
    .catch((error: unknown) => {
      throw s3Error(error, scope);
    });
  if (!created.UploadId) {
    throw new OutboxError(
      'REMOTE_ERROR',
      `${scope.destination}: the server started a multipart upload without an UploadId.`,
    );
  }
  return created.UploadId;
}

/**
 * Uploads a file as an S3 multipart upload: `plan.concurrency` parts at a
 * time, each read once into memory (bounded by the plan), sent with its
 * Content-MD5 and retried on its own. The upload id is saved before any
 * part goes, so a run after a crash continues it: parts the server holds
 * with the same MD5 are not sent again. On failure or cancel the upload is
 * aborted once no part is in flight, so no orphaned parts stay billed (a
 * pause keeps it, to be continued).
 * Returns the parts' MD5s (for the composite ETag check) and the bytes reused.
 */
export async function uploadMultipart(
  target: MultipartTarget,
  plan: PartPlan,
  size: number,
  context: S3Context,
): Promise<{ md5s: Buffer[]; reusedBytes: number }> {
  const { client, bucket, key, scope } = target;
  const resumed = await continuable(target, plan, context);
  const uploadId = resumed?.uploadId ?? (await createUpload(target, context));
  const stored: StoredPart<CompletedPart> = (index, part) => {
    const have = resumed?.stored.get(index + 1);
    return have?.size === part.length && have.etag === part.md5.toString('hex')
      ? { PartNumber: index + 1, ETag: `"${have.etag}"` }
      : undefined;
  };

  try {
    if (!resumed) await context.resume.save({ uploadId, partSize: plan.partSize });
    const {
      results: parts,
      md5s,
      reusedBytes,
    } = await sendParts<CompletedPart>(
      plan,
      size,
      context,
      async (index, part, progress, signal) => {
        const answer = await client
          .send(
            new UploadPartCommand({
              Bucket: bucket,
              Key: key,
              UploadId: uploadId,
              PartNumber: index + 1,
              Body: part.body(progress),
              ContentLength: part.length,
              ContentMD5: part.md5.toString('base64'),
            }),
            { abortSignal: signal },
          )
          .catch((error: unknown) => {
            throw s3Error(error, { ...scope, key });
          });
        return { PartNumber: index + 1, ETag: answer.ETag };
      },
      { stored },
    );
    await withRetry(
      () =>
        client
          .send(
            new CompleteMultipartUploadCommand({
              Bucket: bucket,
              Key: key,
              UploadId: uploadId,
              MultipartUpload: { Parts: parts },
            }),
            { abortSignal: context.signal },
          )
          .catch((error: unknown) => {
            throw s3Error(error, { ...scope, key });
          }),
      { signal: context.signal, policy: context.policy.retry },
    );
    return { md5s, reusedBytes };
  } catch (error) {
    if (pausedBy(context.signal)) throw error; // its parts stay for Resume
    const leftover = await abortUpload(target, uploadId, context.policy.retry);
    if (leftover && error instanceof OutboxError) {
      throw new OutboxError(error.code, `${error.message} ${leftover}`, error.options);
    }
    throw error;
  }
}

/** Aborts the upload; returns a warning to show if its parts may remain. */
async function abortUpload(
  target: MultipartTarget,
  uploadId: string,
  policy: RetryPolicy,
): Promise<string | undefined> {
  const { client, bucket, key, scope } = target;
  try {
    await withRetry(
      () =>
        client
          .send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId }), {
            abortSignal: AbortSignal.timeout(ABORT_REQUEST_TIMEOUT_MS),
          })
          .catch((error: unknown) => {
            if ((error as { name?: string }).name === 'NoSuchUpload') return; // already gone
            throw s3Error(error, { ...scope, key });
          }),
      { signal: AbortSignal.timeout(ABORT_TOTAL_TIMEOUT_MS), policy },
    );
    return undefined;
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    return `The incomplete multipart upload ${uploadId} could not be removed (${why}); its parts stay stored until removed (e.g. by a bucket lifecycle rule).`;
  }
}
