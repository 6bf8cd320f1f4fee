import { startExporterThread } from '../core/engine/worker-thread';
import { exporterHint } from './operation-hint';

/**
 * Imported by the CLI before its other modules, for this effect: a command
 * that exports starts its exporter thread now, so the thread's start runs
 * beside the loading of the rest of the CLI instead of after it
 * (main/core/engine/worker-thread.ts), and the thread starts loading the
 * exporters the command line names (operation-hint.ts) before the job is planned.
 */
const hint = exporterHint(process.argv.slice(2));
if (hint) startExporterThread(hint.operations);
