import type { ResultFile } from '../transfer/records';
import { OutboxError } from '../errors';
import { asOutboxError } from './classify';
import type { ExportOperation, TaskOf } from '../tasks/operations';
import type { ClientContext, Exporter, ShareLinkExpiry } from './exporter';

/**
 * Share links of the cloud exports (the `share_link` extension): each
 * exporter signs a download URL its own way; the expiry and the shape of the
 * result are decided here, once.
 */

/** The validated `share_link` parameter. */
export type ShareLinkRequest = { expires_in: number };

/** The result fields a share link adds: `url` downloads without credentials until `expires_at`. */
export type SharedFields = { url: string; expires_at: string };

export function shareLinkExpiry(request: ShareLinkRequest, now = Date.now()): ShareLinkExpiry {
  const signedAt = new Date(Math.floor(now / 1000) * 1000);
  return {
    signedAt,
    seconds: request.expires_in,
    expiresAt: new Date(signedAt.getTime() + request.expires_in * 1000),
  };
}

/**
 * The result of a verified upload, with a signed download URL when the task
 * asks for one. Called after the upload is verified, so a link never points
 * at bytes that were not checked.
 */
export async function withShareLink<R extends ResultFile>(
  result: R,
  request: ShareLinkRequest | undefined,
  sign: (expiry: ShareLinkExpiry) => Promise<string>,
): Promise<R | (R & SharedFields)> {
  if (request === undefined) return result;
  const expiry = shareLinkExpiry(request);
  const url = await sign(expiry);
  return { ...result, url, expires_at: expiry.expiresAt.toISOString() };
}

/** A location field (`bucket`, `key`, `blob`…) of an earlier export's result. */
export function storedName(file: ResultFile, field: string): string {
  const value = file[field];
  if (typeof value !== 'string' || value === '') {
    throw new OutboxError(
      'INVALID_DATA',
      `The result of ${file.filename} does not say where it was stored (no "${field}"): export it again.`,
    );
  }
  return value;
}

const CHECK_TIMEOUT_MS = 15_000;

/**
 * Fetches the first byte through a link signed after the export, without
 * credentials: a link is only handed out when it downloads a file of the
 * exported size (the object may have been deleted, replaced or made
 * unreachable since, or the credentials changed).
 */
export async function checkSharedUrl(
  url: string,
  file: ResultFile,
  signal: AbortSignal,
): Promise<void> {
  const where = `${file.filename} (${new URL(url).host})`;
  const response = await fetch(url, {
    // Signed URLs sign the method and path, not the Range header.
    headers: file.size > 0 ? { Range: 'bytes=0-0' } : {},
    signal: AbortSignal.any([signal, AbortSignal.timeout(CHECK_TIMEOUT_MS)]),
  }).catch((error: unknown) => {
    throw asOutboxError(error, `checking the share link of ${where}`);
  });
  await response.body?.cancel();
  const { status } = response;
  if (status === 404) {
    throw new OutboxError(
      'NOT_FOUND',
      `${where} is no longer at the destination (deleted or moved since the export): export it again.`,
    );
  }
  if (status === 401 || status === 403) {
    throw new OutboxError(
      'ACCESS_DENIED',
      `The destination refuses the signed link for ${where} (HTTP ${status}): the credentials may have changed since the export, or may not read files.`,
    );
  }
  if (status !== 200 && status !== 206) {
    throw new OutboxError(
      'REMOTE_ERROR',
      `The signed link for ${where} does not download (HTTP ${status}).`,
      { retryable: status >= 500 },
    );
  }
  // 206: "bytes 0-0/SIZE"; 200: the whole object (an empty file, or a server ignoring Range).
  const size =
    status === 206
      ? Number(/\/(\d+)$/.exec(response.headers.get('content-range') ?? '')?.[1])
      : Number(response.headers.get('content-length'));
  if (Number.isFinite(size) && size !== file.size) {
    throw new OutboxError(
      'FILE_CHANGED',
      `${where} was replaced since the export (${size} bytes stored, ${file.size} exported): the link would not download what was exported.`,
    );
  }
}

/**
 * A link signed now for a file an earlier export stored: the exporter signs
 * it its own way (the same signature as `share_link`), then it is checked.
 */
export async function shareStoredFile<O extends ExportOperation>(
  exporter: Exporter<O>,
  params: TaskOf<O>,
  file: ResultFile,
  request: ShareLinkRequest,
  context: ClientContext,
): Promise<ResultFile & SharedFields> {
  if (!exporter.shareLink) {
    throw new OutboxError('NOT_IMPLEMENTED', `${exporter.operation} cannot sign download links.`);
  }
  const expiry = shareLinkExpiry(request);
  const url = await exporter.shareLink(params, file, expiry, context);
  await checkSharedUrl(url, file, context.signal);
  return { ...file, url, expires_at: expiry.expiresAt.toISOString() };
}
