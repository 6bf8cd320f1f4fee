import { promises as fs, createReadStream } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { contentDisposition, contentTypeOf, parseRange } from './http-headers';
import {
  downloadPage,
  messagePage,
  pageContentSecurityPolicy,
  passwordPage,
} from './download-page';
import { linkState, type LinkRecord } from './link-record';
import {
  passwordMatches,
  UNLOCK_SECONDS,
  unlockCookieName,
  unlockCookieValid,
  unlockCookieValue,
  type PasswordAttempts,
} from './link-password';
import type { LinkStore } from './link-store';
import { zipSize, zipStream, type ZipEntry } from './zip-stream';

const LINK_PATH = /^\/d\/([A-Za-z0-9_-]{1,64})\/([A-Za-z0-9_-]{1,128})(?:\/([^/]*))?$/;

/** Headers on every link response: nothing served here may run script on this origin. */
function securityHeaders(res: ServerResponse, contentType?: string): void {
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('X-Robots-Tag', 'noindex, nofollow');
  res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
  // `sandbox` stops HTML/SVG from running script; PDF viewers refuse to run sandboxed.
  if (!contentType?.startsWith('application/pdf')) {
    res.setHeader(
      'Content-Security-Policy',
      "sandbox; default-src 'none'; img-src 'self' data:; media-src 'self'; style-src 'unsafe-inline'",
    );
  }
}

export function sendText(res: ServerResponse, status: number, text: string): void {
  securityHeaders(res);
  res.writeHead(status, {
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': Buffer.byteLength(text + '\n'),
    'Cache-Control': 'no-store',
  });
  res.end(text + '\n');
}

export function isLinkPath(pathname: string): boolean {
  return pathname.startsWith('/d/');
}

export type LinkRequestContext = {
  store: LinkStore;
  attempts: PasswordAttempts;
  /** The LAN listener: only links shared on the network exist there. */
  lanOnly: boolean;
};

function sendHtml(res: ServerResponse, status: number, html: string, head = false): void {
  securityHeaders(res);
  // The pages hold no script at all; no sandbox, so the password form can post.
  res.setHeader('Content-Security-Policy', pageContentSecurityPolicy);
  res.setHeader('X-Frame-Options', 'DENY');
  res.writeHead(status, {
    'Content-Type': 'text/html; charset=utf-8',
    'Content-Length': Buffer.byteLength(html),
    'Cache-Control': 'no-store',
  });
  res.end(head ? undefined : html);
}

