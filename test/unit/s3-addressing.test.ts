import { describe, expect, it } from 'vitest';
import { bucketUrl, objectUrl } from '../../main/core/exporters/s3/client';

/** export/s3's object and bucket URLs: path-style or virtual-host addressing, without a server. */

describe('export/s3 addressing and part planning (no server)', () => {
  const destination = {
    bucket: 'my-bucket',
    region: 'eu-west-1',
    access_key_id: 'a',
    secret_access_key: 's',
  };

  it('uses path-style for custom endpoints and virtual hosts on AWS, unless overridden', () => {
    expect(objectUrl({ ...destination, endpoint: 'http://127.0.0.1:7480' }, 'a b/ü.txt')).toBe(
      'http://127.0.0.1:7480/my-bucket/a%20b/%C3%BC.txt',
    );
    expect(
      bucketUrl({ ...destination, endpoint: 'https://s3.example.com', force_path_style: false }),
    ).toBe('https://my-bucket.s3.example.com');
    expect(objectUrl(destination, 'k')).toBe('https://my-bucket.s3.eu-west-1.amazonaws.com/k');
    expect(bucketUrl({ ...destination, force_path_style: true })).toBe(
      'https://s3.eu-west-1.amazonaws.com/my-bucket',
    );
  });
});
