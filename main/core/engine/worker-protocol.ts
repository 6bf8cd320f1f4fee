import type { ErrorInfo } from '../errors';
import type { ProbeResult } from '../exporters/exporter';
import type { ExportOperation } from '../tasks/operations';
import type { ResultFile } from './records';
import type { SourceFile } from './sources';

/** Messages between the engine (main thread) and exporter workers. */
export type WorkRequest =
  | {
      type: 'upload';
      id: number;
      operation: ExportOperation;
      params: Record<string, unknown>;
      source: SourceFile;
      name: string;
    }
  | { type: 'probe'; id: number; operation: ExportOperation; params: Record<string, unknown> }
  | { type: 'cancel'; id: number };

export type WorkReply =
  /** Bytes sent since the previous report (negative when a try restarts). */
  | { type: 'progress'; id: number; bytes: number }
  | { type: 'done'; id: number; result: ResultFile | ProbeResult }
  | { type: 'failed'; id: number; error: ErrorInfo };
