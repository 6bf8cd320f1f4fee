import type { JsonValue, ProfileView, SecretState } from '../../../main/core/api/outbox-api';
import type { ExportOperation } from '../../../main/core/tasks/operations';

/** How each destination kind is named and pictured in the UI. */
export const operationLabels: Record<ExportOperation, string> = {
  'export/url': 'Temporary link',
  'export/s3': 'Amazon S3 or compatible',
  'export/azure/blob': 'Azure Blob Storage',
  'export/google-cloud-storage': 'Google Cloud Storage',
  'export/openstack': 'OpenStack Swift',
  'export/sftp': 'SFTP server',
  'export/upload': 'HTTP PUT to a URL',
};

export const operationShort: Record<ExportOperation, string> = {
  'export/url': 'Link',
  'export/s3': 'S3',
  'export/azure/blob': 'Azure',
  'export/google-cloud-storage': 'GCS',
  'export/openstack': 'Swift',
  'export/sftp': 'SFTP',
  'export/upload': 'PUT',
};

/** Operations a person can save as a profile, in the order the editor offers them. */
export const profileOperations: ExportOperation[] = [
  'export/s3',
  'export/azure/blob',
  'export/google-cloud-storage',
  'export/openstack',
  'export/sftp',
  'export/upload',
  'export/url',
];

/** The built-in destination that needs no setup. */
export const TEMPORARY_LINK = 'Temporary link';

function text(value: JsonValue | SecretState | undefined): string | undefined {
  return typeof value === 'string' || typeof value === 'number' ? String(value) : undefined;
}

/** One line saying where a profile delivers, e.g. "devstoreaccount1 / photos". */
export function whereOf(profile: Pick<ProfileView, 'operation' | 'params'>): string {
  const p = profile.params;
  const prefix = text(p.key_prefix) ?? text(p.blob_prefix) ?? text(p.file_prefix) ?? text(p.path);
  const join = (...parts: (string | undefined)[]) =>
    parts.filter((part) => part !== undefined && part !== '').join(' / ');
  switch (profile.operation) {
    case 'export/s3':
      return join(text(p.bucket), prefix);
    case 'export/azure/blob':
      return join(text(p.storage_account), text(p.container), prefix);
    case 'export/google-cloud-storage':
      return join(text(p.bucket), prefix);
    case 'export/openstack':
      return join(text(p.container), prefix);
    case 'export/sftp':
      return join(`${text(p.username) ?? ''}@${text(p.host) ?? ''}`, prefix);
    case 'export/upload': {
      // Presigned URLs carry a signature, so the URL is a secret: only `{ set }` comes back.
      if (typeof p.url === 'object' && p.url !== null) return 'PUT to a saved URL';
      const url = text(p.url);
      try {
        return url ? new URL(url).host : '';
      } catch {
        return url ?? '';
      }
    }
    case 'export/url': {
      const seconds = Number(text(p.expires_in) ?? 86400);
      return `Expires after ${formatLifetime(seconds)}`;
    }
  }
}

function formatLifetime(seconds: number): string {
  if (seconds % 86400 === 0) return `${seconds / 86400} day${seconds === 86400 ? '' : 's'}`;
  if (seconds % 3600 === 0) return `${seconds / 3600} hour${seconds === 3600 ? '' : 's'}`;
  return `${Math.round(seconds / 60)} minutes`;
}
