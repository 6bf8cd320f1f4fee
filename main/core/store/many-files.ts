import { accessSync, constants, opendirSync, statSync, type Stats } from 'node:fs';
import { forEachSliced, timeSlices } from '../time-slices';

/**
 * The file-system work on many files at once (a folder of 100,000 files):
 * listing folders, and stat and, for regular files, access(R_OK), made
 * synchronously in time slices of a few milliseconds (time-slices.ts), the
 * event loop turning between them. Measured on 100,000 files: ~1 CPU-s this
 * way; ~3 CPU-s through the async API, whose per-call cost (request objects,
 * promises, the thread pool hand-off) is several times the syscall's. The
 * price: a file system that hangs (a dead network mount) holds the thread
 * for one call.
 */

/** What a check keeps of a stat: few fields, as 100,000 of them may be alive at once. */
export type FileFacts = { kind: 'file' | 'folder' | 'other'; size: number; mtimeMs: number };

export type Checked = FileFacts | { error: NodeJS.ErrnoException };

function factsOf(stat: Stats): FileFacts {
  const kind = stat.isFile() ? 'file' : stat.isDirectory() ? 'folder' : 'other';
  return { kind, size: stat.size, mtimeMs: stat.mtimeMs };
}

/**
 * stat (following links) of one path, and access(R_OK) for a regular file
 * unless `readable` is false (the caller reads the file soon and learns it then).
 */
export function checkFile(path: string, readable = true): Checked {
  try {
    const facts = factsOf(statSync(path));
    if (readable && facts.kind === 'file') accessSync(path, constants.R_OK);
    return facts;
  } catch (error) {
    return { error: error as NodeJS.ErrnoException };
  }
}

/** Entries read from a folder per system call (Node's default is 32). */
const LIST_BUFFER = 256;

/**
 * The names in a folder, in the order the file system gives them, read in
 * time slices. Not `fs.readdir`: each folder of a walk then waited on the
 * thread pool, ~15 % of a 100,000-file walk's time idle (100 folders).
 */
export async function listFolder(path: string): Promise<string[]> {
  const names: string[] = [];
  const folder = opendirSync(path, { bufferSize: LIST_BUFFER });
  try {
    const slices = timeSlices();
    for (let entry = folder.readSync(); entry !== null; entry = folder.readSync()) {
      names.push(entry.name);
      if (slices.over()) await slices.next();
    }
  } finally {
    folder.closeSync();
  }
  return names;
}

/** `checkFile` of every path, in order, in time slices. */
export async function checkFiles(paths: readonly string[], readable = true): Promise<Checked[]> {
  const out: Checked[] = [];
  await forEachSliced(paths, (path) => out.push(checkFile(path, readable)));
  return out;
}
