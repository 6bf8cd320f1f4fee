import { BlobServiceClient } from '@azure/storage-blob';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { AZURITE, SFTP } from '../../test/support/servers';
import { ceilingTool } from '../lib/ceiling';
import type { BenchContext } from '../lib/context';
import { measure, runCommand } from '../lib/proc';
import { restartServer } from '../lib/servers';
import { median, type Line } from '../lib/table';
import { exitFailure, outboxTool, type Tool } from '../lib/tool';
import { describeSize } from '../lib/units';
import { usedHome } from '../lib/used-home';

type Destination = {
  id: string;
  label: string;
  /** The export task, per target: Outbox runs it (`outboxTool`). */
  task: (target: string) => Record<string, unknown>;
  /** The protocol's library alone, in one worker thread: the same 1 MiB upload with no Outbox code. */
  library: Tool;
  /** The same, its main thread keeping a delivery log (bench/ceilings/in-worker.mts --delivery-log). */
  libraryWithLog: Tool;
  before: () => Promise<void>;
  after: () => Promise<void>;
};

/** A library ceiling in one worker thread, alone and with a delivery log in its main thread. */
function libraries(
  ctx: BenchContext,
  name: string,
  script: string,
  settings: (target: string) => Record<string, unknown>,
): Pick<Destination, 'library' | 'libraryWithLog'> {
  return {
    library: ceilingTool(ctx, name, script, settings, { inWorker: true }),
    libraryWithLog: ceilingTool(ctx, `${name} + a delivery log`, script, settings, {
      inWorker: true,
      deliveryLog: true,
    }),
  };
}

/**
 * Peak RSS of the whole Outbox process (main thread + exporter workers) while
 * it uploads one large random file, next to the same export of a 1 MiB file
 * (the baseline: Node, the SDKs, the engine; median of 3), and the runtime's
 * own floor. One run of the large file: memory barely varies between runs.
 *
 * Not on S3 or Swift: a 4 GiB object would take half of the test RGW's
 * memstore OSD (8 GiB, in RAM) and is more than Swift's 2 GiB tmpfs. Azure
 * blocks go through the same part planner (main/core/exporters/parts.ts) as
 * S3 multipart.
 */
