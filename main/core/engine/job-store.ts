import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { OutboxConfig } from '../config';
import { OutboxError, toErrorInfo, type ErrorInfo } from '../errors';
import { RecordDir } from '../store/record-dir';
import { secretValuesOf, withoutSecrets } from '../tasks/secrets';
import { inputsOf } from '../tasks/validate';
import { jobStatusOf, type JobRecord, type TaskRecord } from '../transfer/records';
import { DeliveredLog } from './delivered-log';
import { JobIndex } from './job-index';
import { JobLists, storedJobSchema, type StoredJob } from './job-lists';
import { engineStarted, engineStopped, ownerAlive, sameOwner, type Owner } from './owner';
import type { JobPlan } from './plan';

/**
 * The jobs of a data directory on disk: their records (atomic writes, one
 * job's writes in order), which process owns them, what a crash left
 * (interrupted jobs, the log of files delivered before it) and how long
 * they are kept. Runs nothing: the runner does.
 */
export class JobStore {
  readonly delivered: DeliveredLog;
  /** This process's engine as the owner of its jobs and claims. */
  readonly owner: Owner;
  /** Records as stored: long result lists named, kept by `lists`. */
  private readonly records: RecordDir<StoredJob>;
  private readonly lists: JobLists;
  private readonly writes = new Map<string, Promise<void>>();
  private readonly ownerId = randomUUID();
  private indexReady: Promise<JobIndex> | undefined;
  /** Jobs created here and not saved yet: no record, so no row before their first. */
  private readonly unsaved = new Set<string>();

  constructor(private readonly config: OutboxConfig) {
    this.records = new RecordDir(join(config.home, 'jobs'), storedJobSchema);
    this.lists = new JobLists(join(config.home, 'job-lists'));
    this.delivered = new DeliveredLog(config.home);
    this.owner = engineStarted(this.ownerId);
  }

