import '../compile-cache';
import { parentPort } from 'node:worker_threads';
import { OutboxError, toErrorInfo } from '../errors';
import { asOutboxError } from '../exporters/classify';
import type { ResumeState, TransferContext } from '../exporters/exporter';
import { dropIdleBuffers } from '../exporters/part-buffers';
import { PAUSE_REASON, pausedBy } from '../exporters/pause';
import { loadExporter, warmExporters, type UploadOperation } from '../exporters/registry';
import type { ResumeStateOf } from '../exporters/resume-states';
import { shareStoredFile } from '../exporters/share-link';
import { uploadWithRetry } from '../exporters/upload-with-retry';
import { publicUrl } from '../exporters/upload/public-url';
import { scrubSecrets } from '../tasks/scrub-secrets';
import { readLimit } from '../transfer/byte-buckets';
import { ReplyBatches } from './reply-batches';
import { WorkerSessions } from './session-cache';
import type { TaskRequest, WorkerData, WorkRequest } from './worker-protocol';

/**
 * An exporter worker thread: runs uploads and probes sent by the engine,
 * several at once, and reports progress, results and errors. Credentials
 * arrive with each request and live only as long as it does (and in cached
 * sessions of this worker).
 */

const PROGRESS_INTERVAL_MS = 100;

/** What an upload of any exporter gets (its resume state: one of theirs). */
type ExporterContext = TransferContext<ResumeStateOf<UploadOperation>>;

const port = parentPort;
if (!port) throw new Error('worker.ts must run in a worker thread');

/** The bandwidth limits and transfer policy: the engine's first message (see worker-thread.ts). */
let settings: WorkerData | undefined;
const sessions = new WorkerSessions();
const running = new Map<number, AbortController>();
const checkpointsSaving = new Map<number, () => void>();

/** Replies to the engine, in batches; `running` still holds the transfer that is replying. */
const replies = new ReplyBatches(
  (batch) => port?.postMessage(batch),
  () => running.size - 1,
);

/** Bytes sent since the last report, per upload: reported every PROGRESS_INTERVAL_MS, all in one message. */
const unreported = new Map<number, number>();
let progressTimer: NodeJS.Timeout | undefined;

function reportProgress(): void {
  progressTimer = undefined;
  for (const [id, bytes] of unreported)
    if (bytes !== 0) replies.add({ type: 'progress', id, bytes });
  unreported.clear();
}

/** Progress of one upload, batched with the others' so a fast transfer does not flood the main thread. */
function progressReporter(id: number): {
  add: (bytes: number) => void;
  flush: () => void;
} {
  return {
    add(bytes) {
      unreported.set(id, (unreported.get(id) ?? 0) + bytes);
      progressTimer ??= setTimeout(reportProgress, PROGRESS_INTERVAL_MS);
    },
    /** Reports this upload's bytes now (before its result). */
    flush() {
      const bytes = unreported.get(id);
      unreported.delete(id);
      if (bytes) replies.add({ type: 'progress', id, bytes });
    },
  };
}

/** Asks the engine to persist a checkpoint and waits until it has. */
function saveCheckpoint(id: number, state: ResumeState): Promise<void> {
  return new Promise((resolve) => {
    checkpointsSaving.set(id, resolve);
    replies.add({ type: 'checkpoint', id, state });
  });
}

/** What a message calls the transfer: an export/upload by its public URL (its name is the whole URL, a secret). */
function targetOf(request: TaskRequest): string {
  if (request.type !== 'upload') return request.operation;
  const name =
    request.operation === 'export/upload' ? publicUrl(new URL(request.name)) : request.name;
  return `${request.operation} ${name}`;
}

async function handle(request: TaskRequest): Promise<void> {
  const controller = new AbortController();
  running.set(request.id, controller);
  const { signal } = controller;
  const progress = progressReporter(request.id);
  try {
    if (!settings) throw new Error('The export worker got work before its settings.');
    const { buckets, policy } = settings;
    const exporter = await loadExporter(request.operation);
    const params = request.params as never;
    let result;
    if (request.type === 'probe') {
      result = await exporter.probe(params, { signal, sessions, policy }, request.path);
    } else if (request.type === 'share') {
      result = await shareStoredFile(exporter, params, request.file, request, {
        signal,
        sessions,
        policy,
      });
    } else {
      // The engine checked the saved state against this exporter's schema (resume-states.ts).
      const previous = request.previous as ExporterContext['resume']['previous'];
      result = await uploadWithRetry(
        exporter,
        { params, source: request.source, name: request.name },
        {
          signal,
          progress,
          sessions,
          policy,
          resume: {
            ...(previous ? { previous } : {}),
            save: (state) => saveCheckpoint(request.id, state),
          },
          target: targetOf(request),
          readLimit: (waiting) => readLimit(buckets, request.limits, waiting),
        },
      );
    }
    progress.flush();
    replies.add({ type: 'done', id: request.id, result });
  } catch (error) {
    progress.flush();
    const info = toErrorInfo(
      signal.aborted ? cancelled() : asOutboxError(error, targetOf(request)),
    );
    info.message = scrubSecrets(info.message, request.hidden);
    if (info.detail) info.detail = scrubSecrets(info.detail, request.hidden);
    replies.add({ type: 'failed', id: request.id, error: info });
  } finally {
    running.delete(request.id);
    // Nothing else runs here: no buffers kept for parts to come, and if paused, no
    // connections either (resume opens new ones).
    if (running.size === 0) {
      dropIdleBuffers();
      if (pausedBy(signal)) void sessions.clear();
    }
  }
}

function cancelled(): OutboxError {
  return new OutboxError('CANCELLED', 'Cancelled.');
}

port.on('message', (requests: WorkRequest[]) => {
  for (const request of requests) {
    if (request.type === 'init') {
      settings = request;
    } else if (request.type === 'cancel') {
      running.get(request.id)?.abort(request.pause ? PAUSE_REASON : undefined);
    } else if (request.type === 'checkpoint-saved') {
      checkpointsSaving.get(request.id)?.();
      checkpointsSaving.delete(request.id);
    } else if (request.type === 'load') {
      // Not awaited: the messages after it are not held up (a failure to load shows again,
      // with the file it failed for, when the file comes).
      void warmExporters(request.operations);
    } else {
      void handle(request);
    }
  }
});
