import { z } from 'zod';
import { taskInput, headers, httpUrl } from '../../tasks/field-types';
import { field } from '../../tasks/fields';
import { onFirstUse, textOf, type DestinationDescriptor } from '../../tasks/destination';

export const exportUploadSchema = onFirstUse(() =>
  z.strictObject({
    operation: z.literal('export/upload'),
    input: taskInput(),
    // Presigned and SAS URLs carry their signature: kept like a password.
    url: field(httpUrl('https://example.com/upload/file.pdf'), {
      help: 'The URL to send the PUT request to.',
      secret: true,
    }),
    headers: field(headers().optional(), {
      help: 'Object of additional headers to send with the PUT request. Can be used to access URLs that require authorization.',
      secret: 'values',
    }),
  }),
);

export const uploadDestination = {
  operation: 'export/upload',
  schema: exportUploadSchema,
  label: 'HTTP PUT to a URL',
  short: 'PUT',
  icon: 'upload',
  // The URL is given whole (a presigned URL is used as it is); %d numbers many files.
  naming: { kind: 'own' },
  probe: 'nothing',
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
} satisfies DestinationDescriptor<'export/upload'>;
