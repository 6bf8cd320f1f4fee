import { randomBytes } from 'node:crypto';

/** The name "Test connection" writes (and removes at once): hidden, and unique to this test. */
export function probeName(): string {
  return `.outbox-probe-${randomBytes(6).toString('hex')}`;
}
