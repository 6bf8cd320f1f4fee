import type { randomFillSync } from 'node:crypto';

type RandomFill = typeof randomFillSync;

/** Bytes drawn from the source at once: ~4,000 packets' padding. */
const POOL_BYTES = 64 * 1024;

/**
 * A `randomFillSync` that hands out bytes from a pool it fills from `source`,
 * for fills of a few bytes made very often. ssh2 pads every SSH packet with
 * 4 to 19 random bytes and fetches them with one `randomFillSync` each: one
 * call into OpenSSL (and a getpid) per 32 KiB packet, some 4% of a 1 GiB SFTP
 * upload's CPU (BENCHMARKS.md, sixteenth session). OpenSSH pads from a
 * buffered generator too (arc4random_buf). Every byte comes from `source` and
 * is handed out once; fills larger than a quarter of the pool go to `source`.
 */
export function pooledRandomFill(source: RandomFill, poolBytes = POOL_BYTES): RandomFill {
  const pool = Buffer.allocUnsafeSlow(poolBytes);
  let used = poolBytes; // empty: filled on first use
  const fill = <T extends NodeJS.ArrayBufferView>(buffer: T, offset = 0, size?: number): T => {
    const length = size ?? buffer.byteLength - offset;
    const pooled =
      buffer instanceof Uint8Array &&
      Number.isInteger(offset) &&
      Number.isInteger(length) &&
      offset >= 0 &&
      length >= 0 &&
      offset + length <= buffer.byteLength &&
      length <= poolBytes / 4;
    if (!pooled) return source(buffer, offset, size); // Node's own checks and errors
    if (used + length > poolBytes) {
      source(pool);
      used = 0;
    }
    pool.copy(buffer, offset, used, used + length); // no view object per packet
    used += length;
    return buffer;
  };
  return fill as RandomFill;
}
