import { joinWhere, objectNaming, textOf, type DestinationDescriptor } from '../destination';

export const openstackDestination: DestinationDescriptor<'export/openstack'> = {
  operation: 'export/openstack',
  label: 'OpenStack Swift',
  short: 'Swift',
  icon: 'box',
  naming: objectNaming('file', 'file_prefix'),
  where: (p) => joinWhere(textOf(p, 'container'), textOf(p, 'file_prefix')),
  address: (p) => `${textOf(p, 'auth_url') ?? ''} ${textOf(p, 'container') ?? ''}`,
  location: (file) => textOf(file, 'location'),
};