function cookieOf(req: IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

async function formPassword(req: IncomingMessage): Promise<string | undefined> {
  let body = '';
  for await (const chunk of req) {
    body += String(chunk);
    if (body.length > 4096) return undefined;
  }
  return new URLSearchParams(body).get('password') ?? undefined;
}

/**
 * Serves a link: `GET|HEAD /d/<id>/<token>/<name>` (the file, or a ZIP of
 * several built on the fly; `?file=N` one file of several), the download page
 * (`/d/<id>/<token>/` or `?page`), and `POST …/?page` with a link password.
 */
export async function handleLinkRequest(
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  context: LinkRequestContext,
): Promise<void> {
  const { store } = context;
  const match = LINK_PATH.exec(url.pathname);
  const isPage = match?.[3] === '' || url.searchParams.has('page');
  if (req.method !== 'GET' && req.method !== 'HEAD' && !(isPage && req.method === 'POST')) {
    res.setHeader('Allow', isPage ? 'GET, HEAD, POST' : 'GET, HEAD');
    return sendText(res, 405, 'Only GET and HEAD are allowed on download links.');
  }
  const found = match ? await store.authorize(match[1] ?? '', match[2] ?? '') : undefined;
  const link = found && (!context.lanOnly || found.lan) ? found : undefined;
  if (!link) return sendText(res, 404, 'No such link. Check that you copied the whole URL.');

  const refuse = (status: number, text: string) =>
    isPage
      ? sendHtml(res, status, messagePage(text), req.method === 'HEAD')
      : sendText(res, status, text);
  const downloads = await store.downloads(link.id);
  const state = linkState(link, Date.now(), downloads);
  if (state === 'revoked') return refuse(410, 'This link was revoked by its owner.');
  if (state === 'expired') return refuse(410, `This link expired at ${link.expires_at}.`);
  if (state === 'used_up') {
    return refuse(410, `This link was downloaded ${link.max_downloads} times, its limit.`);
  }

  const unchanged = await filesUnchanged(link);
  if (unchanged !== true) {
    return refuse(
      410,
      `"${unchanged}" was changed or deleted after this link was created, so the link no longer serves it. ` +
        'Export the file again for a new link.',
    );
  }

  if (link.password_hash !== undefined) {
    const cookie = unlockCookieName(link.id);
    if (req.method === 'POST') return unlock(req, res, link, link.password_hash, context);
    if (!unlockCookieValid(link.id, link.password_hash, cookieOf(req, cookie))) {
      return sendHtml(res, 401, passwordPage(), req.method === 'HEAD');
    }
  } else if (req.method === 'POST') {
    res.setHeader('Allow', 'GET, HEAD');
    return sendText(res, 405, 'This link has no password.');
  }

  if (isPage) return sendHtml(res, 200, downloadPage(link, downloads), req.method === 'HEAD');
  const fileParam = url.searchParams.get('file');
  if (link.kind === 'zip' && fileParam !== null) {
    const index = /^\d{1,6}$/.test(fileParam) ? Number(fileParam) : -1;
    const file = link.files[index];
    if (!file) return sendText(res, 404, 'This link has no such file.');
    return serveFile(req, res, link, file, file.name.split('/').pop() ?? file.name, store);
  }
  if (link.kind === 'zip') return serveZip(req, res, link, store);
  const file = link.files[0];
  if (!file) return sendText(res, 500, 'This link has no file.');
  return serveFile(req, res, link, file, link.filename, store);
}

/** Checks a posted password: a cookie for this link and back to the page, or 401/429. */
async function unlock(
  req: IncomingMessage,
  res: ServerResponse,
  link: LinkRecord,
  passwordHash: string,
  context: LinkRequestContext,
): Promise<void> {
  const client = req.socket.remoteAddress ?? '';
  const wait = context.attempts.retryAfter(link.id, client);
  if (wait > 0) {
    res.setHeader('Retry-After', String(wait));
    return sendHtml(res, 429, passwordPage(`Too many wrong passwords. Try again in ${wait} s.`));
  }
  const password = await formPassword(req);
  if (password === undefined || !(await passwordMatches(passwordHash, password))) {
    context.attempts.fail(link.id, client);
    return sendHtml(res, 401, passwordPage('Wrong password.'));
  }
  res.setHeader(
    'Set-Cookie',
    `${unlockCookieName(link.id)}=${unlockCookieValue(link.id, passwordHash)}; Path=/d/${link.id}/; ` +
      `Max-Age=${UNLOCK_SECONDS}; HttpOnly; SameSite=Lax`,
  );
  securityHeaders(res);
  res.writeHead(303, { Location: `/d/${link.id}/${link.token}/`, 'Cache-Control': 'no-store' });
  res.end();
}

/** true, or the name of the first file whose size or mtime differs from the snapshot. */
async function filesUnchanged(link: LinkRecord): Promise<true | string> {
  for (const file of link.files) {
    const stat = await fs.stat(file.path).catch(() => undefined);
    if (!stat || !stat.isFile() || stat.size !== file.size || stat.mtimeMs !== file.mtime_ms) {
      return file.name;
    }
  }
  return true;
}

function lastModified(mtimeMs: number): string {
  return new Date(Math.floor(mtimeMs / 1000) * 1000).toUTCString();
}

async function serveFile(
  req: IncomingMessage,
  res: ServerResponse,
  link: LinkRecord,
  file: LinkRecord['files'][number],
  filename: string,
  store: LinkStore,
): Promise<void> {
  const contentType = contentTypeOf(filename);
  const etag = `"${file.size.toString(16)}-${Math.floor(file.mtime_ms).toString(16)}"`;
  securityHeaders(res, contentType);
  res.setHeader('ETag', etag);
  res.setHeader('Last-Modified', lastModified(file.mtime_ms));
  res.setHeader('Accept-Ranges', 'bytes');
  res.setHeader('Cache-Control', 'private, no-cache');

  if (req.headers['if-none-match'] === etag) {
    res.writeHead(304);
    res.end();
    return;
  }
  const ifRange = req.headers['if-range'];
  const rangeAllowed = ifRange === undefined || ifRange === etag;
  const range = rangeAllowed ? parseRange(req.headers.range, file.size) : undefined;
  if (range === 'unsatisfiable') {
    res.setHeader('Content-Range', `bytes */${file.size}`);
    return sendText(res, 416, 'The requested range is outside the file.');
  }
  const start = range?.start ?? 0;
  const end = range?.end ?? file.size - 1;
  // A download counts when it starts from the first byte (resumes do not).
  if (
    req.method === 'GET' &&
    start === 0 &&
    !(await store.claimDownload(link.id, link.max_downloads))
  ) {
    return sendText(res, 410, `This link was downloaded ${link.max_downloads} times, its limit.`);
  }
  res.statusCode = range ? 206 : 200;
  if (range) res.setHeader('Content-Range', `bytes ${start}-${end}/${file.size}`);
  res.setHeader('Content-Type', contentType);
  res.setHeader('Content-Length', Math.max(0, end - start + 1));
  res.setHeader(
    'Content-Disposition',
    contentDisposition(link.inline && link.kind === 'file' ? 'inline' : 'attachment', filename),
  );
  if (req.method === 'HEAD' || file.size === 0) {
    res.end();
    return;
  }
  await streamChecked(
    res,
    createReadStream(file.path, { start, end, highWaterMark: 256 * 1024 }),
    end - start + 1,
  );
}

/**
 * Pipes a body and makes a short read (the file shrank while serving) an
 * aborted response, never a "complete" download of wrong length.
 */
async function streamChecked(
  res: ServerResponse,
  body: NodeJS.ReadableStream,
  expected: number,
): Promise<void> {
  let sent = 0;
  body.on('data', (chunk: Buffer) => {
    sent += chunk.length;
  });
  try {
    await pipeline(body, res);
  } catch {
    res.destroy();
    return;
  }
  if (expected >= 0 && sent !== expected) res.destroy();
}

async function serveZip(
  req: IncomingMessage,
  res: ServerResponse,
  link: LinkRecord,
  store: LinkStore,
): Promise<void> {
  const entries: ZipEntry[] = link.files.map((file) => ({
    name: file.name,
    path: file.path,
    size: file.size,
    mtimeMs: file.mtime_ms,
  }));
  if (req.method === 'GET' && !(await store.claimDownload(link.id, link.max_downloads))) {
    return sendText(res, 410, `This link was downloaded ${link.max_downloads} times, its limit.`);
  }
  const zip =
    req.method === 'HEAD' ? { size: zipSize(entries), stream: undefined } : zipStream(entries);
  securityHeaders(res, 'application/zip');
  res.statusCode = 200;
  res.setHeader('Content-Type', 'application/zip');
  res.setHeader('Accept-Ranges', 'none');
  res.setHeader('Cache-Control', 'private, no-cache');
  res.setHeader('Last-Modified', lastModified(Math.max(...link.files.map((f) => f.mtime_ms))));
  res.setHeader('Content-Length', zip.size);
  res.setHeader('Content-Disposition', contentDisposition('attachment', link.filename));
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  if (zip.stream) await streamChecked(res, zip.stream, zip.size);
}
