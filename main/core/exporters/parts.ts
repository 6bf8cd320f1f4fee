import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { OutboxError } from '../errors';
import { withRetry } from '../transfer/retry';
import type { ByteRange, ProgressSink, TransferContext } from './exporter';
import { bufferClassOf, giveBackBuffer, reserveBufferBytes, takeBuffer } from './part-buffers';
import { countSent } from './source-stream';

/**
 * Large files as parallel parts, shared by every exporter that has them (S3
 * multipart, Azure blocks, Swift segments): how big the parts are, how many
 * fly at once within a memory budget, and sending them with per-part retries.
 */

const MiB = 1024 * 1024;
export const DEFAULT_PART_SIZE = 8 * MiB;
const DEFAULT_CONCURRENCY = 4;
/** Parts held in memory at once may take this much, whatever the task asks for. */
export const MEMORY_BUDGET = 256 * MiB;
/** Larger parts are not held in memory: they are read twice (hash, then send). */
export const BUFFERED_PART_LIMIT = 64 * MiB;
const SEND_CHUNK = MiB;

export type PartPlan = {
  partSize: number;
  /** 1 means a single PUT. */
  partCount: number;
  concurrency: number;
};

/** A service's limits on parts, e.g. S3: 10,000 parts of at most 5 GiB. */
export type PartLimits = { service: string; maxParts: number; maxPartSize: number };

/**
 * Part size and parallelism for one file: at least 8 MiB (or `part_size`),
 * grown in whole MiB until the file fits in the service's part count; parallel
 * parts limited so that buffered parts stay within MEMORY_BUDGET.
 */
export function planParts(
  size: number,
  options: { partSize?: number | undefined; concurrency?: number | undefined },
  limits: PartLimits,
): PartPlan {
  const fit = Math.ceil(Math.ceil(size / limits.maxParts) / MiB) * MiB;
  const partSize = Math.min(
    limits.maxPartSize,
    Math.max(options.partSize ?? DEFAULT_PART_SIZE, fit),
  );
  if (size > partSize * limits.maxParts) {
    throw new OutboxError(
      'INVALID_DATA',
      `the file is ${size} bytes: larger than ${limits.service}'s limit of ${limits.maxParts} parts of ${limits.maxPartSize / MiB} MiB`,
    );
  }
  const partCount = Math.max(1, Math.ceil(size / partSize));
  const wanted = options.concurrency ?? DEFAULT_CONCURRENCY;
  const buffered = partSize <= BUFFERED_PART_LIMIT;
  const concurrency = Math.max(
    1,
    Math.min(wanted, partCount, buffered ? Math.floor(MEMORY_BUDGET / partSize) : wanted),
  );
  return { partSize, partCount, concurrency };
}

export function rangeOf(plan: PartPlan, size: number, index: number): ByteRange {
  const start = index * plan.partSize;
  return { start, end: Math.min(size, start + plan.partSize) };
}

/** A part (or whole small file) ready to send: its MD5 known up front for Content-MD5. */
export type PreparedPart = {
  length: number;
  md5: Buffer;
  /** A fresh body for each try, counted into `progress` as the request pulls it. */
  body: (progress: ProgressSink) => Readable;
  /** The bytes themselves when they are held in memory (parts up to BUFFERED_PART_LIMIT). */
  data?: Buffer;
  /**
   * Gives the memory holding `data` back for other parts (part-buffers.ts). Call it
   * once the request that sent the part answered, never while one may still read it.
   */
  release(): void;
};

/**
 * A part's bytes when it is small enough to go in one write (up to 1 MiB,
 * what a stream would send at once anyway): no stream to set up, which is
 * most of what a request of a small file costs; its progress moves once.
 */
export function wholeBody(part: PreparedPart): Buffer | undefined {
  return part.data && part.length <= SEND_CHUNK ? part.data : undefined;
}

