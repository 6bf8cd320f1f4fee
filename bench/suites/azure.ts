import {
  BlobServiceClient,
  ContainerSASPermissions,
  generateBlobSASQueryParameters,
  StorageSharedKeyCredential,
} from '@azure/storage-blob';
import { AZURITE } from '../../test/support/servers';
import { filesOf, nameOf } from '../ceilings/lib.mts';
import { ceilingTool, curlTool } from '../lib/ceiling';
import type { BenchContext } from '../lib/context';
import { throughputLine } from '../lib/line';
import { rcloneTool } from '../lib/peers';
import type { Line } from '../lib/table';
import { outboxTool } from '../lib/tool';
import { describeSize, sourceBytes } from '../lib/units';
import { restartServer } from '../lib/servers';

const TITLE = 'Azure Blob on azurite';

/**
 * In-memory azurite keeps deleted blobs' memory until it restarts, so it is
 * restarted (not timed) before every run.
 */
export async function azureLines(ctx: BenchContext): Promise<Line[]> {
  const container = `outbox-bench-${ctx.tag}`;
  const fresh = async () => {
    await restartServer(ctx, 'azurite');
    const service = BlobServiceClient.fromConnectionString(AZURITE.connectionString);
    await service.getContainerClient(container).createIfNotExists();
  };
  const outbox = outboxTool(ctx, (target) => ({
    operation: 'export/azure/blob',
    storage_account: AZURITE.account,
    storage_access_key: AZURITE.key,
    endpoint: AZURITE.endpoint,
    container,
    blob_prefix: `${target}/`,
  }));
  const rclone = rcloneTool(
    ctx,
    {
      name: 'benchazure',
      options: {
        type: 'azureblob',
        account: AZURITE.account,
        key: AZURITE.key,
        endpoint: AZURITE.endpoint,
        use_emulator: 'true',
      },
    },
    (target) => `${container}/${target}`,
  );
  const sdk = ceilingTool(ctx, 'Azure SDK uploadFile', 'azure-upload-file', (target) => ({
    connectionString: AZURITE.connectionString,
    container,
    prefix: `${target}/`,
  }));
  // The same blocks with Outbox's verification (block and blob Content-MD5, read-back): equal work.
  const sdkMd5 = ceilingTool(ctx, 'Azure SDK + Content-MD5', 'azure-sdk-md5', (target) => ({
    connectionString: AZURITE.connectionString,
    container,
    prefix: `${target}/`,
  }));
  const curl = curlTool(
    ctx,
    'curl -T SAS',
    async (source, target) => {
      const sas = generateBlobSASQueryParameters(
        {
          containerName: container,
          permissions: ContainerSASPermissions.parse('cw'),
          expiresOn: new Date(Date.now() + 3600_000),
        },
        new StorageSharedKeyCredential(AZURITE.account, AZURITE.key),
      ).toString();
      const { folder, files } = await filesOf(source);
      return files.map((file) => ({
        file: file.path,
        url: `${AZURITE.endpoint}/${container}/${nameOf(`${target}/`, folder, file)}?${sas}`,
      }));
    },
    ['x-ms-blob-type: BlockBlob'],
  );
  const ceilings = [sdk, curl];
  const { sizes } = ctx.data;
  const lines: Line[] = [];
  ctx.log(`azure-big: ${TITLE}`);
  lines.push(
    await throughputLine(ctx, {
      id: 'azure-big',
      title: `${TITLE}: ${describeSize(sizes.bigBytes)}`,
      source: ctx.data.big,
      bytes: await sourceBytes(ctx.data.big),
      outbox,
      peers: [rclone],
      ceilings: [sdk, sdkMd5, curl],
      beforeRun: fresh,
    }),
  );
  ctx.log(`azure-small: ${TITLE}`);
  lines.push(
    await throughputLine(ctx, {
      id: 'azure-small',
      title: `${TITLE}: ${describeSize(sizes.smallBytes, sizes.smallCount)}`,
      source: ctx.data.small,
      bytes: await sourceBytes(ctx.data.small),
      outbox,
      peers: [rclone],
      ceilings,
      // azurite slows down as it fills (2-4x after a few thousand blobs): every run starts on an empty one
      beforeRun: fresh,
    }),
  );
  // leave azurite empty (and its memory free) for whoever uses it next
  await restartServer(ctx, 'azurite');
  return lines;
}
