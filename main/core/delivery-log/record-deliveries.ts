import type { JobRecord, ResultFile, TaskRecord } from '../transfer/records';
import type { SourceFile } from '../transfer/sources';
import type { NewDeliveryEntry } from './delivery-entry';
import { PartlyWritten, type DeliveryLog } from './delivery-log';

/**
 * A delivered file of a job as a delivery-log entry: the facts of the result
 * (see stored-file.ts), none of the task's parameters, so never a secret.
 */
function entryOfResult(
  job: Pick<JobRecord, 'id'>,
  task: Pick<TaskRecord, 'name' | 'operation' | 'profile'>,
  sourcePath: string,
  result: ResultFile,
  deliveredAt: string,
  /** The file's own size and name where the result is a ZIP link of several files. */
  file?: { name: string; size: number },
): NewDeliveryEntry {
  const checksum = result.checksum as { algorithm?: unknown; value?: unknown } | undefined;
  const linkId = typeof result.link_id === 'string' ? result.link_id : undefined;
  // A temporary link's URL carries its token: the log names the link instead.
  const location = linkId ? `link:${linkId}` : result.location;
  return {
    delivered_at: deliveredAt,
    job_id: job.id,
    task: task.name,
    source_path: sourcePath,
    filename: file?.name ?? result.filename,
    size: file?.size ?? result.size,
    ...(typeof checksum?.algorithm === 'string' && typeof checksum.value === 'string'
      ? { checksum: `${checksum.algorithm}:${checksum.value}` }
      : {}),
    destination: task.profile ?? task.operation,
    operation: task.operation,
    ...(location === undefined ? {} : { location }),
    verified_by: typeof result.verified_by === 'string' ? result.verified_by : 'none',
  };
}

/**
 * A log that cannot be written is said on stderr and costs no delivery;
 * `written` of the `count` entries are on disk (a sliced append that failed part-way).
 */
function cannotWrite(count: number, error: unknown, written = 0): void {
  const reason = error instanceof Error ? error.message : String(error);
  if (written >= count) {
    console.error(
      `Outbox wrote ${count} entries to the delivery log but could not index their names (done when the log next opens): ${reason}`,
    );
  } else {
    const entries = written > 0 ? `${count - written} of ${count}` : `${count}`;
    console.error(`Outbox could not write ${entries} entries to the delivery log: ${reason}`);
  }
}

/** Appends entries (see cannotWrite). */
function append(log: DeliveryLog, entries: NewDeliveryEntry[]): void {
  try {
    log.append(entries);
  } catch (error) {
    cannotWrite(entries.length, error);
  }
}

/** Files a job's exporters delivered (verified), as the engine batches them. */
export function recordDelivered(
  log: DeliveryLog,
  job: JobRecord,
  files: { task: string; source: { path: string }; result: ResultFile }[],
): void {
  const now = new Date().toISOString();
  const tasks = new Map(job.tasks.map((task) => [task.name, task]));
  const entries = files.flatMap((file) => {
    const task = tasks.get(file.task);
    return task ? [entryOfResult(job, task, file.source.path, file.result, now)] : [];
  });
  append(log, entries);
}

/**
 * The temporary links an export/url task made: an entry per file (a ZIP link's
 * files each), written in time slices (DeliveryLog.appendSliced).
 */
export async function recordLinks(
  log: DeliveryLog,
  job: JobRecord,
  task: TaskRecord,
  files: SourceFile[],
  results: ResultFile[],
): Promise<void> {
  const now = new Date().toISOString();
  const zip = results.length === 1 && files.length > 1 ? results[0] : undefined;
  // Made as they are written: no second list of 100,000 entries beside the files.
  function* entries(): Generator<NewDeliveryEntry> {
    for (const [i, file] of files.entries()) {
      const result = zip ?? results[i];
      if (!result) continue;
      const own = zip ? { name: file.name, size: file.size } : undefined;
      yield entryOfResult(job, task, file.path, result, now, own);
    }
  }
  await log
    .appendSliced(entries())
    .catch((error: unknown) =>
      cannotWrite(files.length, error, error instanceof PartlyWritten ? error.written : 0),
    );
}
