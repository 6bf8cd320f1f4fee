import type { DestinationDescriptor } from '../destination';
import type { ExportOperation } from '../operations';
import { azureBlobDestination } from './azure-blob';
import { gcsDestination } from './gcs';
import { openstackDestination } from './openstack';
import { s3Destination } from './s3';
import { sftpDestination } from './sftp';
import { uploadDestination } from './upload';
import { urlDestination } from './url';

/** Every export operation's descriptor: the type refuses an operation without one. */
export const destinations: { [O in ExportOperation]: DestinationDescriptor<O> } = {
  'export/url': urlDestination,
  'export/s3': s3Destination,
  'export/azure/blob': azureBlobDestination,
  'export/google-cloud-storage': gcsDestination,
  'export/openstack': openstackDestination,
  'export/sftp': sftpDestination,
  'export/upload': uploadDestination,
};

export function destinationOf(operation: ExportOperation): DestinationDescriptor {
  return destinations[operation] as DestinationDescriptor;
}
