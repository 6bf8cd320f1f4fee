import { realpathSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { OutboxError } from '../errors';
import type { FolderRead } from '../store/file-check-protocol';
import { childPrefix, FolderWalk } from '../store/folder-walk';
import { checkFile, type Checked, type FileFacts } from '../store/many-files';

/** A local file as it was when the job started: exporters check it did not change since. */
export type SourceFile = {
  path: string;
  /** Its own name: the base name, or the relative path under a dropped folder. */
  name: string;
  size: number;
  mtimeMs: number;
};

/**
 * Turns import paths into files. A folder contributes everything inside it,
 * named by its path relative to the folder's parent (so `photos/2024/a.jpg`),
 * the way a file manager copies a folder. Symlinks are followed, loops are not.
 * A folder is listed and its entries checked in time slices (many-files.ts), a
 * large walk's with a second thread's help (folder-walk.ts); the
 * first problem in name order is the one reported.
 */
export async function resolveSources(
  paths: string[],
  walk = new FolderWalk(),
): Promise<SourceFile[]> {
  const files: SourceFile[] = [];
  for (const path of paths) {
    const absolute = resolve(path);
    const checked = checkFile(absolute);
    if ('error' in checked) throw fileError(absolute, checked.error);
    if (checked.kind === 'folder')
      await collectFolder(absolute, basename(absolute), files, new Set(), walk);
    else files.push(sourceFile(absolute, basename(absolute), checked));
  }
  return files;
}

/** A checked path as a source file (one per file of a 100,000-file folder: nothing more is made). */
function sourceFile(path: string, name: string, facts: FileFacts): SourceFile {
  if (facts.kind !== 'file') {
    throw new OutboxError(
      'FILE_UNREADABLE',
      `${path} is not a regular file (device, socket or pipe)`,
    );
  }
  return { path, name, size: facts.size, mtimeMs: facts.mtimeMs };
}

async function collectFolder(
  path: string,
  name: string,
  into: SourceFile[],
  seen: Set<string>,
  walk: FolderWalk,
  /** Its read, if the walk started it ahead (FolderReads). */
  read?: Promise<FolderRead>,
): Promise<void> {
  const real = realpathSync.native(path); // one syscall-backed call: no wait on the pool
  if (seen.has(real)) return; // a symlink back up the tree
  seen.add(real);
  const listed = await (read ?? walk.read(path));
  if ('error' in listed) throw fileError(path, listed.error);
  const { names, checked } = listed;
  const prefix = childPrefix(path);
  const folders = walk.readAhead(
    names.flatMap((child, i) => {
      const outcome = checked[i] as Checked;
      return 'kind' in outcome && outcome.kind === 'folder' ? [prefix + child] : [];
    }),
  );
  for (let i = 0; i < names.length; i++) {
    const childPath = prefix + (names[i] as string);
    const outcome = checked[i] as Checked;
    const childName = `${name}/${names[i]}`;
    if ('error' in outcome) throw fileError(childPath, outcome.error);
    if (outcome.kind === 'folder')
      await collectFolder(childPath, childName, into, seen, walk, folders.take());
    else into.push(sourceFile(childPath, childName, outcome));
  }
  seen.delete(real);
}

export function fileError(path: string, error: NodeJS.ErrnoException): OutboxError {
  switch (error.code) {
    case 'ENOENT':
      return new OutboxError('FILE_NOT_FOUND', `${path} does not exist (moved or deleted?)`);
    case 'EACCES':
    case 'EPERM':
      return new OutboxError('FILE_UNREADABLE', `${path} cannot be read: permission denied`);
    case 'ELOOP':
      return new OutboxError('FILE_UNREADABLE', `${path} is a symbolic link loop`);
    default:
      return new OutboxError('FILE_UNREADABLE', `${path} cannot be read: ${error.message}`);
  }
}
