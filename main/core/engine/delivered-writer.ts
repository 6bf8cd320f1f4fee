import type { DeliveryLog } from '../delivery-log/delivery-log';
import { recordDelivered } from '../delivery-log/record-deliveries';
import type { JobRecord } from '../transfer/records';
import type { DeliveredFile, DeliveredLog } from './delivered-log';

/** Delivered files of a running job are written down at most this often. */
const DELIVERED_SAVE_MS = 1000;

/**
 * Writes down the files a running job delivers, in batches: into its
 * delivered log (so a resume after a crash does not send them again) and
 * into the delivery log (history). Many small files: one write a batch.
 */
export class DeliveredWriter {
  private unsaved: DeliveredFile[] = [];
  private timer: NodeJS.Timeout | undefined;
  /** The write under way: writes of one job go in order. */
  private saving = Promise.resolve();

  constructor(
    private readonly job: JobRecord,
    private readonly delivered: DeliveredLog,
    private readonly deliveryLog: DeliveryLog,
  ) {}

  /** A file arrived: written down within DELIVERED_SAVE_MS. */
  add(file: DeliveredFile): void {
    this.unsaved.push(file);
    this.timer ??= setTimeout(() => void this.flush(), DELIVERED_SAVE_MS);
  }

  /** Writes the files delivered so far; resolves once they are on disk. */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const files = this.unsaved.splice(0);
    recordDelivered(this.deliveryLog, this.job, files);
    // A lost batch costs only sending those files again after a crash.
    this.saving = this.saving.then(() => this.delivered.append(this.job.id, files)).catch(() => {});
    return this.saving;
  }
}
