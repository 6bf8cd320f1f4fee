import { once } from 'node:events';
import type { IncomingMessage } from 'node:http';
import { S3ServiceException, type S3Client } from '@aws-sdk/client-s3';
import type { ProgressSink } from '../exporter';
import { bareEtag } from '../integrity';
import { keepAliveAgent, sendPart } from '../part-request';
import type { PreparedPart } from '../parts';
import { responseText } from '../../http/response-text';
import type { ObjectOptions } from './object-options';

/**
 * PutObject without the SDK's request pipeline, for the uploads that are one
 * request (files up to one part: a folder of small files is made of them).
 * The SDK's middleware stack (serialization, endpoint rules, logging filters,
 * retries, checksum and user-agent steps) costs ~1.5 CPU-ms a request, more
 * than the request itself; a folder of 2,000 files paid it 2,000 times. The
 * SDK still does what it alone knows: the client's endpoint resolution
 * (addressing style, partitions) and its SigV4 signer with its credentials.
 * Like the SDK path, the body is not hashed for the signature
 * (UNSIGNED-PAYLOAD): it carries Content-MD5, which the server checks.
 * Errors come back as the SDK's own S3ServiceException, classified by s3Error.
 */

/** S3's own URI encoding of a key's path segments (encodeURIComponent leaves !'()* alone). */
function encodeKey(key: string): string {
  return key
    .split('/')
    .map((segment) =>
      encodeURIComponent(segment).replace(
        /[!'()*]/g,
        (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
      ),
    )
    .join('/');
}

/** The request headers ObjectOptions stands for (the SDK's names for the same fields). */
function headersOf(options: ObjectOptions): Record<string, string> {
  const headers: Record<string, string> = {};
  const set = (name: string, value: string | undefined) => {
    if (value !== undefined) headers[name] = value;
  };
  const { ContentType, ACL, CacheControl, ContentDisposition, Metadata, Tagging, ...rest } =
    options;
  const { ServerSideEncryption, SSEKMSKeyId, ...unknown } = rest;
  // objectOptions sets nothing else: a new field must be mapped here, not silently dropped.
  if (Object.keys(unknown).length > 0) {
    throw new Error(`PutObject: unmapped object options ${Object.keys(unknown).join(', ')}`);
  }
  set('content-type', ContentType);
  set('x-amz-acl', ACL);
  set('cache-control', CacheControl);
  set('content-disposition', ContentDisposition);
  set('x-amz-tagging', Tagging);
  set('x-amz-server-side-encryption', ServerSideEncryption);
  set('x-amz-server-side-encryption-aws-kms-key-id', SSEKMSKeyId);
  for (const [name, value] of Object.entries(Metadata ?? {})) set(`x-amz-meta-${name}`, value);
  return headers;
}

type Signing = { signingRegion: string; signingService: string };

/** A bucket's base URL and how requests to it are signed, as the client resolves them. */
type BucketEndpoint = { url: URL; signing: Signing };

/** Where requests for a bucket go: what the client was configured with. */
export type PutTarget = {
  bucket: string;
  region: string;
  endpoint?: string | undefined;
  forcePathStyle: boolean;
  /** No byte either way on a request's socket for this long fails it, as the SDK client's requestTimeout. */
  idleTimeoutMs: number;
};

function resolveBucket(client: S3Client, target: PutTarget): BucketEndpoint {
  const endpoint = client.config.endpointProvider(
    {
      Bucket: target.bucket,
      Region: target.region,
      UseFIPS: false,
      UseDualStack: false,
      Accelerate: false,
      ForcePathStyle: target.forcePathStyle,
      ...(target.endpoint ? { Endpoint: target.endpoint } : {}),
    },
    {},
  );
  const scheme = (
    endpoint.properties?.authSchemes as
      { name?: string; signingName?: string; signingRegion?: string }[] | undefined
  )?.[0];
  return {
    url: new URL(endpoint.url.href),
    signing: {
      signingRegion: scheme?.signingRegion ?? target.region,
      signingService: scheme?.signingName ?? 's3',
    },
  };
}

/** Reads an error answer's XML for its Code and Message (what the SDK's error parser reads). */
async function serviceError(response: IncomingMessage): Promise<S3ServiceException> {
  const text = await responseText(response);
  const field = (name: string) =>
    new RegExp(`<${name}>([^<]*)</${name}>`).exec(text)?.[1]?.trim() || undefined;
  const status = response.statusCode ?? 0;
  const error = new S3ServiceException({
    name: field('Code') ?? `Http${status}`,
    $fault: status >= 500 ? 'server' : 'client',
    $metadata: {
      httpStatusCode: status,
      ...(field('RequestId') ? { requestId: field('RequestId') } : {}),
    },
    message: field('Message') ?? (response.statusMessage || `HTTP ${status}`),
  });
  error.$response = {
    statusCode: status,
    headers: Object.fromEntries(
      Object.entries(response.headers).map(([k, v]) => [
        k,
        Array.isArray(v) ? v.join(', ') : (v ?? ''),
      ]),
    ),
  } as S3ServiceException['$response'];
  return error;
}

export type PutObject = (
  key: string,
  options: ObjectOptions,
  part: PreparedPart,
  progress: ProgressSink,
  signal: AbortSignal,
) => Promise<{ etag: string | undefined }>;

/**
 * A PutObject into `target.bucket` through `client`'s endpoint rules and
 * signer, on its own keep-alive connections (`close()` ends them). Throws
 * S3ServiceException or the network error, like `client.send(new PutObjectCommand(…))`.
 */
export function directPutObject(
  client: S3Client,
  target: PutTarget,
): { put: PutObject; close: () => void } {
  const { url, signing } = resolveBucket(client, target);
  const agent = keepAliveAgent(url);
  const signer = client.config.signer({
    name: 'sigv4',
    signingName: signing.signingService,
    signingRegion: signing.signingRegion,
    properties: {},
  });
  const put: PutObject = async (key, options, part, progress, signal) => {
    const base = url.pathname.replace(/\/+$/, '');
    const request = {
      method: 'PUT',
      protocol: url.protocol,
      hostname: url.hostname,
      ...(url.port ? { port: Number(url.port) } : {}),
      path: `${base}/${encodeKey(key)}`,
      query: {},
      headers: {
        host: url.host,
        'content-length': String(part.length),
        'content-md5': part.md5.toString('base64'),
        'x-amz-content-sha256': 'UNSIGNED-PAYLOAD',
        ...headersOf(options),
      },
    };
    const signed = await (await signer).sign(request as never, signing);
    const response = await sendPart(
      {
        origin: url,
        method: 'PUT',
        path: signed.path,
        headers: signed.headers,
        agent,
        signal,
        idleTimeoutMs: target.idleTimeoutMs,
      },
      part,
      progress,
    );
    const status = response.statusCode ?? 0;
    if (status < 200 || status >= 300) throw await serviceError(response);
    response.resume();
    await once(response, 'end');
    const etag = response.headers.etag;
    return { etag: etag === undefined ? undefined : bareEtag(etag) };
  };
  return { put, close: () => agent.destroy() };
}
