import { createHash } from 'node:crypto';
import { Storage } from '@google-cloud/storage';
import type { SessionCache, TransferContext } from '../exporter';
import { directUpload, type UploadObject } from './multipart-upload';
import type { TaskOf } from '../../tasks/operations';

type GcsParams = TaskOf<'export/google-cloud-storage'>;

export const GCS_PUBLIC_ROOT = 'https://storage.googleapis.com';
const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * Whether `endpoint` is an emulator: plain http or a loopback host. The SDK
 * then sends no credentials (emulators check none, and a token must not
 * travel over plain http); any other endpoint (private or sovereign) gets the
 * service account's token as storage.googleapis.com would.
 */
export function isEmulator(endpoint: string | undefined): boolean {
  if (endpoint === undefined) return false;
  const url = new URL(endpoint);
  return url.protocol === 'http:' || LOOPBACK.has(url.hostname);
}

export function apiRootOf(params: GcsParams): string {
  return (params.endpoint ?? GCS_PUBLIC_ROOT).replace(/\/+$/, '');
}

/**
 * A Storage client for the task's service account. Requests are not retried
 * by the SDK: it cannot replay a streamed body, and the engine retries a
 * failed file from its start.
 */
export function newStorage(params: GcsParams): Storage {
  const emulator = isEmulator(params.endpoint);
  return new Storage({
    projectId: params.project_id,
    credentials: { client_email: params.client_email, private_key: params.private_key },
    ...(params.endpoint
      ? { apiEndpoint: apiRootOf(params), useAuthWithCustomEndpoint: !emulator }
      : {}),
    retryOptions: { autoRetry: false },
    userAgent: 'Outbox',
  });
}

function sessionKey(params: GcsParams): string {
  const credential = createHash('sha256').update(params.private_key).digest('hex');
  return `gcs ${apiRootOf(params)} ${params.project_id} ${params.client_email} ${credential}`;
}

/** The task's client, cached per worker (it caches the access token too). */
export function storageOf(
  params: GcsParams,
  sessions: Pick<SessionCache, 'get'>,
): Promise<Storage> {
  return sessions.get(sessionKey(params), async () => newStorage(params));
}

/**
 * Small uploads into the task's bucket (multipart-upload.ts), cached per worker
 * with their connections; the token comes from the task's client, as the
 * SDK would send it (none to an emulator).
 */
export async function uploadOf(
  params: GcsParams,
  context: Pick<TransferContext, 'sessions' | 'policy'>,
): Promise<UploadObject> {
  const storage = await storageOf(params, context.sessions);
  const direct = await context.sessions.get(
    `${sessionKey(params)}|upload|${params.bucket}`,
    async () =>
      directUpload({
        apiRoot: apiRootOf(params),
        bucket: params.bucket,
        token: isEmulator(params.endpoint) ? undefined : () => accessToken(storage),
        idleTimeoutMs: context.policy.idleTimeoutMs,
      }),
    (value) => value.close(),
  );
  return direct.upload;
}

async function accessToken(storage: Storage): Promise<string> {
  const token = await storage.authClient.getAccessToken();
  if (!token) throw new Error('the service account got no access token');
  return token;
}

/** Public URL of an object: path segments encoded, slashes kept. */
export function objectUrlOf(params: GcsParams, name: string): string {
  const path = name.split('/').map(encodeURIComponent).join('/');
  return `${apiRootOf(params)}/${encodeURIComponent(params.bucket)}/${path}`;
}
