import type { Worker } from 'node:worker_threads';
import { FILE_CHECK_THREAD, startThread } from '../thread-entry';
import {
  decodeChecks,
  decodeRead,
  type CheckReply,
  type CheckRequest,
  type CheckWork,
  type FolderRead,
} from './file-check-protocol';
import type { Checked } from './many-files';

/** An idle thread stops after this long (the app's memory); the next large walk starts another. */
const IDLE_MS = 30_000;

/**
 * The main thread's side of the file-check thread (file-check-thread.ts): a
 * second core for the stat and access calls of a large walk (folder-walk.ts).
 * It never holds the process: it is referenced only while it has requests.
 */
export class FileCheckThread {
  private readonly worker: Worker;
  private readonly waiting = new Map<number, (reply: CheckReply | Error) => void>();
  private nextId = 0;
  private idle: NodeJS.Timeout | undefined;
  /** Whether it runs: until then the main thread works alone. */
  online = false;
  /** Settles once it runs (rejects if it could not start). */
  readonly started: Promise<void>;
  stopped = false;
  /** Requests it answered. */
  answered = 0;

  constructor() {
    this.worker = startThread(FILE_CHECK_THREAD);
    this.started = new Promise((resolve, reject) => {
      this.worker.once('online', resolve);
      this.worker.once('error', reject);
    });
    this.started.then(() => (this.online = true)).catch(() => {});
    this.worker.on('message', (reply: CheckReply) => {
      this.answered++;
      this.settle(reply.id, reply);
    });
    this.worker.on('error', (error) => this.stop(error));
    this.worker.on('exit', (code) =>
      this.stop(new Error(`the file-check thread exited (${code})`)),
    );
    // After the listeners: adding a 'message' listener refs the thread's port again.
    this.worker.unref();
  }

  /** Whether it has requests to answer. */
  get busy(): boolean {
    return this.waiting.size > 0;
  }

  /** `checkFiles` of `paths`, in that thread. */
  check(paths: string[]): Promise<Checked[]> {
    return this.request({ paths }).then(decodeChecks);
  }

  /** `readFolder` of `folder`, in that thread. */
  read(folder: string): Promise<FolderRead> {
    return this.request({ folder }).then(decodeRead);
  }

  private request(work: CheckWork): Promise<CheckReply> {
    if (this.stopped) return Promise.reject(new Error('the file-check thread stopped'));
    clearTimeout(this.idle);
    if (this.waiting.size === 0) this.worker.ref();
    const id = this.nextId++;
    this.worker.postMessage({ ...work, id } satisfies CheckRequest);
    return new Promise((resolve, reject) => {
      this.waiting.set(id, (reply) => (reply instanceof Error ? reject(reply) : resolve(reply)));
    });
  }

  private settle(id: number, reply: CheckReply | Error): void {
    this.waiting.get(id)?.(reply);
    this.waiting.delete(id);
    if (this.waiting.size > 0 || this.stopped) return;
    this.worker.unref();
    this.idle = setTimeout(() => void this.worker.terminate(), IDLE_MS).unref();
  }

  private stop(error: Error): void {
    this.stopped = true;
    clearTimeout(this.idle);
    for (const id of [...this.waiting.keys()]) this.settle(id, error);
  }
}

let thread: FileCheckThread | undefined;

/** The process's file-check thread, started now if none runs; none if it cannot start. */
export function fileCheckThread(): FileCheckThread | undefined {
  try {
    if (!thread || thread.stopped) thread = new FileCheckThread();
    return thread;
  } catch {
    return undefined;
  }
}
