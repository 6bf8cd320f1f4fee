import type { ClientRequest } from 'node:http';

/**
 * Fails `request` once its socket moves no byte either way for `ms` (the
 * transfer policy's idle timeout), as ETIMEDOUT: classified TIMEOUT and
 * retryable. Not a limit on the whole request: a large body may take hours.
 */
export function failWhenIdle(request: ClientRequest, ms: number): void {
  request.setTimeout(ms, () =>
    request.destroy(Object.assign(new Error('idle timeout'), { code: 'ETIMEDOUT' })),
  );
}
