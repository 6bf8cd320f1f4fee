/**
 * When a file in a watched folder is complete: its size and modification
 * time have not changed for the settle time. A file first seen with an mtime
 * older than the settle time (renamed or moved into the folder, or there
 * before Outbox started) has not changed for that long already, so it is
 * complete at once. Times are in milliseconds; the caller stats the files.
 */

export type FileFacts = { size: number; mtimeMs: number };

type Seen = FileFacts & { since: number };

export class Settler {
  private readonly seen = new Map<string, Seen>();

  constructor(private readonly settleMs: number) {}

  /** A stat of `rel`: resets its clock when size or mtime changed since the last one. */
  observe(rel: string, facts: FileFacts, now: number): void {
    const last = this.seen.get(rel);
    if (last && last.size === facts.size && last.mtimeMs === facts.mtimeMs) return;
    // First sight of a file untouched for the settle time counts from its mtime.
    const since = last ? now : Math.min(now, facts.mtimeMs);
    this.seen.set(rel, { ...facts, since });
  }

  /** The file is gone (deleted, moved away). */
  forget(rel: string): void {
    this.seen.delete(rel);
  }

  /** Files unchanged for the settle time, with the facts they settled at; they leave the settler. */
  takeSettled(now: number): Map<string, FileFacts> {
    const settled = new Map<string, FileFacts>();
    for (const [rel, seen] of this.seen) {
      if (now - seen.since >= this.settleMs) {
        settled.set(rel, { size: seen.size, mtimeMs: seen.mtimeMs });
        this.seen.delete(rel);
      }
    }
    return settled;
  }

  /** Files still settling. */
  get size(): number {
    return this.seen.size;
  }

  has(rel: string): boolean {
    return this.seen.has(rel);
  }
}