/**
 * A held part as a stream of SEND_CHUNK slices, each counted into `progress`
 * as the request pulls it (with back-pressure, that is what was sent). Counted
 * here rather than through countSent, whose tap stream and pipeline exist to
 * close a source file (a held part has none): on a 1 GiB upload they cost
 * ~0.1 CPU-s and 4 MiB of peak memory (BENCHMARKS.md).
 */
function sliced(buffer: Buffer, progress: ProgressSink): Readable {
  let offset = 0;
  return new Readable({
    read() {
      if (offset >= buffer.length) {
        this.push(null);
        return;
      }
      const end = Math.min(buffer.length, offset + SEND_CHUNK);
      progress.add(end - offset);
      this.push(buffer.subarray(offset, end));
      offset = end;
    },
  });
}

/** Where parts come from: the checked reads of TransferContext. */
export type PartSource = Pick<TransferContext, 'read' | 'open'>;

/**
 * Reads a byte range once for its MD5. Parts up to BUFFERED_PART_LIMIT are
 * read straight into a buffer of the thread's (takeBuffer) and sent from
 * there, until `release`; larger ones are read again to send (the source
 * guard fails with FILE_CHANGED if the file changed in between).
 * `onRead` sees every byte read, in order (e.g. for a whole-file hash).
 */
export async function preparePart(
  source: PartSource,
  range: ByteRange,
  options: { onRead?: ((data: Buffer) => void) | undefined } = {},
): Promise<PreparedPart> {
  const length = range.end - range.start;
  const md5 = createHash('md5');
  if (length <= BUFFERED_PART_LIMIT) {
    const buffer = takeBuffer(length);
    const data = buffer.subarray(0, length);
    try {
      // the buffer is exactly the range: every chunk (several under a bandwidth limit) lands in place
      for await (const chunk of source.read(range, data)) {
        md5.update(chunk);
        options.onRead?.(chunk);
      }
    } catch (error) {
      giveBackBuffer(buffer); // nothing was sent from it
      throw error;
    }
    let held = true;
    return {
      length,
      md5: md5.digest(),
      body: (progress) => sliced(data, progress),
      data,
      release() {
        // twice would hand the same memory to two parts
        if (held) giveBackBuffer(buffer);
        held = false;
      },
    };
  }
  // hashed through one reused buffer: the bytes are read again to send
  for await (const chunk of source.read(range, Buffer.allocUnsafe(SEND_CHUNK))) {
    md5.update(chunk);
    options.onRead?.(chunk);
  }
  return {
    length,
    md5: md5.digest(),
    body: (progress) => countSent(source.open(range), progress),
    release: () => undefined,
  };
}

/** The part buffer memory a part of `length` bytes holds while it is sent (none when read twice). */
function heldBy(length: number): number {
  return length <= BUFFERED_PART_LIMIT ? bufferClassOf(length) : 0;
}

/**
 * A whole file as one part: its memory reserved in the thread's limit
 * (part-buffers.ts) before it is read, sent by `send`, its buffer given back
 * once `send` succeeded (a failed request may still hold it).
 */
export async function sendWholeFile<T>(
  source: PartSource & Pick<TransferContext, 'signal'>,
  size: number,
  send: (part: PreparedPart) => Promise<T>,
): Promise<T> {
  const unreserve = await reserveBufferBytes(heldBy(size), source.signal);
  try {
    const part = await preparePart(source, { start: 0, end: size });
    const sent = await send(part);
    part.release();
    return sent;
  } finally {
    unreserve();
  }
}

export type RetractableProgress = ProgressSink & { retract(): void };

/** Progress of one part that can be taken back when the part is sent again. */
export function retractableProgress(progress: ProgressSink): RetractableProgress {
  let sent = 0;
  return {
    add(bytes) {
      sent += bytes;
      progress.add(bytes);
    },
    retract() {
      progress.add(-sent);
      sent = 0;
    },
  };
}

