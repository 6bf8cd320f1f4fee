import { z } from 'zod';
import { OutboxError, ValidationError, type FieldErrors } from '../errors';
import { shareLinkExpiresIn } from '../tasks/field-types';
import { destinationOf } from '../tasks/destinations';
import type { UploadOperation } from '../exporters/registry';
import type { ExportOperation } from '../tasks/operations';
import { isShareable, shareableOperations } from '../tasks/shareable';
import { collectIssues, validateTask, type Job } from '../tasks/validate';
import { overProfile, type ProfileResolver } from '../profiles/profile-params';
import type { JobRecord, ResultFile, TaskRecord } from '../transfer/records';
import type { NewRequest } from './worker-pool';

/**
 * "Create share link" after the fact: a download link, signed now, for files
 * an earlier cloud export stored. Signing needs the export's credentials,
 * which job records never hold: they come from the job's original (jobs run
 * by this engine) or from the saved profile the task used, and travel only
 * to the worker that signs.
 */

/** Which files of the task (`file`: index in `result.files`; none: all) and for how long. */
export const shareRequestSchema = z.strictObject({
  file: z
    .number({ error: 'must be a number' })
    .int('must be a whole number')
    .nonnegative('must be 0 or more')
    .optional(),
  expires_in: shareLinkExpiresIn(),
});
export type ShareRequest = z.input<typeof shareRequestSchema>;

export type ShareSources = {
  /** The job as it was submitted, with credentials (jobs this engine ran). */
  original: Job | undefined;
  resolveProfile: ProfileResolver | undefined;
  /** Signs in a worker: the file's result with `url` and `expires_at`. */
  sign: (request: NewRequest<'share'>) => Promise<ResultFile>;
};

function parseRequest(raw: ShareRequest): z.output<typeof shareRequestSchema> {
  const parsed = shareRequestSchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const fields: FieldErrors = {};
  collectIssues(parsed.error.issues, '', fields, raw);
  throw new ValidationError(fields);
}

function shareableTask(record: JobRecord, taskName: string): TaskRecord {
  const task = record.tasks.find((t) => t.name === taskName);
  if (!task) throw new OutboxError('NOT_FOUND', `Job ${record.id} has no task "${taskName}".`);
  if (!isShareable(task.operation)) {
    throw new OutboxError(
      'INVALID_DATA',
      `Task "${taskName}" is ${task.operation}: share links are made for ${shareableOperations().join(', ')} exports.`,
    );
  }
  if (task.status !== 'finished') {
    throw new OutboxError(
      'INVALID_DATA',
      `Task "${taskName}" is ${task.status}: share links are made for finished exports only.`,
    );
  }
  return task;
}

/** The export's parameters with credentials: this session's original, or the record's own parameters with its profile's secrets. */
async function credentialsOf(
  task: TaskRecord,
  sources: Pick<ShareSources, 'original' | 'resolveProfile'>,
): Promise<Record<string, unknown>> {
  const original = sources.original?.tasks[task.name];
  if (original) return original as Record<string, unknown>;
  if (task.profile === undefined || !sources.resolveProfile) {
    throw new OutboxError(
      'INVALID_DATA',
      `The credentials of task "${task.name}" are not kept (secrets are stored only with saved profiles, and this export did not use one). ` +
        'To share files later, export with a saved profile; or give the export the share_link parameter so it signs links as it uploads.',
    );
  }
  const profile = task.profile;
  let saved: Record<string, unknown>;
  try {
    saved = await sources.resolveProfile(profile);
  } catch (error) {
    if (!(error instanceof OutboxError)) throw error;
    throw new OutboxError(
      error.code,
      `The profile "${profile}" that task "${task.name}" used is needed for its credentials: ${error.message}`,
    );
  }
  if (saved.operation !== task.operation) {
    throw new OutboxError(
      'INVALID_DATA',
      `Profile "${profile}" is now a ${String(saved.operation)} destination, not the ${task.operation} this task exported to.`,
    );
  }
  // Where the files went is the record's; the secrets are the profile's (the record has none).
  try {
    return validateTask(overProfile(saved, task.params)) as Record<string, unknown>;
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    throw new OutboxError(
      'INVALID_DATA',
      `Profile "${profile}" no longer fits this export: ${error.message}`,
    );
  }
}

function assertCanSign(task: TaskRecord, params: Record<string, unknown>): void {
  const who = task.profile === undefined ? 'the destination' : `profile "${task.profile}"`;
  const problem = destinationOf(task.operation as ExportOperation).cannotSign?.(params, who);
  if (problem) throw new OutboxError('INVALID_DATA', problem);
}

/**
 * Signs links for the files of a finished cloud export; every link is
 * checked (it downloads a file of the exported size). All or nothing: the
 * result files, by index, with `url` and `expires_at`.
 */
export async function signAfterExport(
  record: JobRecord,
  taskName: string,
  raw: ShareRequest,
  sources: ShareSources,
): Promise<Map<number, ResultFile>> {
  const request = parseRequest(raw);
  const task = shareableTask(record, taskName);
  const files = task.result?.files ?? [];
  if (request.file !== undefined && request.file >= files.length) {
    throw ValidationError.of(
      'file',
      `task "${taskName}" delivered ${files.length} file${files.length === 1 ? '' : 's'}: give 0 to ${files.length - 1}`,
    );
  }
  const indexes = request.file === undefined ? files.map((_, i) => i) : [request.file];
  if (indexes.length === 0) {
    throw new OutboxError('INVALID_DATA', `Task "${taskName}" delivered no files to share.`);
  }
  const params = await credentialsOf(task, sources);
  assertCanSign(task, params);
  const signed = await Promise.all(
    indexes.map(async (index) => {
      const file = files[index] as ResultFile;
      const shared = await sources.sign({
        operation: task.operation as UploadOperation,
        params,
        file,
        expires_in: request.expires_in,
      });
      return [index, shared] as const;
    }),
  );
  return new Map(signed);
}

/**
 * Writes signed links into the task's results (only where the same file still
 * is), as a new list: the job store keeps a long list by its array (job-lists.ts).
 */
export function applySharedFiles(
  record: JobRecord,
  taskName: string,
  signed: Map<number, ResultFile>,
): void {
  const result = record.tasks.find((t) => t.name === taskName)?.result;
  if (!result) return;
  result.files = result.files.map((current, index) => {
    const shared = signed.get(index);
    return current.filename === shared?.filename
      ? { ...current, url: shared.url, expires_at: shared.expires_at }
      : current;
  });
}
