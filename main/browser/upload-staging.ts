import { createWriteStream, promises as fs } from 'node:fs';
import { dirname, join, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { nanoid } from 'nanoid';
import { z } from 'zod';
import type { HostContext } from '../core/api/host-context';
import { OutboxError } from '../core/errors';
import { writeFileAtomic } from '../core/store/atomic-file';

/** Unused uploads (streamed but never exported) are deleted after this long. */
const UNUSED_GRACE_MS = 60 * 60 * 1000;
const SWEEP_INTERVAL_MS = 10 * 60 * 1000;
/** Upload ids: 22 URL-safe characters (132 random bits), drawn and recognised alike. */
const UPLOAD_ID_LENGTH = 22;
const UPLOAD_ID = new RegExp(`^[A-Za-z0-9_-]{${UPLOAD_ID_LENGTH}}$`);
const MAX_SEGMENT_BYTES = 255;
const MAX_DEPTH = 64;

const uploadInfoSchema = z.object({
  /** The first segment of the uploaded name: what an export of this upload points at. */
  top: z.string(),
  name: z.string(),
  size: z.number(),
  created_at: z.string(),
});

/**
 * Splits a relative path from the browser (`photos/2024/a.jpg`) into safe
 * segments: no traversal, no absolute paths, nothing a file system rejects or
 * a shell misreads. Throws INVALID_DATA naming the problem.
 */
export function safeRelativePath(raw: string): string[] {
  const segments = raw.split('/');
  const bad = (why: string) => new OutboxError('INVALID_DATA', `bad file name "${raw}": ${why}`);
  if (raw === '' || segments.length > MAX_DEPTH) throw bad('empty, or nested too deep');
  for (const segment of segments) {
    if (segment === '' || segment === '.' || segment === '..') throw bad('not a relative path');
    // eslint-disable-next-line no-control-regex
    if (/[\u0000-\u001f\u007f\\:*?"<>|]/.test(segment)) throw bad('contains a reserved character');
    if (Buffer.byteLength(segment) > MAX_SEGMENT_BYTES) throw bad('a part is over 255 bytes');
  }
  return segments;
}

/**
 * Files the browser streams to the host (`<home>/staging/<id>/<relative path>`),
 * each referenced by its upload id. A staged file is kept for at least an
 * hour, and after that for as long as a job (kept for the retention period)
 * or an active link refers to it.
 */
export class UploadStaging {
  readonly dir: string;
  private readonly receiving = new Set<string>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly context: Pick<HostContext, 'config' | 'runner' | 'links'>) {
    this.dir = join(context.config.home, 'staging');
  }

  /** Sweeps now and every few minutes (the engine's own sweep expires the jobs that hold uploads). */
  start(): this {
    void this.sweep().catch(() => undefined);
    this.timer = setInterval(() => void this.sweep().catch(() => undefined), SWEEP_INTERVAL_MS);
    this.timer.unref();
    return this;
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** Streams `body` to disk (backpressure keeps memory flat) and returns the upload id. */
  async receive(name: string, body: Readable): Promise<{ uploadId: string; size: number }> {
    const segments = safeRelativePath(name);
    const id = nanoid(UPLOAD_ID_LENGTH);
    const root = join(this.dir, id);
    const path = join(root, ...segments);
    this.receiving.add(id);
    try {
      await fs.mkdir(dirname(path), { recursive: true, mode: 0o700 });
      await pipeline(body, createWriteStream(path, { flags: 'wx', mode: 0o600 }));
      const { size } = await fs.stat(path);
      const info = { top: segments[0] as string, name, size, created_at: new Date().toISOString() };
      await writeFileAtomic(this.infoPath(id), JSON.stringify(info) + '\n');
      return { uploadId: id, size };
    } catch (error) {
      await this.remove(id);
      throw error;
    } finally {
      this.receiving.delete(id);
    }
  }

  /** The path to export for an upload: the file, or the top folder of a file dropped inside one. */
  async pathOf(uploadId: string): Promise<string> {
    const info = UPLOAD_ID.test(uploadId) ? await this.info(uploadId) : undefined;
    if (!info) {
      throw new OutboxError(
        'NOT_FOUND',
        `upload ${uploadId} is not here (expired or never finished): drop the file again`,
      );
    }
    return join(this.dir, uploadId, info.top);
  }

  private infoPath(id: string): string {
    return join(this.dir, `${id}.json`);
  }

  private async info(id: string): Promise<z.output<typeof uploadInfoSchema> | undefined> {
    try {
      return uploadInfoSchema.parse(JSON.parse(await fs.readFile(this.infoPath(id), 'utf8')));
    } catch {
      return undefined;
    }
  }

  private async remove(id: string): Promise<void> {
    await fs.rm(this.infoPath(id), { force: true });
    await fs.rm(join(this.dir, id), { recursive: true, force: true });
  }

  /** Upload ids that jobs (kept for the retention period) or active links refer to. */
  private async inUse(): Promise<Set<string>> {
    const used = new Set<string>();
    const prefix = this.dir + sep;
    const note = (path: unknown) => {
      if (typeof path !== 'string' || !path.startsWith(prefix)) return;
      const id = path.slice(prefix.length).split(sep)[0];
      if (id) used.add(id);
    };
    for (const job of await this.context.runner.list()) {
      for (const task of job.tasks) {
        const path = task.params.path;
        for (const p of Array.isArray(path) ? path : [path]) note(p);
      }
    }
    for (const link of await this.context.links.list()) {
      if (link.state === 'active') for (const file of link.files) note(file.path);
    }
    return used;
  }

  /** Deletes uploads older than the grace period that nothing refers to any more. */
  async sweep(now = Date.now()): Promise<number> {
    let entries: string[];
    try {
      entries = await fs.readdir(this.dir);
    } catch {
      return 0;
    }
    const used = await this.inUse();
    let removed = 0;
    const ids = new Set(entries.map((entry) => entry.replace(/\.json$/, '')));
    for (const id of ids) {
      if (!UPLOAD_ID.test(id) || used.has(id) || this.receiving.has(id)) continue;
      const info = await this.info(id);
      const stat = info ? undefined : await fs.stat(join(this.dir, id)).catch(() => undefined);
      const born = info ? Date.parse(info.created_at) : (stat?.mtimeMs ?? 0);
      if (now - born < UNUSED_GRACE_MS) continue; // just uploaded: its export may not have started yet
      await this.remove(id);
      removed++;
    }
    return removed;
  }
}
