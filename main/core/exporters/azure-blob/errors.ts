import { RestError } from '@azure/storage-blob';
import { OutboxError } from '../../errors';
import { httpError, networkError } from '../classify';

/** What an Azure error message needs to name. */
export type AzureScope = { account: string; container: string; blob?: string; endpoint: string };

const AUTH_CODES = new Set([
  'AuthenticationFailed',
  'InvalidAuthenticationInfo',
  'NoAuthenticationInformation',
]);
const PERMISSION_CODES = new Set([
  'AuthorizationFailure',
  'AuthorizationPermissionMismatch',
  'AuthorizationResourceTypeMismatch',
  'AuthorizationServiceMismatch',
  'AuthorizationProtocolMismatch',
  'AuthorizationSourceIPMismatch',
  'InsufficientAccountPermissions',
]);
// The bytes were damaged on the way (the server checked Content-MD5): sending again can help.
const RETRYABLE_CODES = new Set([
  'Md5Mismatch',
  'InvalidMd5',
  'OperationTimedOut',
  'ServerBusy',
  'InternalError',
]);

/** HEAD answers carry the error code only in this header. */
function errorCodeOf(error: RestError): string | undefined {
  return error.code ?? error.response?.headers.get('x-ms-error-code') ?? undefined;
}

/** Azure SDK errors in words a user can act on. */
export function azureError(error: unknown, scope: AzureScope): OutboxError {
  if (error instanceof OutboxError) return error;
  const where = `Azure Blob ${scope.endpoint} container "${scope.container}"${scope.blob === undefined ? '' : ` blob "${scope.blob}"`}`;
  const status = error instanceof RestError ? error.statusCode : undefined;
  if (!(error instanceof RestError) || status === undefined) {
    return (
      networkError(error, where) ??
      new OutboxError(
        'REMOTE_ERROR',
        `${where}: ${error instanceof Error ? error.message : String(error)}`,
        {
          cause: error,
        },
      )
    );
  }
  const code = errorCodeOf(error);
  const detail = `${status} ${code ?? ''}`.trim();
  // Azure says AuthenticationFailed; azurite says AuthorizationFailure with the same message.
  const unauthenticated =
    (code !== undefined && AUTH_CODES.has(code)) || /failed to authenticate/i.test(error.message);
  if (status === 403 && unauthenticated) {
    return new OutboxError(
      'AUTH_FAILED',
      `${where}: storage account "${scope.account}" rejected the credentials (${code}). Check storage_access_key, or that the sas_token is complete and not expired.`,
      { detail, cause: error },
    );
  }
  if (status === 403 && code !== undefined && PERMISSION_CODES.has(code)) {
    return new OutboxError(
      'ACCESS_DENIED',
      `${where}: the credentials are valid but may not write here (${code}). A SAS token needs the create and write permissions on this container, and must allow this IP and protocol.`,
      { detail, cause: error },
    );
  }
  if (status === 404 && code === 'ContainerNotFound') {
    return new OutboxError(
      'NOT_FOUND',
      `${where}: container "${scope.container}" does not exist in storage account "${scope.account}". Create it or check the name.`,
      { detail, cause: error },
    );
  }
  if (code !== undefined && RETRYABLE_CODES.has(code)) {
    return new OutboxError(
      'REMOTE_ERROR',
      `${where}: the server answered ${detail}; trying again.`,
      {
        retryable: true,
        detail,
        cause: error,
      },
    );
  }
  const mapped = httpError(status, where, detail);
  return new OutboxError(mapped.code, `${mapped.message} (${detail})`, {
    retryable: mapped.retryable,
    detail,
    cause: error,
  });
}
