import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../../test/support/net';
import { ceilingTool } from '../lib/ceiling';
import { outboxBin, type BenchContext } from '../lib/context';
import { failedLine } from '../lib/line';
import { killGroup, lastLine, measure, runCommand, sleep, track, type Measured } from '../lib/proc';
import { inRotatingRounds } from '../lib/rounds';
import { cellText, medianOf, type Line } from '../lib/table';
import { describeDelay, eventLoopDelay } from './event-loop';

/**
 * The link server at scale: a folder of 100,000 files (100 folders × 1,000
 * one-byte files) exported as one ZIP link, and 10,000 of them as separate
 * links; the CLI's wall time, peak RSS and CPU, as users run it, beside the
 * same checks, link and record with no Outbox code (the ZIP's ceiling); the main
 * thread's event-loop delay meanwhile (bench/probes/event-loop.ts runs the
 * same export in the Engine, as the app does); and how long the 100,000-file
 * ZIP takes to download.
 */

type Shape = { folders: number; files: number };

/** 100 × 1,000 one-byte files, written once and reused while the shape matches. */
async function scaleData(ctx: BenchContext, shape: Shape): Promise<string> {
  const dir = join(ctx.data.dir, 'link-scale');
  const marker = join(ctx.data.dir, '.link-scale.done');
  const spec = `${shape.folders}x${shape.files}x1`;
  if ((await fs.readFile(marker, 'utf8').catch(() => '')) === spec) return dir;
  await fs.rm(dir, { recursive: true, force: true });
  const t0 = Date.now();
  for (let f = 0; f < shape.folders; f++) {
    const folder = join(dir, `folder-${String(f).padStart(3, '0')}`);
    await fs.mkdir(folder, { recursive: true });
    await Promise.all(
      Array.from({ length: shape.files }, (_, i) =>
        fs.writeFile(join(folder, `file-${String(i).padStart(4, '0')}.txt`), String(i % 10)),
      ),
    );
  }
  await fs.writeFile(marker, spec);
  ctx.log(`generated link-scale (${spec}) in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return dir;
}

type Run = Pick<Measured, 'seconds' | 'rssMiB' | 'cpuSeconds' | 'stdout'>;
/** An export's run, with the data directory it made (the ZIP line downloads from the last). */
type ExportRun = Run & { home: string };

/** `outbox export --task TASK SOURCES --json` on a fresh data directory, measured. */
async function exportOnce(
  ctx: BenchContext,
  name: string,
  task: Record<string, unknown>,
  sources: string[],
  port: number,
  round: number,
): Promise<ExportRun> {
  const home = join(ctx.scratch, `${name}-${round}`);
  await fs.mkdir(home, { recursive: true });
  const taskFile = join(ctx.scratch, `${name}.json`);
  await fs.writeFile(taskFile, JSON.stringify({ operation: 'export/url', ...task }));
  const run = await measure(
    [process.execPath, outboxBin(ctx), 'export', '--task', taskFile, ...sources, '--json'],
    {
      env: { ...process.env, OUTBOX_HOME: home, OUTBOX_PORT: String(port) },
      timeoutMs: ctx.timeoutMs,
      scratch: ctx.scratch,
    },
  );
  if (!run.ok) throw new Error(`export: ${lastLine(run.stderr) || lastLine(run.stdout)}`);
  return { ...run, home };
}

/**
 * The ZIP line's ceiling (bench/ceilings/zip-link-floor.mts): the same checks
 * of the same files and a durable link and record of them, with no Outbox
 * code; what it writes is removed after each run.
 */
async function zipFloorOnce(ctx: BenchContext, dir: string, round: number): Promise<Run> {
  const out = join(ctx.scratch, `zip-floor-${round}`);
  const tool = ceilingTool(ctx, 'zip-link-floor', 'zip-link-floor', (target) => ({ dir: target }));
  const { argv, env } = await tool.command(dir, out);
  try {
    const run = await measure(argv, { env, timeoutMs: ctx.timeoutMs, scratch: ctx.scratch });
    if (!run.ok) throw new Error(`zip-link-floor: ${lastLine(run.stderr) || lastLine(run.stdout)}`);
    return run;
  } finally {
    await fs.rm(out, { recursive: true, force: true });
  }
}

/** The median of one figure over runs (NaN when no run has it). */
function medianOrNaN(runs: Run[], figure: (run: Run) => number | undefined): number {
  return medianOf(runs, figure) ?? NaN;
}

function summary(runs: Run[]): string {
  return (
    `**${medianOrNaN(runs, (r) => r.seconds).toFixed(2)} s**, ${Math.round(medianOrNaN(runs, (r) => r.rssMiB))} MiB peak RSS, ` +
    `${medianOrNaN(runs, (r) => r.cpuSeconds).toFixed(1)} CPU-s (median of ${runs.length})`
  );
}

/** Serves `home`'s links on `port` and times one curl of `url` (to /dev/null). */
async function downloadSeconds(ctx: BenchContext, home: string, port: number, url: string) {
  const child = track(
    spawn(process.execPath, [outboxBin(ctx), 'serve'], {
      env: { ...process.env, OUTBOX_HOME: home, OUTBOX_PORT: String(port) },
      stdio: 'ignore',
      detached: true,
    }),
  );
  try {
    for (let i = 0; i < 200; i++) {
      const up = await runCommand(
        ['curl', '-s', '-o', '/dev/null', `http://127.0.0.1:${port}/healthz`],
        {
          timeoutMs: 5000,
        },
      );
      if (up.ok) break;
      await sleep(100);
    }
    const r = await runCommand(
      ['curl', '-fsS', '-o', '/dev/null', '-w', '%{time_total} %{size_download}', url],
      { timeoutMs: ctx.timeoutMs },
    );
    if (!r.ok) throw new Error(`download: ${lastLine(r.stderr)}`);
    const [seconds = NaN, bytes = NaN] = r.stdout.trim().split(' ').map(Number);
    return { seconds, bytes };
  } finally {
    killGroup(child, 'SIGTERM');
  }
}

