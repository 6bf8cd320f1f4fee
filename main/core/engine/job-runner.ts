import { EventEmitter } from 'node:events';
import type { OutboxConfig } from '../config';
import type { DeliveryLog } from '../delivery-log/delivery-log';
import { recordLinks } from '../delivery-log/record-deliveries';
import { OutboxError, ValidationError, toErrorInfo, type ErrorInfo } from '../errors';
import type { ProbeResult, TaskExporter } from '../exporters/exporter';
import { probePath } from '../exporters/probe-path';
import { hasExporter, type UploadOperation } from '../exporters/registry';
import type { ProfileResolver } from '../profiles/profile-params';
import { destinationOf } from '../tasks/destinations';
import type { ExportOperation, ExportTask } from '../tasks/operations';
import { isExportTask, validateTask, type Job } from '../tasks/validate';
import { jobStatusOf, type JobRecord, type ResultFile, type TaskRecord } from '../transfer/records';
import type { BwLimit } from '../transfer/bwlimit';
import { BandwidthControl } from './bandwidth';
import { DeliveredWriter } from './delivered-writer';
import { filesInFlight } from './files-in-flight';
import { JobQueue } from './job-queue';
import { copyOfJob, fixedList } from './job-lists';
import { JobStore } from './job-store';
import { PartialUploads } from './partial-uploads';
import { expandProfiles, planJob, type JobPlan } from './plan';
import { ProgressTracker, type TaskProgress } from './progress';
import { DEFAULT_MAX_RUNNING_JOBS, loadMaxRunningJobs } from './queue-settings';
import { applySharedFiles, signAfterExport } from './share-after-export';
import { UploadClaims } from './upload-claims';
import { deliverByWorkers, type WorkerDeliveryDeps } from './worker-delivery';
import { WorkerPool } from './worker-pool';

type ActiveJob = {
  record: JobRecord;
  job: Job;
  /** The job as submitted (profiles named, not expanded): Retry plans it again. */
  submitted: unknown;
  cancels: Set<() => void>;
  cancelled: boolean;
  /** Paused: its uploads stop keeping their partial state; `pauses` stops them. */
  paused: boolean;
  pauses: Set<() => void>;
  done: Promise<JobRecord>;
  delivered: DeliveredWriter;
};

export type EngineEvents = {
  job: [JobRecord];
  progress: [TaskProgress];
};

export type RunnerOptions = {
  resolveProfile?: ProfileResolver | undefined;
  /** Exporters of the main thread, by operation (export/url); the others run in workers. */
  taskExporters?: TaskExporter<ExportOperation>[];
  /** Where every delivered file is recorded (see delivery-log/). */
  deliveryLog: DeliveryLog;
  /** `--bwlimit`: this run's global bandwidth limit instead of the saved one. */
  bwlimit?: BwLimit | undefined;
};

/**
 * Runs jobs: validates them whole, plans names, takes turns in the queue,
 * hands each file to a worker (or a task to an exporter of the main thread),
 * reports progress, cancels, and parks a paused job (job-control.ts pauses,
 * resumes and retries). What it runs is kept by the job store.
 */
export class JobRunner {
  protected readonly partials: PartialUploads;
  protected readonly claims: UploadClaims;
  private readonly pool: WorkerPool;
  protected readonly active = new Map<string, ActiveJob>();
  protected readonly events = new EventEmitter<EngineEvents>();
  private readonly progress: ProgressTracker;
  protected readonly resolveProfile: ProfileResolver | undefined;
  private readonly taskExporters: Map<ExportOperation, TaskExporter<ExportOperation>>;
  private readonly delivery: WorkerDeliveryDeps;
  // Originals of jobs this runner ran, for retry and resume (never persisted: they hold credentials).
  protected readonly finishedJobs = new Map<string, Pick<ActiveJob, 'job' | 'submitted'>>();
  /** At most `max_running_jobs` jobs run at once; the others wait in line. */
  protected readonly queue = new JobQueue(DEFAULT_MAX_RUNNING_JOBS, () => this.queueChanged());
  /** Every delivered file, kept `logRetentionDays`. */
  readonly deliveryLog: DeliveryLog;
  /** Bandwidth limits of this process's transfers (started by Engine.open). */
  readonly bandwidth: BandwidthControl;

