import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import type { OutboxConfig } from '../config';
import { OutboxError, ValidationError, toErrorInfo, type ErrorInfo } from '../errors';
import { hasExporter } from '../exporters/registry';
import type { ProbeResult } from '../exporters/exporter';
import { createUrlExport } from '../links/url-export';
import { LinkStore } from '../links/link-store';
import { findRunningServer } from '../http/server-info';
import { ensurePrivateDir } from '../store/atomic-file';
import { RecordDir } from '../store/record-dir';
import type { ExportTask } from '../tasks/operations';
import { secretValuesOf, withoutSecrets } from '../tasks/secrets';
import { inputsOf, isExportTask, validateTask, type Job } from '../tasks/validate';
import { DeliveredLog, sameSource, type DeliveredFile } from './delivered-log';
import { engineStarted, engineStopped, ownerAlive, type Owner } from './owner';
import { PartialUploads } from './partial-uploads';
import { alreadyExporting, UploadClaims } from './upload-claims';
import type { ProfileResolver } from '../profiles/profile-params';
import { expandProfiles, planJob, type JobPlan } from './plan';
import { ProgressTracker, type TaskProgress } from './progress';
import { applySharedFiles, signAfterExport } from './share-after-export';
import {
  jobRecordSchema,
  jobStatusOf,
  type JobRecord,
  type ResultFile,
  type TaskRecord,
} from '../transfer/records';
import { WorkerPool } from './worker-pool';

/** Links stay answerable (410 Gone) this long after they expire, then are deleted. */
const LINK_TOMBSTONE_MS = 7 * 86400 * 1000;
const SWEEP_INTERVAL_MS = 10 * 60 * 1000;
/** Delivered files of a running job are written down at most this often. */
const DELIVERED_SAVE_MS = 1000;

type ActiveJob = {
  record: JobRecord;
  job: Job;
  cancels: Set<() => void>;
  cancelled: boolean;
  done: Promise<JobRecord>;
  /** Delivered files not yet in the delivered log, and the write under way. */
  unsaved: DeliveredFile[];
  saveTimer?: NodeJS.Timeout | undefined;
  saving: Promise<void>;
};

export type EngineEvents = {
  job: [JobRecord];
  progress: [TaskProgress];
};

/**
 * Runs jobs: validates them whole, plans names, hands each file to a worker,
 * and keeps every job's state on disk (atomic writes) so that any host — the
 * app, `outbox serve`, the CLI — sees the same jobs and survives a crash.
 */
export class Engine {
  readonly links: LinkStore;
  private readonly jobs: RecordDir<JobRecord>;
  private readonly partials: PartialUploads;
  private readonly delivered: DeliveredLog;
  private readonly claims: UploadClaims;
  private readonly pool: WorkerPool;
  private readonly active = new Map<string, ActiveJob>();
  private readonly events = new EventEmitter<EngineEvents>();
  private readonly progress: ProgressTracker;
  private readonly writes = new Map<string, Promise<void>>();
  private readonly engineId = randomUUID();
  /** This engine as the owner of its jobs and claims. */
  private readonly owner: Owner = engineStarted(this.engineId);
  private readonly idleTimeoutMs: number;
  private sweepTimer: NodeJS.Timeout | undefined;

  private constructor(
    readonly config: OutboxConfig,
    readonly linkBaseUrl: string,
    private readonly resolveProfile: ProfileResolver | undefined,
  ) {
    this.links = new LinkStore(config.home, linkBaseUrl);
    this.jobs = new RecordDir(join(config.home, 'jobs'), jobRecordSchema);
    this.partials = new PartialUploads(config.home);
    this.delivered = new DeliveredLog(config.home);
    this.claims = new UploadClaims(config.home, this.owner);
    this.pool = new WorkerPool({ size: config.workers, maxPerWorker: config.transfersPerWorker });
    this.idleTimeoutMs = config.idleTimeoutSeconds * 1000;
    this.progress = new ProgressTracker((update) => this.events.emit('progress', update));
  }

