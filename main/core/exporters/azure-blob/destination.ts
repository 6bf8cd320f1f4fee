import { z } from 'zod';
import {
  azureMetadata,
  partConcurrency,
  partSize,
  taskInput,
  exclusive,
  httpUrl,
  shareLink,
  text,
} from '../../tasks/field-types';
import { field } from '../../tasks/fields';
import {
  onFirstUse,
  joinWhere,
  objectNaming,
  textOf,
  type DestinationDescriptor,
} from '../../tasks/destination';

export const exportAzureBlobSchema = onFirstUse(() =>
  exclusive(
    z.strictObject({
      operation: z.literal('export/azure/blob'),
      input: taskInput(),
      storage_account: field(
        z
          .string({ error: 'must be a string' })
          .regex(/^[a-z0-9]{3,24}$/, 'must be 3–24 lowercase letters and digits'),
        {
          help: 'The name of the Azure storage account (This is the string before .blob.core.windows.net).',
        },
      ),
      storage_access_key: field(text().optional(), {
        help: 'The Azure secret key. Only required alternatively, if you are not providing a SAS token.',
        secret: true,
      }),
      sas_token: field(text().optional(), { help: 'The Azure SAS token.', secret: true }),
      container: field(text(), { help: 'Azure container name.' }),
      blob: field(text().optional(), {
        help: 'Blob name for storing the file (the filename in the container, including path). If there are multiple files to export, printf style placeholders are possible (e.g. myfile-%d.pdf produces the output files myfile-1.pdf, myfile-2.pdf and so on).',
      }),
      blob_prefix: field(text().optional(), {
        help: 'Alternatively to using blob, you can specify a blob prefix for exporting files.',
      }),
      metadata: field(azureMetadata().optional(), {
        help: 'Object of additional Azure meta data. Names are letters, digits and underscores; values printable ASCII (numbers and true/false are stored as text).',
      }),
      endpoint: field(httpUrl('http://127.0.0.1:10000/devstoreaccount1').optional(), {
        help: 'The blob service URL, for emulators and sovereign clouds (e.g. http://127.0.0.1:10000/devstoreaccount1). Default: https://<storage_account>.blob.core.windows.net.',
        extension: true,
      }),
      part_size: partSize(),
      concurrency: partConcurrency(),
      share_link: shareLink(),
    }),
    [
      ['blob', 'blob_prefix'],
      ['storage_access_key', 'sas_token', { oneRequired: true }],
    ],
  ).superRefine((value, ctx) => {
    // A read-only SAS is signed with the account key; a SAS token cannot sign another
    // (a user delegation key needs Entra ID), and handing out the task's own token
    // would share its write rights and its expiry.
    if (value.share_link !== undefined && value.storage_access_key === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['share_link'],
        message:
          'needs storage_access_key: a read-only SAS link is signed with the account key, not with a SAS token',
      });
    }
  }),
);

export const azureBlobDestination = {
  operation: 'export/azure/blob',
  schema: exportAzureBlobSchema,
  label: 'Azure Blob Storage',
  short: 'Azure',
  icon: 'cloud',
  naming: objectNaming('blob', 'blob_prefix'),
  probe: 'root',
  /** The block-id nonce of the staged blocks and their size. */
  resumeState: z.object({ nonce: z.string(), partSize: z.number() }),
  where: (p) =>
    joinWhere(textOf(p, 'storage_account'), textOf(p, 'container'), textOf(p, 'blob_prefix')),
  address: (p) => `${textOf(p, 'storage_account') ?? ''}/${textOf(p, 'container') ?? ''}`,
  location: (file) => textOf(file, 'location'),
  // A read-only link is a service SAS, signed with the account key.
  cannotSign: (p, who) =>
    p.storage_access_key === undefined
      ? `Azure share links are signed with the storage account key, and ${who} signs in with a SAS token, which cannot sign them. Add the storage access key to ${who}.`
      : undefined,
} satisfies DestinationDescriptor<'export/azure/blob'>;
