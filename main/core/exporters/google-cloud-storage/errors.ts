import { OutboxError } from '../../errors';
import { httpError, networkError } from '../classify';

/** What a GCS error message needs to name. */
export type GcsScope = { endpoint: string; bucket: string; file?: string; clientEmail: string };

type ErrorShape = {
  code?: unknown;
  status?: unknown;
  message?: unknown;
  response?: { status?: unknown; data?: unknown; config?: { url?: unknown } };
};

function shapeOf(error: unknown): ErrorShape {
  return error && typeof error === 'object' ? (error as ErrorShape) : {};
}

function statusOf(error: ErrorShape): number | undefined {
  for (const value of [error.code, error.status, error.response?.status]) {
    if (typeof value === 'number' && value >= 100 && value < 600) return value;
  }
  return undefined;
}

/** OAuth token endpoint answers: `{ error: 'invalid_grant', error_description }`. */
function tokenErrorOf(error: ErrorShape): string | undefined {
  const data = error.response?.data;
  if (!data || typeof data !== 'object') return undefined;
  const { error: code, error_description: description } = data as Record<string, unknown>;
  if (typeof code !== 'string') return undefined;
  return typeof description === 'string' ? `${code}: ${description}` : code;
}

/** Node's crypto fails this way when private_key is not a usable PEM key. */
function isKeyError(error: unknown): boolean {
  const code = shapeOf(error).code;
  const message = error instanceof Error ? error.message : '';
  return (
    (typeof code === 'string' && code.startsWith('ERR_OSSL')) ||
    /DECODER|PEM|asymmetric key|private key/i.test(message)
  );
}

/** @google-cloud/storage (and its auth library) errors in words a user can act on. */
export function gcsError(error: unknown, scope: GcsScope): OutboxError {
  if (error instanceof OutboxError) return error;
  const where = `Google Cloud Storage ${scope.endpoint} bucket "${scope.bucket}"${scope.file === undefined ? '' : ` file "${scope.file}"`}`;
  const shape = shapeOf(error);
  const message = typeof shape.message === 'string' ? shape.message : String(error);
  if (isKeyError(error)) {
    return new OutboxError(
      'AUTH_FAILED',
      `${where}: private_key cannot sign in as ${scope.clientEmail} (${message}). Paste the "private_key" value of the service account's JSON key file, from -----BEGIN PRIVATE KEY----- to -----END PRIVATE KEY-----.`,
      { cause: error },
    );
  }
  const tokenError = tokenErrorOf(shape);
  if (tokenError !== undefined) {
    return new OutboxError(
      'AUTH_FAILED',
      `${where}: Google rejected the service account ${scope.clientEmail} (${tokenError}). Check client_email and private_key, that the key was not deleted or disabled, and the computer's clock.`,
      { detail: tokenError, cause: error },
    );
  }
  const status = statusOf(shape);
  if (status === undefined) {
    return (
      networkError(error, where) ??
      new OutboxError('REMOTE_ERROR', `${where}: ${message}`, { cause: error })
    );
  }
  const detail = `${status} ${message}`;
  if (status === 401) {
    return new OutboxError(
      'AUTH_FAILED',
      `${where}: the credentials of ${scope.clientEmail} were rejected (401). Check client_email and private_key.`,
      { detail, cause: error },
    );
  }
  if (status === 403) {
    return new OutboxError(
      'ACCESS_DENIED',
      `${where}: ${scope.clientEmail} may not write here (403: ${message}). Grant it a role with storage.objects.create on the bucket (e.g. Storage Object Creator), and storage.objects.delete to overwrite files.`,
      { detail, cause: error },
    );
  }
  if (status === 404) {
    return new OutboxError(
      'NOT_FOUND',
      `${where}: bucket "${scope.bucket}" does not exist (404: ${message}). Create it or check the name.`,
      { detail, cause: error },
    );
  }
  const mapped = httpError(status, where, detail);
  return new OutboxError(mapped.code, `${mapped.message} (${message})`, {
    retryable: mapped.retryable,
    detail,
    cause: error,
  });
}