  /**
   * Opens the data directory: marks jobs of dead processes as interrupted,
   * sweeps expired records and, for long-running hosts (`resumeInterrupted`:
   * the app, `outbox serve`), resumes the interrupted jobs that can be.
   */
  static async open(
    config: OutboxConfig,
    options: {
      linkBaseUrl?: string;
      sweepEvery?: boolean;
      resolveProfile?: ProfileResolver;
      resumeInterrupted?: boolean;
    } = {},
  ): Promise<Engine> {
    await ensurePrivateDir(config.home); // also an existing one, made with a looser mode
    const engine = new Engine(
      config,
      options.linkBaseUrl ?? `http://${config.host}:${config.port}`,
      options.resolveProfile,
    );
    await engine.recoverInterrupted();
    await engine.sweep();
    if (options.resumeInterrupted) await engine.resumeInterrupted();
    if (options.sweepEvery) {
      engine.sweepTimer = setInterval(() => void engine.sweep(), SWEEP_INTERVAL_MS);
      engine.sweepTimer.unref();
    }
    return engine;
  }

  on<E extends keyof EngineEvents>(
    event: E,
    listener: (...args: EngineEvents[E]) => void,
  ): () => void {
    this.events.on(event, listener as never);
    return () => this.events.off(event, listener as never);
  }

  /**
   * Validates the job (parameters, graph, files, names) and starts it.
   * Throws ValidationError/OutboxError before anything is stored or sent.
   */
  async submit(raw: unknown, options: { tag?: string } = {}): Promise<JobRecord> {
    const plan = await planJob(raw, this.resolveProfile);
    for (const [name, task] of Object.entries(plan.job.tasks)) {
      if (isExportTask(task) && task.operation !== 'export/url' && !hasExporter(task.operation)) {
        throw ValidationError.of(
          `tasks.${name}.operation`,
          `${task.operation} is not available in this version of Outbox`,
        );
      }
    }
    const now = new Date();
    const tag = options.tag ?? plan.job.tag;
    const record: JobRecord = {
      id: randomUUID(),
      status: 'waiting',
      ...(tag === undefined ? {} : { tag }),
      created_at: now.toISOString(),
      expires_at: new Date(now.getTime() + this.config.retentionSeconds * 1000).toISOString(),
      owner: this.owner,
      tasks: Object.entries(plan.job.tasks).map(([name, task]) => ({
        id: randomUUID(),
        name,
        operation: task.operation,
        status: 'waiting',
        input: inputsOf(task),
        params: withoutSecrets(task) as TaskRecord['params'],
        ...(plan.profiles.has(name) ? { profile: plan.profiles.get(name) } : {}),
        resumable: plan.profiles.has(name) || secretValuesOf(task).length === 0,
        created_at: now.toISOString(),
      })),
    };
    await this.save(record);
    return this.start(record, plan);
  }

  private start(record: JobRecord, plan: JobPlan): JobRecord {
    const active: ActiveJob = {
      record,
      job: plan.job,
      cancels: new Set(),
      cancelled: false,
      done: Promise.resolve(record),
      unsaved: [],
      saving: Promise.resolve(),
    };
    active.done = this.execute(active, plan);
    this.active.set(record.id, active);
    void active.done.finally(() => this.active.delete(record.id));
    return structuredClone(record);
  }

  /**
   * Continues a job that Outbox was stopped in the middle of (killed, crashed,
   * machine off): tasks that had finished keep their results, files already
   * delivered are not sent again, and large uploads continue from the parts
   * the server already has. Needs the credentials again, so only tasks whose
   * destination is a saved profile (or needs no secret) can be resumed.
   */
  async resume(id: string): Promise<JobRecord> {
    if (this.active.has(id)) throw new OutboxError('INVALID_DATA', `job ${id} is running`);
    const record = await this.jobs.get(id);
    if (!record) throw new OutboxError('NOT_FOUND', `no job ${id}`);
    const interrupted = record.tasks.filter((task) => task.code === 'INTERRUPTED');
    if (interrupted.length === 0) {
      throw new OutboxError(
        'INVALID_DATA',
        ownerAlive(record.owner)
          ? `job ${id} is running in another Outbox process`
          : `job ${id} was not interrupted: nothing to resume`,
      );
    }
    const lacking = interrupted.filter((task) => !task.resumable).map((task) => task.name);
    if (lacking.length > 0) {
      throw new OutboxError(
        'INVALID_DATA',
        `job ${id} cannot be resumed: task ${lacking.join(', ')} had credentials that are not kept after Outbox stops. Export the files again (with a saved profile, jobs resume after a restart).`,
      );
    }
    const raw = {
      tasks: Object.fromEntries(
        record.tasks.map((task) => [
          task.name,
          { ...task.params, ...(task.profile ? { profile: task.profile } : {}) },
        ]),
      ),
    };
    const plan = await planJob(raw, this.resolveProfile);
    for (const task of interrupted) {
      task.status = 'waiting';
      for (const field of ['code', 'message', 'detail', 'ended_at', 'result'] as const) {
        delete task[field];
      }
    }
    delete record.ended_at;
    record.owner = this.owner;
    record.status = jobStatusOf(record.tasks);
    await this.save(record);
    return this.start(record, plan);
  }

