import type { ErrorInfo } from '../errors';
import type { ProbeResult, ResumeContext, ResumeState } from '../exporters/exporter';
import type { ExportOperation } from '../tasks/operations';
import type { ResultFile } from '../transfer/records';
import type { SourceFile } from '../transfer/sources';

/**
 * Messages between the engine (main thread) and exporter workers. They travel
 * in batches (`WorkRequest[]`, `WorkReply[]`): a folder of small files costs
 * a few messages, not several per file. `hidden`: the parts of the task's
 * secrets that its messages must not show (hiddenPartsOf, worked out on the
 * main thread: the workers load no task schemas).
 */
export type WorkRequest =
  | {
      type: 'upload';
      id: number;
      operation: ExportOperation;
      params: Record<string, unknown>;
      hidden: string[];
      source: SourceFile;
      name: string;
      /** An unfinished earlier upload of this file to this name. */
      previous?: ResumeContext['previous'];
      /** A try that moves no byte for this long is aborted as stalled. */
      idleTimeoutMs: number;
    }
  | {
      type: 'probe';
      id: number;
      operation: ExportOperation;
      params: Record<string, unknown>;
      hidden: string[];
    }
  /** Sign a download link for `file`, stored by an earlier upload with these params. */
  | {
      type: 'share';
      id: number;
      operation: ExportOperation;
      params: Record<string, unknown>;
      hidden: string[];
      file: ResultFile;
      expires_in: number;
    }
  | { type: 'cancel'; id: number }
  /** Load these exporters now (their SDKs), before their first file arrives. */
  | { type: 'load'; operations: ExportOperation[] }
  /** The checkpoint of upload `id` is on disk. */
  | { type: 'checkpoint-saved'; id: number };

export type WorkReply =
  /** Bytes sent since the previous report (negative when a try restarts). */
  | { type: 'progress'; id: number; bytes: number }
  /** Resume state to persist before the upload goes on; answered by 'checkpoint-saved'. */
  | { type: 'checkpoint'; id: number; state: ResumeState }
  | { type: 'done'; id: number; result: ResultFile | ProbeResult }
  | { type: 'failed'; id: number; error: ErrorInfo };
