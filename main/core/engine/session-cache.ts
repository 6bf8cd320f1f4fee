import type { SessionCache } from '../exporters/exporter';

type Entry = { value: Promise<unknown>; dispose?: (value: never) => Promise<void> | void };

/** Per-worker cache of clients and connections, keyed by destination. */
export class WorkerSessions implements SessionCache {
  private readonly entries = new Map<string, Entry>();

  get<T>(
    key: string,
    create: () => Promise<T>,
    dispose?: (value: T) => Promise<void> | void,
  ): Promise<T> {
    let entry = this.entries.get(key);
    if (!entry) {
      const value = create();
      entry = {
        value,
        ...(dispose ? { dispose: dispose as (value: never) => Promise<void> | void } : {}),
      };
      this.entries.set(key, entry);
      // A failed creation is not cached.
      value.catch(() => {
        if (this.entries.get(key) === entry) this.entries.delete(key);
      });
    }
    return entry.value as Promise<T>;
  }

  async drop(key: string): Promise<void> {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    await disposeEntry(entry);
  }

  async clear(): Promise<void> {
    const entries = [...this.entries.values()];
    this.entries.clear();
    await Promise.all(entries.map(disposeEntry));
  }
}

async function disposeEntry(entry: Entry): Promise<void> {
  try {
    const value = await entry.value;
    await entry.dispose?.(value as never);
  } catch {
    // A session that never opened, or fails to close, has nothing left to release.
  }
}
