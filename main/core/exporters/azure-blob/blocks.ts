import { createHash, randomBytes } from 'node:crypto';
import type { BlockBlobClient } from '@azure/storage-blob';
import type { OutboxError } from '../../errors';
import type { TransferContext } from '../exporter';
import type { ResumeStateOf } from '../resume-states';
import { planParts, sendParts, type PartLimits, type PartPlan, type PartSource } from '../parts';

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

/**
 * Block ids must all have the same length within a blob. The nonce keeps
 * uploads apart; the MD5 makes an id name its bytes, so a staged block found
 * after a crash is reused only if it holds exactly the part.
 */
function blockId(nonce: string, index: number, md5: Buffer): string {
  return Buffer.from(`${nonce}-${String(index).padStart(6, '0')}-${md5.toString('hex')}`).toString(
    'base64',
  );
}

/** What a staged upload saves to be continued after a crash: its block-id nonce and block size. */
type StagedResume = Pick<TransferContext<ResumeStateOf<'export/azure/blob'>>, 'resume'>;

/** The nonce and uncommitted blocks of an interrupted upload of the same file, if any. */
async function continuable(
  blob: BlockBlobClient,
  plan: PartPlan,
  context: StagedResume & Pick<TransferContext, 'signal'>,
): Promise<{ nonce: string; staged: Map<string, number> } | undefined> {
  const previous = context.resume.previous;
  // Another file's blocks need no removal: committing a block list discards the uncommitted rest.
  if (!previous?.sameSource || previous.state.partSize !== plan.partSize) return undefined;
  const list = await blob
    .getBlockList('uncommitted', { abortSignal: context.signal })
    .catch(() => undefined); // no blob yet, or no read right: start over
  const staged = new Map(
    (list?.uncommittedBlocks ?? []).map((block) => [block.name, block.size] as const),
  );
  return { nonce: previous.state.nonce, staged };
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
  context: PartSource & StagedResume & Pick<TransferContext, 'progress' | 'signal' | 'policy'>,
  classify: (error: unknown) => OutboxError,
): Promise<{ blockIds: string[]; md5: Buffer; reusedBytes: number }> {
  // Parts are read once each, in order: the whole file's MD5 comes from the same reads.
  const whole = createHash('md5');

  const resumed = await continuable(blob, plan, context);
  const nonce = resumed?.nonce ?? randomBytes(6).toString('hex');
  if (!resumed) await context.resume.save({ nonce, partSize: plan.partSize });
  const { results: blockIds, reusedBytes } = await sendParts(
    plan,
    size,
    context,
    async (index, part, progress, signal) => {
      const id = blockId(nonce, index, part.md5);
      await blob
        .stageBlock(id, part.body(progress), part.length, {
          transactionalContentMD5: part.md5,
          abortSignal: signal,
        })
        .catch((error: unknown) => {
          throw classify(error);
        });
      return id;
    },
    {
      onRead: (data) => whole.update(data),
      stored: (index, part) => {
        const id = blockId(nonce, index, part.md5);
        return resumed?.staged.get(id) === part.length ? id : undefined;
      },
    },
  );
  return { blockIds, md5: whole.digest(), reusedBytes };
}
