import { TEMPORARY_LINK } from './destinations';
import { destinations } from '../../../main/core/tasks/destinations';
import { isExportOperation } from '../../../main/core/tasks/operations';
import type { JobRecord, ResultFile, TaskRecord } from './types';

/** What a job means to a person: which files, where to, how far. */

export type SourceFile = { filename: string; size: number };

export function sourceFilesOf(job: JobRecord): SourceFile[] {
  return job.tasks
    .filter((task) => task.operation.startsWith('import/'))
    .flatMap((task) => task.result?.files ?? []);
}

export function exportTasksOf(job: JobRecord): TaskRecord[] {
  return job.tasks.filter((task) => isExportOperation(task.operation));
}

/** The destination of a task as people name it: its profile, or its operation's label. */
export function destinationNameOf(task: TaskRecord): string {
  if (task.profile) return task.profile;
  return isExportOperation(task.operation) ? destinations[task.operation].label : task.operation;
}

/** "report.pdf and 2 more". */
export function filesTitle(files: SourceFile[]): string {
  const first = files[0]?.filename ?? 'Files';
  return files.length > 1 ? `${first} and ${(files.length - 1).toLocaleString()} more` : first;
}

/** "report.pdf and 2 more → Backups": the job's accessible name. */
export function jobTitle(job: JobRecord): string {
  const name = filesTitle(sourceFilesOf(job));
  const where = exportTasksOf(job).map(destinationNameOf);
  return `${name} → ${where.join(', ') || TEMPORARY_LINK}`;
}

export function isRunning(job: JobRecord): boolean {
  return job.status === 'waiting' || job.status === 'processing';
}

/** A signed download link in a cloud export's result (`share_link`, or "Create share link"). */
export function sharedLinkOf(file: ResultFile): { url: string; expires_at: string } | undefined {
  const expiresAt = file.expires_at;
  return typeof file.url === 'string' && typeof expiresAt === 'string'
    ? { url: file.url, expires_at: expiresAt }
    : undefined;
}

/** Where a delivered file now lives, in the words its destination uses. */
export function locationOf(file: ResultFile, operation: string): string | undefined {
  return isExportOperation(operation) ? destinations[operation].location(file) : undefined;
}

/** Each `verified_by` of a stored file: a few words for lists, a sentence for a tooltip. */
const checks: Record<string, { words: string; sentence: string }> = {
  md5: { words: 'MD5 checked', sentence: 'The MD5 of the stored file matches the bytes sent' },
  'content-md5': {
    words: 'MD5 checked',
    sentence: 'The server checked the MD5 of every part, and the stored size matches',
  },
  size: {
    words: 'size checked',
    sentence: 'The stored size matches (this destination offers no checksum)',
  },
};

/** What the "verified" badge of a delivered file means (its `verified_by`). */
export function verificationOf(file: ResultFile): string | undefined {
  if (file.verified !== true) return undefined;
  return checks[String(file.verified_by)]?.sentence ?? 'Checked after upload';
}

/**
 * How a delivery log entry was checked, in words: `none` is no fault for a
 * temporary link (it serves the file in place; nothing was stored to check).
 */
export function checkOfDelivery(
  verifiedBy: string,
  operation: string,
): { words: string; sentence: string } {
  if (verifiedBy !== 'none')
    return checks[verifiedBy] ?? { words: verifiedBy, sentence: verifiedBy };
  return operation === 'export/url'
    ? { words: 'link, not stored', sentence: 'A temporary link serves the file from where it is' }
    : {
        words: 'not verified',
        sentence: 'The server neither answered a checksum nor let the stored file be read back',
      };
}

/** Explanations for error codes, so a person knows what to try. */
export const errorHints: Record<string, string> = {
  AUTH_FAILED: 'Check the credentials in the destination’s settings.',
  ACCESS_DENIED: 'The account lacks permission: check its rights or the destination’s settings.',
  NOT_FOUND: 'Check the bucket, container or path name.',
  UNREACHABLE: 'Check the address and your network connection.',
  TLS_ERROR: 'The server’s certificate was not accepted.',
  TIMEOUT: 'The server took too long to answer. Retry in a moment.',
  INTERRUPTED:
    'Outbox stopped during the transfer. Resume continues where it stopped (destinations saved as profiles); otherwise send the files again.',
  FILE_CHANGED: 'A file changed while it was being sent. Send it again.',
  INTEGRITY_ERROR: 'What arrived differs from what was sent. Retry.',
  HOST_KEY_MISMATCH: 'The server’s identity changed. Verify it before trusting it.',
};
