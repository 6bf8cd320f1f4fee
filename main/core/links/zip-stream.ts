import { closeSync, fstatSync, openSync, promises as fs, readSync } from 'node:fs';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { crc32 } from 'node:zlib';
import { CHUNK, ChunkBuffers } from './chunk-buffers';
import {
  centralHeader,
  dataDescriptor,
  itemAt,
  localHeader,
  type ZipItem,
  type ZipLayout,
} from './zip-layout';

/**
 * Any byte range of a ZIP link's archive, produced while it is sent (no
 * temporary copy). Data descriptors and the central directory need the CRC of
 * each file; a download computes them natively as it reads the files, and a
 * range that starts after a file (a resumed download, one of several parallel
 * ranges) takes it from the link's CRCs: known, being computed by another
 * download, or read from the file now.
 */

/** Headers and small files are sent in batches of about this size, not one write each. */
const BATCH = 64 * 1024;
/** Files up to this size are read at once, synchronously (smallFileBytes). */
const SMALL_ENTRY = 64 * 1024;
/** Synchronous reads stop for a turn of the event loop after this long. */
const TURN_MS = 4;

/** The CRCs of one ZIP link's files (the link's files never change: it stops serving if they do). */
export class ZipCrcs {
  private readonly known = new Map<number, number>();
  /** CRCs being computed by a download; undefined when that download was cut. */
  private readonly pending = new Map<number, Promise<number | undefined>>();

  constructor(private readonly layout: ZipLayout) {}

  /**
   * To be called by a download about to read file `index` whole: the CRC it
   * computes is kept for everyone. Undefined when it is known or already being computed.
   */
  claim(index: number): { done(crc: number): void; failed(): void } | undefined {
    if (this.known.has(index) || this.pending.has(index)) return undefined;
    let settle: (crc: number | undefined) => void = () => undefined;
    this.pending.set(index, new Promise((resolve) => (settle = resolve)));
    return {
      done: (crc) => {
        this.known.set(index, crc);
        this.pending.delete(index);
        settle(crc);
      },
      failed: () => {
        this.pending.delete(index);
        settle(undefined);
      },
    };
  }

  /** The CRC of file `index`: known, awaited from the download computing it, or read now. */
  async of(index: number): Promise<number> {
    for (;;) {
      const known = this.known.get(index);
      if (known !== undefined) return known;
      const pending = this.pending.get(index);
      if (!pending) break;
      const crc = await pending;
      if (crc !== undefined) return crc;
    }
    const claim = this.claim(index) as NonNullable<ReturnType<ZipCrcs['claim']>>;
    try {
      let crc = 0;
      const item = this.layout.items[index] as ZipItem;
      const buffers = new ChunkBuffers(1);
      for await (const chunk of fileBytes(item, 0, item.entry.size, buffers)) {
        crc = crc32(chunk, crc);
        buffers.giveBack(chunk);
      }
      claim.done(crc);
      return crc;
    } catch (error) {
      claim.failed();
      throw error;
    }
  }

  /** A known CRC, without waiting. */
  get(index: number): number | undefined {
    return this.known.get(index);
  }
}

function changed(item: ZipItem): Error {
  return new Error(`${item.entry.name} changed after the link was created`);
}

/**
 * A small file's bytes [from, to), read at once and synchronously: for
 * 100,000 one-byte files, four syscalls each instead of four thread-pool
 * round trips each (~1 s instead of ~25 s). zipBytes turns the event loop
 * every few milliseconds meanwhile.
 */
function smallFileBytes(item: ZipItem, from: number, to: number): Buffer {
  const fd = openSync(item.entry.path, 'r');
  try {
    const stat = fstatSync(fd);
    if (stat.size !== item.entry.size || stat.mtimeMs !== item.entry.mtimeMs) throw changed(item);
    const buffer = Buffer.allocUnsafe(to - from);
    let got = 0;
    while (got < buffer.length) {
      const n = readSync(fd, buffer, got, buffer.length - got, from + got);
      if (n === 0) throw new Error(`${item.entry.name} shrank while it was being sent`);
      got += n;
    }
    return buffer;
  } finally {
    closeSync(fd);
  }
}

/**
 * Bytes [from, to) of one entry's file, after checking it is the file the
 * link was made of; a large file's are read into `buffers` (the reader gives
 * them back). Throws (the download is cut) if it changed or shrank.
 */
async function* fileBytes(
  item: ZipItem,
  from: number,
  to: number,
  buffers: ChunkBuffers | undefined,
): AsyncGenerator<Buffer> {
  if (from >= to) return;
  if (item.entry.size <= SMALL_ENTRY) {
    yield smallFileBytes(item, from, to);
    return;
  }
  const handle = await fs.open(item.entry.path, 'r');
  try {
    const stat = await handle.stat();
    if (stat.size !== item.entry.size || stat.mtimeMs !== item.entry.mtimeMs) throw changed(item);
    let position = from;
    while (position < to) {
      const length = Math.min(CHUNK, to - position);
      const buffer = buffers ? await buffers.take() : Buffer.allocUnsafe(length);
      const { bytesRead } = await handle.read(buffer, 0, length, position).catch((error) => {
        buffers?.giveBack(buffer);
        throw error;
      });
      if (bytesRead === 0) {
        buffers?.giveBack(buffer);
        throw new Error(`${item.entry.name} shrank while it was being sent`);
      }
      position += bytesRead;
      yield bytesRead === buffer.length ? buffer : buffer.subarray(0, bytesRead);
    }
  } finally {
    await handle.close();
  }
}

