import { OutboxError } from '../errors';

const RETRYABLE_NETWORK = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'ERR_STREAM_PREMATURE_CLOSE',
]);

function codeOf(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current && typeof current === 'object'; depth++) {
    const { code, name } = current as { code?: unknown; name?: unknown };
    if (typeof code === 'string') return code;
    // The S3 SDK's socket idle timeout and AbortSignal.timeout() carry a name, no code.
    if (name === 'TimeoutError') return 'ETIMEDOUT';
    current = (current as { cause?: unknown }).cause;
  }
  // Some SDKs wrap the socket error in words only: the GCS resumable upload gives up
  // with "Retry limit exceeded - … reason: write ECONNRESET - code: ECONNRESET".
  const named = /\bcode: ([A-Z_]+)\b/.exec(messageOf(error))?.[1];
  return named !== undefined && (RETRYABLE_NETWORK.has(named) || named === 'ENOTFOUND')
    ? named
    : undefined;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Network-level failures (DNS, refused, reset, TLS) in words a user can act
 * on, marked retryable where trying again can help. `target` names the host.
 */
export function networkError(error: unknown, target: string): OutboxError | undefined {
  const code = codeOf(error);
  if (!code) return undefined;
  if (code === 'ENOTFOUND') {
    return new OutboxError(
      'UNREACHABLE',
      `${target}: host name not found. Check the host or endpoint.`,
      { cause: error },
    );
  }
  if (code === 'ECONNREFUSED') {
    return new OutboxError(
      'UNREACHABLE',
      `${target}: connection refused. Check the host and port, and that the server is running.`,
      { retryable: true, cause: error },
    );
  }
  if (
    code.startsWith('ERR_TLS') ||
    code.includes('CERT') ||
    code.startsWith('ERR_SSL') ||
    code === 'EPROTO'
  ) {
    return new OutboxError(
      'TLS_ERROR',
      `${target}: the secure connection failed (${code}). The server's certificate is not trusted or the address is not an HTTPS server; check the endpoint (http:// vs https://).`,
      { cause: error },
    );
  }
  if (code === 'ETIMEDOUT' || code.includes('TIMEOUT')) {
    return new OutboxError('TIMEOUT', `${target}: the server did not answer in time.`, {
      retryable: true,
      cause: error,
    });
  }
  if (RETRYABLE_NETWORK.has(code)) {
    return new OutboxError('UNREACHABLE', `${target}: the connection failed (${code}).`, {
      retryable: true,
      cause: error,
    });
  }
  return undefined;
}

/** An HTTP status from a destination, as an error that says what to do. */
export function httpError(status: number, target: string, detail?: string): OutboxError {
  const options = detail ? { detail } : {};
  if (status === 401) {
    return new OutboxError(
      'AUTH_FAILED',
      `${target}: the credentials were rejected (401). Check them.`,
      options,
    );
  }
  if (status === 403) {
    return new OutboxError(
      'ACCESS_DENIED',
      `${target}: access denied (403). The credentials are valid but not allowed to write here, or the URL/signature expired.`,
      options,
    );
  }
  if (status === 404) {
    return new OutboxError(
      'NOT_FOUND',
      `${target}: not found (404). Check that the bucket, container or path exists.`,
      options,
    );
  }
  if (status === 501) {
    return new OutboxError(
      'NOT_IMPLEMENTED',
      `${target}: the server does not implement this request (501).`,
      options,
    );
  }
  const retryable = status >= 500 || status === 429 || status === 408;
  return new OutboxError('REMOTE_ERROR', `${target}: the server answered ${status}.`, {
    ...options,
    retryable,
  });
}

/** Any error as an OutboxError; unknown ones keep their message. */
export function asOutboxError(error: unknown, target: string): OutboxError {
  if (error instanceof OutboxError) return error;
  return (
    networkError(error, target) ??
    new OutboxError('REMOTE_ERROR', `${target}: ${messageOf(error)}`, { cause: error })
  );
}
