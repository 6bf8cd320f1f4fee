import { GCS_EMULATOR } from '../../test/support/servers';
import type { BenchContext } from '../lib/context';
import { throughputLine } from '../lib/line';
import { restartServer } from '../lib/servers';
import type { Line } from '../lib/table';
import { outboxTool } from '../lib/tool';
import { describeSize, sourceBytes } from '../lib/units';

const TITLE = 'GCS on the firebase-tools emulator (no peer)';

/**
 * No peer: rclone cannot talk to this emulator. The emulator keeps objects in
 * memory, so it is restarted (not timed) before every large run and at the end.
 */
export async function gcsLines(ctx: BenchContext): Promise<Line[]> {
  const bucket = `outbox-bench-${ctx.tag}`; // the emulator creates it on the first upload
  const outbox = outboxTool(ctx, (target) => ({
    operation: 'export/google-cloud-storage',
    project_id: GCS_EMULATOR.projectId,
    bucket,
    client_email: `outbox-bench@${GCS_EMULATOR.projectId}.iam.gserviceaccount.com`,
    // The emulator checks no credentials; a key is still required by the task schema.
    private_key:
      '-----BEGIN PRIVATE KEY-----\nnot used by the emulator\n-----END PRIVATE KEY-----\n',
    endpoint: GCS_EMULATOR.endpoint,
    file_prefix: `${target}/`,
  }));
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
        beforeRun: () => restartServer(ctx, 'gcs'),
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
      }),
    );
  } finally {
    await restartServer(ctx, 'gcs').catch((error: unknown) => ctx.log(String(error)));
  }
  return lines;
}
