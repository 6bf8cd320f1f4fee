import { hash, timingSafeEqual } from 'node:crypto';

/** Secret tokens (link tokens, the browser host's key and session) compared without leaking them. */

/** Constant-time comparison that does not leak the expected token's length either. */
export function tokensMatch(expected: string, given: string): boolean {
  return digestMatches(tokenDigest(expected), given);
}

/** What tokens are compared by: their SHA-256, the same length whatever they are. */
export function tokenDigest(token: string): Buffer {
  return hash('sha256', token, 'buffer');
}

/** `given` is the token whose digest is `expected` (constant time). */
export function digestMatches(expected: Buffer, given: string): boolean {
  return timingSafeEqual(expected, tokenDigest(given));
}
