import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../../main/core/config';
import { Engine } from '../../main/core/engine/engine';

/** Jobs a used data directory keeps (the retention period is a day). */
const KEPT_JOBS = 1000;

/**
 * A data directory as a day of use leaves it: the links of one export/url of
 * `folder` (one per file: 20,000 on the board), made by Outbox's engine, and
 * 1,000 jobs, copies (new ids) of the record `exportOnce` leaves, one real
 * export: 1,000 real exports would take the board ~7 minutes. Every Outbox
 * command opens it; what it costs there is the fixed cost a user sees after
 * a day, where the board's other lines start each run from an empty one.
 * `exportOnce` runs once more after the copies: the first open after them
 * reads each once to index it (as after an upgrade), not what is measured.
 */
export async function usedHome(
  home: string,
  folder: string,
  exportOnce: () => Promise<void>,
): Promise<void> {
  await fs.mkdir(home, { recursive: true });
  const engine = await Engine.open(loadConfig({ ...process.env, OUTBOX_HOME: home }));
  try {
    const job = await engine.run({
      tasks: {
        files: { operation: 'import/file', path: folder },
        links: { operation: 'export/url', input: 'files' },
      },
    });
    if (job.status !== 'finished') throw new Error(`export/url of ${folder}: ${job.status}`);
  } finally {
    await engine.close();
  }
  const jobs = join(home, 'jobs');
  const before = new Set(await fs.readdir(jobs));
  await exportOnce();
  const made = (await fs.readdir(jobs)).find((name) => !before.has(name));
  if (!made) throw new Error('the export left no job record');
  const id = made.slice(0, -'.json'.length);
  const text = await fs.readFile(join(jobs, made), 'utf8');
  for (let i = before.size + 1; i < KEPT_JOBS; i++) {
    const copy = randomUUID();
    await fs.writeFile(join(jobs, `${copy}.json`), text.replaceAll(id, copy), { mode: 0o600 });
  }
  await exportOnce();
}
