import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, outbox } from '../support/cli';

/**
 * A walk past 3,000 files starts the file-check thread (main/core/store/
 * folder-walk.ts). The built CLI, as users run it: the export finds every
 * file, in order, and the process exits when it is done, whether or not the
 * thread came online in time to help (it stops by itself only after 30 s idle).
 */

const FOLDERS = 40;
const FILES = 100;

let root: string;
beforeAll(async () => {
  assertBuilt();
  root = await fs.mkdtemp(join(tmpdir(), 'outbox-large-walk-'));
  for (let f = 0; f < FOLDERS; f++) {
    const folder = join(root, 'photos', `day-${String(f).padStart(2, '0')}`);
    await fs.mkdir(folder, { recursive: true });
    await Promise.all(
      Array.from({ length: FILES }, (_, i) =>
        fs.writeFile(join(folder, `img-${i}.jpg`), 'x'.repeat(i)),
      ),
    );
  }
});
afterAll(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

describe('a large walk from the CLI', () => {
  it('exports every file of 4,000 as one ZIP link, in name order, and exits', async () => {
    const task = join(root, 'zip.json');
    await fs.writeFile(
      task,
      JSON.stringify({ operation: 'export/url', archive_multiple_files: true }),
    );
    const started = Date.now();
    const run = await outbox(['export', '--task', task, join(root, 'photos'), '--json'], {
      OUTBOX_HOME: join(root, 'home'),
    });
    expect(run.stderr).not.toMatch(/error/i);
    expect(run.code).toBe(0);
    // Exited on its own, long before the idle thread would have stopped.
    expect(Date.now() - started).toBeLessThan(25_000);
    const job = JSON.parse(run.stdout) as {
      status: string;
      tasks: { operation: string; result?: { files: { filename: string; size: number }[] } }[];
    };
    expect(job.status).toBe('finished');
    const imported = job.tasks.find((t) => t.operation === 'import/file')?.result?.files ?? [];
    const expected = Array.from({ length: FOLDERS }, (_, f) =>
      Array.from({ length: FILES }, (_, i) => `img-${i}.jpg`)
        .sort()
        .map((name) => ({
          filename: `photos/day-${String(f).padStart(2, '0')}/${name}`,
          size: Number(name.slice(4, -4)),
        })),
    ).flat();
    expect(imported).toEqual(expected);
  });
});
