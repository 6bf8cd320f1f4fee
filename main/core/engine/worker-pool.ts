import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { OutboxError, type ErrorInfo } from '../errors';
import type { ProbeResult, ResumeState } from '../exporters/exporter';
import type { ResultFile } from './records';
import type { WorkReply, WorkRequest } from './worker-protocol';

type Job = {
  request: Extract<WorkRequest, { type: 'upload' | 'probe' | 'share' }>;
  onProgress: (bytes: number) => void;
  onCheckpoint?: (state: ResumeState) => Promise<void>;
  resolve: (value: ResultFile | ProbeResult) => void;
  reject: (error: OutboxError) => void;
  worker?: PooledWorker;
};

type PooledWorker = { worker: Worker; running: Set<number> };

/**
 * The worker script: built next to this bundle (out/main/worker.js), or — when
 * running from source in tests — the TypeScript file loaded through tsx.
 */
function createWorker(): Worker {
  const here = dirname(fileURLToPath(import.meta.url));
  // The bundle may sit in out/main/ or in its chunks/ folder.
  const built = [join(here, 'worker.js'), join(here, '..', 'worker.js')].find((path) =>
    existsSync(path),
  );
  if (built) return new Worker(built);
  const resolve = createRequire(import.meta.url).resolve;
  const tsx = join(dirname(resolve('tsx/package.json')), 'dist');
  const url = (path: string) => JSON.stringify(pathToFileURL(path).href);
  const bootstrap = [
    `(await import(${url(join(tsx, 'esm/api/index.mjs'))})).register();`,
    `(await import(${url(join(tsx, 'cjs/api/index.mjs'))})).register();`,
    `await import(${url(join(here, 'worker.ts'))});`,
  ].join('\n');
  return new Worker(new URL(`data:text/javascript,${encodeURIComponent(bootstrap)}`));
}

export type PoolOptions = {
  /** Worker threads (default from config: min(4, cores)). */
  size: number;
  /** Transfers one worker runs at once (they mostly wait on the network). */
  perWorker?: number;
};

/**
 * Exporter worker threads. The main thread only queues work here and relays
 * progress; a worker that dies fails its transfers and is replaced.
 */
export class WorkerPool {
  private readonly workers: PooledWorker[] = [];
  private readonly queue: Job[] = [];
  private readonly jobs = new Map<number, Job>();
  private nextId = 1;
  private closed = false;
  private readonly perWorker: number;

  constructor(private readonly options: PoolOptions) {
    this.perWorker = options.perWorker ?? 4;
  }

  upload(
    request: Omit<Extract<WorkRequest, { type: 'upload' }>, 'id' | 'type'>,
    onProgress: (bytes: number) => void,
    onCheckpoint: (state: ResumeState) => Promise<void>,
  ): { done: Promise<ResultFile>; cancel: () => void } {
    const { done, cancel } = this.submit(
      { type: 'upload', id: 0, ...request },
      onProgress,
      onCheckpoint,
    );
    return { done: done as Promise<ResultFile>, cancel };
  }

  probe(
    request: Omit<Extract<WorkRequest, { type: 'probe' }>, 'id' | 'type'>,
    signal?: AbortSignal,
  ): Promise<ProbeResult> {
    const { done, cancel } = this.submit({ type: 'probe', id: 0, ...request }, () => {});
    signal?.addEventListener('abort', cancel, { once: true });
    return done as Promise<ProbeResult>;
  }

  /** Signs a download link for a stored file: the file's result with `url` and `expires_at`. */
  share(
    request: Omit<Extract<WorkRequest, { type: 'share' }>, 'id' | 'type'>,
  ): Promise<ResultFile> {
    return this.submit({ type: 'share', id: 0, ...request }, () => {}).done as Promise<ResultFile>;
  }

  private submit(
    request: Job['request'],
    onProgress: (bytes: number) => void,
    onCheckpoint?: Job['onCheckpoint'],
  ): { done: Promise<ResultFile | ProbeResult>; cancel: () => void } {
    if (this.closed) throw new Error('worker pool is closed');
    const id = this.nextId++;
    let job!: Job;
    const done = new Promise<ResultFile | ProbeResult>((resolve, reject) => {
      job = { request: { ...request, id }, onProgress, resolve, reject };
      if (onCheckpoint) job.onCheckpoint = onCheckpoint;
    });
    this.jobs.set(id, job);
    this.queue.push(job);
    this.dispatch();
    return { done, cancel: () => this.cancel(id) };
  }

  private cancel(id: number): void {
    const job = this.jobs.get(id);
    if (!job) return;
    if (job.worker) {
      job.worker.worker.postMessage({ type: 'cancel', id } satisfies WorkRequest);
    } else {
      this.queue.splice(this.queue.indexOf(job), 1);
      this.finish(id, { type: 'failed', id, error: { code: 'CANCELLED', message: 'Cancelled.' } });
    }
  }

  private dispatch(): void {
    while (this.queue.length > 0) {
      const worker = this.pickWorker();
      if (!worker) return;
      const job = this.queue.shift() as Job;
      job.worker = worker;
      worker.running.add(job.request.id);
      worker.worker.postMessage(job.request);
    }
  }

  private pickWorker(): PooledWorker | undefined {
    const idle = this.workers
      .filter((w) => w.running.size < this.perWorker)
      .sort((a, b) => a.running.size - b.running.size)[0];
    if (idle && idle.running.size === 0) return idle;
    if (this.workers.length < this.options.size) return this.spawn();
    return idle;
  }

  private spawn(): PooledWorker {
    const pooled: PooledWorker = { worker: createWorker(), running: new Set() };
    pooled.worker.on('message', (reply: WorkReply) => this.onReply(reply));
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
          job?.worker?.worker.postMessage({
            type: 'checkpoint-saved',
            id: reply.id,
          } satisfies WorkRequest),
        );
      return;
    }
    this.finish(reply.id, reply);
  }

  private finish(id: number, reply: Extract<WorkReply, { type: 'done' | 'failed' }>): void {
    const job = this.jobs.get(id);
    if (!job) return;
    this.jobs.delete(id);
    job.worker?.running.delete(id);
    if (reply.type === 'done') job.resolve(reply.result);
    else job.reject(fromErrorInfo(reply.error));
    this.dispatch();
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
