import type { Worker } from 'node:worker_threads';
import { EXPORTER_THREAD, startThread } from '../thread-entry';
import type { WorkerData, WorkRequest } from './worker-protocol';

/**
 * Starting an exporter thread: a new V8 isolate and Node's bootstrap in it
 * take ~0.1 s, a fifth of a small export. A command that exports starts one
 * before it loads the rest of its code (startExporterThread), and the
 * engine's pool adopts it (newExporterThread); the pool starts any others.
 * This module stays light: it is loaded before everything else.
 */

/**
 * A bounded young generation (V8 lets semi-spaces grow to 16 MiB). The SFTP upload,
 * whose garbage buffers made it 3 MiB once, now paces its own collections
 * (COLLECT_EVERY in sftp/pipelined-write.ts): its 1 GiB peak RSS is the same
 * at 3 and 16 MiB. At 3 MiB the SDKs' per-request objects of many small files
 * (32 in flight) outlived scavenges and filled the old generation: 2,000 files
 * to GCS and S3 spent ~10 % more CPU, 20,000 to S3 peaked 16 MiB higher.
 * The process's --semi-space-growth-factor=1 (young-generation.ts) holds these
 * threads' new space near 6 MiB (16 MiB without it).
 */
const WORKER_OPTIONS = { resourceLimits: { maxYoungGenerationSizeMb: 16 } };

/** The thread started ahead of the pool, until the pool takes it. */
let started: Worker | undefined;

/**
 * Starts an exporter thread now, while the caller loads and validates, and
 * has it load the exporters of `operations` (a guess, unchecked: the thread
 * ignores a name with no exporter). It does not keep the process alive: a
 * command that fails before exporting exits as before.
 */
export function startExporterThread(operations: readonly string[] = []): void {
  if (started) return;
  const worker = startThread(EXPORTER_THREAD, WORKER_OPTIONS);
  worker.unref();
  if (operations.length > 0)
    worker.postMessage([{ type: 'load', operations: [...operations] }] satisfies WorkRequest[]);
  // one that died before the pool took it is not handed out
  worker.once('exit', () => {
    if (started === worker) started = undefined;
  });
  started = worker;
}

/** An exporter thread for the pool, told what every worker gets: the one started ahead, or a new one. */
export function newExporterThread(data: WorkerData): Worker {
  const worker = started ?? startThread(EXPORTER_THREAD, WORKER_OPTIONS);
  started = undefined;
  worker.ref();
  worker.postMessage([{ type: 'init', ...data }] satisfies WorkRequest[]);
  return worker;
}
