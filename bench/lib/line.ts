import type { BenchContext } from './context';
import { measure } from './proc';
import { median, type Figure, type Line } from './table';
import { exitFailure, type Tool } from './tool';

export type ThroughputSpec = {
  id: string;
  title: string;
  /** File or folder every tool sends. */
  source: string;
  bytes: number;
  outbox: Tool;
  peers: Tool[];
  /** The protocol's own library (or curl) with no Outbox code around it: see bench/ceilings/. */
  ceilings?: Tool[];
  /** Not timed: e.g. restart an in-memory server, create the target folder. */
  beforeRun?: (tool: Tool, target: string) => Promise<void>;
  /** Not timed: delete what the run stored. */
  afterRun?: (tool: Tool, target: string) => Promise<void>;
  /** No new round starts once the line has used this much time (after its first round). */
  budgetSeconds?: number;
};

/**
 * Runs every tool `ctx.runs` times after one warm-up run, rotating the order
 * each round so drift (page cache, a server's state) does not favour one tool;
 * reports medians.
 * A tool that fails is not run again on this line; the board shows its error.
 * A line over its time budget stops after the round in progress (the title says so).
 */
export async function throughputLine(ctx: BenchContext, spec: ThroughputSpec): Promise<Line> {
  const ceilings = spec.ceilings ?? [];
  const tools = [spec.outbox, ...spec.peers, ...ceilings];
  const seconds = tools.map(() => [] as number[]);
  const rss = tools.map(() => [] as number[]);
  const cpu = tools.map(() => [] as number[]);
  const errors = tools.map(() => undefined as string | undefined);
  await warmUp(ctx, spec);
  const started = Date.now();
  const budget = spec.budgetSeconds ?? ctx.budgetSeconds;
  let rounds = 0;
  for (let round = 0; round < ctx.runs; round++) {
    const elapsed = (Date.now() - started) / 1000;
    if (round > 0 && elapsed + elapsed / round > budget) {
      ctx.log(`  ${spec.id}: stopping after ${round} run(s): over its ${budget} s budget`);
      break;
    }
    rounds++;
    for (let k = 0; k < tools.length; k++) {
      const i = (k + round) % tools.length;
      const tool = tools[i];
      if (!tool || errors[i] !== undefined) continue;
      const target = `r${round + 1}-${tool.name.toLowerCase().replace(/[^a-z0-9]+/g, '')}`;
      try {
        const run = await runTool(ctx, spec, tool, target);
        const error = (tool.failure ?? exitFailure)(run);
        if (error) {
          errors[i] = error;
          ctx.log(`  ${spec.id} ${tool.name}: FAILED ${error}`);
        } else {
          seconds[i]?.push(run.seconds);
          if (run.rssMiB !== undefined) rss[i]?.push(run.rssMiB);
          if (run.cpuSeconds !== undefined) cpu[i]?.push(run.cpuSeconds);
          ctx.log(
            `  ${spec.id} ${tool.name} run ${round + 1}: ${run.seconds.toFixed(2)} s, ` +
              `${(spec.bytes / 1e6 / run.seconds).toFixed(1)} MB/s, ${Math.round(run.rssMiB ?? 0)} MiB, ` +
              `${(run.cpuSeconds ?? 0).toFixed(1)} CPU-s`,
          );
        }
      } catch (error) {
        errors[i] = error instanceof Error ? error.message : String(error);
        ctx.log(`  ${spec.id} ${tool.name}: FAILED ${errors[i]}`);
      } finally {
        await spec.afterRun?.(tool, target).catch((error: unknown) => {
          ctx.log(`  ${spec.id} ${tool.name}: cleanup failed: ${String(error)}`);
        });
      }
    }
  }
  const figures: Figure[] = tools.map((tool, i) => {
    const s = median(seconds[i] ?? []);
    const r = median(rss[i] ?? []);
    const c = median(cpu[i] ?? []);
    return {
      tool: tool.name,
      samples: seconds[i] ?? [],
      ...(s === undefined ? {} : { mbps: spec.bytes / 1e6 / s }),
      ...(r === undefined ? {} : { rssMiB: r }),
      ...(c === undefined ? {} : { cpuSeconds: c }),
      ...(errors[i] === undefined ? {} : { error: errors[i] }),
    };
  });
  const [outbox, ...others] = figures;
  if (!outbox) throw new Error('no Outbox figure');
  const title =
    rounds < ctx.runs ? `${spec.title} (${rounds} run${rounds > 1 ? 's' : ''})` : spec.title;
  const peers = others.slice(0, spec.peers.length);
  return { id: spec.id, title, outbox, peers, ceilings: others.slice(spec.peers.length) };
}

/** One run of `tool` on the line's source, measured (setup before it is not). */
async function runTool(ctx: BenchContext, spec: ThroughputSpec, tool: Tool, target: string) {
  await spec.beforeRun?.(tool, target);
  const command = await tool.command(spec.source, target);
  return measure(command.argv, {
    env: command.env,
    timeoutMs: ctx.timeoutMs,
    scratch: ctx.scratch,
  });
}

/**
 * One run of the line's first tool before the measured rounds, not counted: a
 * server's first writes after it starts are slow (RGW's first 1 GiB upload ran
 * at half the speed of the next in every board, whichever tool made it), and
 * round 1 always starts with the same tool. A failure here is the first
 * round's to report.
 */
async function warmUp(ctx: BenchContext, spec: ThroughputSpec): Promise<void> {
  const tool = spec.outbox;
  const target = 'warm-up';
  try {
    const run = await runTool(ctx, spec, tool, target);
    ctx.log(`  ${spec.id} warm-up (${tool.name}, not counted): ${run.seconds.toFixed(2)} s`);
  } catch (error) {
    ctx.log(
      `  ${spec.id} warm-up failed: ${error instanceof Error ? error.message : String(error)}`,
    );
  } finally {
    await spec.afterRun?.(tool, target).catch(() => undefined);
  }
}

/** A line that could not run at all (setup failed): the error shows on it. */
export function failedLine(id: string, title: string, error: unknown): Line {
  const message = error instanceof Error ? error.message : String(error);
  return { id, title, outbox: { tool: 'Outbox', samples: [], error: message }, peers: [] };
}
