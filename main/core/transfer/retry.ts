import { setTimeout as sleep } from 'node:timers/promises';
import type { OutboxConfig } from '../config';
import { OutboxError } from '../errors';

export type RetryPolicy = {
  /** Total tries of one request (a part, a whole file, a commit), the first included. */
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
};

/**
 * How every transfer retries and when it counts as stalled: one object, built
 * once from the config (transferPolicyOf) and given to each exporter worker,
 * whose transfer contexts carry it to the exporters.
 */
export type TransferPolicy = {
  retry: RetryPolicy;
  /** No byte either way for this long: a request's socket, or a whole transfer, has stalled. */
  idleTimeoutMs: number;
};

/**
 * Five tries, 7.5 to 15 s of waiting in all: enough to ride out a server
 * restart, short enough that a server that stays down fails the job soon.
 */
export const RETRY_ATTEMPTS = 5;

export function transferPolicyOf(config: Pick<OutboxConfig, 'idleTimeoutSeconds'>): TransferPolicy {
  return {
    retry: { attempts: RETRY_ATTEMPTS, baseDelayMs: 1000, maxDelayMs: 10_000 },
    idleTimeoutMs: config.idleTimeoutSeconds * 1000,
  };
}

/** What is retryable: an error that says so and that no inner retry has given up on. */
export function isRetryable(error: unknown): boolean {
  return error instanceof OutboxError && error.retryable;
}

/**
 * The error a retry gave up on, no longer retryable: an outer layer (the
 * file around its parts) does not try again what an inner one already tried
 * `attempts` times. Wrappers that copy `options` keep it so.
 */
function givenUp(error: OutboxError): OutboxError {
  return new OutboxError(error.code, error.message, { ...error.options, retryable: false });
}

/**
 * Runs `attempt` until it succeeds, fails with a non-retryable error, the
 * tries run out, or `signal` aborts. Exponential backoff with "equal"
 * jitter: at least half of each step is waited, so retries span a known time.
 */
export async function withRetry<T>(
  attempt: (n: number) => Promise<T>,
  options: {
    signal: AbortSignal;
    policy: RetryPolicy;
  },
): Promise<T> {
  const { policy } = options;
  for (let n = 1; ; n++) {
    try {
      return await attempt(n);
    } catch (error) {
      if (options.signal.aborted || !isRetryable(error)) throw error;
      if (n >= policy.attempts) throw givenUp(error as OutboxError);
      const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (n - 1));
      await sleep(ceiling / 2 + (Math.random() * ceiling) / 2, undefined, {
        signal: options.signal,
      }).catch(() => {
        throw error;
      });
    }
  }
}
