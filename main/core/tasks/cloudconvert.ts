import { exportOperations } from './operations';

/**
 * CloudConvert operations Outbox does not run. A whole CloudConvert job
 * (import/url → convert → export/url, as in its own examples) gets one
 * message per such task, saying what Outbox runs instead.
 */

/** CloudConvert's import operations other than import/file (which Outbox's is modelled on). */
const imports = [
  'import/url',
  'import/upload',
  'import/base64',
  'import/raw',
  'import/s3',
  'import/azure/blob',
  'import/google-cloud-storage',
  'import/openstack',
  'import/sftp',
];

/** CloudConvert's processing operations: they change files, Outbox delivers them as they are. */
const processing = [
  'convert',
  'optimize',
  'watermark',
  'capture-website',
  'thumbnail',
  'merge',
  'archive',
  'command',
  'metadata',
  'metadata/write',
];

const runs = `Outbox runs import/file (files on this computer) and the export operations (${exportOperations.join(', ')})`;

/** Why Outbox refuses a CloudConvert operation, or undefined for names CloudConvert does not have. */
export function unsupportedOperationMessage(operation: unknown): string | undefined {
  if (typeof operation !== 'string') return undefined;
  if (imports.includes(operation)) {
    return `${operation} is a CloudConvert operation Outbox does not run: ${runs}. Give the files on this computer with {"operation": "import/file", "path": [...]}`;
  }
  if (processing.includes(operation)) {
    return `${operation} is a CloudConvert operation Outbox does not run: Outbox delivers files as they are. ${runs}; process the files first, then export the results`;
  }
  return undefined;
}
