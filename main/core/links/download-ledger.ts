import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../store/atomic-file';

/**
 * Downloads are counted by the bytes sent, not by requests. A download is
 * counted each time every byte of the link's file (or of its ZIP's files)
 * has been sent at least once since the last count, however the bytes were
 * split into requests and ranges: a resumed download, or one in parallel
 * ranges (`aria2c -x 8`), counts once; a probe of a few bytes counts as none;
 * bytes sent again (overlapping ranges, a cut connection's last bytes
 * re-sent) do not count twice. In all, a link with `max_downloads: N` sends
 * at most N + 1 times its size: past either limit it answers 410.
 *
 * On disk, `<links>/<id>.sent` holds one JSON line per change, the last
 * complete one being the count. A response is counted as sent whole while
 * it runs (written before its first byte for a link with a limit), so a
 * crash never loses a count that matters; what a cut response did not send
 * is given back when it ends. Links made before byte counting have
 * `<id>.downloads`, one dot per download.
 */

/** Bytes sent and downloads counted for one link. */
export type Tally = {
  downloads: number;
  /** Every byte sent, overlaps included. */
  sent: number;
  /** What has been sent since the last download was counted: sorted, disjoint [start, end) pieces. */
  covered: [number, number][];
};

export const emptyTally = (): Tally => ({ downloads: 0, sent: 0, covered: [] });

/** Pieces kept per link; past this, the closest two are joined (which counts sooner, never later). */
const MAX_PIECES = 64;
/** Counts of links without a limit are written at most this long after they change. */
const GROUP_MS = 50;
/** A `.sent` file over this size is rewritten with its last line only. */
const COMPACT_BYTES = 256 * 1024;

/** The most bytes a link with `max` downloads of `size` bytes sends. */
export function byteCap(max: number, size: number): number {
  return (max + 1) * Math.max(size, 1);
}

/** Adds bytes [start, end) of a resource of `size` bytes to `tally`, as sent. */
export function addSent(tally: Tally, start: number, end: number, size: number): void {
  if (size === 0) {
    // An empty file: every GET is a whole download (and counts as one byte toward the cap).
    tally.downloads++;
    tally.sent++;
    return;
  }
  if (end <= start) return;
  tally.sent += end - start;
  const pieces: [number, number][] = [];
  let [from, to] = [start, end];
  for (const [a, b] of tally.covered) {
    if (b < from || a > to) pieces.push([a, b]);
    else [from, to] = [Math.min(a, from), Math.max(b, to)];
  }
  pieces.push([from, to]);
  pieces.sort((x, y) => x[0] - y[0]);
  while (pieces.length > MAX_PIECES) {
    let closest = 0;
    for (let i = 1; i < pieces.length - 1; i++) {
      const gap = (pieces[i + 1]?.[0] ?? 0) - (pieces[i]?.[1] ?? 0);
      if (gap < (pieces[closest + 1]?.[0] ?? 0) - (pieces[closest]?.[1] ?? 0)) closest = i;
    }
    const [a] = pieces[closest] as [number, number];
    const [, b] = pieces[closest + 1] as [number, number];
    pieces.splice(closest, 2, [a, b]);
  }
  const [first] = pieces;
  if (pieces.length === 1 && first && first[0] <= 0 && first[1] >= size) {
    tally.downloads++;
    tally.covered = [];
  } else tally.covered = pieces;
}

function cloneTally(tally: Tally): Tally {
  return { ...tally, covered: tally.covered.map(([a, b]): [number, number] => [a, b]) };
}

function paths(dir: string, id: string): { sent: string; legacy: string } {
  return { sent: join(dir, `${id}.sent`), legacy: join(dir, `${id}.downloads`) };
}

function parseTally(line: string): Tally | undefined {
  try {
    const value = JSON.parse(line) as Partial<Tally>;
    const covered = Array.isArray(value.covered) ? value.covered : [];
    if (typeof value.downloads !== 'number' || typeof value.sent !== 'number') return undefined;
    return { downloads: value.downloads, sent: value.sent, covered };
  } catch {
    return undefined;
  }
}

/** A link's tally from its files (`size`: the bytes of one download). */
export async function readTally(dir: string, id: string, size: number): Promise<Tally> {
  const { sent, legacy } = paths(dir, id);
  const text = await fs.readFile(sent, 'utf8').catch(() => undefined);
  if (text !== undefined) {
    // The last complete line: a crash in the middle of an append leaves at most a partial one.
    const lines = text
      .slice(0, text.lastIndexOf('\n') + 1)
      .trimEnd()
      .split('\n');
    for (let i = lines.length - 1; i >= 0; i--) {
      const tally = parseTally(lines[i] ?? '');
      if (tally) return tally;
    }
  }
  const dots = await fs.stat(legacy).then(
    (stat) => stat.size,
    () => 0,
  );
  return { downloads: dots, sent: dots * Math.max(size, 1), covered: [] };
}

