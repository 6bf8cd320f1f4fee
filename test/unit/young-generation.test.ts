import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * main/core/young-generation.ts bounds V8's young generation for the whole
 * process (the main thread's pauses with 100,000 files' records, the
 * 20,000-file RSS). It works only if it runs before the rest is loaded, so
 * this checks the build (npm test builds first): each process entry requires
 * its chunk first, and that chunk keeps new space at its first size.
 */

const outMain = fileURLToPath(new URL('../../out/main/', import.meta.url));

/** The first module a built entry requires. */
function firstRequire(entry: string): string {
  const match = /require\("([^"]+)"\)/.exec(readFileSync(join(outMain, entry), 'utf8'));
  return join(outMain, match?.[1] ?? '(none)');
}

/** new_space's size in MiB after 300,000 small objects survive, in a fresh process that first requires `preload`. */
function newSpaceMiB(preload: string[]): number {
  const script = [
    ...preload.map((path) => `require(${JSON.stringify(path)});`),
    `const keep = [];`,
    `for (let i = 0; i < 300000; i++) keep.push({ path: 'folder/file-' + i, size: i });`,
    `const space = require('node:v8').getHeapSpaceStatistics().find((s) => s.space_name === 'new_space');`,
    `console.log(space.space_size / 1048576, keep.length);`,
  ].join('\n');
  const child = spawnSync(process.execPath, ['--eval', script], { encoding: 'utf8' });
  expect(child.stderr).toBe('');
  const [mib, kept] = child.stdout.trim().split(' ').map(Number);
  expect(kept).toBe(300000);
  return mib ?? NaN;
}

describe('the young generation’s bound', () => {
  it('is the first thing the CLI and the Electron main process load', () => {
    for (const entry of ['cli.js', 'index.js']) {
      expect(firstRequire(entry)).toMatch(/chunks[\\/]young-generation-[\w-]+\.js$/);
    }
  });

  it('keeps new space at its first size while objects survive (V8 grows it otherwise)', () => {
    expect(newSpaceMiB([])).toBeGreaterThanOrEqual(16); // the default this bound removes
    expect(newSpaceMiB([firstRequire('cli.js')])).toBeLessThanOrEqual(2);
  });
});
