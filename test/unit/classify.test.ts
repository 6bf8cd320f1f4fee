import { describe, expect, it } from 'vitest';
import { networkError } from '../../main/core/exporters/classify';

describe('networkError', () => {
  it('finds the socket error an SDK names only in words, and marks it retryable', () => {
    // What the GCS SDK's resumable upload throws once its own retries are spent (seen in CI).
    const error = new Error(
      'Retry limit exceeded - request to http://127.0.0.1:45911/upload/storage/v1/b/x/o?uploadType=resumable failed, reason: write ECONNRESET - code: ECONNRESET',
    );
    const mapped = networkError(error, 'Google Cloud Storage');
    expect(mapped?.code).toBe('UNREACHABLE');
    expect(mapped?.retryable).toBe(true);
  });

  it('leaves errors without a network code alone', () => {
    expect(networkError(new Error('code: NoSuchBucket'), 'S3')).toBeUndefined();
    expect(networkError(new Error('socket went away'), 'S3')).toBeUndefined();
  });

  it('prefers a code property, also on a cause', () => {
    const cause = Object.assign(new Error('connect'), { code: 'ECONNREFUSED' });
    const mapped = networkError(new Error('failed', { cause }), 'SFTP');
    expect(mapped?.code).toBe('UNREACHABLE');
    expect(mapped?.message).toMatch(/connection refused/);
  });
});
