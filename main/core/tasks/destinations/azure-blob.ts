import { joinWhere, objectNaming, textOf, type DestinationDescriptor } from '../destination';

export const azureBlobDestination: DestinationDescriptor<'export/azure/blob'> = {
  operation: 'export/azure/blob',
  label: 'Azure Blob Storage',
  short: 'Azure',
  icon: 'cloud',
  naming: objectNaming('blob', 'blob_prefix'),
  where: (p) =>
    joinWhere(textOf(p, 'storage_account'), textOf(p, 'container'), textOf(p, 'blob_prefix')),
  address: (p) => `${textOf(p, 'storage_account') ?? ''}/${textOf(p, 'container') ?? ''}`,
  location: (file) => textOf(file, 'location'),
  // A read-only link is a service SAS, signed with the account key.
  cannotSign: (p, who) =>
    p.storage_access_key === undefined
      ? `Azure share links are signed with the storage account key, and ${who} signs in with a SAS token, which cannot sign them. Add the storage access key to ${who}.`
      : undefined,
};
