import { posix } from 'node:path';
import type { CreateMultipartUploadCommandInput, ObjectCannedACL } from '@aws-sdk/client-s3';
import { lookup } from 'mime-types';
import { ValidationError } from '../../errors';
import type { ExportS3Task } from '../../tasks/operations';

/** What a new object is stored with, the same for a single PUT and a multipart upload. */
export type ObjectOptions = Omit<CreateMultipartUploadCommandInput, 'Bucket' | 'Key'>;

/** Optional parameters some S3-compatible servers do not implement (named in 501 errors). */
export function optionalFeaturesOf(params: ExportS3Task): string[] {
  const features: string[] = [];
  if (params.tagging && Object.keys(params.tagging).length > 0) features.push('tagging');
  if (params.acl !== undefined) features.push('acl');
  if (params.server_side_encryption !== undefined) features.push('server_side_encryption');
  if (params.kms_key_id !== undefined) features.push('kms_key_id');
  return features;
}

// Header values travel as latin1 bytes; anything outside visible ASCII is refused by Node
// or mangled by servers, so say so before sending anything.
const HEADER_SAFE = /^[\x20-\x7e]*$/;
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

function headerValue(field: string, value: string): string {
  if (!HEADER_SAFE.test(value)) {
    throw ValidationError.of(
      field,
      'must be printable ASCII (S3 stores it in an HTTP header); encode other characters, e.g. RFC 2047 or percent-encoding',
    );
  }
  return value;
}

/** S3 tags travel as a URL-encoded query string in one header. */
export function encodeTagging(tags: Record<string, string>): string {
  return Object.entries(tags)
    .map(([key, value]) => `${encodeURIComponent(key)}=${encodeURIComponent(value)}`)
    .join('&');
}

/** The content type the object is served with: the user's, else from the key's (or file's) extension. */
export function contentTypeOf(params: ExportS3Task, key: string, sourceName: string): string {
  if (params.content_type) return params.content_type;
  return lookup(posix.basename(key)) || lookup(sourceName) || 'application/octet-stream';
}

/**
 * The object's stored headers from the task. Nothing is sent that the user
 * did not ask for: in particular no ACL header (buckets with ACLs disabled
 * reject any, even `private`).
 */
export function objectOptions(
  params: ExportS3Task,
  key: string,
  sourceName: string,
): ObjectOptions {
  const options: ObjectOptions = {
    ContentType: headerValue('content_type', contentTypeOf(params, key, sourceName)),
  };
  if (params.acl) options.ACL = params.acl satisfies ObjectCannedACL;
  if (params.cache_control)
    options.CacheControl = headerValue('cache_control', params.cache_control);
  if (params.content_disposition)
    options.ContentDisposition = headerValue('content_disposition', params.content_disposition);
  if (params.metadata && Object.keys(params.metadata).length > 0) {
    options.Metadata = {};
    for (const [name, value] of Object.entries(params.metadata)) {
      if (!TOKEN.test(name)) {
        throw ValidationError.of(
          `metadata.${name}`,
          'metadata names must be ASCII letters, digits or -_. (they become x-amz-meta-<name> headers)',
        );
      }
      options.Metadata[name] = headerValue(`metadata.${name}`, value);
    }
  }
  if (params.server_side_encryption) options.ServerSideEncryption = params.server_side_encryption;
  if (params.kms_key_id) options.SSEKMSKeyId = params.kms_key_id;
  if (params.tagging && Object.keys(params.tagging).length > 0)
    options.Tagging = encodeTagging(params.tagging);
  return options;
}