  /** Resolves when the job has ended (finished or error). */
  async wait(id: string): Promise<JobRecord> {
    const active = this.active.get(id);
    if (active) return structuredClone(await active.done);
    const record = await this.jobs.get(id);
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
    return active ? structuredClone(active.record) : this.jobs.get(id);
  }

  /** Jobs kept (the last `retentionSeconds`), newest first. */
  async list(): Promise<JobRecord[]> {
    const stored = await this.jobs.list();
    const merged = stored.map((record) => this.active.get(record.id)?.record ?? record);
    return structuredClone(merged).sort((a, b) => b.created_at.localeCompare(a.created_at));
  }

  /** Stops a running job promptly: queued files never start, running ones are aborted. */
  cancel(id: string): boolean {
    const active = this.active.get(id);
    if (!active) return false;
    active.cancelled = true;
    for (const cancel of active.cancels) cancel();
    return true;
  }

  /**
   * Runs a job again. Needs the original (with credentials) from this
   * session; an interrupted job of a saved profile is resumed instead.
   */
  async retry(id: string): Promise<JobRecord> {
    const original = this.finishedJobs.get(id);
    const stored = original ? undefined : await this.jobs.get(id);
    if (stored?.tasks.some((task) => task.code === 'INTERRUPTED' && task.resumable)) {
      return this.resume(id);
    }
    if (!original) {
      throw new OutboxError(
        'NOT_FOUND',
        'This job can no longer be retried here (its credentials are not kept after Outbox restarts). Export the files again.',
      );
    }
    const record = await this.get(id);
    return this.submit(original, record?.tag ? { tag: record.tag } : {});
  }

