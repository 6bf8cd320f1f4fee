import { jobSummary } from '../core/api/job-views';
import type { Engine } from '../core/engine/engine';
import type { JobAction } from '../core/engine/job-requests';
import { formatBytes } from '../core/format';
import type { JobRecord } from '../core/transfer/records';
import { indexNumber, jsonOption, UsageError, wholeNumber, type Command } from './command';
import { runOn, withEngine } from './run-job';

/**
 * `outbox jobs …`: jobs of the retention period; pause, resume, move to the
 * front of the queue, cancel (here, or by a request to the Outbox process
 * that runs the job); share links after an export.
 */

function jobLine(job: JobRecord): string {
  const exports = job.tasks
    .filter((t) => t.operation !== 'import/file')
    .map((t) => `${t.name} (${t.operation}${t.profile ? ` "${t.profile}"` : ''})`);
  const place = job.queue_position === undefined ? '' : ` #${job.queue_position} in queue`;
  return `${job.id}  ${job.status.padEnd(10)} ${job.created_at}  ${exports.join(', ')}${place}`;
}

function printJobs(jobs: JobRecord[], json: boolean): void {
  if (json) console.log(JSON.stringify(jobs.map(jobSummary), null, 2));
  else for (const job of jobs) console.log(jobLine(job));
}

/** pause/resume --all: every job it applies to, in every Outbox process; exit 1 if one could not be. */
async function controlAll(engine: Engine, action: 'pause' | 'resume', json: boolean) {
  const { jobs, failed } = await engine.controlAll(action);
  // Paused jobs of processes that have quit resume here: this command runs them to their end.
  const ended = await Promise.all(jobs.map((job) => engine.wait(job.id)));
  printJobs(ended, json);
  for (const { id, message } of failed) console.error(`outbox: job ${id}: ${message}`);
  if (!json && jobs.length + failed.length === 0) console.log(`No job to ${action}.`);
  return failed.length > 0 ? 1 : 0;
}

/** One job: here, or by a request to the Outbox process that runs (or paused) it. */
async function controlOne(engine: Engine, id: string, action: JobAction, json: boolean) {
  const record = await engine.get(id);
  if (action === 'resume' && !(record && engine.ownedElsewhere(record))) {
    // Nobody else has it: it runs here, in the foreground, as after a crash.
    return runOn(engine, engine.config, { resume: id }, { json, serve: false });
  }
  printJobs([await engine.control(id, action)], json);
  return 0;
}

export const jobsCommand: Command = {
  usage:
    'outbox jobs [--json]\n' +
    '       outbox jobs pause JOB_ID|--all [--json]\n' +
    '       outbox jobs resume JOB_ID|--all [--json]\n' +
    '       outbox jobs front JOB_ID [--json]\n' +
    '       outbox jobs cancel JOB_ID [--json]\n' +
    '       outbox jobs share JOB_ID TASK [--file N] [--expires-in SECONDS] [--json]',
  summary:
    'Jobs of the last 24 hours (the retention period), newest first, with their export tasks.\n' +
    '  pause JOB_ID        stop a running or waiting job: its connections close, its partial uploads\n' +
    '                      are kept; it stays paused (also after Outbox quits) until resumed\n' +
    '  resume JOB_ID       continue a paused job, or one Outbox was stopped in the middle of (killed,\n' +
    '                      crashed): files already delivered are kept, large uploads go on from what the\n' +
    '                      server has. A job paused in a running app or "outbox serve" resumes there;\n' +
    '                      otherwise it runs here, in the foreground, and needs its credentials again:\n' +
    '                      tasks exported with a saved profile (--profile). The app and "outbox serve"\n' +
    '                      resume interrupted (not paused) jobs by themselves when they start\n' +
    '  --all               (pause, resume) every running and waiting job, or every paused one\n' +
    '  front JOB_ID        move a job waiting in the queue to its front: it starts next\n' +
    '  cancel JOB_ID       cancel a running, waiting or paused job\n' +
    '  share JOB_ID TASK   a download link, signed now, for the files a finished S3, Azure Blob,\n' +
    '                      Google Cloud Storage or OpenStack task stored; anyone with it can download\n' +
    '                      until it expires, and it cannot be revoked. Needs the credentials: a task\n' +
    '                      exported with a saved profile (--profile); Azure needs the storage access key\n' +
    '  --file N            (share) only the file at index N of the task’s result (0 is the first)\n' +
    '  --expires-in S      (share) seconds the link works (default 86400 = 24 h, at most 604800 = 7 days)\n' +
    '  --json              print JSON ({"files": [{index, filename, size, url, expires_at}]} for share)',
  options: {
    ...jsonOption,
    all: { type: 'boolean' },
    file: { type: 'string' },
    'expires-in': { type: 'string' },
  },
  async run({ values, positionals }) {
    const [action, id, task, ...extra] = positionals;
    const json = values.json === true;
    if (action === 'pause' || action === 'resume' || action === 'front' || action === 'cancel') {
      const all = values.all === true && (action === 'pause' || action === 'resume');
      if (all ? id !== undefined : !id || task !== undefined)
        throw new UsageError(
          action === 'pause' || action === 'resume'
            ? 'give exactly one JOB_ID, or --all'
            : 'give exactly one JOB_ID',
        );
      return withEngine((engine) =>
        all
          ? controlAll(engine, action as 'pause' | 'resume', json)
          : controlOne(engine, id as string, action, json),
      );
    }
    if (values.all) throw new UsageError('--all goes with pause or resume');
    if (action === 'share') {
      if (!id || !task || extra.length) throw new UsageError('give a JOB_ID and a TASK name');
      const file = typeof values.file === 'string' ? indexNumber('--file', values.file) : undefined;
      const expiresIn =
        typeof values['expires-in'] === 'string'
          ? wholeNumber('--expires-in', values['expires-in'])
          : undefined;
      return withEngine(async (engine) => {
        const record = await engine.createShareLink(id, task, file, expiresIn);
        const results = record.tasks.find((t) => t.name === task)?.result?.files ?? [];
        const shared = results
          .map((result, index) => ({ index, result }))
          .filter(({ index }) => file === undefined || index === file);
        if (values.json) {
          const files = shared.map(({ index, result }) => ({
            index,
            filename: result.filename,
            size: result.size,
            url: result.url,
            expires_at: result.expires_at,
          }));
          console.log(JSON.stringify({ files }, null, 2));
        } else {
          for (const { index, result } of shared) {
            console.log(
              `${index}  ${result.filename} (${formatBytes(result.size)})  expires ${String(result.expires_at)}\n    ${String(result.url)}`,
            );
          }
        }
        return 0;
      });
    }
    if (action !== undefined) throw new UsageError(`unknown action "${action}"`);
    return withEngine(async (engine) => {
      const jobs = await engine.list();
      // The same shape as `run --json` (with the id `jobs share` needs).
      if (!json && jobs.length === 0) console.log('No jobs in the last 24 hours.');
      else printJobs(jobs, json);
      return 0;
    });
  },
};
