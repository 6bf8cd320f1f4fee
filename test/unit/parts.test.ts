import { describe, expect, it } from 'vitest';
import { MEMORY_BUDGET, planParts, type PartLimits } from '../../main/core/exporters/parts';

const MiB = 1024 * 1024;
const S3: PartLimits = { service: 'S3', maxParts: 10_000, maxPartSize: 5 * 1024 * MiB };
const plan = (size: number, options: { partSize?: number; concurrency?: number }) =>
  planParts(size, options, S3);

describe('part planning (shared by S3, Azure and Swift)', () => {
  it('chooses parts of at least 8 MiB, at most 10,000 of them, within the memory budget', () => {
    expect(plan(0, {})).toEqual({ partSize: 8 * MiB, partCount: 1, concurrency: 1 });
    expect(plan(8 * MiB, {})).toMatchObject({ partCount: 1 });
    expect(plan(4 * 1024 * MiB, {})).toEqual({
      partSize: 8 * MiB,
      partCount: 512,
      concurrency: 4,
    });
    const large = plan(100 * 1024 * MiB, {}); // 100 GiB: parts grow to fit 10,000
    expect(large).toEqual({ partSize: 11 * MiB, partCount: 9310, concurrency: 4 });
    expect(large.partSize * large.concurrency).toBeLessThanOrEqual(MEMORY_BUDGET);
    // 1 TiB: parts beyond 64 MiB are streamed from disk (read twice), not held in memory.
    expect(plan(1024 * 1024 * MiB, {}).partCount).toBeLessThanOrEqual(10_000);
    expect(plan(12 * MiB, { partSize: 5 * MiB, concurrency: 8 })).toEqual({
      partSize: 5 * MiB,
      partCount: 3,
      concurrency: 3,
    });
    // Many parallel parts are limited by memory, not by what was asked.
    expect(plan(10 * 1024 * MiB, { partSize: 32 * MiB, concurrency: 64 }).concurrency).toBe(8);
  });

  it('refuses files beyond the service limits, naming the service', () => {
    expect(() =>
      planParts(20 * MiB, {}, { service: 'Tiny', maxParts: 2, maxPartSize: 8 * MiB }),
    ).toThrow(/larger than Tiny's limit of 2 parts of 8 MiB/);
  });
});
