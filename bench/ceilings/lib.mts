/**
 * What every ceiling script shares. A ceiling is a protocol's own library
 * (or curl) sending the board's data with no Outbox code around it: the
 * board shows Outbox ÷ ceiling as Outbox's overhead on that protocol.
 *
 * The board runs them as plain JavaScript (bench/lib/ceiling.ts strips the
 * types beforehand), so no loader costs memory, CPU or start-up time that
 * Outbox's built CLI does not pay; `node bench/ceilings/x.mts` runs one by
 * hand. Their settings come as JSON in the CEILING environment variable.
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';

/**
 * Parts of a large file and files in flight: the same as Outbox's defaults, so only the code
 * differs (files: Outbox's default; SFTP's own number is in sftp-fastput.mts).
 */
export const PART_SIZE = 8 * 1024 * 1024;
export const PARTS_IN_FLIGHT = 4;
export const FILES_IN_FLIGHT = 64;

export type SourceFile = { path: string; name: string; size: number };

/** The file, or the files of a folder (one level, as the board's data is), named as Outbox names them. */
export async function filesOf(source: string): Promise<{ folder: boolean; files: SourceFile[] }> {
  const stat = await fs.stat(source);
  if (!stat.isDirectory()) {
    return { folder: false, files: [{ path: source, name: 'big.bin', size: stat.size }] };
  }
  const names = (await fs.readdir(source)).sort();
  const files = await Promise.all(
    names.map(async (name) => {
      const path = join(source, name);
      return { path, name, size: (await fs.stat(path)).size };
    }),
  );
  return { folder: true, files };
}

/** Where a file goes under `prefix`, named as the peers name it: `big.bin`, `small/<name>`. */
export const nameOf = (prefix: string, folder: boolean, file: SourceFile) =>
  `${prefix}${folder ? 'small/' : ''}${file.name}`;

/** A part read into memory and its MD5 (what Content-MD5 sends). */
export type HashedPart = { index: number; data: Buffer; md5: Buffer };

/**
 * The file's parts as a plain SDK loop that sends Content-MD5 would make
 * them: each read once into one of PARTS_IN_FLIGHT reused buffers, in order,
 * its MD5 computed with node:crypto (and `onRead` sees every byte, in order,
 * e.g. for a whole-file MD5); `send` runs PARTS_IN_FLIGHT parts at a time.
 */
export async function sendHashedParts<T>(
  file: SourceFile,
  send: (part: HashedPart) => Promise<T>,
  onRead?: (data: Buffer) => void,
): Promise<T[]> {
  const handle = await fs.open(file.path);
  const free: Buffer[] = [];
  const results: T[] = [];
  const running = new Set<Promise<void>>();
  try {
    for (let index = 0; index * PART_SIZE < Math.max(1, file.size); index++) {
      const start = index * PART_SIZE;
      const length = Math.min(PART_SIZE, file.size - start);
      const buffer = free.pop() ?? Buffer.allocUnsafeSlow(PART_SIZE);
      const data = buffer.subarray(0, length);
      for (let at = 0; at < length;) {
        const { bytesRead } = await handle.read(data, at, length - at, start + at);
        if (bytesRead === 0) throw new Error(`${file.path}: shorter than ${file.size} bytes`);
        at += bytesRead;
      }
      onRead?.(data);
      const md5 = createHash('md5').update(data).digest();
      const sending: Promise<void> = send({ index, data, md5 }).then((result) => {
        results[index] = result;
        free.push(buffer);
        running.delete(sending);
      });
      running.add(sending);
      if (running.size >= PARTS_IN_FLIGHT) await Promise.race(running);
    }
    await Promise.all(running);
  } finally {
    await handle.close();
  }
  return results;
}

/**
 * Fails the run when a server stored other bytes than were sent: its ETag (quoted, in
 * any case) is not `expected`, the MD5 (or S3 composite ETag) of what was sent.
 */
export function sameEtag(what: string, stored: string | undefined, expected: string): void {
  const bare = (stored ?? '').replace(/"/g, '').toLowerCase();
  if (bare !== expected) throw new Error(`${what}: stored ETag ${bare}, expected ${expected}`);
}

/** Runs `work` on every item, `limit` at a time: the engine's own (scheduling, no protocol code). */
export { eachLimited } from '../../main/core/engine/each-limited.ts';

/**
 * Runs a ceiling: `main` gets the settings (JSON in CEILING) and the SOURCE
 * argument; a failure ends the process with a one-line error, like the other
 * tools the board runs.
 */
export function run<T>(main: (settings: T, source: string) => Promise<void>): void {
  const raw = process.env.CEILING;
  const source = process.argv[2];
  const started = raw && source ? main(JSON.parse(raw) as T, source) : undefined;
  (started ?? Promise.reject(new Error('usage: CEILING=JSON node CEILING.mts SOURCE'))).catch(
    (error: unknown) => {
      console.error(error instanceof Error ? error.message : String(error));
      // now: an open connection (ssh2's, an SDK's sockets) would keep a failed run waiting
      // for the board's timeout (a missing folder on the SFTP server: 27 minutes once)
      process.exit(1);
    },
  );
}
