import { spawnSync } from 'node:child_process';
import { expect } from 'vitest';

/**
 * Runs `script` (an ES module, after `--import tsx`) in a fresh process, for
 * checks of what loads and when; fails on any stderr or a non-zero exit.
 * Returns its stdout as JSON.
 */
export function inFreshProcess<T>(script: string): T {
  const child = spawnSync(
    process.execPath,
    ['--import', 'tsx', '--input-type=module', '--eval', script],
    { encoding: 'utf8' },
  );
  expect(child.stderr).toBe('');
  expect(child.status).toBe(0);
  return JSON.parse(child.stdout) as T;
}
