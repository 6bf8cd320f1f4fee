import { describe, expect, it } from 'vitest';
import { contentDisposition, parseRange } from '../../main/core/http/http-headers';
import { keyMatches, tokenKey, tokensMatch } from '../../main/core/http/tokens';
import { newToken } from '../../main/core/links/link-store';
import { newRecordId } from '../../main/core/store/record-id';

describe('tokens', () => {
  it('carry 258 bits of randomness (43 URL-safe characters of 6 bits) and never repeat', () => {
    expect(newToken()).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // 10,000 draws: nanoid's pool of random bytes refills many times over
    const many = new Set(Array.from({ length: 10_000 }, newToken));
    expect(many.size).toBe(10_000);
  });

  it('record ids (links, profiles) never start with "-" (`outbox links revoke -x…` would read an option; seen in CI)', () => {
    // One id in 64 started with "-" before: 10,000 draws miss that with odds of 1 in 10^68.
    const ids = Array.from({ length: 10_000 }, newRecordId);
    expect(ids.filter((id) => id.startsWith('-'))).toEqual([]);
    expect(ids.every((id) => /^[A-Za-z0-9_][A-Za-z0-9_-]{11}$/.test(id))).toBe(true);
  });

  it('compare exactly, whatever the lengths', () => {
    const token = newToken();
    expect(tokensMatch(token, token)).toBe(true);
    expect(tokensMatch(token, token.slice(0, -1))).toBe(false);
    expect(tokensMatch(token, token + 'x')).toBe(false);
    expect(tokensMatch(token, '')).toBe(false);
    expect(tokensMatch('é', 'é')).toBe(true);
    expect(tokensMatch('é', 'e\u0301')).toBe(false); // the same letter, other bytes
  });

  it('compare over a fixed span: a token longer than it, given or expected, never matches', () => {
    const token = newToken();
    const key = tokenKey(token);
    expect(key.bytes.length).toBe(256);
    expect(keyMatches(key, token)).toBe(true);
    // Past the span the given bytes are not compared, so its length must tell them apart.
    expect(keyMatches(key, token + 'x'.repeat(300))).toBe(false);
    const long = 'y'.repeat(256);
    expect(keyMatches(tokenKey(long), long)).toBe(true);
    expect(keyMatches(tokenKey(long), long + 'y')).toBe(false);
    expect(keyMatches(tokenKey(long + 'y'), long + 'y')).toBe(false);
    expect(keyMatches(tokenKey(long + 'y'), long)).toBe(false);
    // The scratch buffer of one comparison leaves nothing for the next.
    expect(keyMatches(tokenKey('ab'), 'abc')).toBe(false);
    expect(keyMatches(tokenKey('a'), 'a')).toBe(true);
  });
});

describe('Content-Disposition', () => {
  it('keeps non-ASCII names with filename* and an ASCII fallback', () => {
    expect(contentDisposition('attachment', 'résumé "final".pdf')).toBe(
      `attachment; filename="r_sum_ _final_.pdf"; filename*=UTF-8''r%C3%A9sum%C3%A9%20%22final%22.pdf`,
    );
    expect(contentDisposition('inline', "it's (1).txt")).toContain(
      "filename*=UTF-8''it%27s%20%281%29.txt",
    );
  });
});

describe('Range', () => {
  it('parses single ranges and refuses impossible ones', () => {
    expect(parseRange('bytes=0-9', 100)).toEqual({ start: 0, end: 9 });
    expect(parseRange('bytes=90-', 100)).toEqual({ start: 90, end: 99 });
    expect(parseRange('bytes=-10', 100)).toEqual({ start: 90, end: 99 });
    expect(parseRange('bytes=50-500', 100)).toEqual({ start: 50, end: 99 });
    expect(parseRange('bytes=100-', 100)).toBe('unsatisfiable');
    expect(parseRange('bytes=5-2', 100)).toBe('unsatisfiable');
    expect(parseRange('bytes=0-1,5-6', 100)).toBeUndefined();
    expect(parseRange(undefined, 100)).toBeUndefined();
  });
});
