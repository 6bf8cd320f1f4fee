import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileCheckThread } from '../../main/core/store/file-check-helper';
import {
  checkShared,
  FolderWalk,
  readFolder,
  type CheckHelper,
} from '../../main/core/store/folder-walk';
import { checkFiles } from '../../main/core/store/many-files';
import { resolveSources } from '../../main/core/transfer/sources';

// The walk of a job's sources shares its stat/access calls with a real second
// thread (file-check-thread.ts, run from source through tsx); what it finds
// must not depend on which thread looked.

const FOLDERS = 30;
const FILES = 200; // 6,000 files: past the 3,000 a walk checks alone before it asks for help

let root: string;

beforeAll(async () => {
  root = await fs.mkdtemp(join(tmpdir(), 'outbox-folder-walk-'));
  for (let f = 0; f < FOLDERS; f++) {
    const folder = join(root, 'tree', `folder-${String(f).padStart(2, '0')}`);
    await fs.mkdir(join(folder, 'inner'), { recursive: true });
    await Promise.all(
      Array.from({ length: FILES }, (_, i) =>
        fs.writeFile(join(folder, `file-${i}.txt`), 'x'.repeat(i % 7)),
      ),
    );
    await fs.writeFile(join(folder, 'inner', 'deep.txt'), `deep ${f}`);
  }
});

afterAll(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

/** The files under `folder` as the walk names them, found by readdir alone, in the walk's order. */
async function expectedFiles(
  folder: string,
  name: string,
): Promise<{ name: string; size: number }[]> {
  const out: { name: string; size: number }[] = [];
  for (const child of (await fs.readdir(folder)).sort()) {
    const path = join(folder, child);
    const stat = await fs.stat(path);
    if (stat.isDirectory()) out.push(...(await expectedFiles(path, `${name}/${child}`)));
    else out.push({ name: `${name}/${child}`, size: stat.size });
  }
  return out;
}

/** A helper whose every request fails, as a thread that died would. */
const failingHelper: CheckHelper = {
  online: true,
  busy: false,
  check: () => Promise.reject(new Error('the file-check thread stopped')),
  read: () => Promise.reject(new Error('the file-check thread stopped')),
};

describe('folder walk', () => {
  it('the thread answers a check and a folder read exactly as the main thread does', async () => {
    const thread = fileCheckThread();
    expect(thread).toBeDefined();
    await thread?.started;
    const folder = join(root, 'tree', 'folder-00');
    const paths = [join(folder, 'file-3.txt'), join(folder, 'inner'), join(folder, 'missing.txt')];

    const theirs = await thread?.check(paths);
    expect(theirs).toEqual(await checkFiles(paths));
    expect(theirs?.[2]).toMatchObject({ error: { code: 'ENOENT', syscall: 'stat' } });

    const read = await thread?.read(folder);
    const here = await readFolder(folder, checkFiles);
    expect(read).toEqual(here);
    expect('names' in here && here.names.slice(0, 3)).toEqual([
      'file-0.txt',
      'file-1.txt',
      'file-10.txt',
    ]);

    const missing = await thread?.read(join(root, 'nowhere'));
    expect(missing).toMatchObject({ error: { code: 'ENOENT', syscall: 'opendir' } });
  });

  it('a large walk with the thread finds every file, in order, and the thread did part of it', async () => {
    const thread = fileCheckThread();
    await thread?.started; // running before the walk needs it, so the walk shares for sure
    const before = thread?.answered ?? 0;

    const files = await resolveSources([join(root, 'tree')]);

    expect(files.map(({ name, size }) => ({ name, size }))).toEqual(
      await expectedFiles(join(root, 'tree'), 'tree'),
    );
    expect(files).toHaveLength(FOLDERS * (FILES + 1));
    expect((thread?.answered ?? 0) - before).toBeGreaterThan(0);
  });

  it('a thread that fails costs nothing: the main thread reads and checks what it was given', async () => {
    const files = await resolveSources([join(root, 'tree')], new FolderWalk(() => failingHelper));
    expect(files.map(({ name, size }) => ({ name, size }))).toEqual(
      await expectedFiles(join(root, 'tree'), 'tree'),
    );

    const paths = Array.from({ length: 5000 }, (_, i) =>
      join(root, 'tree', 'folder-01', `file-${i % 250}.txt`),
    );
    expect(await checkShared(paths, failingHelper)).toEqual(await checkFiles(paths));
  });

  it('reports the first problem in name order, even when the thread read a later folder first', async () => {
    const bad = await fs.mkdtemp(join(tmpdir(), 'outbox-folder-walk-bad-'));
    try {
      await fs.cp(join(root, 'tree'), join(bad, 'tree'), { recursive: true });
      await fs.symlink(join(bad, 'gone-a'), join(bad, 'tree', 'folder-20', 'broken-a'));
      await fs.symlink(join(bad, 'gone-b'), join(bad, 'tree', 'folder-25', 'broken-b'));
      await fileCheckThread()?.started;
      await expect(resolveSources([join(bad, 'tree')])).rejects.toMatchObject({
        code: 'FILE_NOT_FOUND',
        message: expect.stringContaining('folder-20/broken-a'),
      });
    } finally {
      await fs.rm(bad, { recursive: true, force: true });
    }
  });
});
