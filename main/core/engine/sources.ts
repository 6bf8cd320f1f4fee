import { constants, promises as fs } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { OutboxError } from '../errors';

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
 */
export async function resolveSources(paths: string[]): Promise<SourceFile[]> {
  const files: SourceFile[] = [];
  for (const path of paths) {
    const absolute = resolve(path);
    await collect(absolute, basename(absolute), files, new Set());
  }
  return files;
}

async function collect(
  path: string,
  name: string,
  into: SourceFile[],
  seen: Set<string>,
): Promise<void> {
  const stat = await fs.stat(path).catch((error: NodeJS.ErrnoException) => {
    throw fileError(path, error);
  });
  if (stat.isDirectory()) {
    const real = await fs.realpath(path);
    if (seen.has(real)) return; // a symlink back up the tree
    seen.add(real);
    const entries = await fs.readdir(path).catch((error: NodeJS.ErrnoException) => {
      throw fileError(path, error);
    });
    for (const entry of entries.sort()) {
      await collect(join(path, entry), `${name}/${entry}`, into, seen);
    }
    seen.delete(real);
    return;
  }
  if (!stat.isFile()) {
    throw new OutboxError(
      'FILE_UNREADABLE',
      `${path} is not a regular file (device, socket or pipe)`,
    );
  }
  await fs.access(path, constants.R_OK).catch((error: NodeJS.ErrnoException) => {
    throw fileError(path, error);
  });
  into.push({ path, name, size: stat.size, mtimeMs: stat.mtimeMs });
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
