/**
 * Runs a ceiling script in one worker thread: the shape Outbox's exporters
 * run in (a thread of their own, so that secrets stay in it). The memory
 * suite sets the protocol's library alone, in that shape, beside a 1 MiB
 * export: what the export's peak RSS could come down to with no Outbox code.
 *
 *   CEILING=… node bench/ceilings/in-worker.mts CEILING_SCRIPT SOURCE
 */
import { resolve } from 'node:path';
import { Worker } from 'node:worker_threads';

const [script, source] = process.argv.slice(2);
if (!script || !source) {
  console.error('usage: CEILING=JSON node in-worker.mts CEILING_SCRIPT SOURCE');
  process.exit(2);
}
// the script reads CEILING from its (copied) environment and SOURCE as its argv[2]
const worker = new Worker(resolve(script), { argv: [source] });
worker.on('error', (error) => {
  console.error(error.message);
  process.exitCode = 1;
});
worker.on('exit', (code) => {
  process.exitCode ||= code;
});
