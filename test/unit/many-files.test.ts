import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkFiles, listFolder } from '../../main/core/store/many-files';

describe('many-files', () => {
  let root: string;
  beforeEach(async () => {
    root = await fs.mkdtemp(join(tmpdir(), 'outbox-many-files-'));
  });
  afterEach(async () => {
    await fs.rm(root, { recursive: true, force: true });
  });

  it('lists every entry of a folder larger than one read of the folder, as readdir does', async () => {
    const names = Array.from({ length: 1200 }, (_, i) => `file-${i}.txt`);
    await Promise.all(names.map((name) => fs.writeFile(join(root, name), 'x')));
    await fs.mkdir(join(root, 'sub folder'));
    await fs.symlink(join(root, 'file-0.txt'), join(root, 'link'));

    const listed = await listFolder(root);

    expect(listed).toHaveLength(1202);
    expect([...listed].sort()).toEqual([...(await fs.readdir(root))].sort());
  });

  it('lists an empty folder as no names', async () => {
    expect(await listFolder(root)).toEqual([]);
  });

  it('refuses a folder that is not there, or a file, with the errno a caller can name', async () => {
    await expect(listFolder(join(root, 'missing'))).rejects.toMatchObject({ code: 'ENOENT' });
    await fs.writeFile(join(root, 'plain.txt'), 'x');
    await expect(listFolder(join(root, 'plain.txt'))).rejects.toMatchObject({ code: 'ENOTDIR' });
  });

  it('checks each path in order: kind, size and mtime, or the error', async () => {
    await fs.writeFile(join(root, 'a.txt'), 'hello');
    await fs.mkdir(join(root, 'b'));
    const checked = await checkFiles([join(root, 'a.txt'), join(root, 'b'), join(root, 'c')]);
    expect(checked[0]).toMatchObject({ kind: 'file', size: 5 });
    expect(checked[0]).toHaveProperty('mtimeMs', (await fs.stat(join(root, 'a.txt'))).mtimeMs);
    expect(checked[1]).toMatchObject({ kind: 'folder' });
    expect(checked[2]).toMatchObject({ error: { code: 'ENOENT' } });
  });
});
