/**
 * Errors that reach a user. Codes follow CloudConvert's where it has one
 * (INVALID_DATA); the message says what to do. CloudConvert's
 * INPUT_TASK_FAILED has no counterpart: Outbox's only input, import/file,
 * is resolved whole before anything runs, so it cannot fail once a job has
 * started (a file that vanishes afterwards fails its export as FILE_NOT_FOUND).
 */

/** Every code an error may carry (README, "Error codes", lists the same). */
export const errorCodes = [
  'INVALID_DATA',
  'FILE_NOT_FOUND',
  'FILE_UNREADABLE',
  'FILE_CHANGED',
  'ALREADY_EXPORTING',
  'CANCELLED',
  'INTERRUPTED',
  'AUTH_FAILED',
  'ACCESS_DENIED',
  'NOT_FOUND',
  'UNREACHABLE',
  'TLS_ERROR',
  'TIMEOUT',
  'NOT_IMPLEMENTED',
  'INTEGRITY_ERROR',
  'HOST_KEY_MISMATCH',
  'KEYCHAIN_UNAVAILABLE',
  'PROFILE_NOT_FOUND',
  'REMOTE_ERROR',
  'INTERNAL_ERROR',
] as const;
export type ErrorCode = (typeof errorCodes)[number];

export class OutboxError extends Error {
  override readonly name = 'OutboxError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly options: { retryable?: boolean; detail?: string; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
  }

  get retryable(): boolean {
    return this.options.retryable ?? false;
  }
}

/** Field path (e.g. `tasks.upload.bucket`) → what is wrong with it. */
export type FieldErrors = Record<string, string[]>;

export class ValidationError extends OutboxError {
  constructor(readonly fields: FieldErrors) {
    super('INVALID_DATA', ValidationError.summarize(fields));
  }

  static summarize(fields: FieldErrors): string {
    const parts = Object.entries(fields).map(([path, messages]) =>
      path ? `${path}: ${messages.join('; ')}` : messages.join('; '),
    );
    return `Invalid data: ${parts.join('; ')}`;
  }

  static of(path: string, message: string): ValidationError {
    return new ValidationError({ [path]: [message] });
  }
}

/** The shape errors take in task records, CLI JSON and the UI. */
export type ErrorInfo = { code: ErrorCode; message: string; detail?: string };

export function toErrorInfo(error: unknown): ErrorInfo {
  if (error instanceof OutboxError) {
    const info: ErrorInfo = { code: error.code, message: error.message };
    if (error.options.detail) info.detail = error.options.detail;
    return info;
  }
  const message = error instanceof Error ? error.message : String(error);
  return { code: 'INTERNAL_ERROR', message: `Unexpected error: ${message}` };
}
