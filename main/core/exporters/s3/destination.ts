import { z } from 'zod';
import {
  partConcurrency,
  partSize,
  taskInput,
  dictionary,
  exclusive,
  flag,
  httpUrl,
  shareLink,
  text,
} from '../../tasks/field-types';
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

export const s3AclValues = [
  'private',
  'public-read',
  'public-read-write',
  'authenticated-read',
  'bucket-owner-read',
  'bucket-owner-full-control',
] as const;

export const exportS3Schema = onFirstUse(() =>
  exclusive(
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
  }),
);

export const s3Destination = {
  operation: 'export/s3',
  schema: exportS3Schema,
  label: 'Amazon S3 or compatible',
  short: 'S3',
  icon: 'box',
  naming: objectNaming('key', 'key_prefix'),
  probe: 'beside',
  /** The multipart upload and its part size. */
  resumeState: z.object({ uploadId: z.string(), partSize: z.number() }),
  where: (p) => joinWhere(textOf(p, 'bucket'), textOf(p, 'key_prefix')),
  address: bucketAddress,
  location: (file) => bucketLocation('s3', file, 'key'),
} satisfies DestinationDescriptor<'export/s3'>;
