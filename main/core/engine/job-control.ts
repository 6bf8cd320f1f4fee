import { OutboxError } from '../errors';
import type { JobRecord, TaskRecord } from '../transfer/records';
import { copyOfJob } from './job-lists';
import { JobRequests, type JobAction, type JobRequest } from './job-requests';
import { JobRunner } from './job-runner';
import { JobStore } from './job-store';
import { ownerAlive, sameOwner } from './owner';
import { planJob } from './plan';

export type ControlAllResult = { jobs: JobRecord[]; failed: { id: string; message: string }[] };

/**
 * What a person does to jobs once they started: pause and resume them (one
 * or all), resume jobs a stop of Outbox interrupted, retry, and order the
 * queue of waiting jobs. A paused job keeps its partial uploads and its
 * delivered files; resuming it goes through the crash-resume mechanism.
 */
export class ControlledRunner extends JobRunner {
  /** Pause, resume, front and cancel asked by other Outbox processes (`outbox jobs pause ID`). */
  protected readonly requests = new JobRequests(this.config.home);
  /** Jobs paused by this engine: let go when it closes, for any process to resume. */
  private readonly pausedHere = new Set<string>();

  /**
   * `action` on job `id`, wherever it runs: here, or by a request to the
   * Outbox process that owns it (the app, `outbox serve`, an `outbox export`).
   * Returns the job's record after it.
   */
  async control(id: string, action: JobAction): Promise<JobRecord> {
    const record = await this.get(id);
    if (!record) throw new OutboxError('NOT_FOUND', `no job ${id}`);
    if (!this.ownedElsewhere(record)) return this.act(id, action);
    await this.requests.ask(id, action, record.owner);
    return (await this.get(id)) ?? record;
  }

  /** Whether another live Outbox process owns the job (runs it, or paused it). */
  ownedElsewhere(record: JobRecord): boolean {
    if (this.active.has(record.id) || sameOwner(record.owner, this.store.owner)) return false;
    return ownerAlive(record.owner);
  }

  private async act(id: string, action: JobAction): Promise<JobRecord> {
    if (action === 'pause') return this.pause(id);
    if (action === 'resume') return this.resume(id);
    if (action === 'front') return this.moveToFront(id);
    if (!(await this.cancelAny(id)))
      throw new OutboxError('INVALID_DATA', `job ${id} has ended: nothing to cancel`);
    return (await this.get(id)) as JobRecord;
  }

  /** Takes the requests of other processes about this process's jobs (see JobRequests). */
  protected serveRequests(): void {
    this.requests.serve(async (request: JobRequest) => {
      const record = await this.get(request.job_id);
      if (!record || this.ownedElsewhere(record) || !ownerAlive(record.owner)) return false;
      await this.act(request.job_id, request.action);
      return true;
    });
  }

  override async close(): Promise<void> {
    this.requests.stop();
    for (const id of this.pausedHere) await this.store.release(id).catch(() => undefined);
    await super.close();
  }
  /**
   * Continues a job that was paused, or that Outbox was stopped in the middle
   * of (killed, crashed, machine off): tasks that had finished keep their
   * results, files already delivered are not sent again, and large uploads
   * continue from the parts the server already has. A job of an earlier
   * session needs its credentials again, so only tasks whose destination is
   * a saved profile (or needs no secret) can be resumed then. The job waits
   * for its turn in the queue like a new one.
   */
  async resume(id: string): Promise<JobRecord> {
    if (this.active.has(id)) throw new OutboxError('INVALID_DATA', `job ${id} is running`);
    this.pausedHere.delete(id);
    // Paused in this session: its original has the credentials (of a task given them inline too).
    const original = this.finishedJobs.get(id);
    const record = await this.store.toResume(id, original !== undefined);
    const submitted = original?.submitted ?? JobStore.tasksOf(record);
    const plan = await planJob(submitted, this.resolveProfile);
    this.prepareExporters(plan);
    await this.store.reopen(record, plan);
    return this.start(record, plan, submitted);
  }

