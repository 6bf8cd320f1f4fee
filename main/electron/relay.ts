/**
 * Holds what arrives before anyone listens, then passes everything on in
 * order: files opened at launch exist before the window does (main process),
 * and before the page subscribes (preload). No Electron import: unit-tested.
 */
export class Relay<T> {
  private pending: T[] = [];
  private listener: ((item: T) => void) | undefined;

  push(item: T): void {
    if (this.listener) this.listener(item);
    else this.pending.push(item);
  }

  /** Sets the one listener and gives it what waited; returns a detach. */
  listen(listener: (item: T) => void): () => void {
    this.listener = listener;
    for (const item of this.pending.splice(0)) listener(item);
    return () => {
      if (this.listener === listener) this.listener = undefined;
    };
  }
}
