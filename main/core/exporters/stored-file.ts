import { posix } from 'node:path';
import type { ResultFile } from '../transfer/records';
import type { Checksum } from './integrity';
import { resumedField } from './parts';

/**
 * The result of one delivered file, the same shape for every exporter (see
 * README, "Output"): scripts read `filename`, `location` and the
 * verification fields without knowing the destination. Built here only.
 */

/**
 * How the stored file was compared with the bytes read:
 * - `md5`: the MD5 the server reports for what it stored (an ETag, Content-MD5
 *   or md5Hash; for multipart uploads the composite of the parts' MD5s) equals
 *   `checksum`;
 * - `content-md5`: the server checked each request's Content-MD5 and the stored
 *   size was compared (S3 objects encrypted with KMS or a customer key, whose
 *   ETag is no MD5);
 * - `size`: only the stored size can be compared (SFTP has no checksum request);
 * - `none`: nothing could be read back (`verified` is false).
 */
export type VerifiedBy = 'md5' | 'content-md5' | 'size' | 'none';

export type StoredFileInput = {
  /** The stored object's name (key, blob, file, path; a URL's decoded path): `filename` is its base name. */
  name: string;
  size: number;
  /** Where the file now is: the object's URL (no credentials in it), or `sftp://…`. */
  location: string;
  /** The destination's own names for the place (bucket and key, container and blob…). */
  place: Record<string, string>;
  checksum: Checksum;
  verifiedBy: VerifiedBy;
  /** Bytes an earlier, interrupted upload had stored and this one kept. */
  resumedBytes?: number;
  /** Facts particular to the destination (parts, segments, HTTP status…). */
  details?: Record<string, unknown>;
};

export function storedFile(input: StoredFileInput): ResultFile {
  return {
    filename: posix.basename(input.name),
    size: input.size,
    location: input.location,
    ...input.place,
    checksum: input.checksum,
    verified: input.verifiedBy !== 'none',
    verified_by: input.verifiedBy,
    ...resumedField(input.resumedBytes ?? 0),
    ...input.details,
  };
}
