import { S3ServiceException } from '@aws-sdk/client-s3';
import { OutboxError } from '../../errors';
import { httpError, networkError } from '../classify';

/** What an error message needs to name. */
export type S3ErrorScope = {
  /** e.g. `RGW at http://127.0.0.1:7480 bucket "b"`. */
  destination: string;
  bucket: string;
  key?: string;
  /** Optional parameters the failed request carried (see optionalFeaturesOf). */
  features?: string[];
};

const AUTH_CODES = new Set([
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'InvalidToken',
  'ExpiredToken',
  'TokenRefreshRequired',
  'InvalidSecurity',
  'InvalidClientTokenId',
  'AuthorizationHeaderMalformed',
]);

// Transient server-side states worth another try.
const RETRYABLE_CODES = new Set([
  'SlowDown',
  'RequestTimeout',
  'RequestTimeTooSkewed',
  'InternalError',
  'ServiceUnavailable',
  'OperationAborted',
  'BadDigest', // the bytes were damaged on the way: send them again
]);

/** How servers name an unsupported parameter in their 501 message (Swift: "Object tagging is not supported."). */
const FEATURE_WORDS: Record<string, RegExp> = {
  tagging: /tag/i,
  acl: /\bacl|grant/i,
  server_side_encryption: /encrypt|\bsse\b|kms/i,
  kms_key_id: /encrypt|\bsse\b|kms/i, // goes with server_side_encryption
};

function statusOf(error: S3ServiceException): number {
  return error.$metadata?.httpStatusCode ?? 0;
}

function headerOf(error: S3ServiceException, name: string): string | undefined {
  const headers = error.$response?.headers ?? {};
  const value = headers[name] ?? headers[name.toLowerCase()];
  return typeof value === 'string' ? value : undefined;
}

/** The server's own words, when it said more than its code. */
function serverSaid(error: S3ServiceException): string {
  const message = error.message && error.message !== error.name ? error.message : '';
  const status = statusOf(error);
  return `${error.name}${status ? ` ${status}` : ''}${message ? `: ${message}` : ''}`;
}

/**
 * An S3 SDK error as an OutboxError a user can act on: which bucket, what is
 * wrong, what to change. Network failures keep the shared wording.
 */
export function s3Error(error: unknown, scope: S3ErrorScope): OutboxError {
  if (error instanceof OutboxError) return error;
  const where = scope.key ? `${scope.destination}, key "${scope.key}"` : scope.destination;
  if (!(error instanceof S3ServiceException)) {
    return (
      networkError(error, scope.destination) ??
      new OutboxError(
        'REMOTE_ERROR',
        `${where}: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error },
      )
    );
  }
  const status = statusOf(error);
  const detail = serverSaid(error);
  const code = error.name;
  const options = { detail, cause: error };

  if (AUTH_CODES.has(code)) {
    const hint =
      code === 'AuthorizationHeaderMalformed'
        ? `check "region"${headerOf(error, 'x-amz-bucket-region') ? ` (the bucket is in ${headerOf(error, 'x-amz-bucket-region')})` : ''}`
        : code === 'ExpiredToken' || code === 'InvalidToken'
          ? 'the session token expired or is wrong: get new temporary credentials'
          : 'check access_key_id and secret_access_key (and session_token for temporary credentials)';
    return new OutboxError(
      'AUTH_FAILED',
      `${where}: the credentials were rejected (${code}); ${hint}.`,
      options,
    );
  }
  if (code === 'NoSuchBucket' || (status === 404 && !scope.key && code === 'NotFound')) {
    return new OutboxError(
      'NOT_FOUND',
      `${scope.destination}: bucket "${scope.bucket}" does not exist. Create it or check the bucket name (and region/endpoint).`,
      options,
    );
  }
  if (code === 'NoSuchUpload') {
    return new OutboxError(
      'REMOTE_ERROR',
      `${where}: the server forgot the multipart upload in progress (NoSuchUpload); export the file again.`,
      { ...options, retryable: true },
    );
  }
  if (code === 'AccessDenied' || code === 'AllAccessDisabled' || status === 403) {
    const acl = scope.features?.includes('acl') ? ', and s3:PutObjectAcl for "acl"' : '';
    const kms = scope.features?.includes('kms_key_id') ? ', and use of the KMS key' : '';
    return new OutboxError(
      'ACCESS_DENIED',
      `${where}: access denied. The credentials are valid but may not write here (they need s3:PutObject${acl}${kms} on this bucket).`,
      options,
    );
  }
  if (code === 'PermanentRedirect' || status === 301) {
    const region = headerOf(error, 'x-amz-bucket-region');
    return new OutboxError(
      'INVALID_DATA',
      `${scope.destination}: the bucket is in another region${region ? ` (${region})` : ''}; set "region"${region ? ` to ${region}` : ''} or the bucket's endpoint.`,
      options,
    );
  }
  if (code === 'NotImplemented' || status === 501) {
    const used = scope.features ?? [];
    const named = used.filter((f) => FEATURE_WORDS[f]?.test(error.message));
    const quoted = (list: string[], joiner: string) => list.map((f) => `"${f}"`).join(joiner);
    const which =
      named.length > 0
        ? `Remove ${quoted(named, ' and ')} from the task: this server does not support ${named.length > 1 ? 'them' : 'it'}.`
        : used.length > 0
          ? `Remove ${quoted(used, ' or ')} from the task: this server does not support ${used.length > 1 ? 'one of them' : 'it'}.`
          : 'The server does not support this kind of upload.';
    return new OutboxError(
      'NOT_IMPLEMENTED',
      `${where}: the server does not implement a requested feature (${detail}). ${which}`,
      options,
    );
  }
  if (code === 'InvalidArgument' || code === 'InvalidRequest' || code === 'KMS.NotFoundException') {
    return new OutboxError(
      'INVALID_DATA',
      `${where}: the server refused a parameter (${detail}). Check acl, server_side_encryption, kms_key_id, tagging and metadata.`,
      options,
    );
  }
  if (RETRYABLE_CODES.has(code)) {
    return new OutboxError('REMOTE_ERROR', `${where}: ${detail}. Retrying may help.`, {
      ...options,
      retryable: true,
    });
  }
  if (status) {
    const base = httpError(status, where, detail);
    return new OutboxError(base.code, `${base.message} Server said: ${detail}`, {
      ...options,
      retryable: base.retryable,
    });
  }
  return new OutboxError('REMOTE_ERROR', `${where}: ${detail}`, options);
}
