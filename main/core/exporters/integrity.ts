import { createHash, type Hash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { OutboxError } from '../errors';
import type { ProgressSink } from './exporter';
import { tapStream } from './tap-stream';

/** A checksum as reported in task results. */
export type Checksum = { algorithm: 'md5' | 'md5-multipart' | 'sha256'; value: string };

/**
 * MD5s a stream as it passes (the Content-MD5 of a single-request upload), and
 * counts into `sent` the bytes its consumer pulls (with back-pressure, what
 * was sent; as countSent does): one tap, one pipeline per file. `digest()`
 * once it has ended.
 */
export function hashing(
  stream: Readable,
  sent: ProgressSink,
): {
  stream: Readable;
  digest: () => Buffer;
} {
  const hash: Hash = createHash('md5');
  let result: Buffer | undefined;
  return {
    stream: tapStream(stream, (chunk) => {
      hash.update(chunk);
      sent.add(chunk.length);
    }),
    digest: () => (result ??= hash.digest()),
  };
}

/** S3's ETag of a multipart upload: md5 of the parts' md5s, dash, part count. */
export function multipartEtag(partMd5s: Buffer[]): string {
  const md5 = createHash('md5');
  for (const part of partMd5s) md5.update(part);
  return `${md5.digest('hex')}-${partMd5s.length}`;
}

/** An ETag as a bare checksum: servers quote it and some spell hex in capitals. */
export function bareEtag(etag: string): string {
  return etag.replace(/"/g, '').toLowerCase();
}

/** Fails loudly when what the server stored is not what was read. */
export function verify(
  what: string,
  expected: { size: number; checksum?: Checksum },
  stored: { size?: number; checksum?: string },
): void {
  if (stored.size !== undefined && stored.size !== expected.size) {
    throw new OutboxError(
      'INTEGRITY_ERROR',
      `${what}: the server stored ${stored.size} bytes but ${expected.size} were sent. The upload was corrupted; retry it.`,
    );
  }
  if (expected.checksum && stored.checksum !== undefined) {
    if (bareEtag(stored.checksum) !== bareEtag(expected.checksum.value)) {
      throw new OutboxError(
        'INTEGRITY_ERROR',
        `${what}: the stored ${expected.checksum.algorithm} checksum ${stored.checksum} does not match ${expected.checksum.value} of the bytes sent. The upload was corrupted; retry it.`,
      );
    }
  }
}
