import type { IncomingMessage } from 'node:http';
import { createRequire } from 'node:module';
import type MimeTypes from 'mime-types';

/**
 * mime-types, loaded on the first lookup: building its table from mime-db
 * (~2,500 types) took ~20 ms at every command's start, and the main thread of
 * an export never looks a type up (the exporters do, in their worker).
 */
let mime: typeof MimeTypes | undefined;
function mimeTypes(): typeof MimeTypes {
  mime ??= createRequire(import.meta.url)('mime-types') as typeof MimeTypes;
  return mime;
}

/** `Content-Disposition` that keeps non-ASCII names (RFC 6266 `filename*`) with an ASCII fallback. */
export function contentDisposition(type: 'inline' | 'attachment', filename: string): string {
  const fallback = filename.replace(/[^\x20-\x7e]|["\\%]/g, '_');
  const encoded = encodeURIComponent(filename).replace(
    /['()*]/g,
    (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase(),
  );
  return `${type}; filename="${fallback}"; filename*=UTF-8''${encoded}`;
}

export function contentTypeOf(filename: string): string {
  const type = mimeTypes().lookup(filename) || 'application/octet-stream';
  const charset = mimeTypes().charset(type);
  return charset ? `${type}; charset=${charset.toLowerCase()}` : type;
}

/** The value of the cookie `name` the request carries, if any. */
export function cookieOf(req: IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

export type ByteRange = { start: number; end: number };

/**
 * Parses a `Range` header for a resource of `size` bytes. Returns undefined to
 * serve the whole resource (no header, or several ranges), 'unsatisfiable' for 416.
 */
export function parseRange(
  header: string | undefined,
  size: number,
): ByteRange | 'unsatisfiable' | undefined {
  if (!header) return undefined;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match) return undefined; // several ranges or another unit: the whole file is a valid answer
  const [, from = '', to = ''] = match;
  if (from === '' && to === '') return undefined;
  if (from === '') {
    const suffix = Number(to);
    if (suffix === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(from);
  const end = to === '' ? size - 1 : Math.min(Number(to), size - 1);
  if (start >= size || end < start) return 'unsatisfiable';
  return { start, end };
}

/** The entity-tags of an `If-None-Match` / `If-Match` list (`*` stays `*`), as written. */
function entityTags(header: string): string[] {
  return header.match(/\*|(?:W\/)?"[^"]*"/g) ?? [];
}

const opaque = (tag: string) => (tag.startsWith('W/') ? tag.slice(2) : tag);

/**
 * `If-None-Match` (RFC 9110 §13.1.2): true when it matches `etag`, i.e. a GET or
 * HEAD answers 304. Weak comparison, `*` matches any current representation, and
 * a list matches when any member does.
 */
export function noneMatchHits(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  return entityTags(header).some((tag) => tag === '*' || opaque(tag) === opaque(etag));
}

/**
 * Conditional GET/HEAD (RFC 9110 §13.2.2): 304 when `If-None-Match` matches, or,
 * only without `If-None-Match`, when `If-Modified-Since` is not before the last change.
 */
export function notModified(
  headers: { 'if-none-match'?: string; 'if-modified-since'?: string },
  etag: string,
  lastModifiedMs: number,
): boolean {
  if (headers['if-none-match'] !== undefined) return noneMatchHits(headers['if-none-match'], etag);
  const since = Date.parse(headers['if-modified-since'] ?? '');
  return Number.isFinite(since) && Math.floor(lastModifiedMs / 1000) * 1000 <= since;
}

/**
 * `If-Range` (RFC 9110 §13.1.5): a range is served only when the validator is
 * still current: the same strong entity-tag (never a weak one), or the exact
 * Last-Modified date.
 */
export function ifRangeHolds(
  header: string | undefined,
  etag: string,
  lastModified: string,
): boolean {
  if (header === undefined) return true;
  const value = header.trim();
  if (value.startsWith('W/')) return false;
  return value.startsWith('"') ? value === etag : value === lastModified;
}

/** `Last-Modified` of a file: HTTP dates have whole seconds. */
export function httpDate(mtimeMs: number): string {
  return new Date(Math.floor(mtimeMs / 1000) * 1000).toUTCString();
}
