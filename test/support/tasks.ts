import { ValidationError } from '../../main/core/errors';
import { gcsTestKey } from './gcs-key';

/** The smallest valid task of each export operation (its required parameters only). */
export const minimalTasks: Record<string, Record<string, unknown>> = {
  'export/url': { operation: 'export/url', input: 'a' },
  'export/s3': {
    operation: 'export/s3',
    input: 'a',
    bucket: 'b',
    region: 'us-east-1',
    access_key_id: 'AK',
    secret_access_key: 'SK',
  },
  'export/azure/blob': {
    operation: 'export/azure/blob',
    input: 'a',
    storage_account: 'acct1',
    container: 'c',
    storage_access_key: 'key',
  },
  'export/google-cloud-storage': {
    operation: 'export/google-cloud-storage',
    input: 'a',
    project_id: 'p',
    bucket: 'b',
    client_email: 'sa@p.iam.gserviceaccount.com',
    private_key: gcsTestKey,
  },
  'export/openstack': {
    operation: 'export/openstack',
    input: 'a',
    auth_url: 'http://127.0.0.1:5000',
    region: 'RegionOne',
    container: 'c',
    username: 'u',
    password: 'p',
  },
  'export/sftp': { operation: 'export/sftp', input: 'a', host: 'h', username: 'u', password: 'p' },
  'export/upload': { operation: 'export/upload', input: 'a', url: 'https://example.com/put' },
};

/** The field errors `fn` throws as a ValidationError (anything else fails the test). */
export function fieldsOf(fn: () => unknown): Record<string, string[]> {
  try {
    fn();
  } catch (error) {
    if (error instanceof ValidationError) return error.fields;
    throw error;
  }
  throw new Error('expected a ValidationError');
}
