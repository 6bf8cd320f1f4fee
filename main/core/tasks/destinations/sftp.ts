import { joinWhere, textOf, type DestinationDescriptor } from '../destination';

export const sftpDestination: DestinationDescriptor<'export/sftp'> = {
  operation: 'export/sftp',
  label: 'SFTP server',
  short: 'SFTP',
  icon: 'server',
  naming: { kind: 'fields', name: 'file', prefix: 'path', prefixKind: 'directory', style: 'path' },
  where: (p) =>
    joinWhere(`${textOf(p, 'username') ?? ''}@${textOf(p, 'host') ?? ''}`, textOf(p, 'path')),
  address: (p) =>
    `${textOf(p, 'username') ?? ''}@${textOf(p, 'host') ?? ''}${p.port !== undefined ? `:${String(p.port)}` : ''}`,
  location: (file) => textOf(file, 'location'),
};
