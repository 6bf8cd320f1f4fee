import { joinWhere, objectNaming, textOf, type DestinationDescriptor } from '../destination';

export const s3Destination: DestinationDescriptor<'export/s3'> = {
  operation: 'export/s3',
  label: 'Amazon S3 or compatible',
  short: 'S3',
  icon: 'box',
  naming: objectNaming('key', 'key_prefix'),
  where: (p) => joinWhere(textOf(p, 'bucket'), textOf(p, 'key_prefix')),
  address: (p) => [textOf(p, 'endpoint'), textOf(p, 'bucket')].filter(Boolean).join(' '),
  location: (file) => {
    const [bucket, key] = [textOf(file, 'bucket'), textOf(file, 'key')];
    return bucket && key ? `s3://${bucket}/${key}` : undefined;
  },
};
