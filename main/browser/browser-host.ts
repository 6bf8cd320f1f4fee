import { createReadStream, promises as fs } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join, resolve, sep } from 'node:path';
import { pipeline } from 'node:stream';
import { nanoid } from 'nanoid';
import { dispatch } from '../core/api/api-dispatch';
import { apiErrorOf, createCoreApi } from '../core/api/core-api';
import { isApiMethod, type ApiResult } from '../core/api/api-transport';
import type { HostContext } from '../core/api/host-context';
import type { ApiError, OutboxApi } from '../core/api/outbox-api';
import { OutboxError } from '../core/errors';
import { contentTypeOf, cookieOf } from '../core/http/http-headers';
import { sendBody } from '../core/http/send-body';
import { sendText } from '../core/links/link-handler';
import { tokensMatch } from '../core/http/tokens';
import { uiContentSecurityPolicy } from '../core/http/ui-csp';
import { startServer, type AppRoutes, type RunningServer } from '../core/server/outbox-server';
import { UploadStaging } from './upload-staging';

/**
 * The browser host: the Outbox UI (the built renderer) and OutboxApi over
 * HTTP, for browsers talking to `outbox serve`. Guarded like a local admin UI:
 * - a per-run secret in the printed URL (`/?key=…`) is exchanged for an
 *   HttpOnly, SameSite=Strict session cookie; everything else needs the cookie;
 * - `Host` must name this machine (checked by startServer: DNS rebinding) and
 *   `Origin`, when sent, must be this origin (CSRF); no CORS headers, ever;
 * - the HTML is served with a strict CSP and may not be framed.
 * API: `POST /api/<method>` with the arguments as a JSON array → an ApiResult
 * envelope; `GET /api/events` → Server-Sent Events (one ApiEvent per message);
 * `POST /api/uploads?name=<relative path>` with the raw file as body → `{ uploadId, size }`.
 */

const MAX_JSON_BYTES = 16 * 1024 * 1024;
const HEARTBEAT_MS = 15_000;
/** An event stream whose reader fell this far behind is closed (the browser reconnects and reloads). */
const MAX_EVENT_BACKLOG = 4 * 1024 * 1024;

const pageHeaders = {
  'Content-Security-Policy': uiContentSecurityPolicy,
  'X-Frame-Options': 'DENY',
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

export type BrowserHost = {
  routes: AppRoutes;
  /** The address to print: the server's URL with this run's key. */
  urlFor(serverUrl: string): string;
  /** Ends the open event streams. */
  close(): void;
};

function portOf(host: string | undefined): string {
  return host?.slice(host.lastIndexOf(':') + 1) ?? '';
}

/** Same-origin only: a page elsewhere (another port, a rebound DNS name) may not drive the API. */
function sameOrigin(req: IncomingMessage): boolean {
  const origin = req.headers.origin;
  if (origin !== undefined && origin !== `http://${req.headers.host}`) return false;
  const site = req.headers['sec-fetch-site'];
  return site === undefined || site === 'same-origin' || site === 'none';
}

function statusOf(error: ApiError): number {
  switch (error.code) {
    case 'INVALID_DATA':
      return 400;
    case 'NOT_FOUND':
    case 'PROFILE_NOT_FOUND':
      return 404;
    case 'INTERNAL_ERROR':
      return 500;
    default:
      // Never 401/403: those mean "this browser is not signed in" to the client.
      return 422;
  }
}

/** An ApiResult envelope; a failure answers with its code's status unless `status` is given. */
function sendResult(
  res: ServerResponse,
  result: ApiResult<unknown>,
  status = result.ok ? 200 : statusOf(result.error),
): void {
  res.setHeader('X-Content-Type-Options', 'nosniff');
  sendBody(res, status, 'application/json; charset=utf-8', JSON.stringify(result));
}

function sendError(res: ServerResponse, status: number, error: ApiError): void {
  sendResult(res, { ok: false, error }, status);
}

/** A JSON body over MAX_JSON_BYTES: answered 413, then the connection is dropped unread. */
class BodyTooLarge extends OutboxError {
  constructor() {
    super(
      'INVALID_DATA',
      `the request body is larger than ${MAX_JSON_BYTES / 1024 / 1024} MiB; API arguments are small (files go to /api/uploads)`,
    );
  }
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  if (Number(req.headers['content-length'] ?? 0) > MAX_JSON_BYTES) throw new BodyTooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  // Not `for await`: leaving it destroys the socket before the 413 could be answered.
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_JSON_BYTES) return void chunks.push(chunk);
      req.off('data', onData);
      req.pause();
      reject(new BodyTooLarge());
    };
    req.on('data', onData);
    req.once('end', resolve);
    req.once('error', reject);
  });
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch {
    throw new OutboxError('INVALID_DATA', 'the request body is not JSON');
  }
}

