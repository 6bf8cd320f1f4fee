import { z } from 'zod';
import {
  azureMetadata,
  partConcurrency,
  partSize,
  taskInput,
  dictionary,
  exclusive,
  flag,
  headers,
  httpUrl,
  shareLink,
  text,
  wholeNumber,
} from './field-types';
import { field } from './fields';

/**
 * The task model: one zod schema per operation, with exactly the parameter
 * names, types and defaults of CloudConvert's export API (see README, "Task
 * reference"). Outbox additions are marked `extension: true`.
 */

export const importFileSchema = z.strictObject({
  operation: z.literal('import/file'),
  path: field(
    z.union([text(), z.array(text()).min(1, 'must name at least one path')], {
      error: 'must be a path or an array of paths',
    }),
    {
      help: 'Local file(s) to export. A folder is exported with everything in it, keeping relative paths.',
      extension: true,
    },
  ),
});

export const exportUrlSchema = z.strictObject({
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
});

export const s3AclValues = [
  'private',
  'public-read',
  'public-read-write',
  'authenticated-read',
  'bucket-owner-read',
  'bucket-owner-full-control',
] as const;

export const exportS3Schema = exclusive(
  z.strictObject({
    operation: z.literal('export/s3'),
    input: taskInput(),
    bucket: field(text(), { help: 'The Amazon S3 bucket where to store the file(s).' }),
    region: field(text(), {
      help: 'Specify the Amazon S3 endpoint, e.g. us-west-2 or eu-west-1.',
    }),
    endpoint: field(httpUrl('https://s3.example.com').optional(), {
      help: 'Use a custom S3 API endpoint. The default endpoint is built from the configured region. Makes it possible to use other S3 compatible storage services (e.g. DigitalOcean).',
    }),
    force_path_style: field(flag().optional(), {
      help: 'Address the bucket in the path (https://endpoint/bucket/key) instead of the host name. Default: on for a custom endpoint, off for AWS.',
      extension: true,
    }),
    key: field(text().optional(), {
      help: 'S3 key for storing the file (the filename in the bucket, including path). If there are multiple files to export, printf style placeholders are possible (e.g. myfile-%d.pdf produces the output files myfile-1.pdf, myfile-2.pdf and so on).',
    }),
    key_prefix: field(text().optional(), {
      help: 'Alternatively to using key, you can specify a key prefix for exporting files.',
    }),
    access_key_id: field(text(), {
      help: 'The Amazon S3 access key id. It needs to have the s3:PutObject permission. When using a different ACL from private, it needs to have the s3:PutObjectAcl permission.',
    }),
    secret_access_key: field(text(), {
      help: 'The Amazon S3 secret access key.',
      secret: true,
    }),
    session_token: field(text().optional(), {
      help: 'Auth using temporary credentials (AWS Security Token Service).',
      secret: true,
    }),
    acl: field(
      z.enum(s3AclValues, { error: `must be one of ${s3AclValues.join(', ')}` }).optional(),
      {
        help: 'S3 ACL for storing the files. Possible values include: private, public-read, public-read-write, authenticated-read, bucket-owner-read, bucket-owner-full-control. Defaults to private.',
        // Not sent when absent: buckets with ACLs disabled reject any ACL header.
        impliedDefault: 'private',
      },
    ),
    cache_control: field(text().optional(), {
      help: 'S3 CacheControl header to specify the lifetime of the file, for example: max-age=172800.',
    }),
    content_disposition: field(text().optional(), {
      help: 'Specify the Content-Disposition header for the file, for example: attachment or inline.',
    }),
    content_type: field(text().optional(), {
      help: 'Specify the Content-Type header for the file, for example: application/pdf. By default, it will automatically set the correct Content-Type based on the mime type.',
    }),
    metadata: field(dictionary().optional(), {
      help: 'Object of additional S3 meta data. Numbers and true/false are stored as text.',
    }),
    server_side_encryption: field(
      z.enum(['AES256', 'aws:kms'], { error: 'must be AES256 or aws:kms' }).optional(),
      {
        help: 'Enable the Server-side encryption algorithm used when storing this object in S3. Possible values include AES256 and aws:kms.',
      },
    ),
    kms_key_id: field(text().optional(), {
      help: 'The KMS key to encrypt with when server_side_encryption is aws:kms. Default: the bucket’s or account’s default key.',
      extension: true,
    }),
    tagging: field(dictionary().optional(), {
      help: 'Object of S3 tags to add to the keys. Numbers and true/false are stored as text.',
    }),
    part_size: partSize(),
    concurrency: partConcurrency(),
    share_link: shareLink(),
  }),
  [['key', 'key_prefix']],
).superRefine((value, ctx) => {
  if (value.kms_key_id !== undefined && value.server_side_encryption !== 'aws:kms') {
    ctx.addIssue({
      code: 'custom',
      path: ['kms_key_id'],
      message: 'needs server_side_encryption "aws:kms"',
    });
  }
});

