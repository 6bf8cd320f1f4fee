import { z } from 'zod';
import { taskInput, exclusive, text, wholeNumber } from '../../tasks/field-types';
import { field } from '../../tasks/fields';
import { onFirstUse, joinWhere, textOf, type DestinationDescriptor } from '../../tasks/destination';

export const exportSftpSchema = onFirstUse(() =>
  exclusive(
    z.strictObject({
      operation: z.literal('export/sftp'),
      input: taskInput(),
      host: field(text(), { help: 'The SFTP server hostname.' }),
      // CloudConvert's Node SDK sends the port as a number, some other clients as a string.
      port: field(wholeNumber({ min: 1, max: 65535, text: 'from 1 to 65535' }).default(22), {
        help: 'The SFTP port. Defaults to 22.',
      }),
      username: field(text(), { help: 'The SFTP username.' }),
      password: field(text().optional(), { help: 'The SFTP password.', secret: true }),
      private_key: field(
        text()
          .transform((key) => key.replace(/\\n/g, '\n'))
          .optional(),
        {
          help: 'Alternatively to using password, you can provide a private key.',
          secret: true,
          multiline: true,
        },
      ),
      passphrase: field(text().optional(), {
        help: 'Passphrase of an encrypted private key.',
        secret: true,
        extension: true,
      }),
      file: field(text().optional(), {
        help: 'File name of the file to create (the filename on the server, including path).',
      }),
      path: field(text().optional(), {
        help: 'Alternatively to using file, you can specify a path for exporting files.',
      }),
      host_key_fingerprint: field(
        z
          .string({ error: 'must be a string' })
          .regex(/^SHA256:[A-Za-z0-9+/]{43}=?$/, 'must look like SHA256:<43 base64 characters>')
          .optional(),
        {
          help: 'The server’s host key fingerprint. Recorded on first connection; a different key is refused.',
          extension: true,
        },
      ),
    }),
    [
      ['file', 'path'],
      ['password', 'private_key', { oneRequired: true }],
    ],
  ),
);

export const sftpDestination = {
  operation: 'export/sftp',
  schema: exportSftpSchema,
  label: 'SFTP server',
  short: 'SFTP',
  icon: 'server',
  naming: { kind: 'fields', name: 'file', prefix: 'path', prefixKind: 'directory', style: 'path' },
  probe: 'beside',
  /** The temporary file, removed if the source changes before a resume. */
  resumeState: z.object({ temporary: z.string() }),
  // One SSH connection per thread: OpenSSH's sftp-server spends more CPU per file the more
  // requests wait in its queue, and 64 small files at once took longer than 32 (BENCHMARKS.md).
  filesInFlight: 32,
  where: (p) =>
    joinWhere(`${textOf(p, 'username') ?? ''}@${textOf(p, 'host') ?? ''}`, textOf(p, 'path')),
  address: (p) =>
    `${textOf(p, 'username') ?? ''}@${textOf(p, 'host') ?? ''}${p.port !== undefined ? `:${String(p.port)}` : ''}`,
  location: (file) => textOf(file, 'location'),
} satisfies DestinationDescriptor<'export/sftp'>;
