import { startExporterThread } from '../core/engine/worker-thread';

/**
 * Imported by the CLI before its other modules, for this effect: a command
 * that exports starts its exporter thread now, so the thread's start runs
 * beside the loading of the rest of the CLI instead of after it
 * (main/core/engine/worker-thread.ts).
 */
const EXPORTING = new Set(['export', 'run', 'test']);

const [name, ...rest] = process.argv.slice(2);
if (name && EXPORTING.has(name) && !rest.includes('--help') && !rest.includes('-h')) {
  startExporterThread();
}
