import { z } from 'zod';
import { text } from './field-types';
import { field } from './fields';
import { exportAzureBlobSchema } from './destinations/azure-blob';
import { exportGoogleCloudStorageSchema } from './destinations/gcs';
import { exportOpenStackSchema } from './destinations/openstack';
import { exportS3Schema } from './destinations/s3';
import { exportSftpSchema } from './destinations/sftp';
import { exportUploadSchema } from './destinations/upload';
import { exportUrlSchema } from './destinations/url';

/**
 * The task model: one zod schema per operation, with exactly the parameter
 * names, types and defaults of CloudConvert's export API (see README, "Task
 * reference"). Outbox additions are marked `extension: true`. Each export
 * operation's schema lives in tasks/destinations/ beside its descriptor.
 */

export const importFileSchema = z.strictObject({
  operation: z.literal('import/file'),
  path: field(
    z.union([text(), z.array(text()).min(1, 'must name at least one path')], {
      error: 'must be a path or an array of paths',
    }),
    {
      help: 'Local file(s) to export. A folder is exported with everything in it, keeping relative paths.',
      extension: true,
    },
  ),
});

/** Every export operation, keyed by its name: the single list the rest of Outbox reads. */
export const exportSchemas = {
  'export/url': exportUrlSchema,
  'export/s3': exportS3Schema,
  'export/azure/blob': exportAzureBlobSchema,
  'export/google-cloud-storage': exportGoogleCloudStorageSchema,
  'export/openstack': exportOpenStackSchema,
  'export/sftp': exportSftpSchema,
  'export/upload': exportUploadSchema,
} as const;

export const taskSchemas = { 'import/file': importFileSchema, ...exportSchemas } as const;

export type ExportOperation = keyof typeof exportSchemas;
export type Operation = keyof typeof taskSchemas;
export const exportOperations = Object.keys(exportSchemas) as ExportOperation[];
export const operations = Object.keys(taskSchemas) as Operation[];

export type ImportFileTask = z.output<typeof importFileSchema>;
export type ExportUrlTask = z.output<typeof exportUrlSchema>;
export type ExportS3Task = z.output<typeof exportS3Schema>;
export type ExportAzureBlobTask = z.output<typeof exportAzureBlobSchema>;
export type ExportGoogleCloudStorageTask = z.output<typeof exportGoogleCloudStorageSchema>;
export type ExportOpenStackTask = z.output<typeof exportOpenStackSchema>;
export type ExportSftpTask = z.output<typeof exportSftpSchema>;
export type ExportUploadTask = z.output<typeof exportUploadSchema>;

export type TaskOf<O extends Operation> = z.output<(typeof taskSchemas)[O]>;
export type ExportTask = TaskOf<ExportOperation>;
export type Task = TaskOf<Operation>;

export function isOperation(value: unknown): value is Operation {
  return typeof value === 'string' && Object.hasOwn(taskSchemas, value);
}

export function isExportOperation(value: unknown): value is ExportOperation {
  return typeof value === 'string' && Object.hasOwn(exportSchemas, value);
}
