import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { openRecordFolder, unlinkIfThere, writeFileAtomic } from '../store/atomic-file';
import { jsonArrayInSlices } from '../store/json-in-slices';
import {
  jobRecordSchema,
  resultFileSchema,
  taskRecordSchema,
  type JobRecord,
  type ResultFile,
} from '../transfer/records';

/** A task result of at least this many files is stored beside the job record, not in it. */
export const LIST_BESIDE_AT = 1000;
/** A list that no record names is removed once this old (its record may still be on its way). */
const ORPHAN_AFTER_MS = 3600 * 1000;
const LIST_FILE = /^[A-Za-z0-9_-]{1,64}\.[A-Za-z0-9_-]{1,64}\.[0-9a-f]{16}\.json$/;

/** A task as stored: a long result's files are named (`result_list`), not inlined. */
const storedTaskSchema = taskRecordSchema.extend({
  result_list: z.object({ file: z.string().regex(LIST_FILE), count: z.number() }).optional(),
});
export const storedJobSchema = jobRecordSchema.extend({ tasks: z.array(storedTaskSchema) });
export type StoredJob = z.output<typeof storedJobSchema>;

const listSchema = z.array(resultFileSchema);

type ListWrite = { file: string; files: readonly ResultFile[] };

/**
 * Long result lists of jobs (an import of 100,000 files lists every one,
 * ~5 MB) kept in files beside the job records (`job-lists/`), each written
 * once: the record is saved at every status change of its job and names its
 * lists instead of holding them. A list is written (atomic, fsynced) before
 * the record that names it, so a kill at any moment leaves a record whose
 * lists are on disk. A list is known by its array: a changed list is a new
 * array (stored lists are frozen, so changing one in place throws).
 */
export class JobLists {
  /** Lists on disk by their array: saving the record again does not rewrite them. */
  private readonly stored = new WeakMap<ResultFile[], string>();
  /** The list file of each `job.task` this process last stored: replaced ones are removed. */
  private readonly current = new Map<string, string>();
  private ready: Promise<string[]> | undefined;

  constructor(readonly dir: string) {}

  private init(): Promise<string[]> {
    this.ready ??= openRecordFolder(this.dir);
    return this.ready;
  }

  /**
   * The record as it is stored, the lists to write first (frozen arrays: what
   * they hold now is what `write` stores) and the lists it replaces.
   */
  split(record: JobRecord): { stored: StoredJob; writes: ListWrite[]; replaced: string[] } {
    const writes: ListWrite[] = [];
    const replaced: string[] = [];
    const tasks = record.tasks.map((task) => {
      const files = task.result?.files;
      const key = `${record.id}.${task.id}`;
      if (!files || files.length < LIST_BESIDE_AT) {
        const before = this.current.get(key);
        if (before) replaced.push(before);
        this.current.delete(key);
        return task;
      }
      let file = this.stored.get(files);
      if (file === undefined) {
        file = `${key}.${randomBytes(8).toString('hex')}.json`;
        writes.push({ file, files });
        this.keep(files, file);
      }
      const before = this.current.get(key);
      if (before && before !== file) replaced.push(before);
      this.current.set(key, file);
      const { result: _inlined, ...rest } = task;
      return { ...rest, result_list: { file, count: files.length } };
    });
    return { stored: { ...record, tasks }, writes, replaced };
  }

  /** Writes lists of `split` (before their record), made in time slices as they are written. */
  async write(writes: ListWrite[]): Promise<void> {
    if (writes.length === 0) return;
    await this.init();
    for (const { file, files } of writes) {
      await writeFileAtomic(join(this.dir, file), jsonArrayInSlices(files, { after: '\n' }));
    }
  }

  /** Removes list files (once a record that no longer names them is on disk). */
  async remove(files: string[]): Promise<void> {
    await Promise.all(files.map((file) => unlinkIfThere(join(this.dir, file))));
  }

  /** The record with its lists read back; throws when a list is missing or not valid. */
  async join(stored: StoredJob): Promise<JobRecord> {
    const tasks = await Promise.all(
      stored.tasks.map(async ({ result_list: list, ...task }) => {
        if (!list) return task;
        const text = await fs.readFile(join(this.dir, list.file), 'utf8');
        const files = listSchema.parse(JSON.parse(text));
        if (files.length !== list.count) throw new Error(`${list.file}: not ${list.count} files`);
        this.keep(files, list.file);
        this.current.set(`${stored.id}.${task.id}`, list.file);
        return { ...task, result: { files } };
      }),
    );
    return { ...stored, tasks };
  }

  /** The list files a stored record names. */
  static filesOf(stored: StoredJob): string[] {
    return stored.tasks.flatMap((task) => (task.result_list ? [task.result_list.file] : []));
  }

  /** The jobs that have list files (a list's name begins with its job's id). */
  async jobIds(): Promise<string[]> {
    await this.init();
    const files = (await fs.readdir(this.dir)).filter((file) => LIST_FILE.test(file));
    return [...new Set(files.map((file) => file.slice(0, file.indexOf('.'))))];
  }

  /**
   * Removes lists that no record names (`named`: the files the records name),
   * once an hour old: left by a crash between a list's write and its record's,
   * or replaced in another process.
   */
  async sweep(named: Set<string>, now = Date.now()): Promise<void> {
    await this.init();
    for (const file of await fs.readdir(this.dir)) {
      if (!LIST_FILE.test(file) || named.has(file)) continue;
      const path = join(this.dir, file);
      if ((await ageMs(path, now)) > ORPHAN_AFTER_MS) await unlinkIfThere(path);
    }
    for (const [key, file] of this.current) if (!named.has(file)) this.current.delete(key);
  }

  private keep(files: ResultFile[], file: string): void {
    this.stored.set(fixedList(files), file);
  }
}

/** A result list that is never changed in place (a change is a new list): stored and copied as is. */
export function fixedList(files: ResultFile[]): ResultFile[] {
  return Object.freeze(files) as ResultFile[];
}

/**
 * A copy of a job record to hand out, sharing its stored (frozen, never
 * changed) result lists: a copy of 100,000 entries costs ~0.1 s and ~40 MB.
 */
export function copyOfJob(record: JobRecord): JobRecord {
  const shared = record.tasks.map((task) =>
    task.result && Object.isFrozen(task.result.files) ? task.result.files : undefined,
  );
  const copy = structuredClone({
    ...record,
    tasks: record.tasks.map((task, i) =>
      shared[i] ? { ...task, result: { ...task.result, files: [] } } : task,
    ),
  });
  copy.tasks.forEach((task, i) => {
    const files = shared[i];
    if (files && task.result) task.result.files = files;
  });
  return copy;
}

async function ageMs(path: string, now: number): Promise<number> {
  const stat = await fs.stat(path).catch(() => undefined);
  return stat ? now - stat.mtimeMs : 0;
}