/** Collects small pieces into batches; large ones pass through (after what was collected). */
class Batcher {
  private parts: Buffer[] = [];
  private size = 0;

  /** `copy`: the piece's buffer is reused once this returns, so a piece kept is copied. */
  add(piece: Buffer, copy = false): Buffer[] {
    if (piece.length >= BATCH) return [...this.flush(), piece];
    this.parts.push(copy ? Buffer.from(piece) : piece);
    this.size += piece.length;
    return this.size >= BATCH ? this.flush() : [];
  }

  flush(): Buffer[] {
    if (this.size === 0) return [];
    const batch = this.parts.length === 1 ? (this.parts[0] as Buffer) : Buffer.concat(this.parts);
    this.parts = [];
    this.size = 0;
    return [batch];
  }
}

/** The part of `piece` (which sits at `offset` in the archive) inside [start, end). */
function clip(piece: Buffer, offset: number, start: number, end: number): Buffer {
  if (offset >= start && offset + piece.length <= end) return piece;
  return piece.subarray(Math.max(0, start - offset), Math.min(piece.length, end - offset));
}

/** One entry's bytes inside [start, end): local header, file data, data descriptor. */
async function* itemBytes(
  layout: ZipLayout,
  crcs: ZipCrcs,
  index: number,
  start: number,
  end: number,
  buffers: ChunkBuffers | undefined,
): AsyncGenerator<Buffer> {
  const item = layout.items[index] as ZipItem;
  if (start < item.dataOffset) yield clip(localHeader(item), item.offset, start, end);
  const within = (offset: number) =>
    Math.min(Math.max(offset - item.dataOffset, 0), item.entry.size);
  const from = within(start);
  const to = within(end);
  const needsCrc = end > item.descriptorOffset;
  // Read from the file's first byte when this range sends its descriptor: the CRC comes
  // for free, and is kept for the central directory, other ranges and later downloads
  // (the file is checked unchanged as it is opened).
  const computing = needsCrc && from === 0 && crcs.get(index) === undefined;
  const claim = computing ? crcs.claim(index) : undefined;
  let crc = 0;
  let complete = false;
  try {
    for await (const chunk of fileBytes(item, from, to, buffers)) {
      if (computing) crc = crc32(chunk, crc);
      yield chunk;
    }
    complete = true;
  } finally {
    // Settled however this ends (a cut download stops the generator here): nobody waits forever.
    if (claim && complete) claim.done(crc);
    else claim?.failed();
  }
  if (!needsCrc) return;
  const known = computing ? crc : (crcs.get(index) ?? (await crcs.of(index)));
  yield clip(dataDescriptor(item, known), item.descriptorOffset, start, end);
}

/**
 * Bytes [start, end) of the archive of `layout` (end exclusive). Fails
 * mid-stream if a file changed since the link was made: the download is cut,
 * never completed with other bytes. With `buffers`, large files are read into
 * them: the consumer gives back each chunk of theirs once it is sent.
 */
export async function* zipBytes(
  layout: ZipLayout,
  crcs: ZipCrcs,
  start: number,
  end: number,
  buffers?: ChunkBuffers,
): AsyncGenerator<Buffer> {
  const batch = new Batcher();
  let turned = performance.now();
  for (let i = itemAt(layout, start); i < layout.items.length; i++) {
    const item = layout.items[i] as ZipItem;
    if (item.offset >= end) break;
    for await (const piece of itemBytes(layout, crcs, i, start, end, buffers)) {
      const lent = buffers?.owns(piece) === true;
      const out = batch.add(piece, lent);
      if (lent && !out.includes(piece)) buffers?.giveBack(piece); // copied into a batch
      yield* out;
    }
    if (performance.now() - turned > TURN_MS) {
      await nextTurn(); // small files are read synchronously: let the rest of the server in
      turned = performance.now();
    }
  }
  if (end > layout.cdOffset) {
    for (let i = 0; i < layout.items.length; i++) {
      const item = layout.items[i] as ZipItem;
      if (item.centralOffset + item.centralLength <= start) continue;
      if (item.centralOffset >= end) break;
      const header = centralHeader(item, crcs.get(i) ?? (await crcs.of(i)));
      yield* batch.add(clip(header, item.centralOffset, start, end));
      if (performance.now() - turned > TURN_MS) {
        await nextTurn(); // CRCs not known yet are read from the files, small ones synchronously
        turned = performance.now();
      }
    }
    const endOffset = layout.cdOffset + layout.cdSize;
    if (end > endOffset) yield* batch.add(clip(layout.endRecords, endOffset, start, end));
  }
  yield* batch.flush();
}
