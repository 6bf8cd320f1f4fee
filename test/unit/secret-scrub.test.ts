import { describe, expect, it } from 'vitest';
import { scrubSecrets } from '../../main/core/tasks/scrub-secrets';
import { hiddenPartsOf } from '../../main/core/tasks/secrets';
import { minimalTasks as minimal } from '../support/tasks';

/**
 * Errors a user can act on (issue 13): an export/upload error names where the
 * PUT went (scheme, host, port, path); only the URL's query and user info,
 * and the header values, are cut out as secrets.
 */

describe('export/upload: where a file went stays in messages, its signature does not', () => {
  it('hides only the query and the user info of the URL', () => {
    const task = {
      ...minimal['export/upload'],
      url: 'https://user:pa55word@uploads.example.com:8443/in/report.pdf?X-Amz-Signature=abc123def',
      headers: { Authorization: 'Bearer s3cr3t-token' },
    } as never;
    const message = scrubSecrets(
      'PUT https://uploads.example.com:8443/in/report.pdf?X-Amz-Signature=abc123def failed; user:pa55word; Bearer s3cr3t-token',
      hiddenPartsOf(task),
    );
    expect(message).toContain('PUT https://uploads.example.com:8443/in/report.pdf');
    expect(message).not.toMatch(/abc123def|pa55word|s3cr3t-token/);
    const plain = { ...minimal['export/upload'], url: 'http://127.0.0.1:1/put/file.bin' } as never;
    expect(scrubSecrets('PUT http://127.0.0.1:1/put/file.bin: refused', hiddenPartsOf(plain))).toBe(
      'PUT http://127.0.0.1:1/put/file.bin: refused',
    );
  });
});
