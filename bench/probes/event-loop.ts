/**
 * Runs one export in this process with the Engine (main thread + exporter
 * worker threads, as in the app's main process) and reports how late the main
 * thread's timers fired meanwhile (perf_hooks.monitorEventLoopDelay).
 *
 *   tsx bench/probes/event-loop.ts HOME SOURCE TASK_JSON   → one JSON line on stdout
 */
// first, as in the app's main process and the CLI
import '../../main/core/young-generation';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { loadConfig } from '../../main/core/config';
import { Engine } from '../../main/core/engine/engine';

const RESOLUTION_MS = 2;

async function main(): Promise<void> {
  const [home, source, taskJson] = process.argv.slice(2);
  if (!home || !source || !taskJson) throw new Error('usage: event-loop.ts HOME SOURCE TASK_JSON');
  const engine = await Engine.open(loadConfig({ ...process.env, OUTBOX_HOME: home }));
  // a UI listens to progress; so does this probe
  let updates = 0;
  const stopProgress = engine.on('progress', () => updates++);
  const job = {
    tasks: {
      'import-files': { operation: 'import/file', path: [source] },
      export: { ...(JSON.parse(taskJson) as object), input: 'import-files' },
    },
  };
  // The histogram records whole timer intervals: a sample is RESOLUTION_MS plus the delay.
  const histogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  histogram.enable();
  const t0 = performance.now();
  const record = await engine.run(job);
  const seconds = (performance.now() - t0) / 1000;
  histogram.disable();
  stopProgress();
  await engine.close();
  const task = record.tasks.find((t) => t.name === 'export');
  const ms = (ns: number) => Math.max(0, ns / 1e6 - RESOLUTION_MS);
  console.log(
    JSON.stringify({
      status: task?.status,
      error: task?.status === 'finished' ? undefined : `${task?.code}: ${task?.message}`,
      seconds,
      updates,
      p50: ms(histogram.percentile(50)),
      p99: ms(histogram.percentile(99)),
      max: ms(histogram.max),
      mean: ms(histogram.mean),
      resolution: RESOLUTION_MS,
    }),
  );
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exitCode = 1;
});
