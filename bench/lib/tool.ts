import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { outboxBin, type BenchContext } from './context';
import { lastLine, type Measured } from './proc';

/** One contender of a line: a command that sends `source` to the place named by `target`. */
export type Tool = {
  name: string;
  /** The command; `target` is unique per run and tool (a key prefix / folder name). */
  command: (source: string, target: string) => Promise<Command> | Command;
  /** An error message when the run did not do its job although the command exited (or failed). */
  failure?: (run: Measured) => string | undefined;
};

export type Command = { argv: string[]; env?: NodeJS.ProcessEnv };

/** Generic failure: non-zero exit, with the last line the tool printed. */
export function exitFailure(run: Measured): string | undefined {
  if (run.ok) return undefined;
  return `exit ${run.code ?? 'killed'}: ${lastLine(run.stderr) || lastLine(run.stdout) || 'no output'}`;
}

type JobSummary = {
  status: string;
  tasks: { name: string; status: string; code?: string; message?: string }[];
};

/** The export task's error from `outbox export --json`, or the CLI's own error line. */
export function outboxFailure(run: Measured): string | undefined {
  let summary: JobSummary | undefined;
  try {
    summary = JSON.parse(run.stdout) as JobSummary;
  } catch {
    return exitFailure(run) ?? 'no JSON on stdout';
  }
  const task = summary.tasks.find((t) => t.name === 'export');
  if (summary.status === 'finished' && task?.status === 'finished') return exitFailure(run);
  return `${task?.code ?? summary.status}: ${task?.message ?? lastLine(run.stderr)}`;
}

/**
 * Outbox as users run it: the built CLI, `outbox export --task TASK.json SOURCE --json`,
 * with a fresh data directory (OUTBOX_HOME) per run, or `home` for every run.
 */
export function outboxTool(
  ctx: BenchContext,
  task: (target: string) => Record<string, unknown>,
  name = 'Outbox',
  home?: string,
): Tool {
  let n = 0;
  return {
    name,
    failure: outboxFailure,
    async command(source, target) {
      const dir = join(ctx.scratch, 'outbox', `${target}-${++n}`);
      await fs.mkdir(join(dir, 'home'), { recursive: true });
      const taskFile = join(dir, 'task.json');
      await fs.writeFile(taskFile, JSON.stringify(task(target)), { mode: 0o600 });
      return {
        argv: [process.execPath, outboxBin(ctx), 'export', '--task', taskFile, source, '--json'],
        env: { ...process.env, OUTBOX_HOME: home ?? join(dir, 'home') },
      };
    },
  };
}
