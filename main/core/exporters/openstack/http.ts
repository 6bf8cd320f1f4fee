import { request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { failWhenIdle } from '../../http/idle-timeout';
import { responseText } from '../../http/response-text';

export type HttpResponse = {
  status: number;
  headers: IncomingHttpHeaders;
  /** The whole body as text (JSON answers, error pages). */
  text(): Promise<string>;
};

/**
 * Writes a streamed body into the request and ends it (see writeSource);
 * `abandon` aborts once the server answered before the body was sent.
 */
export type BodyWriter = (target: Writable, abandon: AbortSignal) => Promise<void>;

export type HttpRequest = {
  method: string;
  headers?: Record<string, string | number>;
  /** A streamed body needs a Content-Length header: Swift and presigned URLs refuse chunked bodies. */
  body?: Readable | BodyWriter | string | Buffer;
  signal: AbortSignal;
  /** No byte either way for this long fails the request (the transfer policy's idle timeout). */
  idleTimeoutMs: number;
};

/**
 * One HTTP request with node:http (keep-alive agent), streaming a body. A
 * streamed body waits for `100 Continue`, so an early refusal (401, 404)
 * comes back before gigabytes are sent.
 */
export function sendRequest(url: URL, options: HttpRequest): Promise<HttpResponse> {
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  const { body } = options;
  const streamed = body !== undefined && typeof body !== 'string' && !Buffer.isBuffer(body);
  const headers: Record<string, string | number> = { ...options.headers };
  if (body !== undefined && !streamed) headers['Content-Length'] = Buffer.byteLength(body);
  if (streamed) headers.Expect = '100-continue';

  const abandon = new AbortController();
  return new Promise<HttpResponse>((resolve, reject) => {
    const req = send(url, {
      method: options.method,
      headers,
      signal: options.signal,
    });
    failWhenIdle(req, options.idleTimeoutMs);
    req.on('error', reject);
    req.on('response', (response: IncomingMessage) => {
      if (streamed && !req.writableEnded) {
        // Answered before the body was sent (or while it was): it will not be read.
        if (typeof body === 'function') abandon.abort();
        else body.destroy();
      }
      resolve({
        status: response.statusCode ?? 0,
        headers: response.headers,
        text: () => responseText(response),
      });
    });
    if (streamed) {
      req.on('continue', () => {
        const sending =
          typeof body === 'function' ? body(req, abandon.signal) : pipeline(body, req);
        sending.catch((error: unknown) => {
          // A refused body (the server answered early) is not the failure: its answer is.
          const early = req.destroyed || abandon.signal.aborted;
          if (!early || (error as NodeJS.ErrnoException).code === 'FILE_CHANGED') reject(error);
        });
      });
      req.flushHeaders();
    } else {
      req.end(body);
    }
  });
}

/** The first characters of an error body, on one line, for messages. */
export async function bodyStart(response: HttpResponse, limit = 300): Promise<string> {
  const text = await response.text().catch(() => '');
  return text
    .replace(/<[^>]+>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, limit);
}
