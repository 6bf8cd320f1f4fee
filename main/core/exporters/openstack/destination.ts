import { z } from 'zod';
import {
  partConcurrency,
  taskInput,
  exclusive,
  httpUrl,
  shareLink,
  text,
  wholeNumber,
} from '../../tasks/field-types';
import { field } from '../../tasks/fields';
import {
  onFirstUse,
  joinWhere,
  objectNaming,
  textOf,
  type DestinationDescriptor,
} from '../../tasks/destination';

export const exportOpenStackSchema = onFirstUse(() =>
  exclusive(
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
  ),
);

export const openstackDestination = {
  operation: 'export/openstack',
  schema: exportOpenStackSchema,
  label: 'OpenStack Swift',
  short: 'Swift',
  icon: 'box',
  naming: objectNaming('file', 'file_prefix'),
  probe: 'root',
  /** The segment prefix of a large object and the segment size. */
  resumeState: z.object({ prefix: z.string(), partSize: z.number() }),
  where: (p) => joinWhere(textOf(p, 'container'), textOf(p, 'file_prefix')),
  address: (p) => `${textOf(p, 'auth_url') ?? ''} ${textOf(p, 'container') ?? ''}`,
  location: (file) => textOf(file, 'location'),
} satisfies DestinationDescriptor<'export/openstack'>;
