import type { WorkReply } from './worker-protocol';

/** How long, at most, a reply waits for others to travel with it. */
export const REPLY_BATCH_MS = 5;

/**
 * Ended transfers that send their replies at once: this share of those still
 * running (4: a quarter).
 */
const REFILL_SHARE = 4;

/**
 * An exporter thread's replies, sent in batches. While other transfers run, a
 * reply waits up to REPLY_BATCH_MS for company: a folder of small files ends a
 * file every few hundred microseconds, and a message per result (each cloned,
 * each waking the main thread) cost the thread more CPU than signing the
 * requests. The batch leaves at once when nothing else runs, and when the
 * transfers it ends are a quarter of those still running: the main thread
 * sends a file for each one that ended, and files end in runs where a server
 * answers a connection's requests in order (SFTP). Held the full wait, such
 * a run left the thread with no file in flight a quarter of a 20,000-file
 * export to SFTP (BENCHMARKS.md, fourteenth session).
 */
export class ReplyBatches {
  private readonly waiting: WorkReply[] = [];
  /** Transfers ended by the waiting replies. */
  private ended = 0;
  private timer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;

  /**
   * `post` sends a batch; `othersRunning` counts the thread's transfers
   * running besides the one replying.
   */
  constructor(
    private readonly post: (replies: WorkReply[]) => void,
    private readonly othersRunning: () => number,
  ) {}

  add(reply: WorkReply): void {
    this.waiting.push(reply);
    if (reply.type === 'done' || reply.type === 'failed') this.ended++;
    const others = this.othersRunning();
    if (others <= 0 || this.ended * REFILL_SHARE >= others)
      this.immediate ??= setImmediate(() => this.send());
    else this.timer ??= setTimeout(() => this.send(), REPLY_BATCH_MS);
  }

  private send(): void {
    clearTimeout(this.timer);
    clearImmediate(this.immediate);
    this.timer = undefined;
    this.immediate = undefined;
    this.ended = 0;
    this.post(this.waiting.splice(0));
  }
}