  /** Resumes every interrupted job that can be (see `resume`); the others stay as they are. */
  protected async resumeInterrupted(): Promise<void> {
    for (const record of await this.store.resumable()) {
      // A job that cannot start (a profile deleted, a file gone) stays interrupted; say why.
      await this.resume(record.id).catch((error: unknown) => this.store.notResumed(record, error));
    }
  }

  /**
   * Runs the failed tasks of a job again, in the same job (see README, Several
   * destinations). Needs the original (with credentials) from this session; a
   * paused job, or an interrupted job of a saved profile, is resumed instead.
   */
  async retry(id: string): Promise<JobRecord> {
    if (this.active.has(id)) throw new OutboxError('INVALID_DATA', `job ${id} is running`);
    const original = this.finishedJobs.get(id);
    const record = await this.store.get(id);
    const interrupted = record?.tasks.some((t) => t.code === 'INTERRUPTED' && t.resumable);
    if (record?.status === 'paused' || (!original && interrupted)) return this.resume(id);
    if (!original || !record) {
      throw new OutboxError(
        'NOT_FOUND',
        'This job can no longer be retried here (its credentials are not kept after Outbox restarts). Export the files again.',
      );
    }
    const failed = (task: TaskRecord) => task.status === 'error';
    if (!record.tasks.some(failed)) {
      throw new OutboxError('INVALID_DATA', `job ${id} has no failed task to retry`);
    }
    const plan = await planJob(original.submitted, this.resolveProfile);
    this.prepareExporters(plan);
    await this.store.reopen(record, plan, failed);
    return this.start(record, plan, original.submitted);
  }

  /**
   * Pauses a running or waiting job: its transfers stop and release their
   * connections, their partial uploads are kept; `resume` continues them.
   * Resolves with the paused record once its transfers have stopped.
   */
  async pause(id: string): Promise<JobRecord> {
    const active = this.active.get(id);
    if (!active) return this.store.alreadyPaused(id);
    if (!active.paused && !active.cancelled) {
      active.paused = true;
      this.queue.takeOut(id);
      for (const pause of active.pauses) pause();
    }
    const record = copyOfJob(await active.done);
    if (record.status === 'paused') this.pausedHere.add(id);
    return record;
  }

  /**
   * Pause all / Resume all, across the Outbox processes of the data directory:
   * every running or waiting job is paused, every paused one resumed (oldest
   * first, so they queue in the order they came; one paused by a process that
   * has quit resumes here). Returns the jobs after, and why others could not be.
   */
  async controlAll(action: 'pause' | 'resume'): Promise<ControlAllResult> {
    const applies = (record: JobRecord) =>
      action === 'resume'
        ? record.status === 'paused'
        : (record.status === 'waiting' || record.status === 'processing') &&
          (this.active.has(record.id) || ownerAlive(record.owner));
    const targets = (await this.list()).filter(applies).reverse();
    const result: ControlAllResult = { jobs: [], failed: [] };
    for (const record of targets) {
      await this.control(record.id, action).then(
        (job) => result.jobs.push(job),
        (error: unknown) =>
          result.failed.push({ id: record.id, message: (error as Error).message }),
      );
    }
    return result;
  }

  /** Cancels a running, waiting or paused job; false when it had ended. */
  async cancelAny(id: string): Promise<boolean> {
    if (this.cancel(id)) return true;
    const cancelled = await this.store.cancelPaused(id);
    if (cancelled) this.events.emit('job', copyOfJob(cancelled));
    return cancelled !== undefined;
  }

  /** Moves a waiting job to the front of the queue: it starts next. */
  moveToFront(id: string): JobRecord {
    const active = this.active.get(id);
    if (!active || !this.queue.toFront(id))
      throw new OutboxError('INVALID_DATA', `job ${id} is not waiting in this Outbox's queue`);
    return copyOfJob(active.record);
  }

  /** `max_running_jobs` changed: more jobs start at once if it rose. */
  setMaxRunningJobs(limit: number): void {
    this.queue.setLimit(limit);
  }
}
