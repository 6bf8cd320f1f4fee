import { joinWhere, objectNaming, textOf, type DestinationDescriptor } from '../destination';

export const gcsDestination: DestinationDescriptor<'export/google-cloud-storage'> = {
  operation: 'export/google-cloud-storage',
  label: 'Google Cloud Storage',
  short: 'GCS',
  icon: 'cloud',
  naming: objectNaming('file', 'file_prefix'),
  where: (p) => joinWhere(textOf(p, 'bucket'), textOf(p, 'file_prefix')),
  address: (p) => [textOf(p, 'endpoint'), textOf(p, 'bucket')].filter(Boolean).join(' '),
  location: (file) => {
    const [bucket, name] = [textOf(file, 'bucket'), textOf(file, 'file')];
    return bucket && name ? `gs://${bucket}/${name}` : undefined;
  },
};
