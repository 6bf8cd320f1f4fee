import { fstatSync, promises as fs, type Stats } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';

/**
 * The files links serve, kept open between requests. A link serves a file
 * only while it is the one exported (same size and modification time):
 * - a request that reads the open file checks it first (fstat), so bytes
 *   changed in place are never sent;
 * - whether the path still names that file (not deleted, not replaced) is
 *   checked again when the last check is over a second old: a deleted or
 *   replaced file stops being served within a second, and until then the
 *   bytes sent are the exported ones (the open file is the original).
 * Small files are kept in memory once read and checked unchanged; their
 * requests send those bytes and read nothing, so the file itself is checked
 * with its path, once a second (an fstat per request was ~6 % of a 64 KiB
 * request's CPU): a file changed in place stops being served within a second,
 * and until then the bytes sent are the exported ones, as for one replaced.
 */

export type FileSnapshot = { path: string; size: number; mtime_ms: number };

/** How long a check that the path still names the open file holds. */
const PATH_CHECK_MS = 1000;
/** Files kept open without a request; beyond this the least recently used are closed. */
const MAX_OPEN = 256;
const IDLE_CLOSE_MS = 30_000;
/** Files up to this size are kept in memory once read, up to MAX_CACHED bytes in all. */
export const SMALL_FILE = 256 * 1024;
const MAX_CACHED = 64 * 1024 * 1024;

type OpenFile = {
  key: string;
  handle: FileHandle;
  dev: number;
  ino: number;
  /** Requests using the handle now: it is closed only when none do. */
  users: number;
  lastUsed: number;
  pathCheckedAt: number;
  stale: boolean;
  content?: Buffer;
};

const keyOf = (file: FileSnapshot) => `${file.size}:${file.mtime_ms}:${file.path}`;

function matches(stat: Stats, file: FileSnapshot): boolean {
  return stat.isFile() && stat.size === file.size && stat.mtimeMs === file.mtime_ms;
}

/** A served file, open and checked: read from it (or take its bytes), then `release()`. */
export type ServedFile = {
  /**
   * Bytes from the open file, for a large one. A small one is sent from
   * `contents()` (link-body.ts reads only files over SMALL_FILE): its file was
   * not checked by this request when its bytes are kept.
   */
  read(buffer: Buffer, length: number, position: number): Promise<number>;
  /**
   * The whole file, for a small one (kept in memory while unchanged); undefined
   * for a large one. Throws if it changed while it was read.
   */
  contents(): Promise<Buffer | undefined>;
  release(): void;
};

export class ServedFiles {
  /** Open files by key, least recently used first. */
  private readonly open = new Map<string, OpenFile>();
  private readonly opening = new Map<string, Promise<OpenFile | undefined>>();
  private cachedBytes = 0;
  private readonly sweeper: NodeJS.Timeout;
  /** After close(): a file opened now serves the request that asked for it, then closes. */
  private closed = false;

  constructor() {
    this.sweeper = setInterval(() => this.closeIdle(Date.now() - IDLE_CLOSE_MS), IDLE_CLOSE_MS);
    this.sweeper.unref();
  }

  /** The file, open and checked, or undefined when it changed or vanished since `file` was taken. */
  async acquire(file: FileSnapshot): Promise<ServedFile | undefined> {
    const entry = this.open.get(keyOf(file)) ?? (await this.entry(file));
    if (!entry) return undefined;
    entry.users++;
    const checkPath = Date.now() - entry.pathCheckedAt > PATH_CHECK_MS;
    let unchanged = entry.content && !checkPath ? true : this.unchanged(entry, file);
    if (unchanged && checkPath) {
      const atPath = await fs.stat(file.path).catch(() => undefined);
      unchanged = atPath?.dev === entry.dev && atPath.ino === entry.ino;
      if (unchanged) entry.pathCheckedAt = Date.now();
    }
    if (!unchanged) {
      this.retire(entry);
      this.release(entry);
      return undefined;
    }
    this.touch(entry);
    let released = false;
    return {
      read: async (buffer, length, position) =>
        (await entry.handle.read(buffer, 0, length, position)).bytesRead,
      contents: () => this.contents(entry, file),
      release: () => {
        if (released) return;
        released = true;
        this.release(entry);
      },
    };
  }

