import { timingSafeEqual } from 'node:crypto';

/**
 * Secret tokens (link tokens, the browser host's key and session) compared
 * without leaking them: in constant time, the expected token's length
 * included. Each side is laid out as its UTF-8 bytes in a zero-filled buffer
 * of one fixed size and the buffers are compared whole; the lengths are
 * compared apart. (Comparing the two sides' SHA-256 did the same, at 3–9 % of
 * a link request's CPU: BENCHMARKS.md, twenty-seventh session.)
 */

/** Bytes tokens are compared over: a longer token, expected or given, never matches. */
const SPAN = 256;

/** A token laid out for comparison. */
export type TokenKey = { readonly bytes: Buffer; readonly length: number };

export function tokenKey(token: string): TokenKey {
  const length = Buffer.byteLength(token);
  const bytes = Buffer.alloc(SPAN);
  bytes.write(token);
  // A length no given token can have: a hand-edited record's overlong token matches nothing.
  return { bytes, length: length > SPAN ? -1 : length };
}

/** The given side's layout, reused: a comparison is synchronous, one at a time per thread. */
const scratch = Buffer.alloc(SPAN);

/** `given` is the token laid out in `expected` (constant time whatever either is). */
export function keyMatches(expected: TokenKey, given: string): boolean {
  scratch.fill(0);
  scratch.write(given); // at most SPAN bytes: a longer token fails on its length
  const same = timingSafeEqual(expected.bytes, scratch);
  return same && Buffer.byteLength(given) === expected.length;
}

export function tokensMatch(expected: string, given: string): boolean {
  return keyMatches(tokenKey(expected), given);
}
