import { verify, type Checksum } from '../integrity';
import type { PreparedPart, RetractableProgress } from '../parts';
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
