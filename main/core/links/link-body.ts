import type { IncomingMessage, ServerResponse } from 'node:http';
import { CHUNK, ChunkBuffers } from './chunk-buffers';
import type { Delivery, DownloadLedger } from './download-ledger';
import {
  contentDisposition,
  contentTypeOf,
  httpDate,
  ifRangeHolds,
  notModified,
  parseRange,
  type ByteRange,
} from '../http/http-headers';
import { sendBody } from '../http/send-body';
import type { ServedLink } from './link-cache';
import type { LinkRecord } from './link-record';
import { SMALL_FILE, type ServedFile } from './served-files';
import { dataPosition } from './zip-layout';
import { zipBytes } from './zip-stream';

/**
 * The bodies of download links: one file, or a ZIP of several, whole or as
 * one byte range, with the headers that let clients cache and resume them.
 * Every GET is counted in bytes before it starts (download-ledger.ts).
 */

/** Bodies up to this size are sent with the headers in one write (small files from memory). */
const SMALL = SMALL_FILE;

const CONTENT_SECURITY_POLICY =
  "sandbox; default-src 'none'; img-src 'self' data:; media-src 'self'; style-src 'unsafe-inline'";

/** Headers on every link response, as name/value pairs: nothing served here may run script on this origin. */
function securityPairs(contentType?: string): string[] {
  const pairs = [
    'X-Content-Type-Options',
    'nosniff',
    'Referrer-Policy',
    'no-referrer',
    'X-Robots-Tag',
    'noindex, nofollow',
    'Cross-Origin-Resource-Policy',
    'same-origin',
  ];
  // `sandbox` stops HTML/SVG from running script; PDF viewers refuse to run sandboxed.
  if (!contentType?.startsWith('application/pdf')) {
    pairs.push('Content-Security-Policy', CONTENT_SECURITY_POLICY);
  }
  return pairs;
}

const setPairs = (res: ServerResponse, pairs: readonly string[]) => {
  for (let i = 0; i < pairs.length; i += 2) res.setHeader(pairs[i]!, pairs[i + 1]!);
};
export function securityHeaders(res: ServerResponse, contentType?: string): void {
  setPairs(res, securityPairs(contentType));
}

export function sendText(res: ServerResponse, status: number, text: string): void {
  securityHeaders(res);
  sendBody(res, status, 'text/plain; charset=utf-8', text + '\n');
}

export function usedUpMessage(link: LinkRecord): string {
  return `This link was downloaded ${link.max_downloads} times, its limit.`;
}

type Resource = {
  size: number;
  etag: string;
  lastModifiedMs: number;
  lastModified: string;
  contentType: string;
  disposition: string;
  /** Where an offset of this resource falls in the bytes the link counts (download-ledger.ts). */
  counted: (offset: number) => number;
};

/**
 * A resource's headers, made once per link: those of every answer, those of
 * a 200/206 besides (less its length), and all of a whole 200's.
 */
type Headed = Resource & { validators: string[]; body: string[]; whole: string[] };

function headed(resource: Resource): Headed {
  const validators = [
    ...securityPairs(resource.contentType),
    'ETag',
    resource.etag,
    'Last-Modified',
    resource.lastModified,
    'Accept-Ranges',
    'bytes',
    'Cache-Control',
    'private, no-cache',
  ];
  const body = [
    ...validators,
    'Content-Type',
    resource.contentType,
    'Content-Disposition',
    resource.disposition,
  ];
  const whole = [...body, 'Content-Length', String(resource.size)];
  return { ...resource, validators, body, whole };
}

/**
 * Validators, conditional and range headers common to files and ZIPs. Returns
 * the range to send and the delivery counting it, or undefined when the
 * response was already given (304, 416, 410).
 */