/** Sends one prepared part; must throw classified (OutboxError) errors so retries know what to do. */
export type SendPart<T> = (
  index: number,
  part: PreparedPart,
  progress: RetractableProgress,
  signal: AbortSignal,
) => Promise<T>;

/**
 * A part the server already holds from an interrupted upload, if it has
 * exactly these bytes (same length and MD5): its result, so it is not sent again.
 */
export type StoredPart<T> = (index: number, part: PreparedPart) => T | undefined;

/**
 * Sends every part of a file, `plan.concurrency` at a time, read in order
 * (so `onRead` may hash the whole file on the way), each retried on its own.
 * Parts `stored` recognises are read (for their MD5) but not sent again.
 * The first part that fails for good stops the others; this returns only
 * once nothing is in flight, so callers can clean up safely.
 */
export async function sendParts<T>(
  plan: PartPlan,
  size: number,
  context: PartSource & Pick<TransferContext, 'progress' | 'signal' | 'policy'>,
  send: SendPart<T>,
  options: { onRead?: (data: Buffer) => void; stored?: StoredPart<T> } = {},
): Promise<{ results: T[]; md5s: Buffer[]; reusedBytes: number }> {
  // At most `concurrency` parts are held (in flight or being read): reserved before the first.
  const unreserve = await reserveBufferBytes(
    Math.min(plan.concurrency, plan.partCount) * heldBy(plan.partSize),
    context.signal,
  );
  try {
    return await sendPartsReserved(plan, size, context, send, options);
  } finally {
    unreserve();
  }
}

async function sendPartsReserved<T>(
  plan: PartPlan,
  size: number,
  context: PartSource & Pick<TransferContext, 'progress' | 'signal' | 'policy'>,
  send: SendPart<T>,
  options: { onRead?: (data: Buffer) => void; stored?: StoredPart<T> },
): Promise<{ results: T[]; md5s: Buffer[]; reusedBytes: number }> {
  let reusedBytes = 0;
  const stop = new AbortController();
  const signal = AbortSignal.any([context.signal, stop.signal]);
  const results = new Array<T>(plan.partCount);
  const md5s = new Array<Buffer>(plan.partCount);
  const running = new Set<Promise<void>>();
  let failure: { error: unknown } | undefined;
  try {
    for (let index = 0; index < plan.partCount && !signal.aborted; index++) {
      const part = await preparePart(context, rangeOf(plan, size, index), {
        onRead: options.onRead,
      });
      md5s[index] = part.md5;
      const reused = options.stored?.(index, part);
      if (reused !== undefined) {
        results[index] = reused;
        reusedBytes += part.length;
        context.progress.add(part.length);
        part.release();
        continue;
      }
      const progress = retractableProgress(context.progress);
      const sending = withRetry(
        async () => {
          try {
            results[index] = await send(index, part, progress, signal);
          } catch (error) {
            progress.retract(); // this try's bytes will be sent again
            throw error;
          }
        },
        { signal, policy: context.policy.retry },
      ).then(
        () => part.release(),
        (error: unknown) => {
          // not released: a request that failed may still hold its body
          failure ??= { error };
          stop.abort();
        },
      );
      running.add(sending);
      void sending.finally(() => running.delete(sending));
      while (running.size >= plan.concurrency) await Promise.race(running);
    }
  } catch (error) {
    // Reading failed (e.g. FILE_CHANGED): stop the parts in flight before giving up.
    stop.abort();
    await Promise.allSettled(running);
    throw error;
  }
  await Promise.all(running);
  if (failure) throw failure.error;
  context.signal.throwIfAborted();
  return { results, md5s, reusedBytes };
}

/** The result field saying an upload continued an interrupted one: bytes not sent again. */
export function resumedField(reusedBytes: number): { resumed_bytes?: number } {
  return reusedBytes > 0 ? { resumed_bytes: reusedBytes } : {};
}
