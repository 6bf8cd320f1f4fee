import { describe, expect, it } from 'vitest';
import { randomBase64url } from '../../main/core/random-text';

describe('random text from the pool', () => {
  it('gives URL-safe text of the bytes asked for, never the same bytes twice across refills', () => {
    // 2,000 × 41 bytes: the 4,096-byte pool refills 20 times.
    const drawn = Array.from({ length: 2000 }, (_, i) => randomBase64url(i % 2 ? 32 : 9));
    for (const [i, text] of drawn.entries()) {
      expect(text).toMatch(/^[A-Za-z0-9_-]+$/);
      expect(Buffer.from(text, 'base64url').length).toBe(i % 2 ? 32 : 9);
    }
    expect(new Set(drawn).size).toBe(drawn.length);
  });

  it('spreads its bytes over every value (a pool left unfilled would be zeros)', () => {
    const bytes = Buffer.concat(
      Array.from({ length: 256 }, () => Buffer.from(randomBase64url(64), 'base64url')),
    );
    expect(new Set(bytes).size).toBeGreaterThan(250);
    expect(bytes.filter((b) => b === 0).length).toBeLessThan(bytes.length / 64);
  });

  it('refuses a size the pool cannot give', () => {
    expect(() => randomBase64url(0)).toThrow(/1 to 4096 bytes/);
    expect(() => randomBase64url(4097)).toThrow(/random text of 4097 bytes/);
    expect(() => randomBase64url(1.5)).toThrow(RangeError);
  });
});
