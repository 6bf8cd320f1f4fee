import type { Worker } from 'node:worker_threads';
import type { OutboxConfig } from '../config';
import { OutboxError, type ErrorInfo } from '../errors';
import type { ProbeResult, ResumeState } from '../exporters/exporter';
import type { UploadOperation } from '../exporters/registry';
import { hiddenPartsOf } from '../tasks/secrets';
import type { ResultFile } from '../transfer/records';
import { transferPolicyOf, type TransferPolicy } from '../transfer/retry';
import type { TaskRequest as Request, WorkReply, WorkRequest } from './worker-protocol';
import { filesInFlight } from './files-in-flight';
import { newExporterThread } from './worker-thread';

/** A request before the pool numbers it and says what its messages must hide. */
type Unnumbered<R extends Request> = R extends Request ? Omit<R, 'id' | 'hidden'> : never;

/** A request of type `T` as callers give it. */
export type NewRequest<T extends Request['type']> = Omit<
  Unnumbered<Extract<Request, { type: T }>>,
  'type'
>;

type Job = {
  request: Request;
  onProgress: (bytes: number) => void;
  onCheckpoint?: (state: ResumeState) => Promise<void>;
  resolve: (value: ResultFile | ProbeResult) => void;
  reject: (error: OutboxError) => void;
  worker?: PooledWorker;
};

/**
 * `large`: the running uploads of files sent in parts (they hold part buffers);
 * `perOperation`: how many of `running` go to each operation.
 */
type PooledWorker = {
  worker: Worker;
  running: Set<number>;
  large: Set<number>;
  perOperation: Map<UploadOperation, number>;
};

/** Waiting jobs of one operation in order, from `head` on (a cursor: O(1) a job for 100,000). */
type Waiting = { jobs: Job[]; head: number };

/** Files up to this size go in one request on every exporter (one part): many may run at once. */
const SMALL_FILE = 8 * 1024 * 1024;

export type PoolOptions = {
  /** Worker threads (default from config: min(4, cores)). */
  size: number;
  /** Transfers of an operation one worker runs at once (files-in-flight.ts). */
  transfersFor: (operation: UploadOperation) => number;
  /** The bandwidth limits every worker reads (transfer/byte-buckets.ts). */
  buckets: SharedArrayBuffer;
  /** Retries and the idle timeout of every transfer (transferPolicyOf). */
  policy: TransferPolicy;
};

/** Of a worker's transfers, uploads of large files at most (sent in parts, each holding part buffers). */
const LARGE_PER_WORKER = 4;

/**
 * Exporter worker threads. The main thread only queues work here and relays
 * progress; a worker that dies fails its transfers and is replaced. Work and
 * replies travel in batches: one message per worker per dispatch, not per file.
 */
export class WorkerPool {
  private readonly workers: PooledWorker[] = [];
  /**
   * Waiting jobs, a queue per operation: an operation at its number of files in
   * flight (SFTP's 32) holds back none of another's (an S3 task's of the same drop).
   */
  private readonly waiting = new Map<UploadOperation, Waiting>();
  private readonly jobs = new Map<number, Job>();
  private nextId = 1;
  private closed = false;

  /** The pool the config asks for (threads, transfers per thread, transfer policy), under these bandwidth limits. */
  static of(
    config: Pick<OutboxConfig, 'workers' | 'transfersPerWorker' | 'idleTimeoutSeconds'>,
    buckets: SharedArrayBuffer,
  ): WorkerPool {
    return new WorkerPool({
      size: config.workers,
      transfersFor: (operation) => filesInFlight(config, operation),
      buckets,
      policy: transferPolicyOf(config),
    });
  }

  constructor(private readonly options: PoolOptions) {}

  upload(
    request: NewRequest<'upload'>,
    onProgress: (bytes: number) => void,
    onCheckpoint: (state: ResumeState) => Promise<void>,
  ): { done: Promise<ResultFile>; cancel: () => void; pause: () => void } {
    const { done, cancel, id } = this.submit(
      { type: 'upload', ...request },
      onProgress,
      onCheckpoint,
    );
    return { done: done as Promise<ResultFile>, cancel, pause: () => this.cancel(id, true) };
  }

  probe(request: NewRequest<'probe'>, signal?: AbortSignal): Promise<ProbeResult> {
    const { done, cancel } = this.submit({ type: 'probe', ...request }, () => {});
    signal?.addEventListener('abort', cancel, { once: true });
    return done as Promise<ProbeResult>;
  }

