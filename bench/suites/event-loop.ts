import { CreateBucketCommand, DeleteBucketCommand } from '@aws-sdk/client-s3';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { RGW, s3TaskOf } from '../../test/support/servers';
import type { BenchContext } from '../lib/context';
import { failedLine } from '../lib/line';
import { lastLine, runCommand } from '../lib/proc';
import type { Line } from '../lib/table';
import { describeSize, sourceBytes } from '../lib/units';
import { adminClient, emptyPrefix, rgwCollectGarbage } from './s3';

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
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
  } catch (error) {
    client.destroy();
    return cases.map((c) => failedLine(c.id, title(c.what), error));
  }
  const lines: Line[] = [];
  try {
    for (const c of cases) {
      ctx.log(`${c.id}: ${title(c.what)}`);
      const home = join(ctx.scratch, c.id);
      await fs.mkdir(home, { recursive: true });
      const task = {
        ...s3TaskOf(RGW),
        bucket,
        key_prefix: `${c.id}/`,
      };
      const tsx = join(ctx.repo, 'node_modules', '.bin', 'tsx');
      const script = join(ctx.repo, 'bench', 'probes', 'event-loop.ts');
      const r = await runCommand([tsx, script, home, c.source, JSON.stringify(task)], {
        timeoutMs: ctx.timeoutMs,
        cwd: ctx.repo,
      });
      let absolute: string;
      try {
        const probe = JSON.parse(r.stdout.trim().split('\n').pop() ?? '') as Probe;
        if (probe.status !== 'finished') throw new Error(probe.error ?? 'export failed');
        const bytes = await sourceBytes(c.source);
        absolute =
          `p99 **${probe.p99.toFixed(1)} ms**, max ${probe.max.toFixed(1)} ms, p50 ${probe.p50.toFixed(1)} ms ` +
          `(timer every ${probe.resolution} ms; ${(bytes / 1e6 / probe.seconds).toFixed(0)} MB/s, ${probe.updates} progress events)`;
      } catch (error) {
        absolute = `ERROR: ${error instanceof Error ? error.message : String(error)} ${lastLine(r.stderr)}`;
      }
      ctx.log(`  ${absolute}`);
      lines.push({
        id: c.id,
        title: title(c.what),
        outbox: { tool: 'Outbox', samples: [] },
        peers: [],
        absolute,
      });
      await emptyPrefix(client, bucket, `${c.id}/`);
      await rgwCollectGarbage();
    }
  } finally {
    await emptyPrefix(client, bucket, '').catch(() => undefined);
    await client.send(new DeleteBucketCommand({ Bucket: bucket })).catch(() => undefined);
    await rgwCollectGarbage();
    client.destroy();
  }
  return lines;
}