export async function scaleLines(ctx: BenchContext): Promise<Line[]> {
  const shape: Shape = ctx.quick ? { folders: 10, files: 1000 } : { folders: 100, files: 1000 };
  const total = shape.folders * shape.files;
  const separate = Math.min(10, shape.folders);
  const titles = {
    zip: `Scale: ${total.toLocaleString('en')} files (${shape.folders} folders × ${shape.files.toLocaleString('en')} × 1 B) as one ZIP link: outbox export (goal < 3 s, ≤ 256 MiB)`,
    links: `Scale: ${(separate * shape.files).toLocaleString('en')} files (${separate} folders × ${shape.files.toLocaleString('en')} × 1 B) as separate links: outbox export`,
  };
  const line = (id: string, title: string, absolute: string): Line => ({
    id,
    title,
    outbox: { tool: 'Outbox', samples: [] },
    peers: [],
    absolute,
  });
  let dir: string;
  try {
    dir = await scaleData(ctx, shape);
  } catch (error) {
    return [
      failedLine('scale-zip', titles.zip, error),
      failedLine('scale-links', titles.links, error),
    ];
  }
  const lines: Line[] = [];
  const zipTask = { archive_multiple_files: true };
  try {
    ctx.log(`scale-zip: ${titles.zip}`);
    const port = await freePort();
    const seconds = (run: Run) => `${run.seconds.toFixed(2)} s`;
    // Outbox and its ceiling in turn, the order rotating each round: this machine's speed drifts
    const { runs: measured, errors } = await inRotatingRounds<Run>(ctx, 'scale-zip', [
      {
        name: 'Outbox',
        run: (round) => exportOnce(ctx, 'scale-zip', zipTask, [dir], port, round),
        describe: seconds,
      },
      { name: 'zip-link-floor', run: (round) => zipFloorOnce(ctx, dir, round), describe: seconds },
    ]);
    if (errors[0]) throw new Error(errors[0]);
    const [runs = [], floor = []] = measured;
    const last = runs.at(-1) as ExportRun; // the Outbox contender's runs are exportOnce's
    // A ceiling that fails keeps Outbox's figures; the line says why.
    const ceiling = errors[1]
      ? `ERROR: ${cellText(errors[1])}`
      : `${summary(floor)} → Outbox ÷ ceiling **${(medianOrNaN(floor, (r) => r.seconds) / medianOrNaN(runs, (r) => r.seconds)).toFixed(2)}×**`;
    const url = /"url":\s*"([^"]+)"/.exec(last.stdout)?.[1] ?? '';
    const download = await downloadSeconds(ctx, last.home, port, url);
    const delay = await eventLoopDelay(ctx, 'scale-event-loop', dir, {
      operation: 'export/url',
      ...zipTask,
    });
    lines.push(
      line(
        'scale-zip',
        titles.zip,
        `${summary(runs)}; the same checks, link and record with no Outbox code ` +
          `(zip-link-floor): ${ceiling}; ` +
          `event-loop delay, ${describeDelay(delay)}; the ZIP (${(download.bytes / 1e6).toFixed(1)} MB) downloads in ${download.seconds.toFixed(1)} s`,
      ),
    );
  } catch (error) {
    lines.push(failedLine('scale-zip', titles.zip, error));
  }
  try {
    ctx.log(`scale-links: ${titles.links}`);
    const folders = (await fs.readdir(dir))
      .sort()
      .slice(0, separate)
      .map((f) => join(dir, f));
    const port = await freePort();
    const { runs: measured, errors } = await inRotatingRounds<Run>(ctx, 'scale-links', [
      {
        name: 'Outbox',
        run: (round) => exportOnce(ctx, 'scale-links', {}, folders, port, round),
        describe: (run) => `${run.seconds.toFixed(2)} s`,
      },
    ]);
    const runs = measured[0] ?? [];
    if (errors[0]) throw new Error(errors[0]);
    lines.push(line('scale-links', titles.links, summary(runs)));
  } catch (error) {
    lines.push(failedLine('scale-links', titles.links, error));
  }
  return lines;
}
