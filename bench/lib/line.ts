import type { BenchContext } from './context';
import { measure, type Measured } from './proc';
import { inRotatingRounds, type Contender } from './rounds';
import { medianOf, type Figure, type Line } from './table';
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
 * Runs every tool `ctx.runs` times after one warm-up run, in rotating rounds
 * (rounds.ts); reports medians. A tool that fails is not run again on this
 * line; the board shows its error. A line over its time budget stops after the
 * round in progress (the title says so).
 */
export async function throughputLine(ctx: BenchContext, spec: ThroughputSpec): Promise<Line> {
  const tools = [spec.outbox, ...spec.peers, ...(spec.ceilings ?? [])];
  await warmUp(ctx, spec);
  const contenders = tools.map((tool): Contender<Measured> => ({
    name: tool.name,
    async run(round) {
      const target = `r${round + 1}-${tool.name.toLowerCase().replace(/[^a-z0-9]+/g, '')}`;
      try {
        const run = await runTool(ctx, spec, tool, target);
        const error = (tool.failure ?? exitFailure)(run);
        if (error) throw new Error(error);
        return run;
      } finally {
        await spec.afterRun?.(tool, target).catch((error: unknown) => {
          ctx.log(`  ${spec.id} ${tool.name}: cleanup failed: ${String(error)}`);
        });
      }
    },
    describe: (run) =>
      `${run.seconds.toFixed(2)} s, ${(spec.bytes / 1e6 / run.seconds).toFixed(1)} MB/s, ` +
      `${Math.round(run.rssMiB ?? 0)} MiB, ${(run.cpuSeconds ?? 0).toFixed(1)} CPU-s`,
  }));
  const { runs, errors, rounds } = await inRotatingRounds(
    ctx,
    spec.id,
    contenders,
    spec.budgetSeconds ?? ctx.budgetSeconds,
  );
  const figures: Figure[] = tools.map((tool, i) => {
    const done = runs[i] ?? [];
    const s = medianOf(done, (run) => run.seconds);
    const r = medianOf(done, (run) => run.rssMiB);
    const c = medianOf(done, (run) => run.cpuSeconds);
    return {
      tool: tool.name,
      samples: done.map((run) => run.seconds),
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