  /** Signs a download link for a stored file: the file's result with `url` and `expires_at`. */
  share(request: NewRequest<'share'>): Promise<ResultFile> {
    return this.submit({ type: 'share', ...request }, () => {}).done as Promise<ResultFile>;
  }

  /** Secret parts per task parameters: the files of a task share one list (and one copy per message). */
  private readonly hiddenByParams = new WeakMap<object, string[]>();

  private hiddenOf(request: Pick<Request, 'operation' | 'params'>): string[] {
    let hidden = this.hiddenByParams.get(request.params);
    if (!hidden) {
      hidden = hiddenPartsOf({ ...request.params, operation: request.operation });
      this.hiddenByParams.set(request.params, hidden);
    }
    return hidden;
  }

  private submit(
    request: Unnumbered<Request>,
    onProgress: (bytes: number) => void,
    onCheckpoint?: Job['onCheckpoint'],
  ): { done: Promise<ResultFile | ProbeResult>; cancel: () => void; id: number } {
    if (this.closed) throw new Error('worker pool is closed');
    const id = this.nextId++;
    let job!: Job;
    const done = new Promise<ResultFile | ProbeResult>((resolve, reject) => {
      job = {
        request: { ...request, id, hidden: this.hiddenOf(request) },
        onProgress,
        resolve,
        reject,
      };
      if (onCheckpoint) job.onCheckpoint = onCheckpoint;
    });
    this.jobs.set(id, job);
    const waiting = this.waiting.get(request.operation) ?? { jobs: [], head: 0 };
    waiting.jobs.push(job);
    this.waiting.set(request.operation, waiting);
    this.scheduleDispatch();
    return { done, cancel: () => this.cancel(id), id };
  }

  /**
   * Starts a worker and has it load the exporters of `operations` while the
   * caller still has work of its own (a job's records): starting a thread and
   * loading an SDK are most of the fixed cost of a small export. Nothing
   * happens if a worker runs already.
   */
  prepare(operations: UploadOperation[]): void {
    if (this.closed || this.workers.length > 0 || operations.length === 0) return;
    this.spawn().worker.postMessage([{ type: 'load', operations }] satisfies WorkRequest[]);
  }

  private dispatchScheduled = false;

  /** Jobs submitted in one go (a folder's files) reach each worker in one message. */
  private scheduleDispatch(): void {
    if (this.dispatchScheduled) return;
    this.dispatchScheduled = true;
    queueMicrotask(() => {
      this.dispatchScheduled = false;
      if (!this.closed) this.dispatch();
    });
  }

  /** `pause`: the worker keeps the partial upload (a job paused, not cancelled). */
  private cancel(id: number, pause = false): void {
    const job = this.jobs.get(id);
    if (!job) return;
    if (job.worker) {
      job.worker.worker.postMessage([{ type: 'cancel', id, pause }] satisfies WorkRequest[]);
    } else {
      // left in the queue: dispatch skips jobs that are no longer waiting
      this.finish(id, { type: 'failed', id, error: { code: 'CANCELLED', message: 'Cancelled.' } });
    }
  }

  private static isLarge(job: Job): boolean {
    return job.request.type === 'upload' && job.request.source.size > SMALL_FILE;
  }

  /**
   * Hands waiting jobs to workers, one message per worker: the oldest job that
   * has room first, in submission order within each operation.
   */
  private dispatch(): void {
    const batches = new Map<PooledWorker, WorkRequest[]>();
    const full = new Set<Waiting>();
    for (let queue = this.oldestQueue(full); queue; queue = this.oldestQueue(full)) {
      const job = queue.jobs[queue.head] as Job;
      const { operation } = job.request;
      const large = WorkerPool.isLarge(job);
      const worker = this.pickWorker(large, operation);
      if (!worker) {
        full.add(queue);
        continue;
      }
      queue.head++;
      job.worker = worker;
      worker.running.add(job.request.id);
      worker.perOperation.set(operation, (worker.perOperation.get(operation) ?? 0) + 1);
      if (large) worker.large.add(job.request.id);
      const batch = batches.get(worker) ?? [];
      batch.push(job.request);
      batches.set(worker, batch);
    }
    for (const [pooled, batch] of batches) pooled.worker.postMessage(batch);
  }

  /** Of the queues with a job waiting, not in `skip`, the one whose first job came first. */
  private oldestQueue(skip: Set<Waiting>): Waiting | undefined {
    let oldest: { queue: Waiting; id: number } | undefined;
    for (const queue of this.waiting.values()) {
      const id = skip.has(queue) ? undefined : this.firstWaiting(queue)?.request.id;
      if (id !== undefined && (!oldest || id < oldest.id)) oldest = { queue, id };
    }
    return oldest?.queue;
  }

