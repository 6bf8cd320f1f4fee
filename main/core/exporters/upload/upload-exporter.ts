import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { pipeline } from 'node:stream/promises';
import { OutboxError } from '../../errors';
import { failWhenIdle } from '../../http/idle-timeout';
import { httpError, networkError } from '../classify';
import type { Exporter } from '../exporter';
import { bareEtag, hashing, verify } from '../integrity';
import { storedFile } from '../stored-file';
import { publicUrl } from './public-url';

/** "Test connection" answers in seconds: a HEAD that hangs this long is a failure to show. */
const PROBE_TIMEOUT_MS = 15_000;

/** The path a PUT stored the file at, decoded (`%20` is a space in the file's name). */
function storedPath(url: URL): string {
  try {
    return decodeURIComponent(url.pathname);
  } catch {
    return url.pathname; // not valid %-encoding: as sent
  }
}

async function readStart(response: IncomingMessage, limit = 512): Promise<string> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of response as AsyncIterable<Buffer>) {
    if (length < limit) chunks.push(chunk);
    length += chunk.length;
  }
  return Buffer.concat(chunks).toString('utf8').slice(0, limit).replace(/\s+/g, ' ').trim();
}

/** The MD5 a server reports for a single PUT, if any (S3 ETag, Azure Content-MD5). */
function reportedMd5(response: IncomingMessage): string | undefined {
  const contentMd5 = response.headers['content-md5'];
  if (typeof contentMd5 === 'string' && contentMd5)
    return Buffer.from(contentMd5, 'base64').toString('hex');
  const etag = bareEtag(response.headers.etag ?? '');
  return /^[0-9a-f]{32}$/.test(etag) ? etag : undefined;
}

/**
 * export/upload: an HTTP PUT of each file to `url` with `headers`. The body is
 * streamed with a Content-Length (presigned URLs refuse chunked bodies); the
 * engine retries connection errors and 5xx answers by restarting the body.
 */
export const uploadExporter: Exporter<'export/upload'> = {
  operation: 'export/upload',

  async upload({ params, source, name }, context) {
    const url = new URL(name);
    const target = `PUT ${publicUrl(url)}`;
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const headers: Record<string, string | number> = {
      ...params.headers,
      'Content-Length': source.size,
    };
    const body = hashing(context.open(), context.progress);

    const response = await new Promise<IncomingMessage>((resolve, reject) => {
      const req = send(url, {
        method: 'PUT',
        headers,
        signal: context.signal,
      });
      failWhenIdle(req, context.policy.idleTimeoutMs);
      req.on('response', resolve);
      req.on('error', reject);
      pipeline(body.stream, req).catch((error: unknown) => {
        // The server may answer (e.g. 403) before it has read the whole body.
        if (!req.destroyed || (error as NodeJS.ErrnoException).code === 'FILE_CHANGED')
          reject(error);
      });
    }).catch((error: unknown) => {
      // Named here by its public URL: the worker only knows the whole URL, a secret.
      throw error instanceof OutboxError ? error : (networkError(error, target) ?? error);
    });

    const status = response.statusCode ?? 0;
    if (status < 200 || status >= 300) {
      const start = await readStart(response);
      const error = httpError(status, target, start);
      throw new OutboxError(
        error.code,
        `${error.message}${start ? ` Server said: ${start}` : ''}`,
        {
          retryable: error.retryable,
          detail: start,
        },
      );
    }
    response.resume();
    const md5 = body.digest().toString('hex');
    const stored = reportedMd5(response);
    verify(
      target,
      { size: source.size, checksum: { algorithm: 'md5', value: md5 } },
      stored ? { checksum: stored } : {},
    );
    return storedFile({
      name: storedPath(url),
      size: source.size,
      location: publicUrl(url),
      place: {},
      checksum: { algorithm: 'md5', value: md5 },
      verifiedBy: stored === undefined ? 'none' : 'md5',
      details: { status },
    });
  },

  async probe(params, { signal }) {
    // A PUT URL accepts one request; probing must not write. A HEAD tells reachability and TLS.
    const url = new URL(params.url);
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const status = await new Promise<number>((resolve, reject) => {
      const req = send(url, { method: 'HEAD', signal });
      failWhenIdle(req, PROBE_TIMEOUT_MS);
      req.on('response', (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });
    return {
      ok: true,
      message: `${publicUrl(url)} is reachable (HEAD answered ${status}); the PUT itself is not tried.`,
    };
  },
};
