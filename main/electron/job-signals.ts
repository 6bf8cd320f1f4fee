import type { TaskProgress } from '../core/engine/progress';
import type { JobRecord } from '../core/transfer/records';

/**
 * What the shell tells the desktop about jobs: the taskbar/dock progress of
 * everything running, and a notification when a job ends. Pure, so tested
 * without Electron.
 */

/** Fraction done over all running tasks for BrowserWindow.setProgressBar; -1 removes the bar. */
export function overallProgress(running: Iterable<TaskProgress>): number {
  let bytes = 0;
  let total = 0;
  let any = false;
  for (const progress of running) {
    if (progress.done) continue;
    any = true;
    bytes += progress.bytes;
    total += progress.total;
  }
  if (!any) return -1;
  return total > 0 ? Math.min(1, bytes / total) : 0;
}

/** Keeps the latest progress of each running task; a finished task leaves. */
export class RunningTasks {
  private readonly tasks = new Map<string, TaskProgress>();

  update(progress: TaskProgress): void {
    const key = `${progress.job_id}\u0000${progress.task}`;
    if (progress.done) this.tasks.delete(key);
    else this.tasks.set(key, progress);
  }

  forgetJob(jobId: string): void {
    for (const [key, progress] of this.tasks) if (progress.job_id === jobId) this.tasks.delete(key);
  }

  fraction(): number {
    return overallProgress(this.tasks.values());
  }
}

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
