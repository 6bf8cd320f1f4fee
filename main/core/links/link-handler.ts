import { promises as fs, createReadStream } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { contentDisposition, contentTypeOf, parseRange } from './http-headers';
import { linkState, type LinkRecord } from './link-record';
import type { LinkStore } from './link-store';
import { zipSize, zipStream, type ZipEntry } from './zip-stream';

const LINK_PATH = /^\/d\/([A-Za-z0-9_-]{1,64})\/([A-Za-z0-9_-]{1,128})(?:\/[^/]*)?$/;

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

/** Serves `GET|HEAD /d/<id>/<token>/<name>`: a file, or a ZIP of several built on the fly. */
export async function handleLinkRequest(
  req: IncomingMessage,
  res: ServerResponse,
  pathname: string,
  store: LinkStore,
): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('Allow', 'GET, HEAD');
    return sendText(res, 405, 'Only GET and HEAD are allowed on download links.');
  }
  const match = LINK_PATH.exec(pathname);
  const link = match ? await store.authorize(match[1] ?? '', match[2] ?? '') : undefined;
  if (!link) return sendText(res, 404, 'No such link. Check that you copied the whole URL.');

  const state = linkState(link);
  if (state === 'revoked') return sendText(res, 410, 'This link was revoked by its owner.');
  if (state === 'expired') return sendText(res, 410, `This link expired at ${link.expires_at}.`);

  const unchanged = await filesUnchanged(link);
  if (unchanged !== true) {
    return sendText(
      res,
      410,
      `"${unchanged}" was changed or deleted after this link was created, so the link no longer serves it. ` +
        'Export the file again for a new link.',
    );
  }
  if (link.kind === 'zip') return serveZip(req, res, link, store);
  return serveFile(req, res, link, store);
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
  store: LinkStore,
): Promise<void> {
  const file = link.files[0];
  if (!file) return sendText(res, 500, 'This link has no file.');
  const contentType = contentTypeOf(link.filename);
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
  res.statusCode = range ? 206 : 200;
  if (range) res.setHeader('Content-Range', `bytes ${start}-${end}/${file.size}`);
  res.setHeader('Content-Type', contentType);
  res.setHeader('Content-Length', Math.max(0, end - start + 1));
  res.setHeader(
    'Content-Disposition',
    contentDisposition(link.inline ? 'inline' : 'attachment', link.filename),
  );
  if (req.method === 'HEAD' || file.size === 0) {
    res.end();
    if (req.method === 'GET') await store.countDownload(link.id);
    return;
  }
  await streamChecked(
    res,
    createReadStream(file.path, { start, end, highWaterMark: 256 * 1024 }),
    end - start + 1,
  );
  if (start === 0) await store.countDownload(link.id);
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
  await store.countDownload(link.id);
}
