import type { ErrorInfo } from '../errors';
import type { ProbeResult, ResumeContext, ResumeState } from '../exporters/exporter';
import type { UploadOperation } from '../exporters/registry';
import type { ResultFile } from '../transfer/records';
import type { TransferPolicy } from '../transfer/retry';
import type { SourceFile } from '../transfer/sources';

/**
 * Messages between the engine (main thread) and exporter workers. They travel
 * in batches (`WorkRequest[]`, `WorkReply[]`): a folder of small files costs
 * a few messages, not several per file.
 */

/** What every request about a task's destination carries. */
type ForTask = {
  id: number;
  operation: UploadOperation;
  params: Record<string, unknown>;
  /**
   * The parts of the task's secrets that its messages must not show
   * (hiddenPartsOf, worked out on the main thread: the workers load no task schemas).
   */
  hidden: string[];
};

/** The requests a worker runs: an upload, a probe, a share link. */
export type TaskRequest =
  | (ForTask & {
      type: 'upload';
      source: SourceFile;
      name: string;
      /** An unfinished earlier upload of this file to this name. */
      previous?: ResumeContext['previous'];
      /** Slots of the bandwidth limits (WorkerData's buckets) its bytes count against. */
      limits: number[];
    })
  /** `path`: where the probe writes, from the descriptor (the workers load none). */
  | (ForTask & { type: 'probe'; path: string })
  /** Sign a download link for `file`, stored by an earlier upload with these params. */
  | (ForTask & { type: 'share'; file: ResultFile; expires_in: number });

export type WorkRequest =
  | TaskRequest
  /** `pause`: stop, but keep the partial upload to continue later. */
  | { type: 'cancel'; id: number; pause?: boolean }
  /**
   * Load these exporters now (their SDKs), before their first file arrives. The names may be
   * guesses from the command line, made before anything was validated
   * (main/cli/operation-hint.ts): one with no exporter is ignored (warmExporters).
   */
  | { type: 'load'; operations: string[] }
  /** The checkpoint of upload `id` is on disk. */
  | { type: 'checkpoint-saved'; id: number }
  /** A worker's first message (it may start before the engine knows these). */
  | ({ type: 'init' } & WorkerData);

export type WorkReply =
  /** Bytes sent since the previous report (negative when a try restarts). */
  | { type: 'progress'; id: number; bytes: number }
  /** Resume state to persist before the upload goes on; answered by 'checkpoint-saved'. */
  | { type: 'checkpoint'; id: number; state: ResumeState }
  | { type: 'done'; id: number; result: ResultFile | ProbeResult }
  | { type: 'failed'; id: number; error: ErrorInfo };

/**
 * What every worker gets first (its 'init' message): the bandwidth limits it reads, and
 * how its transfers retry and when they count as stalled.
 */
export type WorkerData = { buckets: SharedArrayBuffer; policy: TransferPolicy };
