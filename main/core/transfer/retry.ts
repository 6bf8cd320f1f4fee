import { setTimeout as sleep } from 'node:timers/promises';
import { OutboxError } from '../errors';

export type RetryPolicy = {
  /** Total tries, the first included. */
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
};

/**
 * Five tries, 7.5 to 15 s of waiting in all: enough to ride out a server
 * restart, short enough that a server that stays down fails the job soon.
 */
export const defaultRetryPolicy: RetryPolicy = {
  attempts: 5,
  baseDelayMs: 1000,
  maxDelayMs: 10_000,
};

export function isRetryable(error: unknown): boolean {
  return error instanceof OutboxError && error.retryable;
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
    policy?: RetryPolicy;
    onRetry?: (error: unknown, n: number) => void;
  },
): Promise<T> {
  const policy = options.policy ?? defaultRetryPolicy;
  for (let n = 1; ; n++) {
    try {
      return await attempt(n);
    } catch (error) {
      if (options.signal.aborted || n >= policy.attempts || !isRetryable(error)) throw error;
      options.onRetry?.(error, n);
      const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (n - 1));
      await sleep(ceiling / 2 + (Math.random() * ceiling) / 2, undefined, {
        signal: options.signal,
      }).catch(() => {
        throw error;
      });
    }
  }
}
