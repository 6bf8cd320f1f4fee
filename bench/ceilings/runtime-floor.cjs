/**
 * The floor under any Outbox command: this Node and one worker thread
 * started and stopped (exporters run in one, so that credentials stay in the
 * thread that uses them); nothing else. The memory suite shows it next to a
 * 1 MiB export: what the fixed cost of an export can come down to while it
 * keeps that shape. What an export adds above it is Outbox's own: its code,
 * zod and the task schemas (bundled into the CLI), the exporter's SDK in the
 * worker. (Plain CommonJS, as the built CLI is: a .mts file would load
 * Node's TypeScript stripper too.)
 *
 *   node bench/ceilings/runtime-floor.cjs
 */
const { Worker } = require('node:worker_threads');

const worker = new Worker('require("node:worker_threads").parentPort.postMessage("ready")', {
  eval: true,
});
worker.once('message', () => void worker.terminate());
