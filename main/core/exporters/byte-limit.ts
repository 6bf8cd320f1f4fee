/**
 * Reservations of bytes within a limit, served first come first served (a
 * large one is not passed over by smaller ones behind it). Uploads reserve the
 * memory a file will hold at most before its first buffer; what one limit's
 * files hold at once stays under it, however many files are in flight.
 * Hand-written: a few lines, where a semaphore library (async-mutex) has no
 * way for one waiter to give up when its transfer is cancelled.
 */
export class ByteLimit {
  private reserved = 0;
  private readonly queue: { bytes: number; grant: () => void }[] = [];

  constructor(readonly limit: number) {}

  /**
   * Reserves `bytes` once they fit (at once if nothing is reserved: a file
   * larger than the limit runs alone), after the reservations that waited
   * before it, and returns the function that gives them back (once; later
   * calls do nothing). Rejects with the signal's reason if it is aborted while
   * waiting.
   */
  async reserve(bytes: number, signal?: AbortSignal): Promise<() => void> {
    signal?.throwIfAborted();
    if (this.queue.length > 0 || !this.fits(bytes)) {
      await new Promise<void>((resolve, reject) => {
        const waiter = {
          bytes,
          grant: () => {
            signal?.removeEventListener('abort', abandon);
            this.reserved += bytes;
            resolve();
          },
        };
        const abandon = () => {
          this.queue.splice(this.queue.indexOf(waiter), 1);
          this.grantWaiting(); // those behind it may fit
          reject(signal?.reason);
        };
        signal?.addEventListener('abort', abandon, { once: true });
        this.queue.push(waiter);
      });
    } else {
      this.reserved += bytes;
    }
    let held = true;
    return () => {
      if (!held) return;
      held = false;
      this.reserved -= bytes;
      this.grantWaiting();
    };
  }

  private fits(bytes: number): boolean {
    return this.reserved === 0 || this.reserved + bytes <= this.limit;
  }

  /** Grants the waiting reservations at the head of the queue that fit now. */
  private grantWaiting(): void {
    while (this.queue.length > 0 && this.fits(this.queue[0]!.bytes)) this.queue.shift()!.grant();
  }
}