  constructor(
    readonly config: OutboxConfig,
    protected readonly store: JobStore,
    options: RunnerOptions,
  ) {
    this.deliveryLog = options.deliveryLog;
    this.partials = new PartialUploads(config.home);
    this.claims = new UploadClaims(config.home, store.owner);
    this.bandwidth = new BandwidthControl(config.home, options.bwlimit);
    this.pool = WorkerPool.of(config, this.bandwidth.buckets);
    this.progress = new ProgressTracker((update) => this.events.emit('progress', update));
    this.resolveProfile = options.resolveProfile;
    this.taskExporters = new Map((options.taskExporters ?? []).map((e) => [e.operation, e]));
    this.delivery = {
      pool: this.pool,
      progress: this.progress,
      delivered: store.delivered,
      partials: this.partials,
      claims: this.claims,
      window: (operation) => 2 * config.workers * filesInFlight(config, operation),
    };
  }

  on<E extends keyof EngineEvents>(
    event: E,
    listener: (...args: EngineEvents[E]) => void,
  ): () => void {
    this.events.on(event, listener as never);
    return () => this.events.off(event, listener as never);
  }

  /** Whether this version of Outbox has an exporter for `operation` (throws naming `field` if not). */
  private checkAvailable(operation: ExportOperation, field: string): void {
    if (this.taskExporters.has(operation) || hasExporter(operation)) return;
    throw ValidationError.of(field, `${operation} is not available in this version of Outbox`);
  }

  /**
   * Validates the job (parameters, graph, files, names) and starts it.
   * Throws ValidationError/OutboxError before anything is stored or sent.
   */
  async submit(raw: unknown, options: { tag?: string } = {}): Promise<JobRecord> {
    const plan = await planJob(raw, this.resolveProfile);
    for (const [name, task] of Object.entries(plan.job.tasks)) {
      if (isExportTask(task)) this.checkAvailable(task.operation, `tasks.${name}.operation`);
    }
    this.prepareExporters(plan);
    const record = this.store.create(plan, options.tag ?? plan.job.tag);
    await this.store.save(record);
    return this.start(record, plan, structuredClone(raw));
  }

  /** A worker starts and loads the job's exporters while the job's record is written. */
  protected prepareExporters(plan: JobPlan): void {
    const operations = Object.values(plan.job.tasks).flatMap((task) =>
      isExportTask(task) && !this.taskExporters.has(task.operation) && hasExporter(task.operation)
        ? [task.operation]
        : [],
    );
    this.pool.prepare([...new Set(operations)]);
  }

  protected start(record: JobRecord, plan: JobPlan, submitted: unknown): JobRecord {
    const active: ActiveJob = {
      record,
      job: plan.job,
      submitted,
      cancels: new Set(),
      cancelled: false,
      paused: false,
      pauses: new Set(),
      done: Promise.resolve(record),
      delivered: new DeliveredWriter(record, this.store.delivered, this.deliveryLog),
    };
    active.done = this.execute(active, plan);
    this.active.set(record.id, active);
    void active.done.finally(() => this.active.delete(record.id));
    return copyOfJob(record);
  }

  /** Resolves when the job has ended (finished or error). */
  async wait(id: string): Promise<JobRecord> {
    const active = this.active.get(id);
    if (active) return copyOfJob(await active.done);
    const record = await this.store.get(id);
    if (!record) throw new OutboxError('NOT_FOUND', `no job ${id}`);
    return record;
  }

  /** Submits and waits. */
  async run(raw: unknown, options: { tag?: string } = {}): Promise<JobRecord> {
    const record = await this.submit(raw, options);
    return this.wait(record.id);
  }

