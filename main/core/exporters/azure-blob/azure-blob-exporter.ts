import {
  BlobSASPermissions,
  SASProtocol,
  StorageSharedKeyCredential,
  generateBlobSASQueryParameters,
  type BlockBlobClient,
} from '@azure/storage-blob';
import { OutboxError } from '../../errors';
import { withRetry } from '../../transfer/retry';
import { contentTypeOf } from '../../http/http-headers';
import type { TaskOf } from '../../tasks/operations';
import type { Exporter, ShareLinkExpiry, TransferContext } from '../exporter';
import { verify } from '../integrity';
import { sendWholeFile, wholeBody } from '../parts';
import { storedName, withShareLink } from '../share-link';
import { storedFile } from '../stored-file';
import { planBlocks, stageBlocks } from './blocks';
import { containerClientOf, serviceUrlOf, withoutQuery } from './client';
import { azureError, type AzureScope } from './errors';

type AzureParams = TaskOf<'export/azure/blob'>;

function scopeOf(params: AzureParams, blob?: string): AzureScope {
  return {
    account: params.storage_account,
    container: params.container,
    endpoint: serviceUrlOf(params),
    ...(blob === undefined ? {} : { blob }),
  };
}

/**
 * One Put Blob with the file's MD5, which Azure checks against the bytes it
 * received. Returns that MD5 and the one the server answered: Azure computes
 * the MD5 of a blob stored by Put Blob and sends it back.
 */
async function putWhole(
  blob: BlockBlobClient,
  size: number,
  headers: { blobContentType: string },
  metadata: Record<string, string> | undefined,
  context: TransferContext,
): Promise<{ md5: Buffer; answered: string | undefined }> {
  return sendWholeFile(context, size, async (part) => {
    const whole = wholeBody(part);
    const answer = await blob.upload(whole ?? part.body(context.progress), part.length, {
      blobHTTPHeaders: { ...headers, blobContentMD5: part.md5 },
      ...(metadata ? { metadata } : {}),
      abortSignal: context.signal,
    });
    if (whole) context.progress.add(part.length);
    const answered = answer.contentMD5 ? Buffer.from(answer.contentMD5).toString('hex') : undefined;
    return { md5: part.md5, answered };
  });
}

/** A read-only service SAS for one blob, signed with the account key. */
function readOnlySasUrl(
  params: AzureParams,
  blob: BlockBlobClient,
  name: string,
  expiry: ShareLinkExpiry,
): string {
  if (params.storage_access_key === undefined) {
    // The schema refuses share_link without an account key; kept for the types.
    throw new OutboxError(
      'INVALID_DATA',
      'share_link needs storage_access_key: a SAS token cannot sign a read-only link.',
    );
  }
  const credential = new StorageSharedKeyCredential(
    params.storage_account,
    params.storage_access_key,
  );
  const https = new URL(blob.url).protocol === 'https:';
  const sas = generateBlobSASQueryParameters(
    {
      containerName: params.container,
      blobName: name,
      permissions: BlobSASPermissions.parse('r'),
      expiresOn: expiry.expiresAt,
      // Plain http only where the service itself is (emulators).
      protocol: https ? SASProtocol.Https : SASProtocol.HttpsAndHttp,
    },
    credential,
  );
  return `${withoutQuery(blob.url)}?${sas.toString()}`;
}

/**
 * export/azure/blob: block blobs. Small files go in one Put Blob; larger ones
 * as parallel Put Block requests and one Put Block List, which is the only
 * request that creates the blob: a failed or cancelled upload commits nothing.
 */
