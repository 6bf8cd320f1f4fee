import { exportJobOf } from '../core/api/export-job';
import { ValidationError } from '../core/errors';
import { BwLimitError, parseBwLimit, type BwLimit } from '../core/transfer/bwlimit';
import { UsageError, jsonOption, strings, type Command, type OptionValues } from './command';
import { readJson, readTaskObject } from './input';
import { readJobFile, runJob, withEngine } from './run-job';

/** `outbox run`, `outbox export` and `outbox test`: a job, one export task on files, a connection test. */

const serveOption = { serve: { type: 'boolean' } } as const;
const bwlimitOption = { bwlimit: { type: 'string' } } as const;
const bwlimitHelp =
  "  --bwlimit RATE  send at most RATE bytes per second in all (rclone's syntax: 10M, 512K, off, or a timetable\n" +
  '                  "08:00,1M 19:00,off"), instead of the saved limit ("outbox settings bwlimit"); a destination\'s own limit still applies';

/** `--bwlimit`: parsed before anything runs, the mistake named. */
function bwlimitOf(values: OptionValues): BwLimit | undefined {
  if (typeof values.bwlimit !== 'string') return undefined;
  try {
    return parseBwLimit(values.bwlimit);
  } catch (error) {
    if (error instanceof BwLimitError) throw new UsageError(`--bwlimit: ${error.message}`);
    throw error;
  }
}

/** A destination is required: `--task`, `--profile` or both. */
function requireDestination(values: OptionValues): void {
  if (values.task === undefined && values.profile === undefined)
    throw new UsageError('--task TASK.json or --profile NAME is required');
}

export const runCommand: Command = {
  usage: 'outbox run JOB.json|- [--json] [--serve] [--bwlimit RATE]',
  summary:
    'Validate and run a job (CloudConvert job JSON: {"tasks": {...}, "tag"?}; "-" reads it from standard input).\n' +
    'Exit code 0 only when every task finished.\n' +
    '  --json   print {"id", "tag"?, "status", "tasks": [{id, name, operation, status, result?, code?, message?}]};\n' +
    '           a job that does not start prints {"status": "error", "code", "message", "errors": [{task, field, code, message}]}\n' +
    '  --serve  keep serving the job’s temporary links in the foreground afterwards (Ctrl-C stops)\n' +
    bwlimitHelp,
  options: { ...jsonOption, ...serveOption, ...bwlimitOption },
  async run({ values, positionals }) {
    const [file, ...extra] = positionals;
    if (!file || extra.length)
      throw new UsageError('give exactly one job file (or - for standard input)');
    const bwlimit = bwlimitOf(values);
    const job = await readJobFile(readJson(file), values.json === true);
    return runJob({ job }, { json: values.json === true, serve: values.serve === true, bwlimit });
  },
};

/**
 * The export tasks of `outbox export`: each `--profile` and each `--task` is
 * a destination; one `--task` with one `--profile` is one destination, the
 * task's parameters over the profile's.
 */
async function exportTasksOf(values: OptionValues): Promise<Record<string, unknown>[]> {
  const taskFiles = strings(values.task);
  const profiles = strings(values.profile).map((profile) => ({ profile }));
  const json = values.json === true;
  const tasks: Record<string, unknown>[] = [];
  for (const file of taskFiles) {
    const task = await readJobFile(readTaskObject(file), json);
    if ('input' in task)
      throw new UsageError(`${file}: leave out "input"; the files come from the command line`);
    tasks.push(task);
  }
  if (tasks.length === 1 && profiles.length === 1) return [{ ...tasks[0], ...profiles[0] }];
  if (tasks.length > 0 && profiles.length > 0 && tasks.length + profiles.length > 2)
    throw new UsageError(
      '--task adds its parameters to --profile only for one destination: with several, give each as --profile (outbox profile add) or each as --task',
    );
  return [...tasks, ...profiles];
}

export const exportCommand: Command = {
  usage:
    'outbox export (--task TASK.json | --profile NAME)... FILE... [--json] [--serve] [--bwlimit RATE]',
  summary:
    'Export files with one export task (a CloudConvert task object without "input"), e.g.\n' +
    '  {"operation": "export/url", "inline": true}\n' +
    '  --profile NAME  to a saved destination ("outbox profile list"); with --task too, the task’s parameters override the profile’s\n' +
    '  Repeat --profile (or --task) to send the files to several destinations at once: one job,\n' +
    '  one export task per destination (named after its profile), each verified on its own;\n' +
    '  one failing does not stop the others\n' +
    bwlimitHelp,
  options: {
    task: { type: 'string', multiple: true },
    profile: { type: 'string', multiple: true },
    ...jsonOption,
    ...serveOption,
    ...bwlimitOption,
  },
  async run({ values, positionals }) {
    requireDestination(values);
    if (positionals.length === 0) throw new UsageError('name at least one FILE to export');
    const bwlimit = bwlimitOf(values);
    const tasks = await exportTasksOf(values);
    const job = await readJobFile(
      Promise.resolve().then(() => {
        try {
          return exportJobOf(tasks, positionals);
        } catch (error) {
          // The same profile twice: a mistake in the command line.
          if (!(error instanceof ValidationError)) throw error;
          throw new UsageError(
            `--profile ${error.fields.destinations?.join('; ') ?? error.message}`,
          );
        }
      }),
      values.json === true,
    );
    return runJob({ job }, { json: values.json === true, serve: values.serve === true, bwlimit });
  },
};

export const testCommand: Command = {
  usage: 'outbox test (--task TASK.json | --profile NAME)',
  summary:
    'Test a destination ("Test connection"): credentials and write access, leaving nothing behind.',
  options: { task: { type: 'string' }, profile: { type: 'string' } },
  async run({ values }) {
    requireDestination(values);
    const profile = typeof values.profile === 'string' ? { profile: values.profile } : {};
    const task = typeof values.task === 'string' ? await readTaskObject(values.task) : {};
    return withEngine(async (engine) => {
      const result = await engine.probe({ input: 'probe', ...task, ...profile });
      console.log(result.message);
      return 0;
    });
  },
};
