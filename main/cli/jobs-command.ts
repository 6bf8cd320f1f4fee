import { formatBytes } from '../core/format';
import { indexNumber, jsonOption, UsageError, wholeNumber, type Command } from './command';
import { jobSummary } from './format';
import { runJob, withEngine } from './run-job';

/** `outbox jobs …`: jobs of the retention period, resuming one, share links after an export. */

export const jobsCommand: Command = {
  usage:
    'outbox jobs [--json]\n' +
    '       outbox jobs resume JOB_ID [--json]\n' +
    '       outbox jobs share JOB_ID TASK [--file N] [--expires-in SECONDS] [--json]',
  summary:
    'Jobs of the last 24 hours (the retention period), newest first, with their export tasks.\n' +
    '  resume JOB_ID       continue a job Outbox was stopped in the middle of (killed, crashed): files\n' +
    '                      already delivered are kept, large uploads go on from what the server has.\n' +
    '                      Needs its credentials again: tasks exported with a saved profile (--profile).\n' +
    '                      The app and "outbox serve" resume such jobs by themselves when they start\n' +
    '  share JOB_ID TASK   a download link, signed now, for the files a finished S3, Azure Blob,\n' +
    '                      Google Cloud Storage or OpenStack task stored; anyone with it can download\n' +
    '                      until it expires, and it cannot be revoked. Needs the credentials: a task\n' +
    '                      exported with a saved profile (--profile); Azure needs the storage access key\n' +
    '  --file N            (share) only the file at index N of the task’s result (0 is the first)\n' +
    '  --expires-in S      (share) seconds the link works (default 86400 = 24 h, at most 604800 = 7 days)\n' +
    '  --json              print JSON ({"files": [{index, filename, size, url, expires_at}]} for share)',
  options: { ...jsonOption, file: { type: 'string' }, 'expires-in': { type: 'string' } },
  async run({ values, positionals }) {
    const [action, id, task, ...extra] = positionals;
    if (action === 'resume') {
      if (!id || task !== undefined) throw new UsageError('give exactly one JOB_ID');
      return runJob({ resume: id }, { json: values.json === true, serve: false });
    }
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
      if (values.json) console.log(JSON.stringify(jobs.map(jobSummary), null, 2));
      else if (jobs.length === 0) console.log('No jobs in the last 24 hours.');
      else
        for (const job of jobs) {
          const exports = job.tasks
            .filter((t) => t.operation !== 'import/file')
            .map((t) => `${t.name} (${t.operation}${t.profile ? ` "${t.profile}"` : ''})`);
          console.log(
            `${job.id}  ${job.status.padEnd(10)} ${job.created_at}  ${exports.join(', ')}`,
          );
        }
      return 0;
    });
  },
};
