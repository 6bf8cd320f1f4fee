import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  UploadPartCommand,
  type CompletedPart,
  type S3Client,
} from '@aws-sdk/client-s3';
import { OutboxError } from '../../errors';
import { withRetry } from '../../engine/retry';
import type { TransferContext } from '../exporter';
import { s3Error, type S3ErrorScope } from './errors';
import type { ObjectOptions } from './object-options';
import { sendParts, type PartPlan } from '../parts';

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

/**
 * Uploads a file as an S3 multipart upload: `plan.concurrency` parts at a
 * time, each read once into memory (bounded by the plan), sent with its
 * Content-MD5 and retried on its own. On failure or cancel the upload is
 * aborted once no part is in flight, so no orphaned parts stay billed.
 * Returns the parts' MD5s (for the composite ETag check).
 */
export async function uploadMultipart(
  target: MultipartTarget,
  plan: PartPlan,
  size: number,
  context: TransferContext,
): Promise<Buffer[]> {
  const { client, bucket, key, scope } = target;
  const created = await client
    .send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, ...target.options }), {
      abortSignal: context.signal,
    })
    .catch((error: unknown) => {
      throw s3Error(error, scope);
    });
  const uploadId = created.UploadId;
  if (!uploadId) {
    throw new OutboxError(
      'REMOTE_ERROR',
      `${scope.destination}: the server started a multipart upload without an UploadId.`,
    );
  }

  try {
    const { results: parts, md5s } = await sendParts<CompletedPart>(
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
      { signal: context.signal },
    );
    return md5s;
  } catch (error) {
    const leftover = await abortUpload(target, uploadId);
    if (leftover && error instanceof OutboxError) {
      throw new OutboxError(error.code, `${error.message} ${leftover}`, error.options);
    }
    throw error;
  }
}

/** Aborts the upload; returns a warning to show if its parts may remain. */
async function abortUpload(target: MultipartTarget, uploadId: string): Promise<string | undefined> {
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
      { signal: AbortSignal.timeout(ABORT_TOTAL_TIMEOUT_MS) },
    );
    return undefined;
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    return `The incomplete multipart upload ${uploadId} could not be removed (${why}); its parts stay stored until removed (e.g. by a bucket lifecycle rule).`;
  }
}