export async function memoryLines(ctx: BenchContext): Promise<Line[]> {
  const container = `outbox-bench-mem-${ctx.tag}`;
  const sftpRoot = `outbox-bench-mem-${ctx.tag}`;
  const privateKey = await fs.readFile(SFTP.keys.ed25519, 'utf8');
  const destinations: Destination[] = [
    {
      id: 'memory-azure',
      label: 'Azure Blob (azurite)',
      task: (target) => ({
        operation: 'export/azure/blob',
        storage_account: AZURITE.account,
        storage_access_key: AZURITE.key,
        endpoint: AZURITE.endpoint,
        container,
        blob_prefix: `${target}/`,
      }),
      ...libraries(ctx, 'Azure SDK uploadFile', 'azure-upload-file', (target) => ({
        connectionString: AZURITE.connectionString,
        container,
        prefix: `${target}/`,
      })),
      before: async () => {
        await restartServer(ctx, 'azurite');
        const service = BlobServiceClient.fromConnectionString(AZURITE.connectionString);
        await service.getContainerClient(container).createIfNotExists();
      },
      after: () => restartServer(ctx, 'azurite'),
    },
    {
      id: 'memory-sftp',
      label: 'SFTP (sshd, to disk)',
      task: (target) => ({
        operation: 'export/sftp',
        host: SFTP.host,
        port: SFTP.port,
        username: SFTP.username,
        private_key: privateKey,
        path: `${sftpRoot}/${target}/`,
      }),
      // every run writes (over) the same file: only its memory is measured
      ...libraries(ctx, 'ssh2 fastPut', 'sftp-fastput', () => ({
        host: SFTP.host,
        port: SFTP.port,
        username: SFTP.username,
        privateKeyPath: SFTP.keys.ed25519,
        dir: sftpRoot,
      })),
      before: async () => {
        await fs.mkdir(join(SFTP.home, sftpRoot), { recursive: true });
        await runCommand(['chown', `${SFTP.username}:`, join(SFTP.home, sftpRoot)], {
          timeoutMs: 10_000,
        });
      },
      after: () => fs.rm(join(SFTP.home, sftpRoot), { recursive: true, force: true }),
    },
  ];
  const huge = describeSize(ctx.data.sizes.hugeBytes);
  const floor = await runtimeFloor(ctx).catch((error: unknown) => {
    ctx.log(`  runtime floor: ${String(error)}`);
    return undefined;
  });
  const floorText = floor
    ? `; floor, Node and one worker thread: ${Math.round(floor.rss)} MiB, ${floor.seconds.toFixed(2)} s`
    : '';
  const lines: Line[] = [];
  for (const d of destinations) {
    const title = `Peak memory: ${huge} upload to ${d.label}`;
    ctx.log(`${d.id}: ${title}`);
    let absolute: string;
    try {
      await d.before();
      // the fixed cost of an export, beside the library alone (alternating): time varies more
      // than memory, so medians of 3
      const tiny = [];
      const alone = [];
      const logged = [];
      const tool = outboxTool(ctx, d.task);
      for (let i = 1; i <= 3; i++) {
        tiny.push(await once(ctx, tool, ctx.data.tiny, `tiny${i}`));
        alone.push(await once(ctx, d.library, ctx.data.tiny, `library${i}`));
        logged.push(await once(ctx, d.libraryWithLog, ctx.data.tiny, `logged${i}`));
      }
      const baseline = medians(tiny);
      const library = medians(alone);
      const withLog = medians(logged);
      // the same export where a day of use left 1,000 jobs and the links of one export/url
      const home = join(ctx.scratch, `${d.id}-used`);
      const usedTool = outboxTool(ctx, d.task, 'Outbox', home);
      let warmUps = 0;
      await usedHome(home, ctx.data.scale, async () => {
        await once(ctx, usedTool, ctx.data.tiny, `used-warm-up${++warmUps}`);
      });
      const used = [];
      for (let i = 1; i <= 3; i++) used.push(await once(ctx, usedTool, ctx.data.tiny, `used${i}`));
      const inUse = medians(used);
      await fs.rm(home, { recursive: true, force: true });
      const share = (ceiling: { rss: number }) => (baseline.rss / ceiling.rss).toFixed(3);
      const big = await once(ctx, tool, ctx.data.huge, 'huge');
      const mbps = ctx.data.sizes.hugeBytes / 1e6 / big.seconds;
      absolute =
        `peak RSS **${Math.round(big.rss)} MiB**, ${mbps.toFixed(0)} MB/s (a 1 MiB export: ` +
        `${baseline.rss.toFixed(1)} MiB, ${baseline.seconds.toFixed(2)} s, ${baseline.cpu.toFixed(1)} CPU-s; ` +
        `the same upload by ${d.library.name} alone in one worker thread: ${library.rss.toFixed(1)} MiB, ${library.seconds.toFixed(2)} s ` +
        `(the export takes ${share(library)}× its memory), with a delivery log in its main thread: ` +
        `${withLog.rss.toFixed(1)} MiB, ${withLog.seconds.toFixed(2)} s (${share(withLog)}×); ` +
        `in a data directory a day of use left (1,000 jobs, the ${ctx.data.sizes.scaleCount.toLocaleString('en')} links of one export/url): ` +
        `${inUse.rss.toFixed(1)} MiB, ${inUse.seconds.toFixed(2)} s` +
        `${floorText}; so the large file adds ${Math.round(big.rss - baseline.rss)} MiB)`;
      ctx.log(`  ${absolute}`);
    } catch (error) {
      absolute = `ERROR: ${error instanceof Error ? error.message : String(error)}`;
      ctx.log(`  ${d.id}: FAILED ${absolute}`);
    } finally {
      await d.after().catch((error: unknown) => ctx.log(`  cleanup: ${String(error)}`));
    }
    lines.push({
      id: d.id,
      title,
      outbox: { tool: 'Outbox', samples: [] },
      peers: [],
      absolute,
    });
  }
  return lines;
}

type Run = { rss: number; seconds: number; cpu: number };

const medians = (runs: Run[]): Run => ({
  rss: median(runs.map((r) => r.rss)) ?? Number.NaN,
  seconds: median(runs.map((r) => r.seconds)) ?? Number.NaN,
  cpu: median(runs.map((r) => r.cpu)) ?? Number.NaN,
});

/** bench/ceilings/runtime-floor.cjs: what any command costs before Outbox's own code (median of 3). */
async function runtimeFloor(ctx: BenchContext): Promise<Run> {
  const floor: Tool = {
    name: 'runtime floor',
    command: () => ({
      argv: [process.execPath, join(ctx.repo, 'bench', 'ceilings', 'runtime-floor.cjs')],
    }),
  };
  const runs: Run[] = [];
  for (let i = 0; i < 3; i++) runs.push(await once(ctx, floor, '', `floor${i}`));
  return medians(runs);
}

async function once(ctx: BenchContext, tool: Tool, source: string, target: string): Promise<Run> {
  const command = await tool.command(source, target);
  const run = await measure(command.argv, {
    env: command.env,
    timeoutMs: ctx.timeoutMs * 2,
    scratch: ctx.scratch,
  });
  const error = (tool.failure ?? exitFailure)(run);
  if (error) throw new Error(error);
  if (run.rssMiB === undefined) throw new Error('no RSS figure from /usr/bin/time');
  return { rss: run.rssMiB, seconds: run.seconds, cpu: run.cpuSeconds ?? Number.NaN };
}
