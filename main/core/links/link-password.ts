import { createHmac, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

/**
 * Passwords on links: stored as scrypt hashes only; a correct password buys a
 * short-lived cookie signed with this process's key and bound to one link (and
 * to its current hash, so a new password logs everyone out); wrong tries are
 * limited per link and client address.
 */

const N = 16384;
const R = 8;
const P = 1;
const KEY_LENGTH = 32;

function scryptAsync(password: string, salt: Buffer, n: number, r: number, p: number) {
  return new Promise<Buffer>((resolve, reject) =>
    scrypt(password, salt, KEY_LENGTH, { N: n, r, p, maxmem: 64 * 1024 * 1024 }, (error, key) =>
      error ? reject(error) : resolve(key),
    ),
  );
}

/** `scrypt$N$r$p$salt$hash` (salt and hash base64url). */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scryptAsync(password, salt, N, R, P);
  return ['scrypt', N, R, P, salt.toString('base64url'), key.toString('base64url')].join('$');
}

export async function passwordMatches(hash: string, password: string): Promise<boolean> {
  const [kind, n, r, p, salt, key] = hash.split('$');
  if (kind !== 'scrypt' || !salt || !key) return false;
  const expected = Buffer.from(key, 'base64url');
  const actual = await scryptAsync(
    password,
    Buffer.from(salt, 'base64url'),
    Number(n),
    Number(r),
    Number(p),
  );
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/** How long a correct password is remembered in the browser. */
export const UNLOCK_SECONDS = 15 * 60;

const cookieKey = randomBytes(32);

export function unlockCookieName(linkId: string): string {
  return `outbox_unlock_${linkId}`;
}

function signature(linkId: string, passwordHash: string, expires: number): string {
  return createHmac('sha256', cookieKey)
    .update(`${linkId}\n${passwordHash}\n${expires}`)
    .digest('base64url');
}

/** The cookie value that unlocks `linkId` until now + UNLOCK_SECONDS. */
export function unlockCookieValue(linkId: string, passwordHash: string, now = Date.now()): string {
  const expires = Math.floor(now / 1000) + UNLOCK_SECONDS;
  return `${expires}.${signature(linkId, passwordHash, expires)}`;
}

export function unlockCookieValid(
  linkId: string,
  passwordHash: string,
  value: string | undefined,
  now = Date.now(),
): boolean {
  if (!value) return false;
  const dot = value.indexOf('.');
  const expires = Number(value.slice(0, dot));
  if (dot < 0 || !Number.isInteger(expires) || expires * 1000 <= now) return false;
  const given = Buffer.from(value.slice(dot + 1));
  const expected = Buffer.from(signature(linkId, passwordHash, expires));
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** Wrong passwords a minute for one link from one client address. */
export const TRIES_PER_ADDRESS = 5;
/**
 * Wrong passwords a minute for one link from all addresses together: guessing
 * from many addresses (every 127/8 address on loopback) is no faster, and
 * someone who hammers the link locks its form for at most a minute at a time.
 */
export const TRIES_PER_LINK = 20;
const WINDOW_MS = 60_000;

export type PasswordTry =
  { allowed: true; succeeded(): void } | { allowed: false; retryAfter: number };

/**
 * Password tries per link and client address, and per link. A try is counted
 * when it starts, before the (slow) scrypt check, so parallel requests cannot
 * all pass the limit while the first ones are still being checked; a right
 * password takes its try back.
 */
export class PasswordAttempts {
  private readonly tries = new Map<string, number[]>();

  constructor(
    private readonly perAddress = TRIES_PER_ADDRESS,
    private readonly perLink = TRIES_PER_LINK,
    private readonly windowMs = WINDOW_MS,
  ) {}

  private recent(key: string, now: number): number[] {
    const times = (this.tries.get(key) ?? []).filter((t) => t > now - this.windowMs);
    if (times.length === 0) this.tries.delete(key);
    else this.tries.set(key, times);
    return times;
  }

  /** Seconds until `times` (a full bucket) has room again. */
  private wait(times: number[], now: number): number {
    return Math.max(1, Math.ceil(((times[0] ?? now) + this.windowMs - now) / 1000));
  }

  /** Counts a try now, or says how long to wait when the link or the address used its tries. */
  begin(linkId: string, client: string, now = Date.now()): PasswordTry {
    if (this.tries.size > 10_000) for (const key of [...this.tries.keys()]) this.recent(key, now);
    const keys = [`${linkId}|${client}`, linkId];
    const buckets = keys.map((key) => this.recent(key, now));
    const limits = [this.perAddress, this.perLink];
    const full = buckets.filter((times, i) => times.length >= (limits[i] ?? 0));
    if (full.length > 0) {
      return { allowed: false, retryAfter: Math.max(...full.map((t) => this.wait(t, now))) };
    }
    for (const [i, key] of keys.entries()) this.tries.set(key, [...(buckets[i] ?? []), now]);
    return {
      allowed: true,
      succeeded: () => {
        for (const key of keys) {
          const times = this.tries.get(key) ?? [];
          const at = times.indexOf(now);
          if (at >= 0) times.splice(at, 1);
        }
      },
    };
  }
}