export const exportAzureBlobSchema = exclusive(
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
});

export const exportGoogleCloudStorageSchema = exclusive(
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
);

export const exportOpenStackSchema = exclusive(
  z.strictObject({
    operation: z.literal('export/openstack'),
    input: taskInput(),
    auth_url: field(httpUrl('https://keystone.example.com:5000'), {
      help: 'The URL of the OpenStack Identity endpoint (without version).',
    }),
    region: field(text(), { help: 'Specify the OpenStack region.' }),
    container: field(text(), { help: 'The name of the OpenStack Storage container.' }),
    username: field(text(), { help: 'The OpenStack username.' }),
    password: field(text(), { help: 'The OpenStack password.', secret: true }),
    file: field(text().optional(), {
      help: 'File name of the file to create (the filename in container bucket, including path).',
    }),
    file_prefix: field(text().optional(), {
      help: 'Alternatively to using file, you can specify a file prefix for exporting files.',
    }),
    user_domain_name: field(text().optional(), {
      help: 'Keystone domain of the user. Default: Default.',
      extension: true,
      impliedDefault: 'Default',
    }),
    project_domain_name: field(text().optional(), {
      help: 'Keystone domain of the project. Default: Default.',
      extension: true,
      impliedDefault: 'Default',
    }),
    project_name: field(text().optional(), {
      help: 'Project to scope to. Default: the user’s default project.',
      extension: true,
    }),
    project_id: field(text().optional(), {
      help: 'Project ID to scope to, instead of project_name.',
      extension: true,
    }),
    segment_size: field(
      wholeNumber({ min: 1024 * 1024, text: 'of at least 1048576 (1 MiB)' }).optional(),
      {
        help: 'Files larger than this go as a Static Large Object in parallel segments. Default: 1 GiB.',
        extension: true,
      },
    ),
    concurrency: partConcurrency(),
    share_link: shareLink(),
  }),
  [
    ['file', 'file_prefix'],
    ['project_name', 'project_id'],
  ],
);

export const exportSftpSchema = exclusive(
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
);

export const exportUploadSchema = z.strictObject({
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
});

/** Every export operation, keyed by its name: the single list the rest of Outbox reads. */
export const exportSchemas = {
  'export/url': exportUrlSchema,
  'export/s3': exportS3Schema,
  'export/azure/blob': exportAzureBlobSchema,
  'export/google-cloud-storage': exportGoogleCloudStorageSchema,
  'export/openstack': exportOpenStackSchema,
  'export/sftp': exportSftpSchema,
  'export/upload': exportUploadSchema,
} as const;

export const taskSchemas = { 'import/file': importFileSchema, ...exportSchemas } as const;

export type ExportOperation = keyof typeof exportSchemas;
export type Operation = keyof typeof taskSchemas;
export const exportOperations = Object.keys(exportSchemas) as ExportOperation[];
export const operations = Object.keys(taskSchemas) as Operation[];

export type ImportFileTask = z.output<typeof importFileSchema>;
export type ExportUrlTask = z.output<typeof exportUrlSchema>;
export type ExportS3Task = z.output<typeof exportS3Schema>;
export type ExportAzureBlobTask = z.output<typeof exportAzureBlobSchema>;
export type ExportGoogleCloudStorageTask = z.output<typeof exportGoogleCloudStorageSchema>;
export type ExportOpenStackTask = z.output<typeof exportOpenStackSchema>;
export type ExportSftpTask = z.output<typeof exportSftpSchema>;
export type ExportUploadTask = z.output<typeof exportUploadSchema>;

export type TaskOf<O extends Operation> = z.output<(typeof taskSchemas)[O]>;
export type ExportTask = TaskOf<ExportOperation>;
export type Task = TaskOf<Operation>;

export function isOperation(value: unknown): value is Operation {
  return typeof value === 'string' && Object.hasOwn(taskSchemas, value);
}

export function isExportOperation(value: unknown): value is ExportOperation {
  return typeof value === 'string' && Object.hasOwn(exportSchemas, value);
}
