import { createHash, randomBytes } from 'node:crypto';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import type { BlockBlobClient } from '@azure/storage-blob';
import type { OutboxError } from '../../errors';
import type { ByteRange, TransferContext } from '../exporter';
import { planParts, sendParts, type PartLimits, type PartPlan } from '../parts';

const AZURE_LIMITS: PartLimits = {
  service: 'Azure',
  maxParts: 50_000,
  maxPartSize: 4000 * 1024 * 1024, // Put Block limit (API version 2019-12-12 and later)
};

/** Blocks of 8 MiB (or `part_size`), grown to fit 50,000 blocks; one block goes as a single Put Blob. */
export function planBlocks(
  size: number,
  options: { partSize?: number | undefined; concurrency?: number | undefined },
): PartPlan {
  return planParts(size, options, AZURE_LIMITS);
}

/** Block ids must all have the same length within a blob; the nonce keeps tries apart. */
function blockId(nonce: string, index: number): string {
  return Buffer.from(`${nonce}-${String(index).padStart(6, '0')}`).toString('base64');
}

/**
 * Stages the file's blocks, `plan.concurrency` at a time, each with its own
 * Content-MD5 (Azure rejects a damaged block) and its own retries. Blocks are
 * read in order, so the whole file's MD5 is computed on the way, from the
 * same bytes that are sent. Nothing is committed here: if this fails or is
 * cancelled, the staged blocks never become a blob (Azure discards
 * uncommitted blocks after a week).
 */
export async function stageBlocks(
  blob: BlockBlobClient,
  plan: PartPlan,
  size: number,
  context: Pick<TransferContext, 'open' | 'progress' | 'signal'>,
  classify: (error: unknown) => OutboxError,
): Promise<{ blockIds: string[]; md5: Buffer }> {
  const whole = createHash('md5');
  let hashedTo = 0;
  // Large blocks are read twice (hash, then send) and retries read again: each byte is hashed once, in order.
  const open = (range: ByteRange): Readable => {
    const stream = context.open(range);
    if (range.start !== hashedTo) return stream;
    hashedTo = range.end;
    const tap = new Transform({
      transform(chunk: Buffer, _encoding, callback: TransformCallback) {
        whole.update(chunk);
        callback(null, chunk);
      },
    });
    stream.on('error', (error) => tap.destroy(error));
    return stream.pipe(tap);
  };

  const nonce = randomBytes(6).toString('hex');
  const blockIds = Array.from({ length: plan.partCount }, (_, index) => blockId(nonce, index));
  await sendParts(
    plan,
    size,
    context,
    async (index, part, progress, signal) => {
      await blob
        .stageBlock(blockIds[index] ?? '', part.body(progress), part.length, {
          transactionalContentMD5: part.md5,
          abortSignal: signal,
        })
        .catch((error: unknown) => {
          throw classify(error);
        });
    },
    open,
  );
  return { blockIds, md5: whole.digest() };
}
