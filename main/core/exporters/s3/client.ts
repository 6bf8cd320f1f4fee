import { createHash } from 'node:crypto';
import { S3Client } from '@aws-sdk/client-s3';
import type { ExportS3Task } from '../../tasks/operations';
import type { TransferContext } from '../exporter';
import { directPutObject, type PutObject } from './put-object';

/** The parameters that say where objects go and who writes them. */
export type S3Destination = Pick<
  ExportS3Task,
  | 'bucket'
  | 'region'
  | 'endpoint'
  | 'force_path_style'
  | 'access_key_id'
  | 'secret_access_key'
  | 'session_token'
>;

const CONNECT_TIMEOUT_MS = 10_000;

/** Path-style (endpoint/bucket/key) for custom endpoints: most S3-compatible servers have no wildcard DNS. */
export function usesPathStyle(destination: S3Destination): boolean {
  return destination.force_path_style ?? destination.endpoint !== undefined;
}

/** The bucket's root URL, as objects are addressed there. */
export function bucketUrl(destination: S3Destination): string {
  const bucket = encodeURIComponent(destination.bucket);
  if (destination.endpoint) {
    const endpoint = new URL(destination.endpoint);
    const base = endpoint.href.replace(/\/+$/, '');
    if (usesPathStyle(destination)) return `${base}/${bucket}`;
    return `${endpoint.protocol}//${bucket}.${endpoint.host}${endpoint.pathname.replace(/\/+$/, '')}`;
  }
  const host = `s3.${destination.region}.amazonaws.com`;
  return usesPathStyle(destination)
    ? `https://${host}/${bucket}`
    : `https://${destination.bucket}.${host}`;
}

/** The object's URL (works anonymously only if its ACL or the bucket policy allows it). */
export function objectUrl(destination: S3Destination, key: string): string {
  return `${bucketUrl(destination)}/${key.split('/').map(encodeURIComponent).join('/')}`;
}

/** Where errors say the request went: endpoint (or AWS region) and bucket. */
export function describeDestination(destination: S3Destination): string {
  return `${destination.endpoint ?? `AWS S3 (${destination.region})`} bucket "${destination.bucket}"`;
}

function sessionKey(destination: S3Destination): string {
  // Credentials take part in the key (hashed: the key may show up in diagnostics).
  const secret = createHash('sha256')
    .update(`${destination.secret_access_key}\0${destination.session_token ?? ''}`)
    .digest('hex');
  return [
    's3',
    destination.endpoint ?? '',
    destination.region,
    usesPathStyle(destination),
    destination.access_key_id,
    secret,
  ].join('|');
}

/**
 * One SDK client per destination and worker. Configured for any
 * S3-compatible server: no `aws-chunked` bodies or trailing checksums (Swift
 * answers 501, RGW 411, others store the framing as data); integrity is
 * checked with Content-MD5 and a read-back instead. The SDK does not retry:
 * a consumed stream body cannot be re-sent, so the exporter retries itself.
 */
export function s3Client(
  destination: S3Destination,
  { sessions, policy }: Pick<TransferContext, 'sessions' | 'policy'>,
): Promise<S3Client> {
  return sessions.get(
    sessionKey(destination),
    async () =>
      new S3Client({
        region: destination.region,
        ...(destination.endpoint ? { endpoint: destination.endpoint } : {}),
        forcePathStyle: usesPathStyle(destination),
        credentials: {
          accessKeyId: destination.access_key_id,
          secretAccessKey: destination.secret_access_key,
          ...(destination.session_token ? { sessionToken: destination.session_token } : {}),
        },
        requestChecksumCalculation: 'WHEN_REQUIRED',
        responseChecksumValidation: 'WHEN_REQUIRED',
        maxAttempts: 1,
        // Quiet: the SDK warns on stderr about failed streamed requests; the exporter reports them.
        logger: { debug() {}, info() {}, warn() {}, error() {} },
        requestHandler: {
          connectionTimeout: CONNECT_TIMEOUT_MS,
          // Idle time on an open socket (no byte either way), not the duration of a part.
          // (Not requestTimeout: in this SDK it times a whole request, and only warns.)
          socketTimeout: policy.idleTimeoutMs,
        },
      }),
    (client) => client.destroy(),
  );
}

/** PutObject for one-request uploads, without the SDK's request pipeline (see put-object.ts). */
export async function s3PutObject(
  destination: S3Destination,
  context: Pick<TransferContext, 'sessions' | 'policy'>,
): Promise<PutObject> {
  const direct = await context.sessions.get(
    `${sessionKey(destination)}|put|${destination.bucket}`,
    async () =>
      directPutObject(await s3Client(destination, context), {
        bucket: destination.bucket,
        region: destination.region,
        endpoint: destination.endpoint,
        forcePathStyle: usesPathStyle(destination),
        idleTimeoutMs: context.policy.idleTimeoutMs,
      }),
    (value) => value.close(),
  );
  return direct.put;
}
