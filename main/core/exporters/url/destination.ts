import { z } from 'zod';
import { taskInput, flag, text, wholeNumber } from '../../tasks/field-types';
import { field } from '../../tasks/fields';
import { onFirstUse, textOf, type DestinationDescriptor } from '../../tasks/destination';

export const exportUrlSchema = onFirstUse(() =>
  z.strictObject({
    operation: z.literal('export/url'),
    input: taskInput(),
    inline: field(flag().default(false), {
      help: 'This option makes the export URLs return the Content-Disposition inline header, which tells browser to display the file instead of downloading it.',
    }),
    archive_multiple_files: field(flag().default(false), {
      help: 'By default, multiple files will create multiple export URLs. When enabling this option, one export URL with a ZIP file will be created. With one file, the link is to the file itself (no ZIP).',
    }),
    expires_in: field(
      wholeNumber({
        min: 1,
        max: 365 * 86400,
        text: 'of seconds from 1 to 31536000 (one year)',
      }).default(86400),
      { help: 'Seconds until the links stop working. Default: 86400 (24 hours).', extension: true },
    ),
    max_downloads: field(
      wholeNumber({ min: 1, max: 1_000_000, text: 'from 1 to 1000000' }).optional(),
      {
        help: 'Full downloads each link allows; after that it answers 410 Gone. Default: no limit.',
        extension: true,
      },
    ),
    password: field(text().max(1024, 'must be at most 1024 characters long').optional(), {
      help: 'A password people must enter (on the download page) before downloading. Only a scrypt hash is kept.',
      secret: true,
      extension: true,
    }),
    lan: field(flag().default(false), {
      help: 'Also serve the links on the local network (needs LAN sharing turned on in the settings).',
      extension: true,
    }),
  }),
);

function lifetime(seconds: number): string {
  if (seconds % 86400 === 0) return `${seconds / 86400} day${seconds === 86400 ? '' : 's'}`;
  if (seconds % 3600 === 0) return `${seconds / 3600} hour${seconds === 3600 ? '' : 's'}`;
  return `${Math.round(seconds / 60)} minutes`;
}

export const urlDestination = {
  operation: 'export/url',
  schema: exportUrlSchema,
  label: 'Temporary link',
  short: 'Link',
  icon: 'link',
  naming: { kind: 'own' },
  probe: 'nothing',
  where: (p) => `Expires after ${lifetime(Number(textOf(p, 'expires_in') ?? 86400))}`,
  address: () => 'temporary links',
  location: (file) => textOf(file, 'url'),
} satisfies DestinationDescriptor<'export/url'>;