  /** The first job of `queue` still waiting: those cancelled while they waited are dropped. */
  private firstWaiting(queue: Waiting): Job | undefined {
    while (queue.head < queue.jobs.length) {
      if (this.jobs.has((queue.jobs[queue.head] as Job).request.id)) break;
      queue.head++;
    }
    if (queue.head > 1024 && queue.head * 2 > queue.jobs.length) {
      queue.jobs = queue.jobs.slice(queue.head);
      queue.head = 0;
    }
    return queue.jobs[queue.head];
  }

  /**
   * The least busy worker with room (fewer of `operation`'s transfers running than its
   * number of files in flight, and fewer than LARGE_PER_WORKER large uploads in all).
   * Small files share the workers there are: they wait on the network, and every
   * worker costs its start and its SDK (one worker spent a third less CPU on a
   * folder of small files than two). A large file (hashing, parts) gets a worker
   * of its own while `size` allows.
   */
  private pickWorker(large: boolean, operation: UploadOperation): PooledWorker | undefined {
    const transfers = this.options.transfersFor(operation);
    const largeAtOnce = Math.min(transfers, LARGE_PER_WORKER);
    let best: PooledWorker | undefined;
    for (const w of this.workers) {
      const room =
        (w.perOperation.get(operation) ?? 0) < transfers && (!large || w.large.size < largeAtOnce);
      if (
        room &&
        (!best || (large ? w.large.size < best.large.size : w.running.size < best.running.size))
      )
        best = w;
    }
    const spawn = large ? !best || best.large.size > 0 : this.workers.length === 0;
    if (spawn && this.workers.length < this.options.size) return this.spawn();
    return best;
  }

  private spawn(): PooledWorker {
    const pooled: PooledWorker = {
      worker: newExporterThread({ buckets: this.options.buckets, policy: this.options.policy }),
      running: new Set(),
      large: new Set(),
      perOperation: new Map(),
    };
    pooled.worker.on('message', (replies: WorkReply[]) => {
      for (const reply of replies) this.onReply(reply);
      this.dispatch();
    });
    const onDeath = (error?: Error) => {
      const index = this.workers.indexOf(pooled);
      if (index >= 0) this.workers.splice(index, 1);
      for (const id of pooled.running) {
        this.finish(id, {
          type: 'failed',
          id,
          error: {
            code: 'INTERNAL_ERROR',
            message: `The export worker stopped unexpectedly${error ? `: ${error.message}` : ''}. Retry the export.`,
          },
        });
      }
      pooled.running.clear();
      pooled.large.clear();
      pooled.perOperation.clear();
      if (!this.closed) this.dispatch();
    };
    pooled.worker.on('error', onDeath);
    pooled.worker.on('exit', () => onDeath());
    this.workers.push(pooled);
    return pooled;
  }

  private onReply(reply: WorkReply): void {
    if (reply.type === 'progress') {
      this.jobs.get(reply.id)?.onProgress(reply.bytes);
      return;
    }
    if (reply.type === 'checkpoint') {
      const job = this.jobs.get(reply.id);
      // A checkpoint that cannot be written only costs resuming: the upload goes on.
      void (job?.onCheckpoint?.(reply.state) ?? Promise.resolve())
        .catch(() => {})
        .then(() =>
          job?.worker?.worker.postMessage([
            { type: 'checkpoint-saved', id: reply.id },
          ] satisfies WorkRequest[]),
        );
      return;
    }
    this.finish(reply.id, reply);
  }

  private finish(id: number, reply: Extract<WorkReply, { type: 'done' | 'failed' }>): void {
    const job = this.jobs.get(id);
    if (!job) return;
    this.jobs.delete(id);
    const { worker } = job;
    if (worker?.running.delete(id)) {
      const { operation } = job.request;
      worker.perOperation.set(operation, (worker.perOperation.get(operation) ?? 1) - 1);
    }
    worker?.large.delete(id);
    if (reply.type === 'done') job.resolve(reply.result);
    else job.reject(fromErrorInfo(reply.error));
  }

  get size(): number {
    return this.workers.length;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const job of [...this.jobs.values()]) this.cancel(job.request.id);
    await Promise.all(this.workers.map((w) => w.worker.terminate()));
    this.workers.length = 0;
  }
}

function fromErrorInfo(info: ErrorInfo): OutboxError {
  return new OutboxError(info.code, info.message, info.detail ? { detail: info.detail } : {});
}
