import type { DestinationDescriptor } from './destination';
import { azureBlobDestination } from '../exporters/azure-blob/destination';
import { gcsDestination } from '../exporters/google-cloud-storage/destination';
import { openstackDestination } from '../exporters/openstack/destination';
import { s3Destination } from '../exporters/s3/destination';
import { sftpDestination } from '../exporters/sftp/destination';
import { uploadDestination } from '../exporters/upload/destination';
import { urlDestination } from '../exporters/url/destination';

/**
 * The registry: every destination Outbox offers, a line each, in this order. Each one's
 * folder in main/core/exporters/ is its operation's name (export/azure/blob: azure-blob/) and
 * holds its descriptor (destination.ts) and its exporter (<folder>-exporter.ts). The export
 * operations and their schemas (tasks/operations.ts), the descriptors and, by that naming,
 * the exporter loader (exporters/registry.ts) are read off this list. Only the SDK-free
 * descriptors are imported here, so the renderer can read it.
 */
export const destinationList = [
  urlDestination,
  s3Destination,
  azureBlobDestination,
  gcsDestination,
  openstackDestination,
  sftpDestination,
  uploadDestination,
] as const;

type Listed = (typeof destinationList)[number];
type ListedOperation = Listed['operation'];

/** Every export operation's descriptor, by operation. */
export const destinations = Object.fromEntries(
  destinationList.map((destination) => [destination.operation, destination]),
) as unknown as { [D in Listed as D['operation']]: D };

export function destinationOf(operation: ListedOperation): DestinationDescriptor {
  return destinations[operation];
}
