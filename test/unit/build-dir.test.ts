import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mainBuildDir } from '../../main/core/build-dir';

describe('mainBuildDir (where the built entries are)', () => {
  const out = join('/opt', 'outbox', 'out', 'main');

  it('is the folder of a module built as an entry', () => {
    expect(mainBuildDir(out)).toBe(out);
  });

  it('is the parent of a module the bundler put in chunks/', () => {
    expect(mainBuildDir(join(out, 'chunks'))).toBe(out);
  });

  it('is the source folder itself when run from source', () => {
    const source = join('/opt', 'outbox', 'main', 'core', 'engine');
    expect(mainBuildDir(source)).toBe(source);
  });
});