export function createBrowserHost(options: {
  api: OutboxApi;
  staging: UploadStaging;
  /** The built renderer (out/renderer). */
  rendererDir: string;
}): BrowserHost {
  const { api, staging } = options;
  const root = resolve(options.rendererDir);
  // Per run, 258 random bits each: the key printed in the URL, and the session the cookie
  // carries (never the key itself).
  const key = nanoid(43);
  const session = nanoid(43);
  const streams = new Set<ServerResponse>();

  /** Cookies are per host, not per port: the port in the name keeps two Outboxes apart. */
  const cookieName = (req: IncomingMessage) => `outbox_session_${portOf(req.headers.host)}`;

  function signIn(req: IncomingMessage, res: ServerResponse, given: string): void {
    if (!tokensMatch(key, given)) {
      return sendText(
        res,
        403,
        'This key is not valid (Outbox makes a new one each time it starts): open the address "outbox serve" printed.',
      );
    }
    res.writeHead(303, {
      'Set-Cookie': `${cookieName(req)}=${session}; Path=/; HttpOnly; SameSite=Strict`,
      Location: '/',
      'Cache-Control': 'no-store',
      'Referrer-Policy': 'no-referrer',
    });
    res.end();
  }

  function events(req: IncomingMessage, res: ServerResponse): void {
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      'X-Accel-Buffering': 'no',
    });
    res.write('retry: 2000\n\n');
    streams.add(res);
    const unsubscribe = api.subscribe((event) => {
      if (res.writableLength > MAX_EVENT_BACKLOG) return res.destroy();
      res.write(`data: ${JSON.stringify(event)}\n\n`);
    });
    const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), HEARTBEAT_MS);
    res.on('close', () => {
      clearInterval(heartbeat);
      unsubscribe();
      streams.delete(res);
    });
  }

  async function upload(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const name = url.searchParams.get('name') ?? '';
    try {
      const value = await staging.receive(name, req);
      sendResult(res, { ok: true, value });
    } catch (error) {
      // Refused before the body was read: answer, then drop the connection instead of reading it all.
      const unread = !req.readableEnded && !req.destroyed;
      if (unread) res.setHeader('Connection', 'close');
      sendResult(res, { ok: false, error: apiErrorOf(error) });
      if (unread) req.destroy();
    }
  }

  async function staticFile(res: ServerResponse, pathname: string, head: boolean) {
    let decoded: string;
    try {
      decoded = decodeURIComponent(pathname === '/' ? '/index.html' : pathname);
    } catch {
      return false;
    }
    const path = resolve(join(root, decoded));
    if (!path.startsWith(root + sep) || decoded.includes('\0')) return false;
    const stat = await fs.stat(path).catch(() => undefined);
    if (!stat?.isFile()) return false;
    res.writeHead(200, {
      ...pageHeaders,
      'Content-Type': contentTypeOf(path),
      'Content-Length': stat.size,
      'Cache-Control': 'no-cache',
    });
    if (head) res.end();
    // A read that fails (the file went away after its stat) cuts this response, not the server.
    else pipeline(createReadStream(path), res, () => {});
    return true;
  }

  const routes: AppRoutes = async (req, res, url) => {
    if (!sameOrigin(req)) {
      const message = 'Cross-origin requests are not allowed.';
      if (url.pathname.startsWith('/api/')) sendError(res, 403, { code: 'ACCESS_DENIED', message });
      else sendText(res, 403, message);
      return true;
    }
    const method = req.method ?? 'GET';
    const keyParam = url.searchParams.get('key');
    if (url.pathname === '/' && keyParam !== null && method === 'GET') {
      signIn(req, res, keyParam);
      return true;
    }
    const cookie = cookieOf(req, cookieName(req));
    const signedIn = cookie !== undefined && tokensMatch(session, cookie);
    const isApi = url.pathname.startsWith('/api/');
    if (!signedIn) {
      const message =
        'Not signed in: open the address that "outbox serve" printed (it ends with ?key=…).';
      if (isApi) sendError(res, 401, { code: 'ACCESS_DENIED', message });
      else sendText(res, 401, message);
      return true;
    }
    if (!isApi) {
      if (method !== 'GET' && method !== 'HEAD') return false;
      return staticFile(res, url.pathname, method === 'HEAD');
    }

    const route = url.pathname.slice('/api/'.length);
    if (route === 'events' && method === 'GET') {
      events(req, res);
      return true;
    }
    if (method !== 'POST') {
      res.setHeader('Allow', route === 'events' ? 'GET' : 'POST');
      sendError(res, 405, { code: 'INVALID_DATA', message: `${method} is not allowed here` });
      return true;
    }
    if (route === 'uploads') {
      await upload(req, res, url);
      return true;
    }
    if (!isApiMethod(route)) {
      sendError(res, 404, { code: 'NOT_FOUND', message: `no API method "${route}"` });
      return true;
    }
    // A JSON content type cannot be sent cross-site without a (refused) preflight.
    if (!/^application\/json\b/i.test(req.headers['content-type'] ?? '')) {
      sendError(res, 415, {
        code: 'INVALID_DATA',
        message: 'send the arguments as application/json',
      });
      return true;
    }
    let args: unknown;
    try {
      args = await readJson(req);
    } catch (error) {
      if (error instanceof BodyTooLarge) {
        sendError(res, 413, apiErrorOf(error));
        // Lingering close: drop what still arrives for a moment, so the client reads the 413
        // instead of a reset, then cut the connection. (Not `Connection: close`: Node would
        // destroy the socket as soon as the 413 is written, and the client's next write resets
        // the connection before it has read the answer.)
        req.resume();
        setTimeout(() => req.destroy(), 2_000).unref();
      } else sendResult(res, { ok: false, error: apiErrorOf(error) });
      return true;
    }
    sendResult(res, await dispatch(api, route, args));
    return true;
  };

  return {
    routes,
    urlFor: (serverUrl) => `${serverUrl}/?key=${key}`,
    close() {
      for (const stream of streams) stream.end();
      streams.clear();
    },
  };
}

/**
 * `outbox serve`: the link server with the browser host on it. `uiUrl` (with
 * the key) is what to print or open; `close` stops the server and the sweeps.
 */
export async function startBrowserHost(options: {
  context: HostContext;
  version: string;
  rendererDir: string;
}): Promise<{
  server: RunningServer;
  uiUrl: string;
  staging: UploadStaging;
  close: () => Promise<void>;
}> {
  const { context } = options;
  const staging = new UploadStaging(context).start();
  const api = createCoreApi(context, staging, {
    host: 'browser',
    version: options.version,
    allowPaths: false,
  });
  const host = createBrowserHost({ api, staging, rendererDir: options.rendererDir });
  const server = await startServer({
    config: context.config,
    links: context.links,
    app: host.routes,
  });
  return {
    server,
    uiUrl: host.urlFor(server.url),
    staging,
    close: async () => {
      host.close();
      staging.close();
      await server.close();
    },
  };
}