  /** The open file itself still has the exported size and modification time. */
  private unchanged(entry: OpenFile, file: FileSnapshot): boolean {
    try {
      return matches(fstatSync(entry.handle.fd), file);
    } catch {
      return false;
    }
  }

  private async contents(entry: OpenFile, file: FileSnapshot): Promise<Buffer | undefined> {
    if (entry.content) return entry.content;
    if (file.size > SMALL_FILE) return undefined;
    const buffer = Buffer.allocUnsafe(file.size);
    let got = 0;
    while (got < file.size) {
      const { bytesRead } = await entry.handle.read(buffer, got, file.size - got, got);
      if (bytesRead === 0) throw new Error(`${file.path} shrank while it was read`);
      got += bytesRead;
    }
    if (!this.unchanged(entry, file)) throw new Error(`${file.path} changed while it was read`);
    if (!entry.stale && this.cachedBytes + file.size <= MAX_CACHED) {
      entry.content = buffer;
      this.cachedBytes += file.size;
    }
    return buffer;
  }

  private release(entry: OpenFile): void {
    entry.users--;
    if (entry.stale && entry.users === 0) void entry.handle.close().catch(() => {});
  }

  private touch(entry: OpenFile): void {
    entry.lastUsed = Date.now();
    this.open.delete(entry.key); // re-inserted: most recently used last
    this.open.set(entry.key, entry);
  }

  private entry(file: FileSnapshot): Promise<OpenFile | undefined> {
    const key = keyOf(file);
    let opening = this.opening.get(key);
    if (!opening) {
      opening = this.openFile(key, file).then((opened) => {
        this.opening.delete(key);
        if (opened && this.closed) opened.stale = true;
        else if (opened) this.open.set(key, opened);
        if (this.open.size > MAX_OPEN) this.closeIdle(Infinity, this.open.size - MAX_OPEN);
        return opened;
      });
      this.opening.set(key, opening);
    }
    return opening;
  }

  private async openFile(key: string, file: FileSnapshot): Promise<OpenFile | undefined> {
    const handle = await fs.open(file.path, 'r').catch(() => undefined);
    if (!handle) return undefined;
    const stat = await handle.stat().catch(() => undefined);
    if (!stat || !matches(stat, file)) {
      await handle.close().catch(() => {});
      return undefined;
    }
    const now = Date.now();
    return {
      key,
      handle,
      dev: stat.dev,
      ino: stat.ino,
      users: 0,
      lastUsed: now,
      pathCheckedAt: now,
      stale: false,
    };
  }

  /** No new request gets this file; it is closed when the last one using it is done. */
  private retire(entry: OpenFile): void {
    if (entry.stale) return;
    entry.stale = true;
    if (entry.content) this.cachedBytes -= entry.content.length;
    entry.content = undefined;
    if (this.open.get(entry.key) === entry) this.open.delete(entry.key);
    if (entry.users === 0) void entry.handle.close().catch(() => {});
  }

  /** Closes files unused since `before`, least recently used first, at most `count`. */
  private closeIdle(before: number, count = Infinity): void {
    for (const entry of [...this.open.values()]) {
      if (count <= 0) return;
      if (entry.users > 0 || entry.lastUsed >= before) continue;
      this.retire(entry);
      count--;
    }
  }

  /**
   * Closes every file: an unused one now, one a request is reading (or still
   * opening) when that request is done.
   */
  close(): void {
    this.closed = true;
    clearInterval(this.sweeper);
    for (const entry of [...this.open.values()]) this.retire(entry);
  }
}
