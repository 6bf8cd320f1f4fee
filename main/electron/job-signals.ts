import type { TaskProgress } from '../core/engine/progress';

/**
 * What the shell tells the desktop about jobs: the taskbar/dock progress of
 * everything running (the notification when a job ends is jobNotice, shared
 * with the browser host's Web Notifications). Pure, so tested without Electron.
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
