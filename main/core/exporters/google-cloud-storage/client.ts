import { createHash } from 'node:crypto';
import { Storage } from '@google-cloud/storage';
import type { SessionCache } from '../exporter';
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

/** The task's client, cached per worker (it caches the access token too). */
export function storageOf(
  params: GcsParams,
  sessions: Pick<SessionCache, 'get'>,
): Promise<Storage> {
  const credential = createHash('sha256').update(params.private_key).digest('hex');
  const key = `gcs ${apiRootOf(params)} ${params.project_id} ${params.client_email} ${credential}`;
  return sessions.get(key, async () => newStorage(params));
}

/** Public URL of an object: path segments encoded, slashes kept. */
export function objectUrlOf(params: GcsParams, name: string): string {
  const path = name.split('/').map(encodeURIComponent).join('/');
  return `${apiRootOf(params)}/${encodeURIComponent(params.bucket)}/${path}`;
}
