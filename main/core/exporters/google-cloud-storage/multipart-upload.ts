import { randomBytes } from 'node:crypto';
import { responseText } from '../../http/response-text';
import type { ProgressSink } from '../exporter';
import { keepAliveAgent, sendPart, type Framing } from '../part-request';
import type { PreparedPart } from '../parts';

/**
 * One small object in one request (the JSON API's `uploadType=multipart`:
 * its metadata, then its bytes), without the SDK's request stack, for the
 * files below the resumable threshold: a folder of small files is made of
 * them. `file.createWriteStream` sends the same request through stream
 * wrappers, gaxios, teeny-request and node-fetch: 2,000 files of 64 KiB to
 * the emulator kept the exporter thread busy 4.4 s, 30 % of it garbage
 * collection, against 2.2 s with the requests made here (BENCHMARKS.md). The
 * SDK still does what it alone knows: the service account's access token
 * (its auth client signs and caches it). The metadata carries the content
 * type and the MD5 of the bytes, which GCS checks before it stores the
 * object; it answers with the object resource (size, md5Hash), which the
 * exporter compares with what was read.
 */

/** What GCS answers a finished upload with (the fields the exporter checks). */
export type StoredObject = { size?: unknown; md5Hash?: unknown };

/** A failed answer, as the SDK's ApiError carries it (what gcsError reads). */
export class GcsAnswerError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

export type UploadTarget = {
  /** The API root (https://storage.googleapis.com, or an emulator's). */
  apiRoot: string;
  bucket: string;
  /** The access token, or undefined where none is sent (an emulator). */
  token: (() => Promise<string>) | undefined;
  /** No byte either way on a request's socket for this long fails it. */
  idleTimeoutMs: number;
};

export type UploadObject = (
  name: string,
  contentType: string,
  part: PreparedPart,
  progress: ProgressSink,
  signal: AbortSignal,
) => Promise<StoredObject>;

/** GCS's JSON error (`{ error: { code, message } }`), or the status line. */
function answerError(status: number, statusMessage: string | undefined, text: string) {
  let message: unknown;
  try {
    message = (JSON.parse(text) as { error?: { message?: unknown } }).error?.message;
  } catch {
    // not JSON: a proxy's page
  }
  return new GcsAnswerError(
    status,
    typeof message === 'string' && message ? message : statusMessage || `HTTP ${status}`,
  );
}

/**
 * The multipart framing of one uploader: its body's content type and closing
 * line, made once, and each file's opening (its metadata). The boundary is
 * random, made once per uploader: 96 random bits keep it out of any file's
 * bytes, and one `randomBytes` call per file cost ~17 µs of the thread here.
 */
function multipartFraming(): {
  type: string;
  framingOf: (metadata: Record<string, string>, contentType: string) => Framing;
} {
  const boundary = `outbox-${randomBytes(12).toString('hex')}`;
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  return {
    type: `multipart/related; boundary=${boundary}`,
    framingOf: (metadata, contentType) => ({
      head: Buffer.from(
        `--${boundary}\r\ncontent-type: application/json; charset=UTF-8\r\n\r\n` +
          `${JSON.stringify(metadata)}\r\n--${boundary}\r\ncontent-type: ${contentType}\r\n\r\n`,
      ),
      tail,
    }),
  };
}

/** Uploads into `target.bucket` on their own keep-alive connections (`close()` ends them). */
export function directUpload(target: UploadTarget): { upload: UploadObject; close: () => void } {
  const root = new URL(target.apiRoot);
  const agent = keepAliveAgent(root);
  const multipart = multipartFraming();
  const path = `${root.pathname.replace(/\/+$/, '')}/upload/storage/v1/b/${encodeURIComponent(target.bucket)}/o?uploadType=multipart`;
  const upload: UploadObject = async (name, contentType, part, progress, signal) => {
    const metadata = { name, contentType, md5Hash: part.md5.toString('base64') };
    const framing = multipart.framingOf(metadata, contentType);
    const headers: Record<string, string> = {
      'content-type': multipart.type,
      'content-length': String(framing.head.length + part.length + framing.tail.length),
      'user-agent': 'Outbox',
    };
    if (target.token) headers.authorization = `Bearer ${await target.token()}`;
    const response = await sendPart(
      {
        origin: root,
        method: 'POST',
        path,
        headers,
        agent,
        signal,
        idleTimeoutMs: target.idleTimeoutMs,
      },
      part,
      progress,
      framing,
    );
    const status = response.statusCode ?? 0;
    const text = await responseText(response);
    if (status < 200 || status >= 300) throw answerError(status, response.statusMessage, text);
    return JSON.parse(text) as StoredObject;
  };
  return { upload, close: () => agent.destroy() };
}
