import { createHash, createVerify, type KeyObject } from 'node:crypto';

/**
 * A GCS V4 signed URL checked the way GCS checks it (the emulator serves
 * signed URLs without checking them, so a download would prove nothing).
 * The canonical request is rebuilt from the URL (GET, its path, its query
 * without the signature, the signed `host` header, UNSIGNED-PAYLOAD);
 * `verifies` checks the RSA-SHA256 signature of a canonical request with the
 * service account's public key.
 */
export function gcsV4Signature(
  url: URL,
  publicKey: KeyObject,
): {
  param: (name: string) => string;
  /** X-Goog-Date, and the signing time in ms. */
  date: string;
  signedAt: number;
  scope: string;
  canonicalRequest: string;
  verifies: (canonicalRequest: string) => boolean;
} {
  const param = (name: string) => url.searchParams.get(name) ?? '';
  const date = param('X-Goog-Date');
  const signedAt = Date.parse(
    `${date.slice(0, 4)}-${date.slice(4, 6)}-${date.slice(6, 8)}T${date.slice(9, 11)}:${date.slice(11, 13)}:${date.slice(13, 15)}Z`,
  );
  const scope = `${date.slice(0, 8)}/auto/storage/goog4_request`;
  const query = url.search
    .slice(1)
    .split('&')
    .filter((pair) => !pair.startsWith('X-Goog-Signature='))
    .sort()
    .join('&');
  // The SDK signs the host name without the port (storage.googleapis.com has none).
  const canonicalRequest = [
    'GET',
    url.pathname,
    query,
    `host:${url.hostname}`,
    '',
    'host',
    'UNSIGNED-PAYLOAD',
  ].join('\n');
  const signature = Buffer.from(param('X-Goog-Signature'), 'hex');
  const verifies = (request: string) =>
    createVerify('RSA-SHA256')
      .update(
        ['GOOG4-RSA-SHA256', date, scope, createHash('sha256').update(request).digest('hex')].join(
          '\n',
        ),
      )
      .verify(publicKey, signature);
  return { param, date, signedAt, scope, canonicalRequest, verifies };
}
