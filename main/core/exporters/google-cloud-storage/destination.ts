import { z } from 'zod';
import { partSize, taskInput, exclusive, httpUrl, shareLink, text } from '../../tasks/field-types';
import { field } from '../../tasks/fields';
import {
  onFirstUse,
  bucketAddress,
  bucketLocation,
  joinWhere,
  objectNaming,
  textOf,
  type DestinationDescriptor,
} from '../../tasks/destination';

export const exportGoogleCloudStorageSchema = onFirstUse(() =>
  exclusive(
    z.strictObject({
      operation: z.literal('export/google-cloud-storage'),
      input: taskInput(),
      project_id: field(text(), { help: 'The Google Cloud Project ID (api-project-...).' }),
      bucket: field(text(), { help: 'The Google Cloud Storage Bucket name.' }),
      client_email: field(z.email({ error: 'must be an e-mail address' }), {
        help: 'The client email of the service account to use (...@api-project-....iam.gserviceaccount.com).',
      }),
      private_key: field(
        // Keys pasted from a JSON key file often keep their escaped line breaks.
        text().transform((key) => key.replace(/\\n/g, '\n')),
        { help: 'The private key of the service account.', secret: true, multiline: true },
      ),
      file: field(text().optional(), {
        help: 'Filename of the file to create (the filename in the bucket, including path).',
      }),
      file_prefix: field(text().optional(), {
        help: 'Alternatively to using file, you can specify a file prefix for exporting files.',
      }),
      endpoint: field(httpUrl('http://127.0.0.1:9199').optional(), {
        help: 'The API root, for emulators (e.g. http://127.0.0.1:9199). Default: https://storage.googleapis.com.',
        extension: true,
      }),
      part_size: partSize(),
      share_link: shareLink(),
    }),
    [['file', 'file_prefix']],
  ),
);

export const gcsDestination = {
  operation: 'export/google-cloud-storage',
  schema: exportGoogleCloudStorageSchema,
  label: 'Google Cloud Storage',
  short: 'GCS',
  icon: 'cloud',
  naming: objectNaming('file', 'file_prefix'),
  probe: 'root',
  where: (p) => joinWhere(textOf(p, 'bucket'), textOf(p, 'file_prefix')),
  address: bucketAddress,
  location: (file) => bucketLocation('gs', file, 'file'),
} satisfies DestinationDescriptor<'export/google-cloud-storage'>;
