import { createHash } from 'node:crypto';
import {
  AnonymousCredential,
  BlobServiceClient,
  StorageSharedKeyCredential,
  newPipeline,
  type ContainerClient,
  type PipelineLike,
} from '@azure/storage-blob';
import type { SessionCache } from '../exporter';
import type { TaskOf } from '../../tasks/operations';

type AzureParams = TaskOf<'export/azure/blob'>;

/** The blob service URL: the `endpoint` extension (emulators, sovereign clouds) or Azure's public one. */
export function serviceUrlOf(params: AzureParams): string {
  const url = params.endpoint ?? `https://${params.storage_account}.blob.core.windows.net`;
  return url.replace(/\/+$/, '');
}

/** A URL without its query: a SAS token must not end up in results or logs. */
export function withoutQuery(url: string): string {
  const parsed = new URL(url);
  return `${parsed.origin}${parsed.pathname}`;
}

function sasQuery(token: string): string {
  return token.replace(/^\?/, '');
}

/**
 * A service client without the SDK's form-data step, which no blob request
 * needs (bodies are bytes, streams or XML, never forms). The step asks for a
 * global `FormData` on every request, and the first ask loads Node's fetch
 * (undici) into the exporter thread: ~15 ms of its start and ~3 MiB of a
 * 1 MiB export's peak (BENCHMARKS.md, twenty-fifth session). The clients
 * made from this one share its request pipeline, so none of them has the step.
 */
class BlobServiceWithoutForms extends BlobServiceClient {
  constructor(url: string, pipeline: PipelineLike) {
    super(url, pipeline);
    this.storageClientContext.pipeline.removePolicy({ name: 'formDataPolicy' });
  }
}

/**
 * The container client of a task, cached per worker. The SDK's own retries
 * are off: they cannot replay a streamed body, and Outbox retries blocks
 * (withRetry) and whole files (the worker) itself.
 */
export function containerClientOf(
  params: AzureParams,
  sessions: Pick<SessionCache, 'get'>,
): Promise<ContainerClient> {
  const serviceUrl = serviceUrlOf(params);
  const secret = params.storage_access_key ?? params.sas_token ?? '';
  // Keyed by a hash of the credential: a changed key gets a new client.
  const key = `azure-blob ${serviceUrl} ${params.storage_account} ${createHash('sha256').update(secret).digest('hex')}`;
  const service = sessions.get(key, async () => {
    const credential = params.storage_access_key
      ? new StorageSharedKeyCredential(params.storage_account, params.storage_access_key)
      : new AnonymousCredential();
    const pipeline = newPipeline(credential, {
      retryOptions: { maxTries: 1 },
      userAgentOptions: { userAgentPrefix: 'Outbox' },
    });
    const url = params.sas_token ? `${serviceUrl}?${sasQuery(params.sas_token)}` : serviceUrl;
    return new BlobServiceWithoutForms(url, pipeline);
  });
  return service.then((client) => client.getContainerClient(params.container));
}