  /** Deletes a job from history (not its links). */
  async remove(id: string): Promise<void> {
    if (this.active.has(id))
      throw new OutboxError('INVALID_DATA', 'cancel the job before removing it');
    await this.jobs.remove(id);
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
        original: this.active.get(id)?.job ?? this.finishedJobs.get(id),
        resolveProfile: this.resolveProfile,
        sign: (request) => this.pool.share(request),
      },
    );
    const active = this.active.get(id);
    if (active) {
      applySharedFiles(active.record, taskName, signed);
      await this.update(active);
      return structuredClone(active.record);
    }
    const current = (await this.jobs.get(id)) ?? record;
    applySharedFiles(current, taskName, signed);
    await this.save(current);
    this.events.emit('job', structuredClone(current));
    return current;
  }

  /** "Test connection" for a task's destination: credentials and write access, nothing left behind. */
  async probe(raw: unknown): Promise<ProbeResult> {
    const { job } = await expandProfiles({ tasks: { probe: raw } }, this.resolveProfile);
    const task = validateTask((job as { tasks: { probe: unknown } }).tasks.probe);
    if (!isExportTask(task))
      throw ValidationError.of('operation', 'only export tasks have a destination to test');
    if (task.operation === 'export/url') {
      // Links need a running server on this data directory: say whether one runs.
      const server = await findRunningServer(this.config.home);
      return {
        ok: true,
        message: server
          ? `Links are served at ${server.url} (by the Outbox server of ${this.config.home}, process ${server.pid}).`
          : `No Outbox server runs on ${this.config.home}: links made now will be served at ${this.linkBaseUrl} once the Outbox app or "outbox serve" runs (or export with --serve).`,
      };
    }
    if (!hasExporter(task.operation)) {
      throw ValidationError.of(
        'operation',
        `${task.operation} is not available in this version of Outbox`,
      );
    }
    return this.pool.probe({ operation: task.operation, params: task });
  }

  async sweep(now = Date.now()): Promise<void> {
    const resumable = new Set(this.active.keys());
    for (const record of await this.jobs.list()) {
      if (Date.parse(record.expires_at) <= now && !this.active.has(record.id)) {
        await this.jobs.remove(record.id);
        this.finishedJobs.delete(record.id);
      } else if (record.tasks.some((task) => task.code === 'INTERRUPTED')) {
        resumable.add(record.id);
      }
    }
    await this.delivered.sweep(resumable);
    await this.links.sweep(now, LINK_TOMBSTONE_MS);
    await this.partials.sweep(now);
    await this.claims.sweep();
  }

  async close(): Promise<void> {
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    for (const id of this.active.keys()) this.cancel(id);
    await Promise.allSettled([...this.active.values()].map((a) => a.done));
    await Promise.all(this.writes.values());
    await this.pool.close();
    engineStopped(this.engineId);
  }

  // Originals of jobs this engine ran, for retry (never persisted: they hold credentials).
  private readonly finishedJobs = new Map<string, Job>();

  private async execute(active: ActiveJob, plan: JobPlan): Promise<JobRecord> {
    const { record } = active;
    for (const task of record.tasks) {
      const files = plan.sources.get(task.name);
      if (files) {
        task.status = 'finished';
        task.ended_at = task.started_at = new Date().toISOString();
        task.result = { files: files.map((file) => ({ filename: file.name, size: file.size })) };
      }
    }
    await this.update(active);
    await Promise.all(
      record.tasks
        .filter((task) => !plan.sources.has(task.name) && task.status === 'waiting')
        .map((task) => this.runExport(active, plan, task)),
    );
    await this.saveDelivered(active);
    record.ended_at = new Date().toISOString();
    await this.update(active);
    // Only now: until the final record is on disk, a crash must still find what was delivered.
    await this.delivered.remove(record.id).catch(() => {});
    this.finishedJobs.set(record.id, active.job);
    return record;
  }

  private async runExport(active: ActiveJob, plan: JobPlan, task: TaskRecord): Promise<void> {
    const params = active.job.tasks[task.name] as ExportTask;
    const files = plan.filesOf.get(task.name) ?? [];
    const names = plan.names.get(task.name) ?? [];
    task.status = 'processing';
    task.started_at = new Date().toISOString();
    await this.update(active);
    const progressKey = { job_id: active.record.id, task: task.name };
    this.progress.start(
      progressKey,
      files.map((f) => f.size),
    );

    const results: ResultFile[] = [];
    const errors: ErrorInfo[] = [];
    if (params.operation === 'export/url') {
      try {
        results.push(
          ...(await createUrlExport(params, files, this.links, {
            job_id: active.record.id,
            task: task.name,
          })),
        );
      } catch (error) {
        errors.push(toErrorInfo(error));
      }
    } else {
      const operation = params.operation;
      // Delivered before a crash: in the log, or (records of earlier versions) in the task.
      const delivered = await this.delivered.read(active.record.id, task.name);
      for (const d of task.delivered ?? []) delivered.set(d.name, { task: task.name, ...d });
      const recorded = await this.partials.keys();
      const keyOf = PartialUploads.keysOf(params);
      const sending = files.map((source, i) => {
        const name = names[i] ?? source.name;
        const before = delivered.get(name);
        return before && sameSource(before.source, source)
          ? { source, name, before }
          : { source, name, key: keyOf(name, source) };
      });
      // Before any partial upload is looked at: they are this task's alone.
      const claim = await this.claims
        .claim(
          sending.flatMap((file) => (file.key === undefined ? [] : [file.key])),
          { job_id: active.record.id, task: task.name },
        )
        .catch((error: unknown) => toErrorInfo(error));
      await Promise.all(
        sending.map(async ({ source, name, before, key: partialKey }, i) => {
          if (before) {
            results[i] = before.result;
            this.progress.add(progressKey, source.size);
            this.progress.fileDone(progressKey);
            return;
          }
          if (active.cancelled) {
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
          const previous = partial ? await this.partials.previous(partialKey, source) : undefined;
          const upload = this.pool.upload(
            {
              operation,
              params: params as Record<string, unknown>,
              source,
              name,
              ...(previous ? { previous } : {}),
              idleTimeoutMs: this.idleTimeoutMs,
            },
            (bytes) => this.progress.add(progressKey, bytes),
            (state) => {
              partial = true;
              return this.partials.save(
                partialKey,
                { task: params, name, source, jobId: active.record.id },
                state,
              );
            },
          );
          active.cancels.add(upload.cancel);
          try {
            results[i] = await upload.done;
            active.unsaved.push({
              task: task.name,
              name,
              source: { path: source.path, size: source.size, mtimeMs: source.mtimeMs },
              result: results[i],
            });
            this.saveDeliveredSoon(active);
            this.progress.fileDone(progressKey);
          } catch (error) {
            errors.push(toErrorInfo(error));
          } finally {
            active.cancels.delete(upload.cancel);
            // Ended either way: delivered, or the exporter removed what it had sent.
            if (partial) await this.partials.remove(partialKey).catch(() => {});
          }
        }),
        // The claim is released however the files ended: only a crash leaves one behind.
      ).finally(() => ('code' in claim ? undefined : claim.release()));
    }
    this.progress.end(progressKey);

    delete task.delivered;
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

  /** Appends delivered files to the log within DELIVERED_SAVE_MS (many small files: one write a batch). */
  private saveDeliveredSoon(active: ActiveJob): void {
    active.saveTimer ??= setTimeout(() => void this.saveDelivered(active), DELIVERED_SAVE_MS);
  }

  /** Appends the files delivered so far (writes of one job in order); resolves once on disk. */
  private saveDelivered(active: ActiveJob): Promise<void> {
    clearTimeout(active.saveTimer);
    active.saveTimer = undefined;
    const files = active.unsaved.splice(0);
    active.saving = active.saving
      .then(() => this.delivered.append(active.record.id, files))
      .catch(() => {}); // a lost batch costs only sending those files again after a crash
    return active.saving;
  }

  private async update(active: ActiveJob): Promise<void> {
    active.record.status = jobStatusOf(active.record.tasks);
    // A copy per listener-less event costs ~0.1 s for a 100,000-file job's record.
    if (this.events.listenerCount('job') > 0)
      this.events.emit('job', structuredClone(active.record));
    await this.save(active.record);
  }

  /** Writes of one job are serialized so an older state never overwrites a newer one. */
  private save(record: JobRecord): Promise<void> {
    // Serialized now: the text is the snapshot (no copy of the record, and one pass over it).
    const snapshot = this.jobs.serialize(record);
    const previous = this.writes.get(record.id) ?? Promise.resolve();
    const next = previous.then(() => this.jobs.putSerialized(record.id, snapshot));
    this.writes.set(
      record.id,
      next.catch(() => {}),
    );
    return next;
  }

  /** Resumes every interrupted job that can be (see `resume`); the others stay as they are. */
  private async resumeInterrupted(): Promise<void> {
    for (const record of await this.jobs.list()) {
      const interrupted = record.tasks.filter((task) => task.code === 'INTERRUPTED');
      if (interrupted.length === 0 || !interrupted.every((task) => task.resumable)) continue;
      if (Date.parse(record.expires_at) <= Date.now() || ownerAlive(record.owner)) continue;
      // A job that cannot start (a profile deleted, a file gone) stays interrupted; say why.
      await this.resume(record.id).catch(async (error: unknown) => {
        const info = toErrorInfo(error);
        const current = (await this.jobs.get(record.id)) ?? record;
        for (const task of current.tasks) {
          if (task.code === 'INTERRUPTED') {
            task.message = `Outbox stopped while this task was running and could not resume it: ${info.message}`;
          }
        }
        await this.jobs.put(record.id, current);
      });
    }
  }

  private async recoverInterrupted(): Promise<void> {
    for (const record of await this.jobs.list()) {
      if (record.status === 'finished' || record.status === 'error') continue;
      if (ownerAlive(record.owner)) continue;
      const now = new Date().toISOString();
      for (const task of record.tasks) {
        if (task.status === 'waiting' || task.status === 'processing') {
          Object.assign(task, {
            status: 'error',
            code: 'INTERRUPTED',
            message: task.resumable
              ? `Outbox stopped while this task was running. It continues where it stopped when the Outbox app or "outbox serve" starts, or with "outbox jobs resume ${record.id}".`
              : 'Outbox stopped while this task was running. Export the files again: large files continue from what was already uploaded.',
            ended_at: now,
          });
        }
      }
      record.status = jobStatusOf(record.tasks);
      record.ended_at = now;
      await this.jobs.put(record.id, record);
    }
  }
}
