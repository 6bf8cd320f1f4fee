import { DeleteBucketCommand } from '@aws-sdk/client-s3';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { RGW, s3TaskOf } from '../../test/support/servers';
import type { BenchContext } from '../lib/context';
import { failedLine } from '../lib/line';
import { lastLine, runCommand } from '../lib/proc';
import { median, type Line } from '../lib/table';
import { describeSize, sourceBytes } from '../lib/units';
import { adminClient, emptyPrefix, freshRgwBucket, rgwCollectGarbage } from './s3';

type Probe = {
  status?: string;
  error?: string;
  seconds: number;
  updates: number;
  p50: number;
  p99: number;
  max: number;
  mean: number;
  resolution: number;
};

/** The medians of `ctx.runs` probe runs, and each run's p99. */
export type EventLoopDelay = Omit<Probe, 'status' | 'error' | 'mean'> & { p99s: number[] };

/**
 * Runs the probe (bench/probes/event-loop.ts: the Engine exporting `source`
 * with `task`, as the app's main process does) `ctx.runs` times, each on a
 * fresh data directory under `name`, `afterRun` between runs; one run's p99
 * rests on its few slowest timers, so the line reports the medians.
 */
export async function eventLoopDelay(
  ctx: BenchContext,
  name: string,
  source: string,
  task: object,
  afterRun: () => Promise<void> = async () => undefined,
): Promise<EventLoopDelay> {
  const tsx = join(ctx.repo, 'node_modules', '.bin', 'tsx');
  const script = join(ctx.repo, 'bench', 'probes', 'event-loop.ts');
  const probes: Probe[] = [];
  for (let run = 0; run < ctx.runs; run++) {
    const home = join(ctx.scratch, `${name}-${run}`);
    await fs.mkdir(home, { recursive: true });
    const r = await runCommand([tsx, script, home, source, JSON.stringify(task)], {
      timeoutMs: ctx.timeoutMs,
      cwd: ctx.repo,
    });
    const probe = JSON.parse(r.stdout.trim().split('\n').pop() || '{}') as Partial<Probe>;
    if (probe.status !== 'finished') {
      throw new Error(`event-loop probe: ${probe.error ?? lastLine(r.stderr)}`);
    }
    probes.push(probe as Probe);
    await afterRun();
  }
  const med = (pick: (p: Probe) => number) => median(probes.map(pick)) ?? NaN;
  return {
    seconds: med((p) => p.seconds),
    updates: med((p) => p.updates),
    p50: med((p) => p.p50),
    p99: med((p) => p.p99),
    max: med((p) => p.max),
    resolution: probes[0]?.resolution ?? NaN,
    p99s: probes.map((p) => p.p99),
  };
}

/** "medians of 3: p99 X ms (runs: a, b, c), max Y ms, p50 Z ms", each run's p99 too. */
export function describeDelay(delay: EventLoopDelay): string {
  const runs = delay.p99s.map((p99) => p99.toFixed(1)).join(', ');
  return (
    `medians of ${delay.p99s.length}: p99 **${delay.p99.toFixed(1)} ms** (runs: ${runs}), ` +
    `max ${delay.max.toFixed(1)} ms, p50 ${delay.p50.toFixed(1)} ms`
  );
}

/**
 * The main thread's event-loop delay while the Engine exports (S3 on RGW):
 * the UI shares that thread, so it must stay free while workers move bytes.
 * The probe runs the Engine from source through tsx (bench/probes/event-loop.ts).
 */
export async function eventLoopLines(ctx: BenchContext): Promise<Line[]> {
  const bucket = `outbox-bench-el-${ctx.tag}`;
  const client = adminClient(RGW);
  const { sizes } = ctx.data;
  const cases = [
    { id: 'event-loop-big', source: ctx.data.big, what: describeSize(sizes.bigBytes) },
    {
      id: 'event-loop-small',
      source: ctx.data.small,
      what: describeSize(sizes.smallBytes, sizes.smallCount),
    },
    {
      id: 'event-loop-scale',
      source: ctx.data.scale,
      what: describeSize(sizes.scaleBytes, sizes.scaleCount),
    },
  ];
  const title = (what: string) => `Main-thread event-loop delay, export of ${what} to S3 (RGW)`;
  try {
    await freshRgwBucket(ctx, client, bucket);
  } catch (error) {
    client.destroy();
    return cases.map((c) => failedLine(c.id, title(c.what), error));
  }
  // Each export writes under its own prefix, emptied (and RGW's garbage collected) after it.
  const taskUnder = (prefix: string) => ({ ...s3TaskOf(RGW), bucket, key_prefix: `${prefix}/` });
  const emptied = (prefix: string) => async () => {
    await emptyPrefix(client, bucket, `${prefix}/`);
    await rgwCollectGarbage();
  };
  const lines: Line[] = [];
  try {
    // A freshly started RGW takes its first 1 GiB at half speed (line.ts's warmUp): one export first.
    ctx.log(`event-loop warm-up: one export of the ${describeSize(sizes.bigBytes)}, not counted`);
    await eventLoopDelay(
      { ...ctx, runs: 1 },
      'event-loop-warm-up',
      ctx.data.big,
      taskUnder('warm-up'),
      emptied('warm-up'),
    ).catch((error: unknown) => ctx.log(`  event-loop warm-up failed: ${String(error)}`));
    for (const c of cases) {
      ctx.log(`${c.id}: ${title(c.what)}`);
      let absolute: string;
      try {
        const delay = await eventLoopDelay(ctx, c.id, c.source, taskUnder(c.id), emptied(c.id));
        const bytes = await sourceBytes(c.source);
        absolute =
          `${describeDelay(delay)} (timer every ${delay.resolution} ms; ` +
          `${(bytes / 1e6 / delay.seconds).toFixed(0)} MB/s, ${delay.updates} progress events)`;
      } catch (error) {
        absolute = `ERROR: ${error instanceof Error ? error.message : String(error)}`;
      }
      ctx.log(`  ${absolute}`);
      lines.push({
        id: c.id,
        title: title(c.what),
        outbox: { tool: 'Outbox', samples: [] },
        peers: [],
        absolute,
      });
    }
  } finally {
    await emptyPrefix(client, bucket, '').catch(() => undefined);
    await client.send(new DeleteBucketCommand({ Bucket: bucket })).catch(() => undefined);
    await rgwCollectGarbage();
    client.destroy();
  }
  return lines;
}
