import { exportJobOf } from '../core/api/core-api';
import { BwLimitError, parseBwLimit, type BwLimit } from '../core/transfer/bwlimit';
import { UsageError, jsonOption, type Command, type OptionValues } from './command';
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

/** The `--profile` of a task (its parameters are the defaults of `--task`'s); one of the two is required. */
function profileOf(values: OptionValues): { profile?: string } {
  if (typeof values.task !== 'string' && typeof values.profile !== 'string')
    throw new UsageError('--task TASK.json or --profile NAME is required');
  return typeof values.profile === 'string' ? { profile: values.profile } : {};
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

export const exportCommand: Command = {
  usage:
    'outbox export (--task TASK.json | --profile NAME) FILE... [--json] [--serve] [--bwlimit RATE]',
  summary:
    'Export files with one export task (a CloudConvert task object without "input"), e.g.\n' +
    '  {"operation": "export/url", "inline": true}\n' +
    '  --profile NAME  to a saved destination ("outbox profile list"); with --task too, the task’s parameters override the profile’s\n' +
    bwlimitHelp,
  options: {
    task: { type: 'string' },
    profile: { type: 'string' },
    ...jsonOption,
    ...serveOption,
    ...bwlimitOption,
  },
  async run({ values, positionals }) {
    const profile = profileOf(values);
    if (positionals.length === 0) throw new UsageError('name at least one FILE to export');
    const bwlimit = bwlimitOf(values);
    const task =
      typeof values.task === 'string'
        ? await readJobFile(readTaskObject(values.task), values.json === true)
        : {};
    if ('input' in task)
      throw new UsageError(
        `${values.task}: leave out "input"; the files come from the command line`,
      );
    const job = exportJobOf({ ...task, ...profile }, positionals);
    return runJob({ job }, { json: values.json === true, serve: values.serve === true, bwlimit });
  },
};

export const testCommand: Command = {
  usage: 'outbox test (--task TASK.json | --profile NAME)',
  summary:
    'Test a destination ("Test connection"): credentials and write access, leaving nothing behind.',
  options: { task: { type: 'string' }, profile: { type: 'string' } },
  async run({ values }) {
    const profile = profileOf(values);
    const task = typeof values.task === 'string' ? await readTaskObject(values.task) : {};
    return withEngine(async (engine) => {
      const result = await engine.probe({ input: 'probe', ...task, ...profile });
      console.log(result.message);
      return 0;
    });
  },
};
