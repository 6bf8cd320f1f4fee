import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { ensurePrivateDir, unlinkIfThere } from '../store/atomic-file';
import { deliveredFileSchema } from '../transfer/records';

/**
 * The files a running job has delivered, so that a job resumed after a crash
 * does not send them again: one append-only file per job (a JSON line per
 * file, written in batches, each batch fsynced), instead of rewriting the
 * whole job record as files arrive: a job of 100,000 files writes each of
 * them once. A line cut short by a crash is ignored when read.
 */

const ID = /^[A-Za-z0-9_-]{1,64}$/;

const entrySchema = z.object({ task: z.string(), ...deliveredFileSchema.shape });
export type DeliveredFile = z.output<typeof entrySchema>;

export class DeliveredLog {
  private readonly dir: string;
  private ready: Promise<void> | undefined;

  constructor(home: string) {
    this.dir = join(home, 'delivered');
  }

  private pathOf(jobId: string): string {
    if (!ID.test(jobId)) throw new Error(`invalid job id ${JSON.stringify(jobId)}`);
    return join(this.dir, `${jobId}.jsonl`);
  }

  /** Appends `files` and waits until they are on disk. */
  async append(jobId: string, files: DeliveredFile[]): Promise<void> {
    if (files.length === 0) return;
    this.ready ??= ensurePrivateDir(this.dir);
    await this.ready;
    const handle = await fs.open(this.pathOf(jobId), 'a', 0o600);
    try {
      await handle.writeFile(files.map((file) => `${JSON.stringify(file)}\n`).join(''));
      await handle.datasync();
    } finally {
      await handle.close();
    }
  }

  /** Files delivered by task `task` of job `jobId`, by destination name. */
  async read(jobId: string, task: string): Promise<Map<string, DeliveredFile>> {
    const text = await fs.readFile(this.pathOf(jobId), 'utf8').catch(() => '');
    const files = new Map<string, DeliveredFile>();
    for (const line of text.split('\n')) {
      if (!line) continue;
      let parsed;
      try {
        parsed = entrySchema.safeParse(JSON.parse(line));
      } catch {
        continue; // the last line of a write a crash cut short
      }
      if (parsed.success && parsed.data.task === task) files.set(parsed.data.name, parsed.data);
    }
    return files;
  }

  async remove(jobId: string): Promise<void> {
    await unlinkIfThere(this.pathOf(jobId));
  }

  /** Removes the logs of jobs not in `keep` (ended, or swept). */
  async sweep(keep: Set<string>): Promise<void> {
    const names = await fs.readdir(this.dir).catch(() => [] as string[]);
    for (const name of names) {
      const id = name.replace(/\.jsonl$/, '');
      if (name.endsWith('.jsonl') && !keep.has(id)) await this.remove(id).catch(() => {});
    }
  }
}
