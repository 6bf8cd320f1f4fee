import { generateKeyPairSync } from 'node:crypto';
import { GCS_EMULATOR } from '../../test/support/servers';
import type { GcsSettings } from '../ceilings/gcs-ceiling.mts';
import { filesOf, nameOf, PART_SIZE } from '../ceilings/lib.mts';
import { ceilingTool, curlTool, type CurlUpload } from '../lib/ceiling';
import type { BenchContext } from '../lib/context';
import { throughputLine } from '../lib/line';
import { restartServer } from '../lib/servers';
import type { Line } from '../lib/table';
import { outboxTool } from '../lib/tool';
import { describeSize, sourceBytes } from '../lib/units';

const TITLE = 'GCS on the firebase-tools emulator (no peer: ceilings only)';
/** The 1 GiB line's time budget: a round takes ~100 s, so 3 runs need more than the default 300. */
const BIG_BUDGET_SECONDS = 450;

/**
 * A curl upload into the emulator (it checks no credentials): one media POST for a small
 * file; for a large one a resumable session (opened here, not timed: single requests over
 * ~130 MB get 413) that curl fills in one PUT, as Outbox and the SDK do.
 */
async function emulatorUpload(bucket: string, file: string, name: string, size: number) {
  const base = `${GCS_EMULATOR.endpoint}/upload/storage/v1/b/${encodeURIComponent(bucket)}/o`;
  const query = (type: string) => `?uploadType=${type}&name=${encodeURIComponent(name)}`;
  if (size <= PART_SIZE) return { file, url: `${base}${query('media')}`, method: 'POST' };
  const session = await fetch(`${base}${query('resumable')}`, { method: 'POST' });
  await session.body?.cancel();
  const url = session.headers.get('location');
  if (!session.ok || !url) throw new Error(`GCS emulator: no upload session (${session.status})`);
  return { file, url } satisfies CurlUpload;
}

/**
 * No peer: rclone cannot talk to this emulator; the SDK's own upload and curl
 * are the comparisons. The emulator keeps objects in memory, so it is
 * restarted (not timed) before every large run and at the end.
 */
const benchKey = generateKeyPairSync('rsa', { modulusLength: 2048 })
  .privateKey.export({ type: 'pkcs8', format: 'pem' })
  .toString();

export async function gcsLines(ctx: BenchContext): Promise<Line[]> {
  const bucket = `outbox-bench-${ctx.tag}`; // the emulator creates it on the first upload
  const outbox = outboxTool(ctx, (target) => ({
    operation: 'export/google-cloud-storage',
    project_id: GCS_EMULATOR.projectId,
    bucket,
    client_email: `outbox-bench@${GCS_EMULATOR.projectId}.iam.gserviceaccount.com`,
    // The emulator checks no credentials; the task still needs a key that parses.
    private_key: benchKey,
    endpoint: GCS_EMULATOR.endpoint,
    file_prefix: `${target}/`,
  }));
  const sdkSettings = (target: string): GcsSettings => ({
    endpoint: GCS_EMULATOR.endpoint,
    projectId: GCS_EMULATOR.projectId,
    bucket,
    prefix: `${target}/`,
  });
  const sdk = ceilingTool(ctx, 'GCS SDK upload', 'gcs-sdk', sdkSettings);
  // The same uploads with Outbox's verification (the MD5 of every byte read, checked against
  // the object GCS answers with): equal work.
  const sdkMd5 = ceilingTool(ctx, 'GCS SDK + MD5 check', 'gcs-sdk-md5', sdkSettings);
  const curl = curlTool(ctx, 'curl -T', async (source, target) => {
    const { folder, files } = await filesOf(source);
    return Promise.all(
      files.map((f) => emulatorUpload(bucket, f.path, nameOf(`${target}/`, folder, f), f.size)),
    );
  });
  const ceilings = [sdk, sdkMd5, curl];
  const { sizes } = ctx.data;
  const lines: Line[] = [];
  try {
    ctx.log(`gcs-big: ${TITLE}`);
    lines.push(
      await throughputLine(ctx, {
        id: 'gcs-big',
        title: `${TITLE}: ${describeSize(sizes.bigBytes)}`,
        source: ctx.data.big,
        bytes: await sourceBytes(ctx.data.big),
        outbox,
        peers: [],
        ceilings,
        beforeRun: () => restartServer(ctx, 'gcs'),
        budgetSeconds: BIG_BUDGET_SECONDS,
      }),
    );
    ctx.log(`gcs-small: ${TITLE}`);
    lines.push(
      await throughputLine(ctx, {
        id: 'gcs-small',
        title: `${TITLE}: ${describeSize(sizes.smallBytes, sizes.smallCount)}`,
        source: ctx.data.small,
        bytes: await sourceBytes(ctx.data.small),
        outbox,
        peers: [],
        ceilings,
      }),
    );
  } finally {
    await restartServer(ctx, 'gcs').catch((error: unknown) => ctx.log(String(error)));
  }
  return lines;
}
