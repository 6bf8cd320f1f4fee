import type { ByteRange, ProgressSink, TransferContext } from '../exporter';
import { hashing, verify, type Checksum } from '../integrity';
import { countSent } from '../source-stream';
import { containerOf, swiftError, type SwiftAccount } from './swift-client';

/** Progress of one request body that can be taken back when the body is sent again. */
export function retractableProgress(progress: ProgressSink): ProgressSink & { retract(): void } {
  let sent = 0;
  return {
    add(bytes) {
      sent += bytes;
      progress.add(bytes);
    },
    retract() {
      progress.add(-sent);
      sent = 0;
    },
  };
}

/** MD5 of a range of the source, read before sending so that Swift can check the bytes. */
export async function md5Of(
  context: Pick<TransferContext, 'open'>,
  range: ByteRange,
): Promise<string> {
  const tap = hashing(context.open(range), 'md5');
  for await (const _chunk of tap.stream);
  return tap.digest().toString('hex');
}

/**
 * One object (or segment) in one PUT, with its MD5 as ETag: Swift answers
 * 422 instead of storing bytes that differ from what was read. The source is
 * read twice (hash, then send); the second read is checked for changes.
 */
export async function putObject(
  account: SwiftAccount,
  context: Pick<TransferContext, 'open' | 'progress'> & { signal: AbortSignal },
  target: { path: string; range: ByteRange; contentType?: string },
): Promise<{ md5: string; location: string; checksum: Checksum }> {
  const md5 = await md5Of(context, target.range);
  const progress = retractableProgress(context.progress);
  const what = `Swift PUT ${target.path}`;
  const { response, url } = await account.request({
    method: 'PUT',
    path: target.path,
    headers: {
      'Content-Length': target.range.end - target.range.start,
      ETag: md5,
      ...(target.contentType ? { 'Content-Type': target.contentType } : {}),
    },
    body: () => {
      progress.retract(); // a 401 retry sends the body again
      return countSent(context.open(target.range), progress);
    },
    signal: context.signal,
  });
  if (response.status < 200 || response.status >= 300) {
    progress.retract();
    throw await swiftError(response, what, containerOf(target.path));
  }
  await response.text();
  const checksum: Checksum = { algorithm: 'md5', value: md5 };
  verify(
    what,
    { size: target.range.end - target.range.start, checksum },
    { checksum: String(response.headers.etag ?? '') },
  );
  return { md5, location: `${url.origin}${url.pathname}`, checksum };
}