async function begin(
  req: IncomingMessage,
  res: ServerResponse,
  served: ServedLink,
  ledger: DownloadLedger,
  resource: Headed,
): Promise<{ range: ByteRange; delivery: Delivery | undefined } | undefined> {
  const { headers } = req;
  if (notModified(headers, resource.etag, resource.lastModifiedMs)) {
    res.writeHead(304, resource.validators);
    res.end();
    return undefined;
  }
  const ifRange = headers['if-range'];
  const rangeAllowed = ifRangeHolds(
    Array.isArray(ifRange) ? ifRange.join(',') : ifRange,
    resource.etag,
    resource.lastModified,
  );
  const range = rangeAllowed ? parseRange(headers.range, resource.size) : undefined;
  if (range === 'unsatisfiable') {
    setPairs(res, resource.validators);
    res.setHeader('Content-Range', `bytes */${resource.size}`);
    sendText(res, 416, 'The requested range is outside the file.');
    return undefined;
  }
  const start = range?.start ?? 0;
  const end = range?.end ?? resource.size - 1;
  const length = Math.max(0, end - start + 1);
  const { link } = served;
  const counted = (from: number, bytes: number) => ({
    start: resource.counted(from),
    end: resource.counted(from + bytes),
  });
  const delivery =
    req.method === 'GET'
      ? await ledger.begin(
          link.id,
          served.downloadSize,
          link.max_downloads,
          counted(start, length),
          (sent) => counted(start, sent),
        )
      : undefined;
  if (req.method === 'GET' && !delivery) {
    setPairs(res, resource.validators);
    sendText(res, 410, usedUpMessage(link));
    return undefined;
  }
  // One call with every header: sent with the body's first bytes.
  if (range) {
    res.writeHead(206, [
      ...resource.body,
      'Content-Length',
      String(length),
      'Content-Range',
      `bytes ${start}-${end}/${resource.size}`,
    ]);
  } else res.writeHead(200, resource.whole);
  return { range: { start, end }, delivery };
}

/** One file of a link (opened and checked by the caller). */
export async function serveFile(
  req: IncomingMessage,
  res: ServerResponse,
  served: ServedLink,
  ledger: DownloadLedger,
  file: {
    snapshot: LinkRecord['files'][number];
    open: ServedFile;
    filename: string;
    /** Which of the link's files (0 but for a file of a ZIP link). */
    index: number;
    /** Where its bytes are among the link's files' (0 but for a file of a ZIP link). */
    dataBefore: number;
  },
): Promise<void> {
  const { snapshot, open, filename, index, dataBefore } = file;
  const { link } = served;
  const resource = served.memo(index === 0 ? 'file' : `file ${index}`, (): Headed => {
    const inline = link.inline && link.kind === 'file';
    return headed({
      size: snapshot.size,
      etag: `"${snapshot.size.toString(16)}-${Math.floor(snapshot.mtime_ms).toString(16)}"`,
      lastModifiedMs: snapshot.mtime_ms,
      lastModified: httpDate(snapshot.mtime_ms),
      contentType: contentTypeOf(filename),
      disposition: contentDisposition(inline ? 'inline' : 'attachment', filename),
      counted: (offset) => dataBefore + offset,
    });
  });
  try {
    const started = await begin(req, res, served, ledger, resource);
    if (!started) return;
    const { range, delivery } = started;
    const length = range.end - range.start + 1;
    if (!delivery || length <= 0) {
      res.end();
      delivery?.end(0);
      return;
    }
    const sent = await sendFileRange(res, open, range.start, length);
    delivery.end(sent);
  } finally {
    open.release();
  }
}

/** The whole ZIP of a link, or one range of it. */
export async function serveZip(
  req: IncomingMessage,
  res: ServerResponse,
  served: ServedLink,
  ledger: DownloadLedger,
): Promise<void> {
  const { layout, crcs } = served.zip;
  const resource = served.memo('zip', (): Headed =>
    headed({
      size: layout.size,
      etag: layout.etag,
      lastModifiedMs: served.lastModifiedMs,
      lastModified: httpDate(served.lastModifiedMs),
      contentType: 'application/zip',
      disposition: contentDisposition('attachment', served.link.filename),
      counted: (offset) => dataPosition(layout, offset),
    }),
  );
  const started = await begin(req, res, served, ledger, resource);
  if (!started) return;
  const { range, delivery } = started;
  if (!delivery) {
    res.end();
    return;
  }
  const buffers = new ChunkBuffers(3);
  const sent = await sendChunks(
    res,
    zipBytes(layout, crcs, range.start, range.end + 1, buffers),
    buffers,
  );
  delivery.end(sent);
}

