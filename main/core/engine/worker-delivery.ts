import { toErrorInfo, type ErrorInfo } from '../errors';
import type { UploadOperation } from '../exporters/registry';
import type { ExportTask } from '../tasks/operations';
import { sameSource, sourceFactsOf, type ResultFile, type TaskRecord } from '../transfer/records';
import type { SourceFile } from '../transfer/sources';
import type { DeliveredFile, DeliveredLog } from './delivered-log';
import { eachLimited } from './each-limited';
import { PartialUploads } from './partial-uploads';
import type { ProgressTracker } from './progress';
import { alreadyExporting, type UploadClaims } from './upload-claims';
import type { WorkerPool } from './worker-pool';

/** What a task of a running job shares with the files it sends. */
export type TaskRun = {
  jobId: string;
  task: string;
  params: ExportTask & { operation: UploadOperation };
  files: SourceFile[];
  /** Destination name of each file (the shared naming rules). */
  names: string[];
  progressKey: { job_id: string; task: string };
  /** Bandwidth limit slots its bytes count against (BandwidthControl.slotsFor). */
  limits: number[];
  /** Whether the job was cancelled; cancels of the uploads under way. */
  cancelled(): boolean;
  cancels: Set<() => void>;
  /** Whether the job was paused; pauses of the uploads under way (they keep their partial uploads). */
  paused(): boolean;
  pauses: Set<() => void>;
  /** A file arrived: written to the delivered log soon. */
  delivered(file: DeliveredFile): void;
};

export type WorkerDeliveryDeps = {
  pool: WorkerPool;
  progress: ProgressTracker;
  delivered: DeliveredLog;
  partials: PartialUploads;
  claims: UploadClaims;
  /**
   * Files of a task of this operation in flight at once (queued or sending): a few
   * per transfer slot, so a 2,000-file task does not queue 2,000 requests in its
   * first moments and the main thread's work is spread over the job.
   */
  window: (operation: UploadOperation) => number;
};

/**
 * Sends the files of one task through the worker pool: files delivered
 * before a crash are not sent again, large uploads continue from their
 * saved partial state, and no other process exports to the same names at
 * the same time (upload claims). Results by file index; errors of the files
 * that failed.
 */
export async function deliverByWorkers(
  deps: WorkerDeliveryDeps,
  run: TaskRun,
  earlier: TaskRecord['delivered'] = [],
): Promise<{ results: ResultFile[]; errors: ErrorInfo[] }> {
  const { params, progressKey } = run;
  const results: ResultFile[] = [];
  const errors: ErrorInfo[] = [];
  // Delivered before a crash: in the log, or (records of earlier versions) in the task.
  const delivered = await deps.delivered.read(run.jobId, run.task);
  for (const d of earlier) delivered.set(d.name, { task: run.task, ...d });
  const recorded = await deps.partials.keys();
  const keyOf = PartialUploads.keysOf(params);
  const sending = run.files.map((source, i) => {
    const name = run.names[i] ?? source.name;
    const before = delivered.get(name);
    return before && sameSource(before.source, source)
      ? { source, name, before }
      : { source, name, key: keyOf(name, source) };
  });
  // Before any partial upload is looked at: they are this task's alone.
  const claim = await deps.claims
    .claim(
      sending.flatMap((file) => (file.key === undefined ? [] : [file.key])),
      { job_id: run.jobId, task: run.task },
    )
    .catch((error: unknown) => toErrorInfo(error));
  await eachLimited(
    sending,
    deps.window(params.operation),
    async ({ source, name, before, key: partialKey }, i) => {
      if (before) {
        results[i] = before.result;
        deps.progress.add(progressKey, source.size);
        deps.progress.fileDone(progressKey);
        return;
      }
      if (run.cancelled() || run.paused()) {
        errors.push({ code: 'CANCELLED', message: 'Cancelled.' });
        return;
      }
      if ('code' in claim) {
        errors.push(claim); // the claim could not be made
        return;
      }
      const holder = claim.refused.get(partialKey);
      if (holder) {
        errors.push(toErrorInfo(alreadyExporting(source.name, holder)));
        return;
      }
      let partial = recorded.has(partialKey);
      const previous = partial ? await deps.partials.previous(partialKey, source) : undefined;
      const upload = deps.pool.upload(
        {
          operation: params.operation,
          params: params as Record<string, unknown>,
          source,
          name,
          ...(previous ? { previous } : {}),
          limits: run.limits,
        },
        (bytes) => deps.progress.add(progressKey, bytes),
        (state) => {
          partial = true;
          return deps.partials.save(
            partialKey,
            { task: params, name, source, jobId: run.jobId },
            state,
          );
        },
      );
      run.cancels.add(upload.cancel);
      run.pauses.add(upload.pause);
      let stored = false;
      try {
        results[i] = await upload.done;
        stored = true;
        run.delivered({
          task: run.task,
          name,
          source: sourceFactsOf(source),
          result: results[i],
        });
        deps.progress.fileDone(progressKey);
      } catch (error) {
        errors.push(toErrorInfo(error));
      } finally {
        run.cancels.delete(upload.cancel);
        run.pauses.delete(upload.pause);
        // Ended either way: delivered, or the exporter removed what it had sent (unless paused).
        if (partial && (stored || !run.paused()))
          await deps.partials.remove(partialKey).catch(() => {});
      }
    },
    // The claim is released however the files ended: only a crash leaves one behind.
  ).finally(() => ('code' in claim ? undefined : claim.release()));
  return { results, errors };
}