  async get(id: string): Promise<JobRecord | undefined> {
    const active = this.active.get(id);
    return active ? copyOfJob(active.record) : this.store.get(id);
  }

  /** Jobs kept (the last `retentionSeconds`), newest first. */
  async list(): Promise<JobRecord[]> {
    const stored = await this.store.list();
    const merged = stored.map((record) => this.active.get(record.id)?.record ?? record);
    return merged.map(copyOfJob).sort((a, b) => b.created_at.localeCompare(a.created_at));
  }

  /** Stops a running job promptly: queued files never start, running ones are aborted. */
  cancel(id: string): boolean {
    const active = this.active.get(id);
    if (!active) return false;
    active.cancelled = true;
    this.queue.takeOut(id);
    for (const cancel of active.cancels) cancel();
    return true;
  }

  /** Deletes a job from history (not its links). */
  async remove(id: string): Promise<void> {
    if (this.active.has(id))
      throw new OutboxError('INVALID_DATA', 'cancel the job before removing it');
    await this.store.remove(id);
  }

  /**
   * "Create share link" for files a finished cloud export stored (all of the
   * task's, or the one at `fileIndex`): signed in a worker with the job's or
   * its profile's credentials, checked, and written into the task's results.
   */
  async createShareLink(
    id: string,
    taskName: string,
    fileIndex?: number,
    expiresIn = 86400,
  ): Promise<JobRecord> {
    const record = await this.get(id);
    if (!record) throw new OutboxError('NOT_FOUND', `no job ${id}`);
    const signed = await signAfterExport(
      record,
      taskName,
      { ...(fileIndex === undefined ? {} : { file: fileIndex }), expires_in: expiresIn },
      {
        original: (this.active.get(id) ?? this.finishedJobs.get(id))?.job,
        resolveProfile: this.resolveProfile,
        sign: (request) => this.pool.share(request),
      },
    );
    const active = this.active.get(id);
    if (active) {
      applySharedFiles(active.record, taskName, signed);
      await this.update(active);
      return copyOfJob(active.record);
    }
    const current = (await this.store.get(id)) ?? record;
    applySharedFiles(current, taskName, signed);
    await this.store.save(current);
    this.events.emit('job', copyOfJob(current));
    return current;
  }

  /** "Test connection" for a task's destination: credentials and write access, nothing left behind. */
  async probe(raw: unknown): Promise<ProbeResult> {
    const { job } = await expandProfiles({ tasks: { probe: raw } }, this.resolveProfile);
    const task = validateTask((job as { tasks: { probe: unknown } }).tasks.probe);
    if (!isExportTask(task))
      throw ValidationError.of('operation', 'only export tasks have a destination to test');
    this.checkAvailable(task.operation, 'operation');
    const local = this.taskExporters.get(task.operation);
    if (local) return local.probe(task);
    return this.pool.probe({
      operation: task.operation as UploadOperation,
      params: task,
      path: probePath(destinationOf(task.operation), task),
    });
  }

  /** Cancels what runs and waits for it to end; stops the workers. */
  async close(): Promise<void> {
    for (const id of this.active.keys()) this.cancel(id);
    await Promise.allSettled([...this.active.values()].map((a) => a.done));
    await this.store.close();
    await this.pool.close();
    this.bandwidth.close();
    this.deliveryLog.close();
  }