  /** A new record for a planned job, owned by this process, kept `retentionSeconds`. */
  create(plan: JobPlan, tag: string | undefined): JobRecord {
    const now = new Date();
    const id = randomUUID();
    this.unsaved.add(id);
    return {
      id,
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
  }

  /** The index of the stored jobs (job-index.ts), opened when first asked. */
  private index(): Promise<JobIndex> {
    this.indexReady ??= JobIndex.open(this.config.home, this.records);
    return this.indexReady;
  }

  /** The stored records of `ids` (from the index) that still exist; rows of those gone are dropped. */
  private async *read(index: JobIndex, ids: string[]): AsyncGenerator<StoredJob> {
    for (const id of ids) {
      const record = await this.records.get(id);
      if (record) yield record;
      else index.forget(id); // gone, or not valid (the next open counts it and reads it once)
    }
  }

  /** The job with its result lists, or undefined when it does not exist or is not valid. */
  async get(id: string): Promise<JobRecord | undefined> {
    const stored = await this.records.get(id);
    return stored ? this.joined(stored) : undefined;
  }

  async list(): Promise<JobRecord[]> {
    const records = await Promise.all((await this.records.list()).map((s) => this.joined(s)));
    return records.filter((record) => record !== undefined);
  }

  /** A stored record with its result lists read in. */
  private joined(stored: StoredJob): Promise<JobRecord | undefined> {
    // A record saved again meanwhile may name a newer list, the older one removed: read it again.
    return this.lists
      .join(stored)
      .catch(async () => {
        const again = await this.records.get(stored.id);
        return again ? this.lists.join(again) : undefined;
      })
      .catch(() => undefined);
  }

  async remove(id: string): Promise<void> {
    const stored = await this.records.get(id);
    if (stored) await this.removeStored(stored);
    else {
      (await this.index()).forget(id);
      await this.records.remove(id);
    }
  }

  /** A record and the result lists it names. */
  private async removeStored(stored: StoredJob): Promise<void> {
    (await this.index()).forget(stored.id);
    await this.records.remove(stored.id);
    await this.lists.remove(JobLists.filesOf(stored));
  }

  /** Writes a record read from disk and changed (not through `save`: no lists change). */
  private async put(record: StoredJob): Promise<void> {
    const index = await this.index();
    index.noteBefore(record);
    await this.records.put(record.id, record);
    index.noteAfter(record);
  }

  /**
   * Writes of one job are serialized so an older state never overwrites a
   * newer one; a new long result list is written before the record naming it.
   */
  save(record: JobRecord): Promise<void> {
    // Serialized now: the text is the snapshot (no copy of the record, and one pass over it).
    const { stored, writes, replaced } = this.lists.split(record);
    const snapshot = this.records.serialize(stored);
    const previous = this.writes.get(record.id) ?? Promise.resolve();
    const first = this.unsaved.delete(record.id);
    const next = previous.then(async () => {
      const index = await this.index();
      await this.lists.write(writes);
      if (!first) index.noteBefore(stored);
      await this.records.putSerialized(record.id, snapshot);
      index.noteAfter(stored);
      await this.lists.remove(replaced);
    });
    this.writes.set(
      record.id,
      next.catch(() => {}),
    );
    return next;
  }

  /**
   * A paused job, or one interrupted by a stop of Outbox, to resume: refused,
   * saying why, when it runs (or is paused) in another process, was neither,
   * or lacks credentials (`hasOriginal`: this session has them).
   */
  async toResume(id: string, hasOriginal: boolean): Promise<JobRecord> {
    const record = await this.records.get(id);
    if (!record) throw new OutboxError('NOT_FOUND', `no job ${id}`);
    const paused = record.status === 'paused';
    if (paused && ownerAlive(record.owner) && !sameOwner(record.owner, this.owner)) {
      throw new OutboxError(
        'INVALID_DATA',
        `job ${id} was paused in another Outbox process (pid ${record.owner.pid}): resume it there`,
      );
    }
    const interrupted = record.tasks.filter((task) =>
      paused ? task.status === 'waiting' : task.code === 'INTERRUPTED',
    );
    if (interrupted.length === 0 && !paused) {
      throw new OutboxError(
        'INVALID_DATA',
        ownerAlive(record.owner)
          ? `job ${id} is running in another Outbox process`
          : `job ${id} was not interrupted: nothing to resume`,
      );
    }
    const lacking = interrupted.filter((task) => !task.resumable).map((task) => task.name);
    if (lacking.length > 0 && !hasOriginal) {
      throw new OutboxError(
        'INVALID_DATA',
        `job ${id} cannot be resumed: task ${lacking.join(', ')} had credentials that are not kept after Outbox stops. Export the files again (with a saved profile, jobs resume after a restart).`,
      );
    }
    return record;
  }

  /** The job's tasks as they were submitted, secrets aside (a profile is named again). */
  static tasksOf(record: JobRecord): { tasks: Record<string, unknown> } {
    return {
      tasks: Object.fromEntries(
        record.tasks.map((task) => [
          task.name,
          { ...task.params, ...(task.profile ? { profile: task.profile } : {}) },
        ]),
      ),
    };
  }

  /** A job `pause` found not running here: already paused, or not this process's to pause. */
  async alreadyPaused(id: string): Promise<JobRecord> {
    const record = await this.records.get(id);
    if (!record) throw new OutboxError('NOT_FOUND', `no job ${id}`);
    if (record.status === 'paused') return record;
    throw new OutboxError(
      'INVALID_DATA',
      ownerAlive(record.owner) && !sameOwner(record.owner, this.owner)
        ? `job ${id} runs in another Outbox process (pid ${record.owner.pid}): pause it there`
        : `job ${id} is ${record.status === 'processing' || record.status === 'waiting' ? 'not running' : record.status}: nothing to pause`,
    );
  }

  /**
   * A job this engine paused, let go as it closes: no process owns it then,
   * so any may resume it (`outbox jobs resume` runs it there). A process that
   * dies lets go of its paused jobs the same way (its owner is not alive).
   */
  async release(id: string): Promise<void> {
    const record = await this.records.get(id);
    if (record?.status !== 'paused' || !sameOwner(record.owner, this.owner)) return;
    record.owner = { pid: 0, boot: 'released' };
    await this.save(record);
  }

  /** Tasks of a job cancelled before they started: cancelled. */
  static cancelWaiting(record: JobRecord): void {
    const now = new Date().toISOString();
    for (const task of record.tasks) {
      if (task.status !== 'waiting') continue;
      Object.assign(task, { status: 'error', code: 'CANCELLED', message: 'Cancelled.' });
      task.ended_at = now;
    }
  }

  /**
   * Cancel of a paused job: its waiting tasks are cancelled, it ends. Its
   * partial uploads stay recorded: an export of the same files continues them,
   * else they are forgotten after a week (as after a crash).
   */
  async cancelPaused(id: string): Promise<JobRecord | undefined> {
    const record = await this.records.get(id);
    if (record?.status !== 'paused') return undefined;
    JobStore.cancelWaiting(record);
    delete record.paused_at;
    record.status = jobStatusOf(record.tasks);
    record.ended_at = new Date().toISOString();
    await this.save(record);
    await this.delivered.remove(id).catch(() => {});
    return record;
  }

  /**
   * Its interrupted tasks (or those `again` picks: Retry takes the failed
   * ones) wait again with the parameters `plan` has for them now, owned by
   * this process; the other tasks keep their results. Saved before it runs.
   */
  async reopen(
    record: JobRecord,
    plan: JobPlan,
    again: (task: TaskRecord) => boolean = (task) => task.code === 'INTERRUPTED',
  ): Promise<void> {
    for (const task of record.tasks) {
      if (!again(task)) continue;
      const params = plan.job.tasks[task.name];
      if (params) task.params = withoutSecrets(params) as TaskRecord['params'];
      task.status = 'waiting';
      for (const field of ['code', 'message', 'detail', 'ended_at', 'result'] as const) {
        delete task[field];
      }
    }
    delete record.ended_at;
    delete record.paused_at;
    record.owner = this.owner;
    record.status = jobStatusOf(record.tasks);
    await this.save(record);
  }

  /** Marks the unfinished jobs of processes that died as interrupted (resumable or not). */
  async recoverInterrupted(): Promise<void> {
    const index = await this.index();
    for await (const record of this.read(index, await index.open())) {
      // A paused job stays paused (and resumable) whoever paused it.
      if (record.status === 'finished' || record.status === 'error' || record.status === 'paused') {
        index.noteAfter(record); // its row, left open by a kill between the two writes
        continue;
      }
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
      await this.put(record); // its lists stay as they are
    }
  }

  /** Interrupted jobs whose every interrupted task can resume, that no live process owns (as stored). */
  async resumable(now = Date.now()): Promise<StoredJob[]> {
    const index = await this.index();
    const found: StoredJob[] = [];
    for await (const record of this.read(index, await index.failed())) {
      const interrupted = record.tasks.filter((task) => task.code === 'INTERRUPTED');
      if (interrupted.length === 0 || !interrupted.every((task) => task.resumable)) continue;
      if (Date.parse(record.expires_at) > now && !ownerAlive(record.owner)) found.push(record);
    }
    return found;
  }

  /** An interrupted job that could not resume stays interrupted, saying why. */
  async notResumed(record: Pick<JobRecord, 'id'>, error: unknown): Promise<void> {
    const info: ErrorInfo = toErrorInfo(error);
    const current = await this.records.get(record.id);
    if (!current) return;
    for (const task of current.tasks) {
      if (task.code === 'INTERRUPTED') {
        task.message = `Outbox stopped while this task was running and could not resume it: ${info.message}`;
      }
    }
    await this.put(current);
  }

  /**
   * Removes jobs past their retention (not `running` ones) and the delivered
   * logs of jobs that can no longer resume or be retried (paused ones can). Returns the ids of the removed jobs.
   */
  async sweep(running: Set<string>, now = Date.now()): Promise<string[]> {
    const index = await this.index();
    const removed: string[] = [];
    for await (const record of this.read(index, await index.expiredBy(now))) {
      if (Date.parse(record.expires_at) <= now && !running.has(record.id)) {
        await this.removeStored(record);
        removed.push(record.id);
      } else index.noteAfter(record);
    }
    // Interrupted or paused (to resume) or failed (to retry): what was delivered is not sent again.
    await this.delivered.sweep(new Set([...running, ...(await index.keepingLogs())]));
    const named = new Set<string>();
    for await (const record of this.read(index, await this.lists.jobIds())) {
      for (const file of JobLists.filesOf(record)) named.add(file);
    }
    await this.lists.sweep(named, now);
    return removed;
  }

  /** Waits for the writes under way; the process no longer owns its jobs after this. */
  async close(): Promise<void> {
    await Promise.all(this.writes.values());
    engineStopped(this.ownerId);
    if (this.indexReady) (await this.indexReady.catch(() => undefined))?.close();
  }
}
