import { z } from 'zod';
import { OutboxError } from '../errors';
import { readSettingsFile, writeSetting } from '../store/settings-file';

/**
 * `max_running_jobs` in settings.json: how many jobs an Outbox process (the
 * app, `outbox serve`) runs at once; the others wait in its queue, in order.
 */

export const DEFAULT_MAX_RUNNING_JOBS = 2;
export const MAX_RUNNING_JOBS_LIMIT = 16;

export const maxRunningJobsSchema = z.int().min(1).max(MAX_RUNNING_JOBS_LIMIT);

export async function loadMaxRunningJobs(home: string): Promise<number> {
  const parsed = maxRunningJobsSchema.safeParse((await readSettingsFile(home)).max_running_jobs);
  return parsed.success ? parsed.data : DEFAULT_MAX_RUNNING_JOBS;
}

/** Checks and saves the setting: INVALID_DATA naming it when it is not a whole number 1–16. */
export async function saveMaxRunningJobs(home: string, value: unknown): Promise<number> {
  const parsed = maxRunningJobsSchema.safeParse(value);
  if (!parsed.success) {
    throw new OutboxError(
      'INVALID_DATA',
      `max_running_jobs: must be a whole number from 1 to ${MAX_RUNNING_JOBS_LIMIT} (got ${JSON.stringify(value)})`,
    );
  }
  await writeSetting(home, 'max_running_jobs', parsed.data);
  return parsed.data;
}
