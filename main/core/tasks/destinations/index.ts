import type { DestinationDescriptor } from '../destination';
import { azureBlobDestination } from './azure-blob';
import { gcsDestination } from './gcs';
import { openstackDestination } from './openstack';
import { s3Destination } from './s3';
import { sftpDestination } from './sftp';
import { uploadDestination } from './upload';
import { urlDestination } from './url';

/**
 * Every destination Outbox offers, a line each: the export operations, their
 * schemas (tasks/operations.ts) and their descriptors are read off this list.
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
