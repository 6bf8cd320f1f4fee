import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import type { z } from 'zod';
import { openRecordFolder, unlinkIfThere, writeFilesAtomic, type FileContent } from './atomic-file';

const ID = /^[A-Za-z0-9_-]{1,64}$/;
const isRecordName = (name: string) => name.endsWith('.json');
/** Records up to this many characters (compact) are stored indented. */
const INDENT_UP_TO = 256 * 1024;

function fileNameOf(id: string): string {
  if (!ID.test(id)) throw new Error(`invalid record id ${JSON.stringify(id)}`);
  return `${id}.json`;
}

/**
 * A folder of JSON records, one file per id, each written atomically and
 * checked against its schema when read. Several processes may share it (the
 * CLI writes links that a running `outbox serve` reads at once).
 */
export class RecordDir<T> {
  /** The folder made private and its stale temp files removed, once; the names it held then. */
  private ready: Promise<string[]> | undefined;

  constructor(
    readonly dir: string,
    private readonly schema: z.ZodType<T>,
  ) {}

  static isValidId(id: string): boolean {
    return ID.test(id);
  }

  private init(): Promise<string[]> {
    this.ready ??= openRecordFolder(this.dir);
    return this.ready;
  }

  /** The folder's names: on the first call, those its opening read (one readdir at a start, not two). */
  private async names(): Promise<string[]> {
    if (!this.ready) return this.init();
    await this.ready;
    return fs.readdir(this.dir);
  }

  pathOf(id: string): string {
    return join(this.dir, fileNameOf(id));
  }

  async put(id: string, record: T): Promise<void> {
    await this.putSerialized(id, this.serialize(record));
  }

  /**
   * The text a record is stored as: indented for reading, but on one line past
   * 256 KiB (a job or link of 100,000 files), where indenting costs time and
   * space and helps nobody read it.
   */
  serialize(record: T): string {
    const text = JSON.stringify(record);
    return (text.length > INDENT_UP_TO ? text : JSON.stringify(record, null, 2)) + '\n';
  }

  /** Stores the text of `serialize`, or the same as bytes, or a writer of it (a long list made as it is written: json-in-slices.ts). */
  async putSerialized(id: string, text: FileContent): Promise<void> {
    await this.putSerializedMany([[id, text]]);
  }

  /** putSerialized of several records at once, durable together (writeFilesAtomic: one fsync of the folder). */
  async putSerializedMany(
    records: readonly (readonly [id: string, text: FileContent])[],
  ): Promise<void> {
    const files = records.map(([id, text]) => [fileNameOf(id), text] as const);
    await this.init();
    await writeFilesAtomic(this.dir, files);
  }

  /** The record, or undefined when it does not exist or is not valid. */
  async get(id: string): Promise<T | undefined> {
    if (!ID.test(id)) return undefined;
    let text: string;
    try {
      text = await fs.readFile(this.pathOf(id), 'utf8');
    } catch {
      return undefined;
    }
    try {
      const parsed = this.schema.safeParse(JSON.parse(text));
      return parsed.success ? parsed.data : undefined;
    } catch {
      return undefined;
    }
  }

  async list(): Promise<T[]> {
    return (await this.entries()).map(([, record]) => record);
  }

  /** Every valid record with its id. */
  async entries(): Promise<[string, T][]> {
    await this.init();
    const names = await fs.readdir(this.dir);
    const entries: [string, T][] = [];
    for (const name of names) {
      if (!name.endsWith('.json')) continue;
      const id = name.slice(0, -'.json'.length);
      const record = await this.get(id);
      if (record !== undefined) entries.push([id, record]);
    }
    return entries;
  }

  async remove(id: string): Promise<void> {
    if (!ID.test(id)) return;
    await unlinkIfThere(this.pathOf(id));
  }

  /** How many records there are: their names counted, none read. */
  async count(): Promise<number> {
    return (await this.names()).filter(isRecordName).length;
  }

  /** Ids of the records present (not read). */
  async ids(): Promise<Set<string>> {
    const names = (await this.names()).filter(isRecordName);
    return new Set(names.map((n) => n.slice(0, -'.json'.length)));
  }
}
