import { createPrivateKey } from 'node:crypto';
import type { FieldErrors } from '../errors';
import type { Task } from './operations';

/**
 * Checks of task parameters that need Node's crypto (so not in the schemas,
 * which the renderer loads too): a key that cannot be used is refused when
 * the task is validated, naming the field, not when the upload signs.
 */
export function checkKeys(task: Task, path: string, into: FieldErrors): void {
  if (task.operation !== 'export/google-cloud-storage') return;
  const problem = privateKeyProblem(task.private_key);
  if (problem) (into[`${path ? path + '.' : ''}private_key`] ??= []).push(problem);
}

/** Why a service account's key cannot sign (GCS signs its token request with RS256), or undefined. */
function privateKeyProblem(pem: string): string | undefined {
  let type: string | undefined;
  try {
    type = createPrivateKey(pem).asymmetricKeyType;
  } catch {
    return 'is not a private key in PEM form (-----BEGIN PRIVATE KEY----- …): paste the "private_key" of the service account’s JSON key file';
  }
  return type === 'rsa'
    ? undefined
    : `is a ${type ?? 'non-RSA'} key: Google service accounts sign with an RSA key (the "private_key" of the JSON key file)`;
}
