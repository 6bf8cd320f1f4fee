/**
 * Ceiling with Outbox's verification for Swift, which has no official
 * JavaScript SDK: Node's own http sending each file in one PUT with a token
 * got beforehand (as the `curl -T` ceiling), the file read in 1 MiB chunks,
 * their MD5 computed with node:crypto as they are sent, and the ETag Swift
 * answers (the MD5 of what it stored) compared with it. The same work as
 * Outbox's single-PUT upload, with none of its code.
 *
 *   CEILING='{"url":…,"token":…,"container":…,"prefix":…}' node bench/ceilings/swift-put-md5.mts SOURCE
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import {
  eachLimited,
  filesOf,
  FILES_IN_FLIGHT,
  nameOf,
  run,
  sameEtag,
  type SourceFile,
} from './lib.mts';

type SwiftSettings = { url: string; token: string; container: string; prefix: string };

const CHUNK = 1024 * 1024;

function put(s: SwiftSettings, file: SourceFile, name: string): Promise<void> {
  const url = new URL(
    `${s.url}/${s.container}/${name.split('/').map(encodeURIComponent).join('/')}`,
  );
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  const md5 = createHash('md5');
  return new Promise<void>((resolve, reject) => {
    const request = send(url, {
      method: 'PUT',
      headers: { 'X-Auth-Token': s.token, 'Content-Length': file.size },
    });
    request.on('error', reject);
    request.on('response', (response: IncomingMessage) => {
      response.resume();
      response.on('error', reject);
      response.on('end', () => {
        try {
          if (response.statusCode !== 201) throw new Error(`${name}: HTTP ${response.statusCode}`);
          sameEtag(name, response.headers.etag, md5.digest('hex'));
          resolve();
        } catch (error) {
          reject(error as Error);
        }
      });
    });
    const body = createReadStream(file.path, { highWaterMark: CHUNK });
    body.on('error', reject);
    body.on('data', (chunk) => md5.update(chunk));
    body.pipe(request);
  });
}

run<SwiftSettings>(async (s, source) => {
  const { folder, files } = await filesOf(source);
  await eachLimited(files, FILES_IN_FLIGHT, (file) => put(s, file, nameOf(s.prefix, folder, file)));
});
