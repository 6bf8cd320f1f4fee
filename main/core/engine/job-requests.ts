import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { z } from 'zod';
import { OutboxError } from '../errors';
import { RecordDir } from '../store/record-dir';

/**
 * Requests to the Outbox process that owns a job, from another one (`outbox
 * jobs pause ID` while the app or `outbox serve` runs it): a record in
 * `OUTBOX_HOME/requests/`, which the owner's engine picks up within
 * POLL_MS, carries out and answers in the same record; the asker reads the
 * answer and removes the record.
 */

export const jobActions = ['pause', 'resume', 'front', 'cancel'] as const;
export type JobAction = (typeof jobActions)[number];

const POLL_MS = 500;
/** An owner that does not answer in this time is stuck or gone: the asker says so. */
const ANSWER_TIMEOUT_MS = 30_000;

const requestSchema = z.object({
  job_id: z.string(),
  action: z.enum(jobActions),
  asked_at: z.string(),
  answer: z.object({ ok: z.boolean(), message: z.string().optional() }).optional(),
});
export type JobRequest = z.output<typeof requestSchema>;

export class JobRequests {
  private readonly records: RecordDir<JobRequest>;
  private timer: NodeJS.Timeout | undefined;
  private polling = false;

  constructor(home: string) {
    this.records = new RecordDir(join(home, 'requests'), requestSchema);
  }

  /** Asks the owner of job `jobId` to `action` it; resolves once done, throws its refusal. */
  async ask(jobId: string, action: JobAction, owner: { pid: number }): Promise<void> {
    const id = randomUUID();
    await this.records.put(id, { job_id: jobId, action, asked_at: new Date().toISOString() });
    try {
      const deadline = Date.now() + ANSWER_TIMEOUT_MS;
      for (;;) {
        const answer = (await this.records.get(id))?.answer;
        if (answer?.ok) return;
        if (answer) throw new OutboxError('INVALID_DATA', answer.message ?? `cannot ${action}`);
        if (Date.now() > deadline) {
          throw new OutboxError(
            'TIMEOUT',
            `the Outbox process running job ${jobId} (pid ${owner.pid}) did not answer within ${ANSWER_TIMEOUT_MS / 1000} s`,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, POLL_MS / 5));
      }
    } finally {
      await this.records.remove(id);
    }
  }

  /**
   * Carries out the requests `handle` takes (those about this process's
   * jobs; it returns false for others'), every POLL_MS until `stop`.
   */
  serve(handle: (request: JobRequest) => Promise<boolean>): void {
    const poll = async () => {
      for (const [id, request] of await this.records.entries()) {
        if (request.answer) continue;
        const answer = await handle(request).then(
          (taken) => (taken ? { ok: true } : undefined),
          (error: unknown) => ({ ok: false, message: (error as Error).message }),
        );
        if (answer) await this.records.put(id, { ...request, answer });
      }
    };
    this.timer = setInterval(() => {
      if (this.polling) return;
      this.polling = true;
      void poll()
        .catch(() => undefined)
        .finally(() => (this.polling = false));
    }, POLL_MS);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
