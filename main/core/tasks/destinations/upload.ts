import { textOf, type DestinationDescriptor } from '../destination';

export const uploadDestination: DestinationDescriptor<'export/upload'> = {
  operation: 'export/upload',
  label: 'HTTP PUT to a URL',
  short: 'PUT',
  icon: 'upload',
  // The URL is given whole (a presigned URL is used as it is); %d numbers many files.
  naming: { kind: 'own' },
  where: (p) => {
    // Presigned URLs carry a signature, so the URL is a secret: only `{ set }` comes back.
    if (typeof p.url === 'object' && p.url !== null) return 'PUT to a saved URL';
    const url = textOf(p, 'url');
    try {
      return url ? new URL(url).host : '';
    } catch {
      return url ?? '';
    }
  },
  address: (p) => (typeof p.url === 'string' ? p.url : '').replace(/\?.*/, '?…'),
  location: (file) => textOf(file, 'location'),
};
