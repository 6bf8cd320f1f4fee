import type { ExportOperation } from '../tasks/operations';
import type { Exporter } from './exporter';

/** Exporters that move bytes (export/url only creates links, in the engine). */
export type UploadOperation = Exclude<ExportOperation, 'export/url'>;

type Loaders = { [O in UploadOperation]?: () => Promise<Exporter<O>> };

// Loaded on first use so a worker only pays for the SDKs it needs.
const loaders: Loaders = {
  'export/upload': async () => (await import('./upload/upload-exporter')).uploadExporter,
  'export/s3': async () => (await import('./s3/s3-exporter')).s3Exporter,
  'export/sftp': async () => (await import('./sftp/sftp-exporter')).sftpExporter,
  'export/openstack': async () =>
    (await import('./openstack/openstack-exporter')).openstackExporter,
  'export/azure/blob': async () =>
    (await import('./azure-blob/azure-blob-exporter')).azureBlobExporter,
  'export/google-cloud-storage': async () => (await import('./gcs/gcs-exporter')).gcsExporter,
};

export function hasExporter(operation: ExportOperation): operation is UploadOperation {
  return operation !== 'export/url' && loaders[operation] !== undefined;
}

export async function loadExporter(operation: UploadOperation): Promise<Exporter<UploadOperation>> {
  const load = loaders[operation] as (() => Promise<Exporter<UploadOperation>>) | undefined;
  if (!load) throw new Error(`no exporter for ${operation} yet`);
  return load();
}
