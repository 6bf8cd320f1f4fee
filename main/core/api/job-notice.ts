import type { JobRecord } from '../transfer/records';

/**
 * The desktop notification for a job that ended: the Electron shell shows it
 * as a native notification, the browser host as a Web Notification.
 */
export type JobNotice = { title: string; body: string; failed: boolean };

/** The notification for a job that just ended, or undefined while it runs. */
export function jobNotice(job: JobRecord): JobNotice | undefined {
  if (!job.ended_at || (job.status !== 'finished' && job.status !== 'error')) return undefined;
  const exports = job.tasks.filter((task) => task.operation !== 'import/file');
  const files = exports.reduce((sum, task) => sum + (task.result?.files.length ?? 0), 0);
  const count = `${files} file${files === 1 ? '' : 's'}`;
  if (job.status === 'finished') {
    const links = exports.some((task) => task.operation === 'export/url');
    return {
      title: 'Export finished',
      body: links ? `${count} ready: the links are in Outbox.` : `${count} delivered.`,
      failed: false,
    };
  }
  const failed = exports.find((task) => task.status === 'error');
  if (failed?.code === 'CANCELLED')
    return {
      title: 'Export cancelled',
      body: count + ' delivered before it stopped.',
      failed: true,
    };
  return {
    title: 'Export failed',
    body: failed?.message ?? 'Open Outbox for the details.',
    failed: true,
  };
}
