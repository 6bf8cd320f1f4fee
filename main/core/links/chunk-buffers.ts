/**
 * The buffers link bodies are read into and sent from, reused rather than
 * allocated per read: a fresh 1 MiB buffer per read made the garbage
 * collector the largest item in the profile of a ZIP download (BENCHMARKS.md,
 * "Link server"). A buffer is lent to a read and given back once the write
 * that sends it has flushed, or failed.
 */

/** Bodies are read in chunks this large. */
export const CHUNK = 1024 * 1024;
/** Free buffers kept between responses (16 parallel downloads, two each). */
const SPARE = 32;
const spare: Buffer[] = [];

/** The buffers of one response: at most `limit` lent at once (one read while the others are sent). */
export class ChunkBuffers {
  private readonly lent = new Map<ArrayBufferLike, Buffer>();
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly limit: number) {}

  /** A buffer of CHUNK bytes; waits while `limit` are lent. */
  async take(): Promise<Buffer> {
    while (this.lent.size >= this.limit) {
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
    const buffer = spare.pop() ?? Buffer.allocUnsafe(CHUNK);
    this.lent.set(buffer.buffer, buffer);
    return buffer;
  }

  /** Whether `chunk` is (part of) a buffer lent by this. */
  owns(chunk: Buffer): boolean {
    return this.lent.has(chunk.buffer);
  }

  /** Gives back the buffer `chunk` was read into; any other chunk is ignored. */
  giveBack(chunk: Buffer): void {
    const buffer = this.lent.get(chunk.buffer);
    if (!buffer) return;
    this.lent.delete(chunk.buffer);
    if (spare.length < SPARE) spare.push(buffer);
    this.waiting.shift()?.();
  }
}
