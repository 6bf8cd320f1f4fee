import { z } from 'zod';

/**
 * What Outbox persists about jobs, in CloudConvert's shape (snake_case,
 * `result.files[]`). Secrets are never part of a record.
 */

export const taskStatuses = ['waiting', 'processing', 'finished', 'error'] as const;
export type TaskStatus = (typeof taskStatuses)[number];
/**
 * A job's status: its tasks' (jobStatusOf), or `paused`: stopped by the person,
 * its partial uploads kept, waiting for Resume (also after a restart).
 */
export const jobStatuses = [...taskStatuses, 'paused'] as const;
export type JobStatus = (typeof jobStatuses)[number];

const json = z.json();

/**
 * One delivered file. `url` only where it downloads without credentials
 * (export/url links, share links); exporters build the rest in one shape
 * (exporters/stored-file.ts: location, checksum, verified…).
 */
export const resultFileSchema = z.looseObject({
  filename: z.string(),
  size: z.number(),
  url: z.string().optional(),
  location: z.string().optional(),
});
export type ResultFile = z.output<typeof resultFileSchema>;

/** A source file as it was sent: what tells whether it changed since (same path, size and mtime). */
export const sourceFactsSchema = z.object({
  path: z.string(),
  size: z.number(),
  mtimeMs: z.number(),
});
export type SourceFacts = z.output<typeof sourceFactsSchema>;

/** What a record keeps of a source (not its name or anything else it carries). */
export function sourceFactsOf({ path, size, mtimeMs }: SourceFacts): SourceFacts {
  return { path, size, mtimeMs };
}

/** The same file as when it was recorded: same path, size and modification time. */
export function sameSource(a: SourceFacts, b: SourceFacts): boolean {
  return a.path === b.path && a.size === b.size && a.mtimeMs === b.mtimeMs;
}

/** A file a task delivered to `name`: a resumed task does not send it again. */
export const deliveredFileSchema = z.object({
  name: z.string(),
  source: sourceFactsSchema,
  result: resultFileSchema,
});

export const taskRecordSchema = z.object({
  /** Unique, as CloudConvert's task ids: scripts can tell tasks of several jobs apart. */
  id: z.string(),
  name: z.string(),
  operation: z.string(),
  status: z.enum(taskStatuses),
  input: z.array(z.string()),
  /** Parameters without secrets (and without profile references resolved). */
  params: z.record(z.string(), json),
  profile: z.string().optional(),
  /** Can run again after a restart: its credentials come from a profile, or it needs none. */
  resumable: z.boolean().optional(),
  /** While running: files already delivered, so a resumed task does not send them again. */
  delivered: z.array(deliveredFileSchema).optional(),
  result: z.object({ files: z.array(resultFileSchema) }).optional(),
  code: z.string().optional(),
  message: z.string().optional(),
  detail: z.string().optional(),
  created_at: z.string(),
  started_at: z.string().optional(),
  ended_at: z.string().optional(),
});
export type TaskRecord = z.output<typeof taskRecordSchema>;

export const jobRecordSchema = z.object({
  id: z.string(),
  status: z.enum(jobStatuses),
  tag: z.string().optional(),
  /** A waiting job's place in the queue of its Outbox process (1: starts next). */
  queue_position: z.number().optional(),
  /** When it was paused (absent unless `paused`). */
  paused_at: z.string().optional(),
  created_at: z.string(),
  ended_at: z.string().optional(),
  expires_at: z.string(),
  /** The process that runs the job: a job whose owner died was interrupted. */
  owner: z.object({ pid: z.number(), boot: z.string() }),
  tasks: z.array(taskRecordSchema),
});
export type JobRecord = z.output<typeof jobRecordSchema>;

/** A job is finished when every task is, failed as soon as one task failed and nothing runs. */
export function jobStatusOf(tasks: TaskRecord[]): TaskStatus {
  if (tasks.some((t) => t.status === 'processing')) return 'processing';
  if (tasks.some((t) => t.status === 'error')) {
    return tasks.some((t) => t.status === 'waiting') ? 'processing' : 'error';
  }
  if (tasks.every((t) => t.status === 'finished')) return 'finished';
  return tasks.some((t) => t.status === 'finished') ? 'processing' : 'waiting';
}
