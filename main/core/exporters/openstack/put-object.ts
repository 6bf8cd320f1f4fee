import { createHash } from 'node:crypto';
import { OutboxError } from '../../errors';
import { bareEtag, verify, type Checksum } from '../integrity';
import type { PreparedPart, RetractableProgress } from '../parts';
import type { ReadInto } from '../exporter';
import { writeSource } from '../source-stream';
import { containerOf, swiftError, type SwiftAccount } from './swift-client';

/**
 * One object (or segment) in one PUT, with its MD5 as ETag: Swift answers
 * 422 instead of storing bytes that differ from what was read.
 */
export async function putObject(
  account: SwiftAccount,
  progress: RetractableProgress,
  signal: AbortSignal,
  target: { path: string; part: PreparedPart; contentType?: string },
): Promise<{ md5: string; location: string; checksum: Checksum }> {
  const { part } = target;
  const md5 = part.md5.toString('hex');
  const what = `Swift PUT ${target.path}`;
  const { response, url } = await account.request({
    method: 'PUT',
    path: target.path,
    headers: {
      'Content-Length': part.length,
      ETag: md5,
      ...(target.contentType ? { 'Content-Type': target.contentType } : {}),
    },
    body: () => {
      progress.retract(); // a 401 retry sends the body again
      return part.body(progress);
    },
    signal,
  });
  if (response.status < 200 || response.status >= 300) {
    progress.retract();
    throw await swiftError(response, what, containerOf(target.path));
  }
  await response.text();
  const checksum: Checksum = { algorithm: 'md5', value: md5 };
  verify(what, { size: part.length, checksum }, { checksum: String(response.headers.etag ?? '') });
  return { md5, location: `${url.origin}${url.pathname}`, checksum };
}

/**
 * One object too large to hold in memory (over BUFFERED_PART_LIMIT) in one
 * PUT, hashed as it is sent: one pass over the file instead of two (a pass
 * for the ETag header, then one to send), the way `swift upload` and rclone
 * send. Verified by the answer instead of refused up front: Swift answers
 * the MD5 of what it stored, compared with the MD5 of the bytes read; on a
 * mismatch the object is deleted and the error is retryable. (A file that
 * changes while it is read is still stopped before its last byte.)
 */
export async function putObjectStreamed(
  account: SwiftAccount,
  progress: RetractableProgress,
  signal: AbortSignal,
  target: {
    path: string;
    length: number;
    read: (into: ReadInto) => AsyncIterable<Buffer>;
    contentType?: string;
  },
): Promise<{ md5: string; location: string; checksum: Checksum }> {
  const what = `Swift PUT ${target.path}`;
  let digest: (() => Buffer) | undefined;
  const { response, url } = await account.request({
    method: 'PUT',
    path: target.path,
    headers: {
      'Content-Length': target.length,
      ...(target.contentType ? { 'Content-Type': target.contentType } : {}),
    },
    body: () => {
      progress.retract(); // a 401 retry sends the body again
      const md5 = createHash('md5');
      digest = () => md5.digest();
      return (request, abandon) =>
        writeSource(
          target.read,
          request,
          (chunk) => {
            md5.update(chunk);
            progress.add(chunk.length);
          },
          abandon,
        );
    },
    signal,
  });
  if (response.status < 200 || response.status >= 300) {
    progress.retract();
    throw await swiftError(response, what, containerOf(target.path));
  }
  await response.text();
  const md5 = digest?.().toString('hex') ?? '';
  const stored = bareEtag(String(response.headers.etag ?? ''));
  if (stored !== md5) {
    progress.retract();
    await account
      .request({ method: 'DELETE', path: target.path, signal })
      .then(({ response: removed }) => removed.text())
      .catch(() => undefined);
    throw new OutboxError(
      'INTEGRITY_ERROR',
      `${what}: the server stored bytes with MD5 ${stored || 'unknown'}, not the ${md5} that were sent; the object was deleted. Sending it again.`,
      { retryable: true },
    );
  }
  return {
    md5,
    location: `${url.origin}${url.pathname}`,
    checksum: { algorithm: 'md5', value: md5 },
  };
}
