import type { ResultFile } from '../engine/records';

/**
 * Share links of the cloud exports (the `share_link` extension): each
 * exporter signs a download URL its own way; the expiry and the shape of the
 * result are decided here, once.
 */

/** The validated `share_link` parameter. */
export type ShareLinkRequest = { expires_in: number };

/** When a link starts and stops working; whole seconds, as every signature counts them. */
export type ShareLinkExpiry = {
  /** The signing time (S3's X-Amz-Date, GCS's X-Goog-Date). */
  signedAt: Date;
  /** Seconds from `signedAt` to `expiresAt`. */
  seconds: number;
  expiresAt: Date;
};

/** The result fields a share link adds: it replaces the plain object URL. */
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