/** Resolves once the response is finished (true) or was cut before (false). */
function ended(res: ServerResponse): Promise<boolean> {
  if (res.writableFinished) return Promise.resolve(true);
  // 'close' comes after 'finish' too: one listener tells both.
  return new Promise((resolve) => res.once('close', () => resolve(res.writableFinished)));
}

/** Resolves when `res` can take more (drained) or is gone. */
function writable(res: ServerResponse): Promise<void> {
  if (!res.writableNeedDrain || res.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

/**
 * Sends `length` bytes of `file` from `start`: the body of a response whose
 * headers are set. A short read (the file shrank) or a read error cuts the
 * connection, never "completing" a download of the wrong length. Resolves
 * with the bytes that reached the socket.
 */
async function sendFileRange(
  res: ServerResponse,
  file: ServedFile,
  start: number,
  length: number,
): Promise<number> {
  if (length > SMALL) {
    const buffers = new ChunkBuffers(2);
    return sendChunks(res, fileChunks(file, start, length, buffers), buffers);
  }
  let whole: Buffer | undefined;
  try {
    whole = await file.contents();
  } catch {
    res.destroy();
    return 0;
  }
  let body = whole?.subarray(start, start + length);
  if (!body) {
    body = Buffer.allocUnsafe(length);
    if ((await readFully(file, body, length, start).catch(() => 0)) < length) {
      res.destroy();
      return 0;
    }
  }
  res.end(body); // with the headers, in one write
  return (await ended(res)) ? length : 0;
}

/** Bytes [start, start + length) of `file` in chunks read into `buffers`; throws if it is shorter. */
async function* fileChunks(
  file: ServedFile,
  start: number,
  length: number,
  buffers: ChunkBuffers,
): AsyncGenerator<Buffer> {
  const end = start + length;
  for (let position = start; position < end;) {
    const buffer = await buffers.take();
    const want = Math.min(CHUNK, end - position);
    const got = await readFully(file, buffer, want, position).catch(() => 0);
    if (got < want) {
      buffers.giveBack(buffer);
      throw new Error('the file shrank or could not be read while it was sent');
    }
    position += got;
    yield got === CHUNK ? buffer : buffer.subarray(0, got);
  }
}

async function readFully(
  file: ServedFile,
  buffer: Buffer,
  length: number,
  position: number,
): Promise<number> {
  let got = 0;
  while (got < length) {
    const n = await file.read(buffer.subarray(got), length - got, position + got);
    if (n === 0) break;
    got += n;
  }
  return got;
}

/**
 * Sends a body given as chunks, the next one read while up to two are being
 * sent; a chunk of `buffers` is given back once its write has flushed. Cut
 * (destroyed) if the chunks fail mid-way. Resolves with the bytes that reached
 * the socket, once every write has settled.
 */
async function sendChunks(
  res: ServerResponse,
  chunks: AsyncIterable<Buffer>,
  buffers: ChunkBuffers,
): Promise<number> {
  let sent = 0;
  const pending = new Set<Buffer>();
  let settledAll: (() => void) | undefined;
  const settle = (chunk: Buffer) => {
    if (!pending.delete(chunk)) return;
    buffers.giveBack(chunk);
    if (pending.size === 0) settledAll?.();
  };
  // A write to a connection already gone may never call back: its 'close' settles the rest.
  const onClose = () => [...pending].forEach(settle);
  res.once('close', onClose);
  let complete = false;
  let first = true;
  try {
    for await (const chunk of chunks) {
      if (res.destroyed) {
        buffers.giveBack(chunk);
        break;
      }
      pending.add(chunk);
      // The headers go out in the same write as the first chunk.
      if (first) res.cork();
      res.write(chunk, (error) => {
        if (!error && pending.has(chunk)) sent += chunk.length;
        settle(chunk);
      });
      if (first) res.uncork();
      first = false;
      if (res.writableLength >= 2 * CHUNK) await writable(res);
    }
    complete = !res.destroyed;
  } catch {
    res.destroy();
  }
  if (complete) {
    res.end();
    await ended(res);
  }
  if (pending.size > 0) await new Promise<void>((resolve) => (settledAll = resolve));
  res.off('close', onClose);
  return sent;
}
