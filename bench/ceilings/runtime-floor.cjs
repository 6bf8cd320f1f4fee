/**
 * The floor under any Outbox command: this Node, zod loaded the way the
 * built CLI loads it (the main thread validates every task with it) and one
 * worker thread started and stopped (exporters run in one); nothing else.
 * The memory suite shows it next to a 1 MiB export: what the fixed cost of
 * an export can come down to while it keeps those parts. (Plain CommonJS, as
 * the built CLI is: a .mts file would load Node's TypeScript stripper too.)
 *
 *   node bench/ceilings/runtime-floor.cjs
 */
const { Worker } = require('node:worker_threads');
require('zod');

const worker = new Worker('require("node:worker_threads").parentPort.postMessage("ready")', {
  eval: true,
});
worker.once('message', () => void worker.terminate());
