import { pipeline } from 'node:stream/promises';
import type { File } from '@google-cloud/storage';
import { contentTypeOf } from '../../http/http-headers';
import type { TaskOf } from '../../tasks/operations';
import type { Exporter, ShareLinkExpiry, TransferContext } from '../exporter';
import { hashing, verify } from '../integrity';
import { sendWholeFile } from '../parts';
import { storedName, withShareLink } from '../share-link';
import { storedFile } from '../stored-file';
import { apiRootOf, objectUrlOf, storageOf, uploadOf } from './client';
import { gcsError, type GcsScope } from './errors';
import type { StoredObject } from './multipart-upload';

type GcsParams = TaskOf<'export/google-cloud-storage'>;

/** What a finished upload is checked by: the MD5 of what was read, and what GCS says it stored. */
type Uploaded = { md5: Buffer; stored: StoredObject };

/** Larger files go as a resumable upload (the SDK's); smaller ones in one request of ours (multipart-upload.ts). */
export const RESUMABLE_THRESHOLD = 8 * 1024 * 1024;
const CHUNK_GRANULE = 256 * 1024; // GCS wants resumable chunks in multiples of 256 KiB
const SESSION_CANCEL_TIMEOUT_MS = 10_000;

function scopeOf(params: GcsParams, file?: string): GcsScope {
  return {
    endpoint: apiRootOf(params),
    bucket: params.bucket,
    clientEmail: params.client_email,
    ...(file === undefined ? {} : { file }),
  };
}

/**
 * With `part_size`, a resumable upload sends one request per chunk (each
 * chunk buffered, so the SDK can resend it); without, the whole file streams
 * in one request of the session.
 */
function chunkSizeOf(params: GcsParams): number | undefined {
  if (params.part_size === undefined) return undefined;
  return Math.max(CHUNK_GRANULE, Math.floor(params.part_size / CHUNK_GRANULE) * CHUNK_GRANULE);
}

/**
 * Cancels a resumable session so nothing of it stays on the server (GCS
 * answers 499). The session URI is the credential; failures are ignored:
 * an abandoned session never becomes an object and expires after a week.
 */
async function cancelSession(uri: string): Promise<void> {
  try {
    const response = await fetch(uri, {
      method: 'DELETE',
      signal: AbortSignal.timeout(SESSION_CANCEL_TIMEOUT_MS),
    });
    await response.body?.cancel();
  } catch {
    // best effort, see above
  }
}

function storedMd5Of(stored: StoredObject): string | undefined {
  const md5 = stored.md5Hash;
  return typeof md5 === 'string' && md5 ? Buffer.from(md5, 'base64').toString('hex') : undefined;
}

/** A V4 signed GET, signed locally with the service account's private key (no request is made). */
async function signedReadUrl(file: File, expiry: ShareLinkExpiry): Promise<string> {
  const [url] = await file.getSignedUrl({
    version: 'v4',
    action: 'read',
    expires: expiry.expiresAt,
  });
  return url;
}

/**
 * A large file: it streams from disk through an MD5 into the SDK's write
 * stream, as a resumable session (cancelled if it fails).
 */
async function uploadResumable(
  file: File,
  params: GcsParams,
  contentType: string,
  context: TransferContext,
): Promise<Uploaded> {
  let session: string | undefined;
  try {
    const chunkSize = chunkSizeOf(params);
    const body = hashing(context.open(), context.progress);
    const sink = file.createWriteStream({
      resumable: true,
      ...(chunkSize === undefined ? {} : { chunkSize }),
      contentType,
      metadata: { contentType },
      validation: false, // checked by the exporter, against the bytes actually read
    });
    sink.on('uri', (uri: string) => (session = uri));
    await pipeline(body.stream, sink, { signal: context.signal });
    return { md5: body.digest(), stored: file.metadata };
  } catch (error) {
    if (session !== undefined) await cancelSession(session);
    throw error;
  }
}

/** A small file: read once into memory with its MD5, sent in one request (multipart-upload.ts). */
async function uploadSmall(
  params: GcsParams,
  name: string,
  size: number,
  contentType: string,
  context: TransferContext,
): Promise<Uploaded> {
  const upload = await uploadOf(params, context);
  return sendWholeFile(context, size, async (part) => ({
    md5: part.md5,
    stored: await upload(name, contentType, part, context.progress, context.signal),
  }));
}

/**
 * export/google-cloud-storage: the object resource the server answers with
 * (its size and md5Hash, computed by GCS) is checked against what was read.
 */
export const gcsExporter: Exporter<'export/google-cloud-storage'> = {
  operation: 'export/google-cloud-storage',

  async upload({ params, source, name }, context) {
    const scope = scopeOf(params, name);
    try {
      const bucket = async () => (await storageOf(params, context.sessions)).bucket(params.bucket);
      const contentType = contentTypeOf(name);
      const uploaded =
        source.size > RESUMABLE_THRESHOLD
          ? await uploadResumable((await bucket()).file(name), params, contentType, context)
          : await uploadSmall(params, name, source.size, contentType, context);

      const checksum = { algorithm: 'md5' as const, value: uploaded.md5.toString('hex') };
      const storedMd5 = storedMd5Of(uploaded.stored);
      const storedSize = Number(uploaded.stored.size);
      verify(
        `gcs ${params.bucket}/${name}`,
        { size: source.size, checksum },
        {
          ...(Number.isFinite(storedSize) ? { size: storedSize } : {}),
          ...(storedMd5 === undefined ? {} : { checksum: storedMd5 }),
        },
      );
      const result = storedFile({
        name,
        size: source.size,
        location: objectUrlOf(params, name),
        place: { bucket: params.bucket, file: name },
        checksum,
        verifiedBy: storedMd5 !== undefined ? 'md5' : Number.isFinite(storedSize) ? 'size' : 'none',
      });
      return await withShareLink(result, params.share_link, async (expiry) =>
        signedReadUrl((await bucket()).file(name), expiry),
      );
    } catch (error) {
      throw gcsError(error, scope);
    }
  },

  async shareLink(params, file, expiry, { sessions }) {
    const name = storedName(file, 'file');
    try {
      const storage = await storageOf(params, sessions);
      return await signedReadUrl(storage.bucket(storedName(file, 'bucket')).file(name), expiry);
    } catch (error) {
      throw gcsError(error, scopeOf(params, name));
    }
  },

  async probe(params, { signal, sessions }, path) {
    const scope = scopeOf(params);
    try {
      const storage = await storageOf(params, sessions);
      // Opening a resumable session checks sign-in, the bucket and the right to
      // create objects; cancelling it leaves no object behind.
      const file = storage.bucket(params.bucket).file(path);
      signal.throwIfAborted();
      const [uri] = await file.createResumableUpload({ metadata: { contentType: 'text/plain' } });
      await cancelSession(uri);
      return {
        ok: true,
        message: `Signed in as ${params.client_email}; bucket "${params.bucket}" accepts new files (an upload session was opened and cancelled: nothing was stored).`,
      };
    } catch (error) {
      throw gcsError(error, scope);
    }
  },
};