export async function removeLedger(dir: string, id: string): Promise<void> {
  const { sent, legacy } = paths(dir, id);
  await Promise.all([fs.rm(sent, { force: true }), fs.rm(legacy, { force: true })]);
}

/** One response's share of a link's count: say how many bytes it sent when it ends. */
export type Delivery = { end(bytesSent: number): void };

/** A response being sent: its range, in the coordinates the link counts in. */
type Running = { start: number; end: number };

type LinkState = {
  /** Responses that ended. */
  ended: Tally;
  running: Set<Running>;
  /** Bytes this process appended to the file (compacted past COMPACT_BYTES). */
  written: number;
  next: { start: () => void; timer: NodeJS.Timeout; done: Promise<void> } | undefined;
  /** The write in progress: writes are in order, so the last line is the latest. */
  writing: Promise<void>;
};

/**
 * The tallies of the links one process serves (one server per data
 * directory), written to the links' `.sent` files: with a limit, before a
 * response starts; without one, in groups, GROUP_MS after a change.
 */
export class DownloadLedger {
  private readonly links = new Map<string, Promise<LinkState>>();

  constructor(private readonly dir: string) {}

  private state(id: string, size: number): Promise<LinkState> {
    let state = this.links.get(id);
    if (!state) {
      state = readTally(this.dir, id, size).then((ended): LinkState => ({
        ended,
        running: new Set(),
        written: 0,
        next: undefined,
        writing: Promise.resolve(),
      }));
      this.links.set(id, state);
      state.catch(() => this.links.delete(id));
    }
    return state;
  }

  /** What a crash now would leave: every running response counted as sent whole. */
  private pessimistic(state: LinkState, size: number): Tally {
    const tally = cloneTally(state.ended);
    for (const running of state.running) addSent(tally, running.start, running.end, size);
    return tally;
  }

  /** Downloads counted for a link (responses that ended). */
  async downloads(id: string, size: number): Promise<number> {
    return (await this.state(id, size)).ended.downloads;
  }

  /**
   * Counts a response that sends [start, end) (in the link's coordinates:
   * `size` bytes in all) before it starts, or undefined when the link's limit
   * does not allow it (answer 410). `toRange` maps the bytes it will have sent
   * to the range they cover.
   */
  async begin(
    id: string,
    size: number,
    max: number | undefined,
    range: Running,
    toRange: (bytesSent: number) => Running,
  ): Promise<Delivery | undefined> {
    const state = await this.state(id, size);
    const length = Math.max(range.end - range.start, size === 0 ? 1 : 0);
    if (max !== undefined) {
      const running = [...state.running].reduce((sum, r) => sum + (r.end - r.start), 0);
      if (state.ended.downloads >= max) return undefined;
      if (state.ended.sent + running + length > byteCap(max, size)) return undefined;
    }
    const running = { ...range };
    state.running.add(running);
    const written = this.write(id, state, size, max !== undefined ? 'now' : 'soon');
    if (max !== undefined) await written;
    let ended = false;
    return {
      end: (bytesSent) => {
        if (ended) return;
        ended = true;
        state.running.delete(running);
        const sent = toRange(bytesSent);
        addSent(state.ended, sent.start, sent.end, size);
        void this.write(id, state, size, 'soon');
      },
    };
  }

  /**
   * Writes the link's tally: right after this turn of the event loop ('now'),
   * or GROUP_MS after the first change ('soon'); resolves once it is on disk.
   * Every change until then gets the same promise, handled here once: only a
   * response that must wait for the write awaits it. (A handler per response
   * piled up on it while it was pending; collecting them was ~8 % of a link
   * request's CPU.)
   */
  private write(id: string, state: LinkState, size: number, when: 'now' | 'soon'): Promise<void> {
    let next = state.next;
    if (!next) {
      let start: () => void = () => undefined;
      const begun = new Promise<void>((resolve) => (start = resolve));
      const timer = setTimeout(() => start(), GROUP_MS);
      timer.unref();
      const done = begun.then(async () => {
        await state.writing;
        const writing = this.flush(id, state, size);
        state.writing = writing.catch(() => undefined);
        return writing;
      });
      done.catch(() => undefined);
      next = { start, timer, done };
      state.next = next;
    }
    if (when === 'now') {
      clearTimeout(next.timer);
      setImmediate(next.start);
    }
    return next.done;
  }

  private async flush(id: string, state: LinkState, size: number): Promise<void> {
    state.next = undefined;
    const line = JSON.stringify(this.pessimistic(state, size)) + '\n';
    const file = paths(this.dir, id).sent;
    if (state.written > COMPACT_BYTES) {
      await writeFileAtomic(file, line);
      state.written = 0;
    } else {
      await fs.appendFile(file, line, { mode: 0o600 });
      state.written += line.length;
    }
  }

  /** Writes what is pending (the server is stopping). */
  async close(): Promise<void> {
    const states = await Promise.all([...this.links.values()].map((s) => s.catch(() => undefined)));
    await Promise.all(
      states.map((state) => {
        state?.next?.start();
        return state?.next?.done.catch(() => undefined);
      }),
    );
  }
}
