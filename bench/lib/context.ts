import { join } from 'node:path';
import type { Dataset } from './data';

/** Everything a suite needs to know about this benchmark run. */
export type BenchContext = {
  repo: string;
  data: Dataset;
  /** Measured runs per tool and line (median reported). */
  runs: number;
  quick: boolean;
  /** Private scratch space of this run (task files, data dirs, configs); removed at the end. */
  scratch: string;
  /** A random suffix for bucket/container/folder names, so runs never collide. */
  tag: string;
  /** Default time budget of one line (see throughputLine). */
  budgetSeconds: number;
  /** Per-command time limit. */
  timeoutMs: number;
  log: (message: string) => void;
};

export const outboxBin = (ctx: BenchContext) => join(ctx.repo, 'bin', 'outbox.js');
