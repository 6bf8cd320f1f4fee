import { setTimeout as sleep } from 'node:timers/promises';
import { OutboxError } from '../errors';

export type RetryPolicy = {
  /** Total tries, the first included. */
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
};

export const defaultRetryPolicy: RetryPolicy = {
  attempts: 5,
  baseDelayMs: 500,
  maxDelayMs: 10_000,
};

export function isRetryable(error: unknown): boolean {
  return error instanceof OutboxError && error.retryable;
}

/**
 * Runs `attempt` until it succeeds, fails with a non-retryable error, the
 * tries run out, or `signal` aborts. Exponential backoff with full jitter.
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
      await sleep(Math.random() * ceiling, undefined, { signal: options.signal }).catch(() => {
        throw error;
      });
    }
  }
}
