import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { bareEtag, multipartEtag, verify } from '../../main/core/exporters/integrity';

const md5 = (text: string) => createHash('md5').update(text).digest('hex');

describe('checking what a server stored', () => {
  it('reads an ETag as a bare lower-case checksum, whatever quotes or case the server used', () => {
    expect(bareEtag('"D41D8CD98F00B204E9800998ECF8427E"')).toBe('d41d8cd98f00b204e9800998ecf8427e');
    expect(bareEtag('abc-2')).toBe('abc-2');
    expect(bareEtag('')).toBe('');
  });

  it('accepts a quoted capitalised ETag that matches the bytes sent', () => {
    const value = md5('hello');
    expect(() =>
      verify(
        'file',
        { size: 5, checksum: { algorithm: 'md5', value } },
        { size: 5, checksum: `"${value.toUpperCase()}"` },
      ),
    ).not.toThrow();
  });

  it('names the size and the checksum that do not match', () => {
    const expected = { size: 5, checksum: { algorithm: 'md5' as const, value: md5('hello') } };
    expect(() => verify('file "a"', expected, { size: 4 })).toThrow(
      /file "a": the server stored 4 bytes but 5 were sent/,
    );
    expect(() => verify('file "a"', expected, { checksum: md5('hellO') })).toThrow(
      new RegExp(`stored md5 checksum ${md5('hellO')} does not match ${md5('hello')}`),
    );
  });

  it("computes S3's multipart ETag from the parts' MD5s", () => {
    const parts = ['a', 'b'].map((text) => createHash('md5').update(text).digest());
    const whole = createHash('md5').update(Buffer.concat(parts)).digest('hex');
    expect(multipartEtag(parts)).toBe(`${whole}-2`);
  });
});
