/**
 * Pausing a transfer aborts it with this reason: the exporter stops as on a
 * cancel, but keeps its partial upload (S3 parts, Swift segments, the SFTP
 * temporary file; Azure keeps uncommitted blocks anyway) for Resume to
 * continue through the crash-resume mechanism.
 */
export const PAUSE_REASON = new Error('Paused: the partial upload is kept to be resumed.');

/** Whether `signal` was aborted by a pause (keep the partial upload), not a cancel or a failure. */
export function pausedBy(signal: AbortSignal): boolean {
  return signal.aborted && signal.reason === PAUSE_REASON;
}
