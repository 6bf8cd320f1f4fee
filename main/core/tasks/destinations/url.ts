import { textOf, type DestinationDescriptor } from '../destination';

function lifetime(seconds: number): string {
  if (seconds % 86400 === 0) return `${seconds / 86400} day${seconds === 86400 ? '' : 's'}`;
  if (seconds % 3600 === 0) return `${seconds / 3600} hour${seconds === 3600 ? '' : 's'}`;
  return `${Math.round(seconds / 60)} minutes`;
}

export const urlDestination: DestinationDescriptor<'export/url'> = {
  operation: 'export/url',
  label: 'Temporary link',
  short: 'Link',
  icon: 'link',
  naming: { kind: 'own' },
  where: (p) => `Expires after ${lifetime(Number(textOf(p, 'expires_in') ?? 86400))}`,
  address: () => 'temporary links',
  location: (file) => textOf(file, 'url'),
};