  private async execute(active: ActiveJob, plan: JobPlan): Promise<JobRecord> {
    const { record } = active;
    for (const task of record.tasks) {
      const files = plan.imported.get(task.name);
      if (files) {
        task.status = 'finished';
        task.ended_at = task.started_at = new Date().toISOString();
        task.result = { files: fixedList(files) };
      }
    }
    // The setting as it is now (`outbox settings jobs N` from another process too).
    this.queue.setLimit(await loadMaxRunningJobs(this.config.home));
    const turn = this.queue.turn(record.id); // in line now: its record says so
    await this.update(active);
    if ((await turn) === 'start') {
      await Promise.all(
        record.tasks
          .filter((task) => !plan.imported.has(task.name) && task.status === 'waiting')
          .map((task) => this.runExport(active, plan, task)),
      ).finally(() => this.queue.leave(record.id));
    } else if (!active.paused) {
      JobStore.cancelWaiting(record); // cancelled before its turn
    }
    await active.delivered.flush();
    // A paused job is kept as it is, its delivered log too, until Resume (also after a restart).
    if (active.paused) record.paused_at = new Date().toISOString();
    else record.ended_at = new Date().toISOString();
    await this.update(active);
    // Only now: until the final record is on disk, a crash must still find what was delivered (Retry too).
    if (record.status === 'finished') await this.store.delivered.remove(record.id).catch(() => {});
    this.finishedJobs.set(record.id, { job: active.job, submitted: active.submitted });
    return record;
  }

  private async runExport(active: ActiveJob, plan: JobPlan, task: TaskRecord): Promise<void> {
    const params = active.job.tasks[task.name] as ExportTask;
    const files = plan.filesOf.get(task.name) ?? [];
    task.status = 'processing';
    task.started_at = new Date().toISOString();
    await this.update(active);
    const origin = { job_id: active.record.id, task: task.name };
    this.progress.start(
      origin,
      files.map((f) => f.size),
    );
    const local = this.taskExporters.get(params.operation);
    const { results, errors } = local
      ? await local.exportFiles(params, files, origin).then(
          async (results) => {
            await recordLinks(this.deliveryLog, active.record, task, files, results);
            return { results, errors: [] as ErrorInfo[] };
          },
          (error: unknown) => ({ results: [] as ResultFile[], errors: [toErrorInfo(error)] }),
        )
      : await deliverByWorkers(
          this.delivery,
          {
            jobId: active.record.id,
            task: task.name,
            params: params as ExportTask & { operation: UploadOperation },
            files,
            names: plan.names.get(task.name) ?? [],
            progressKey: origin,
            limits: this.bandwidth.slotsFor(plan.profiles.get(task.name)),
            cancelled: () => active.cancelled,
            cancels: active.cancels,
            paused: () => active.paused,
            pauses: active.pauses,
            delivered: (file) => active.delivered.add(file),
          },
          task.delivered,
        );
    this.progress.end(origin);

    delete task.delivered;
    if (active.paused && !active.cancelled && !local) {
      task.status = 'waiting'; // its delivered files are in the delivered log, its partials kept
      return this.update(active);
    }
    task.ended_at = new Date().toISOString();
    task.result = { files: results.filter(Boolean) };
    if (active.cancelled) {
      Object.assign(task, { status: 'error', code: 'CANCELLED', message: 'Cancelled.' });
    } else if (errors.length > 0) {
      const first = errors[0] as ErrorInfo;
      task.status = 'error';
      task.code = first.code;
      task.message =
        files.length > 1
          ? `${errors.length} of ${files.length} files failed. ${first.message}`
          : first.message;
      if (first.detail) task.detail = first.detail;
    } else {
      task.status = 'finished';
    }
    await this.update(active);
  }

  /** The waiting jobs' places in line, as their records show them. */
  private queueChanged(): void {
    for (const active of this.active.values())
      if (
        !active.cancelled && // ends at once, as cancelled
        (active.record.queue_position ?? 0) !== this.queue.position(active.record.id)
      )
        void this.update(active).catch(() => {});
  }

  private async update(active: ActiveJob): Promise<void> {
    const { record } = active;
    const position = this.queue.position(record.id);
    if (position > 0) record.queue_position = position;
    else delete record.queue_position;
    record.status = active.paused ? 'paused' : position > 0 ? 'waiting' : jobStatusOf(record.tasks);
    // Saved first: a long list is stored (and frozen) then, and the copies share it.
    const saved = this.store.save(active.record);
    if (this.events.listenerCount('job') > 0) this.events.emit('job', copyOfJob(active.record));
    await saved;
  }
}