export const azureBlobExporter: Exporter<'export/azure/blob'> = {
  operation: 'export/azure/blob',

  async upload({ params, source, name }, context) {
    const scope = scopeOf(params, name);
    const classify = (error: unknown) => azureError(error, scope);
    try {
      const { metadata } = params; // names and values checked by the schema
      const container = await containerClientOf(params, context.sessions);
      const blob = container.getBlockBlobClient(name);
      const headers = { blobContentType: contentTypeOf(name) };
      const plan = planBlocks(source.size, {
        partSize: params.part_size,
        concurrency: params.concurrency,
      });

      let md5: Buffer;
      let reusedBytes = 0;
      let answered: string | undefined;
      if (plan.partCount === 1) {
        ({ md5, answered } = await putWhole(blob, source.size, headers, metadata, context));
      } else {
        const staged = await stageBlocks(blob, plan, source.size, context, classify);
        md5 = staged.md5;
        reusedBytes = staged.reusedBytes;
        // The whole file's MD5 is stored with the block list (Azure does not compute one
        // for block lists); each block's MD5 was checked by the server as it arrived.
        await withRetry(
          () =>
            blob
              .commitBlockList(staged.blockIds, {
                blobHTTPHeaders: { ...headers, blobContentMD5: md5 },
                ...(metadata ? { metadata } : {}),
                abortSignal: context.signal,
              })
              .catch((error: unknown) => Promise.reject(classify(error))),
          { signal: context.signal, policy: context.policy.retry },
        );
      }

      const checksum = { algorithm: 'md5' as const, value: md5.toString('hex') };
      // A single Put Blob is verified by its own answer: Azure computes the MD5 of what it
      // stored and answers it (no read-back request per file). Block lists are read back;
      // a write-only SAS token may not (the server still checked every block's MD5).
      const stored = answered
        ? { contentMD5: Buffer.from(answered, 'hex'), contentLength: source.size }
        : await blob.getProperties({ abortSignal: context.signal }).catch((error: unknown) => {
            const mapped = classify(error);
            if (mapped.code === 'ACCESS_DENIED') return undefined;
            throw mapped;
          });
      const storedMd5 = stored?.contentMD5
        ? Buffer.from(stored.contentMD5).toString('hex')
        : undefined;
      if (stored) {
        verify(
          `azure blob ${params.container}/${name}`,
          { size: source.size, checksum },
          {
            ...(stored.contentLength === undefined ? {} : { size: stored.contentLength }),
            ...(storedMd5 === undefined ? {} : { checksum: storedMd5 }),
          },
        );
      }
      const result = storedFile({
        name,
        size: source.size,
        location: withoutQuery(blob.url),
        place: { container: params.container, blob: name },
        checksum,
        verifiedBy:
          storedMd5 !== undefined ? 'md5' : stored?.contentLength !== undefined ? 'size' : 'none',
        resumedBytes: reusedBytes,
      });
      return await withShareLink(result, params.share_link, async (expiry) =>
        readOnlySasUrl(params, blob, name, expiry),
      );
    } catch (error) {
      throw classify(error);
    }
  },

  async shareLink(params, file, expiry, { sessions }) {
    const name = storedName(file, 'blob');
    try {
      const container = await containerClientOf(params, sessions);
      return readOnlySasUrl(params, container.getBlockBlobClient(name), name, expiry);
    } catch (error) {
      throw azureError(error, scopeOf(params, name));
    }
  },

  async probe(params, { signal, sessions }, path) {
    const scope = scopeOf(params);
    try {
      const container = await containerClientOf(params, sessions);
      // Staging a block needs the same rights as an upload but creates no blob;
      // Azure discards uncommitted blocks (after a week at most).
      const blob = container.getBlockBlobClient(path);
      const data = Buffer.from('outbox connection test');
      await blob.stageBlock(Buffer.from('outbox-probe').toString('base64'), data, data.length, {
        abortSignal: signal,
      });
      return {
        ok: true,
        message: `Storage account "${params.storage_account}" accepted the credentials and container "${params.container}" accepts writes (a test block was staged and not committed: no blob was created).`,
      };
    } catch (error) {
      throw azureError(error, scope);
    }
  },
};
