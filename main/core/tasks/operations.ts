import { z } from 'zod';
import { text } from './field-types';
import { destinationList } from './destinations';
import { field } from './fields';

/**
 * The task model: one zod schema per operation, with exactly the parameter
 * names, types and defaults of CloudConvert's export API (see README, "Task
 * reference"). Outbox additions are marked `extension: true`. Each export
 * operation's schema lives beside its descriptor, exporters/<folder>/destination.ts.
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

type Listed = (typeof destinationList)[number];

/**
 * Every export operation's schema, keyed by its name: read off the list of
 * destinations, each built when its key is first read (the descriptors' `schema`).
 */
export const exportSchemas = Object.defineProperties(
  {},
  Object.fromEntries(
    destinationList.map((destination) => [
      destination.operation,
      { get: destination.schema, enumerable: true },
    ]),
  ),
) as { readonly [D in Listed as D['operation']]: ReturnType<D['schema']> };

export const taskSchemas = Object.defineProperties(
  { 'import/file': importFileSchema },
  Object.getOwnPropertyDescriptors(exportSchemas),
) as { readonly 'import/file': typeof importFileSchema } & typeof exportSchemas;

export type ExportOperation = keyof typeof exportSchemas;
export type Operation = keyof typeof taskSchemas;
export const exportOperations = Object.keys(exportSchemas) as ExportOperation[];
export const operations = Object.keys(taskSchemas) as Operation[];

export type ImportFileTask = z.output<typeof importFileSchema>;
export type ExportUrlTask = TaskOf<'export/url'>;
export type ExportS3Task = TaskOf<'export/s3'>;
export type ExportAzureBlobTask = TaskOf<'export/azure/blob'>;
export type ExportGoogleCloudStorageTask = TaskOf<'export/google-cloud-storage'>;
export type ExportOpenStackTask = TaskOf<'export/openstack'>;
export type ExportSftpTask = TaskOf<'export/sftp'>;
export type ExportUploadTask = TaskOf<'export/upload'>;

export type TaskOf<O extends Operation> = z.output<(typeof taskSchemas)[O]>;
export type ExportTask = TaskOf<ExportOperation>;
export type Task = TaskOf<Operation>;

export function isOperation(value: unknown): value is Operation {
  return typeof value === 'string' && Object.hasOwn(taskSchemas, value);
}

export function isExportOperation(value: unknown): value is ExportOperation {
  return typeof value === 'string' && Object.hasOwn(exportSchemas, value);
}
