import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { errorCodes } from '../../main/core/errors';
import { storedFile } from '../../main/core/exporters/stored-file';

/**
 * Scripts read what the README's Output section says (issue 13): it lists
 * exactly the error codes Outbox can emit (CloudConvert's INPUT_TASK_FAILED,
 * which Outbox never emitted, is not one) and every field of a delivered file.
 */

const readme = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8');

/** The text of the README from `start` to the next blank line. */
function paragraph(start: string): string {
  const at = readme.indexOf(start);
  expect(at, start).toBeGreaterThanOrEqual(0);
  const end = readme.indexOf('\n\n', at);
  return readme.slice(at, end < 0 ? undefined : end);
}

describe('README, Output', () => {
  it('lists exactly the error codes Outbox can emit', () => {
    const text = paragraph('**Error codes**').split("CloudConvert's `INPUT_TASK_FAILED`")[0] ?? '';
    const listed = [...text.matchAll(/`([A-Z][A-Z_]+)`/g)].map(([, code]) => code);
    expect(listed.sort()).toEqual([...errorCodes].sort());
    expect(errorCodes).not.toContain('INPUT_TASK_FAILED');
  });

  it('describes every field a delivered file has', () => {
    const file = storedFile({
      name: 'folder/report.pdf',
      size: 10,
      location: 'https://storage.example.com/bucket/folder/report.pdf',
      place: {},
      checksum: { algorithm: 'md5', value: 'x' },
      verifiedBy: 'md5',
      resumedBytes: 5,
    });
    const table = paragraph('| field | meaning |');
    const described = [...table.matchAll(/^\| `([a-z_]+)`/gm)].map(([, field]) => field);
    for (const field of Object.keys(file)) expect(described, field).toContain(field);
    expect(file.filename).toBe('report.pdf');
  });
});
