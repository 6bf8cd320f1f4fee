import { OutboxError } from '../errors';
import type { ReadLimit } from '../transfer/byte-buckets';
import type { ResultFile } from '../transfer/records';
import { withRetry } from '../transfer/retry';
import { asOutboxError } from './classify';
import type { Exporter, ResumeState, TransferContext, UploadRequest } from './exporter';
import type { ExportOperation } from '../tasks/operations';
import type { ResumeStateOf } from './resume-states';
import { sourceReads } from './source-stream';

/**
 * Aborts a try that moves no byte for `ms`: a server or network that has
 * stalled without closing the connection, which no SDK notices by itself.
 * The TIMEOUT is retryable: the next try gets a new connection.
 */
function idleWatchdog(ms: number, target: string) {
  const controller = new AbortController();
  let timeout: OutboxError | undefined;
  const fire = () => {
    timeout = new OutboxError(
      'TIMEOUT',
      `${target}: nothing was sent or received for ${Math.round(ms / 1000)} s; the server or the network stalled.`,
      { retryable: true },
    );
    controller.abort(timeout);
  };
  const timer = setTimeout(fire, ms);
  return {
    signal: controller.signal,
    touch() {
      timer.refresh();
    },
    stop() {
      clearTimeout(timer);
    },
    fired: () => timeout,
  };
}

/** Whether a try was ended by its idle watchdog: its connection moves nothing. */
export function stalledBy(signal: AbortSignal): boolean {
  const reason: unknown = signal.reason;
  return reason instanceof OutboxError && reason.code === 'TIMEOUT';
}

/** What one file's upload gets, for all of its tries. */
export type UploadTries<S extends ResumeState> = Pick<
  TransferContext<S>,
  'signal' | 'progress' | 'sessions' | 'resume' | 'policy'
> & {
  /** What errors call the transfer (e.g. `export/s3 photos/a.jpg`). */
  target: string;
  /** The bandwidth limit its reads wait for; `waiting` is told while they do (held back is not stalled). */
  readLimit?: (waiting: () => void) => ReadLimit;
};

/**
 * Uploads one file, from its start again after a try that failed with a
 * retryable error (the transfer policy's attempts in all) or that moved no
 * byte for its idle timeout. What a request inside the try already retried
 * (a part, a commit: withRetry) comes back no longer retryable, so it is not
 * tried again here: a part is sent at most `attempts` times per try of its file.
 */
export function uploadWithRetry<O extends ExportOperation>(
  exporter: Exporter<O>,
  request: UploadRequest<O>,
  tries: UploadTries<ResumeStateOf<O>>,
): Promise<ResultFile> {
  const { signal, policy, resume, target } = tries;
  return withRetry(
    async () => {
      let sent = 0;
      const watchdog = idleWatchdog(policy.idleTimeoutMs, target);
      const attempt = AbortSignal.any([signal, watchdog.signal]);
      const context: TransferContext<ResumeStateOf<O>> = {
        signal: attempt,
        progress: {
          add(bytes) {
            watchdog.touch();
            sent += bytes;
            tries.progress.add(bytes);
          },
        },
        sessions: tries.sessions,
        resume,
        policy,
        ...sourceReads(
          request.source,
          attempt,
          tries.readLimit?.(() => watchdog.touch()),
        ),
      };
      try {
        return await exporter.upload(request, context);
      } catch (error) {
        // A failed try cleans up its own partial upload: the next one starts afresh.
        delete resume.previous;
        tries.progress.add(-sent); // the next try starts over
        if (signal.aborted) throw error;
        throw watchdog.fired() ?? asOutboxError(error, target);
      } finally {
        watchdog.stop();
      }
    },
    { signal, policy: policy.retry },
  );
}
