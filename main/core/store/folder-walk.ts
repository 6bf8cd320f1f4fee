import { sep } from 'node:path';
import { fileCheckThread, type FileCheckThread } from './file-check-helper';
import type { FolderRead } from './file-check-protocol';
import { checkFiles, listFolder, type Checked } from './many-files';

/**
 * A walk of folders (a job's sources) shares its system calls with a second
 * thread once it is large: listing and stat/access are most of a walk's time
 * (100 folders of 1,000 files: ~0.8 s of them alone on the main thread), and
 * the main thread has work of its own per file. The results are the same
 * either way; the thread only adds a core, and a walk goes on alone if it
 * fails.
 * - Sibling folders: the thread reads (lists and checks) the next ones while
 *   the main thread takes them in order, and reads one itself rather than wait.
 * - One large list: the thread checks the second half of each PIECE.
 */

/** A walk checks this many paths alone first: for fewer, starting a thread (~60 ms, ~10 MiB) costs more than it saves. */
const HELP_AFTER = 3000;
/** Paths of one list shared at a time (~30 ms of checks). */
const PIECE = 4096;
/** Sibling folders at the thread at once, */
const AT_THREAD = 2;
/** ... and read ahead of the one the walk is in, by either thread (what waits in memory). */
const LOOKAHEAD = 4;

/** A folder listed (names sorted) and its entries checked, by `check`, on this thread. */
export async function readFolder(
  path: string,
  check: (paths: readonly string[]) => Promise<Checked[]>,
): Promise<FolderRead> {
  let names: string[];
  try {
    names = await listFolder(path);
  } catch (error) {
    return { error: error as NodeJS.ErrnoException };
  }
  names.sort();
  const prefix = childPrefix(path);
  return { names, checked: await check(names.map((name) => prefix + name)) };
}

/**
 * What a child's name follows: readdir gives plain names and `folder` is
 * absolute and normalized, so no join() is needed.
 */
export function childPrefix(folder: string): string {
  return folder.endsWith(sep) ? folder : folder + sep;
}

/** What a walk asks of the file-check thread. */
export type CheckHelper = Pick<FileCheckThread, 'online' | 'busy' | 'check' | 'read'>;

/** One walk's reads (each entry's kind and size, and whether a file is readable). */
export class FolderWalk {
  private checked = 0;

  constructor(private readonly thread: () => CheckHelper | undefined = fileCheckThread) {}

  /** The thread, once this walk has checked HELP_AFTER paths (started then); none if it cannot start. */
  helper(): CheckHelper | undefined {
    return this.checked > HELP_AFTER ? this.thread() : undefined;
  }

  /** Paths checked so far (by either thread). */
  count(paths: number): void {
    this.checked += paths;
  }

  /** A folder read on the main thread, its checks shared with the thread if it runs and is idle. */
  read(path: string): Promise<FolderRead> {
    return readFolder(path, (paths) => {
      this.count(paths.length);
      const helper = this.helper();
      // Not while it reads folders ahead: this half would wait behind them.
      return helper?.online && !helper.busy ? checkShared(paths, helper) : checkFiles(paths);
    });
  }

  /** The reads of sibling `folders`, which the walk takes in order (FolderReads). */
  readAhead(folders: readonly string[]): FolderReads {
    return new FolderReads(this, folders);
  }
}

/**
 * The reads of sibling folders, taken in order: the thread reads up to
 * AT_THREAD of the next ones; the main thread reads one the thread has not
 * started, also while it would otherwise wait for the thread.
 */
export class FolderReads {
  private readonly reads: (Promise<FolderRead> | undefined)[] = [];
  private readonly settled: boolean[] = [];
  private next = 0;
  private atThread = 0;

  constructor(
    private readonly walk: FolderWalk,
    private readonly folders: readonly string[],
  ) {}

  /** The next folder's read. */
  async take(): Promise<FolderRead> {
    const j = this.next++;
    this.sendAhead();
    for (let k = this.unstarted(j + 1); this.reads[j] && !this.settled[j] && k !== undefined;) {
      await this.start(k, this.walk.read(this.folders[k] as string));
      k = this.unstarted(k + 1);
    }
    const read = this.reads[j] ?? this.walk.read(this.folders[j] as string);
    this.reads[j] = undefined;
    return read;
  }

  /** The first folder from `from` on, within LOOKAHEAD, that no thread reads yet. */
  private unstarted(from: number): number | undefined {
    const end = Math.min(this.folders.length, this.next + LOOKAHEAD);
    for (let k = Math.max(from, this.next); k < end; k++) if (!this.reads[k]) return k;
    return undefined;
  }

  private start(k: number, read: Promise<FolderRead>): Promise<FolderRead> {
    const started = read.finally(() => (this.settled[k] = true));
    started.catch(() => {}); // awaited by take(), unless the walk stopped at an error before it
    this.reads[k] = started;
    return started;
  }

  /** Gives the thread the next folders no thread reads, up to AT_THREAD at once. */
  private sendAhead(): void {
    const helper = this.walk.helper();
    if (!helper?.online) return;
    for (let k = this.unstarted(this.next); k !== undefined && this.atThread < AT_THREAD;) {
      const folder = this.folders[k] as string;
      this.atThread++;
      const read = helper
        .read(folder)
        .then(
          (read) => {
            if ('names' in read) this.walk.count(read.names.length);
            return read;
          },
          () => this.walk.read(folder), // the thread failed: read here
        )
        .finally(() => {
          this.atThread--;
          this.sendAhead();
        });
      void this.start(k, read);
      k = this.unstarted(k + 1);
    }
  }
}

/**
 * In pieces: the thread checks each piece's second half (one request) while
 * the main thread checks the first in time slices. If the thread fails, the
 * main thread checks its half too.
 */
export async function checkShared(
  paths: readonly string[],
  helper: Pick<CheckHelper, 'check'>,
): Promise<Checked[]> {
  const out: Checked[] = [];
  for (let start = 0; start < paths.length; start += PIECE) {
    const piece = paths.slice(start, start + PIECE);
    const split = Math.ceil(piece.length / 2);
    const theirs = helper.check(piece.slice(split));
    theirs.catch(() => {}); // awaited below, after the main thread's half
    out.push(...(await checkFiles(piece.slice(0, split))));
    const helped = await theirs.catch(() => undefined);
    out.push(...(helped ?? (await checkFiles(piece.slice(split)))));
  }
  return out;
}
