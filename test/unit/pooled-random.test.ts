import { randomFillSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { pooledRandomFill } from '../../main/core/exporters/sftp/pooled-random';

/**
 * A source that writes 1, 2, 3, … (mod 256) across all its fills, and counts
 * its calls: every byte a fill hands out can be traced to the draw it came from.
 */
function countingSource() {
  let next = 1;
  const calls: number[] = [];
  const source = ((buffer: Uint8Array, offset = 0, size?: number) => {
    const length = size ?? buffer.byteLength - offset;
    calls.push(length);
    for (let i = 0; i < length; i++) buffer[offset + i] = next++ & 0xff;
    return buffer;
  }) as typeof randomFillSync;
  return { source, calls };
}

describe('pooledRandomFill (the random padding of ssh2 packets)', () => {
  it('hands out each byte of the pool once, in order, and draws a new pool when it runs out', () => {
    const { source, calls } = countingSource();
    const fill = pooledRandomFill(source, 16);
    const packet = Buffer.alloc(10);

    expect(fill(packet, 2, 4)).toBe(packet);
    expect([...packet]).toEqual([0, 0, 1, 2, 3, 4, 0, 0, 0, 0]);
    fill(packet, 6, 4);
    expect([...packet.subarray(6)]).toEqual([5, 6, 7, 8]);
    fill(packet, 0, 4);
    fill(packet, 0, 4); // the pool's last 4 bytes: 13..16
    expect([...packet.subarray(0, 4)]).toEqual([13, 14, 15, 16]);
    expect(calls).toEqual([16]);

    fill(packet, 0, 3); // the pool is used up: a new one, from the source's next bytes
    expect([...packet.subarray(0, 3)]).toEqual([17, 18, 19]);
    expect(calls).toEqual([16, 16]);
  });

  it('fills to the end of the buffer when no size is given', () => {
    const { source } = countingSource();
    const padding = Buffer.alloc(4);
    pooledRandomFill(source, 16)(padding, 1);
    expect([...padding]).toEqual([0, 1, 2, 3]);
  });

  it('leaves large fills and bad arguments to the source, with its own errors', () => {
    const { source, calls } = countingSource();
    const fill = pooledRandomFill(source, 16);
    fill(Buffer.alloc(8), 0, 5); // more than a quarter of the pool
    expect(calls).toEqual([5]);

    const real = pooledRandomFill(randomFillSync, 16);
    expect(() => real(Buffer.alloc(4), 2, 4)).toThrow(/out of range|size/i);
    expect(() => real(Buffer.alloc(4), -1, 1)).toThrow(/out of range|offset/i);
  });

  it('fills with random bytes from node:crypto', () => {
    const fill = pooledRandomFill(randomFillSync);
    const seen = new Set<string>();
    for (let i = 0; i < 5000; i++) seen.add(fill(Buffer.alloc(16)).toString('hex'));
    expect(seen.size).toBe(5000); // 80,000 bytes: the pool was drawn more than once
    expect(seen.has('0'.repeat(32))).toBe(false);
  });
});
