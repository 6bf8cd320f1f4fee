import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { OutboxError, ValidationError } from '../errors';
import { RecordDir } from '../store/record-dir';
import { checkGlobs } from './watch-globs';

/**
 * The saved watches of a data directory: one JSON record per watch in
 * `OUTBOX_HOME/watches/`, written atomically, so a `kill -9` leaves every
 * watch as it was or as it became. Every process on the data directory (the
 * app, `outbox serve`, `outbox watch run`, the CLI) reads the same records.
 */

export const afterActions = ['leave', 'move', 'delete'] as const;
export type AfterAction = (typeof afterActions)[number];

export const DEFAULT_SETTLE_SECONDS = 5;
const MAX_SETTLE_SECONDS = 86400;

export const watchSchema = z.object({
  id: z.string(),
  profile: z.string(),
  /** Absolute, real path of the watched folder. */
  dir: z.string(),
  after: z.enum(afterActions),
  include: z.array(z.string()),
  exclude: z.array(z.string()),
  settle_seconds: z.number().positive(),
  created_at: z.string(),
});
export type Watch = z.output<typeof watchSchema>;

/** What a user gives to add a watch; each field is checked and named when wrong. */
export type NewWatch = {
  profile: string;
  dir: string;
  after?: string;
  include?: string[];
  exclude?: string[];
  /** Seconds, or decimal text as typed (`--settle`, the dialog). */
  settle_seconds?: number | string;
};

/** A decimal number of seconds ("2.5"), as `--settle` and the UI give it. */
export function settleSeconds(text: string): number {
  const value = /^\d{1,6}(\.\d{1,3})?$/.test(text.trim()) ? Number(text.trim()) : NaN;
  if (!(value > 0 && value <= MAX_SETTLE_SECONDS))
    throw ValidationError.of(
      'settle',
      `"${text}" is not a number of seconds > 0 and ≤ ${MAX_SETTLE_SECONDS} (decimal, e.g. 5 or 2.5)`,
    );
  return value;
}

async function checkDir(dir: string): Promise<string> {
  if (dir.trim() === '') throw ValidationError.of('dir', 'give the folder to watch');
  const absolute = resolve(dir);
  const stat = await fs.stat(absolute).catch((error: NodeJS.ErrnoException) => {
    throw ValidationError.of(
      'dir',
      error.code === 'ENOENT'
        ? `${absolute} does not exist`
        : `${absolute} cannot be read (${error.code ?? error.message})`,
    );
  });
  if (!stat.isDirectory()) throw ValidationError.of('dir', `${absolute} is not a folder`);
  await fs.access(absolute, fs.constants.R_OK | fs.constants.X_OK).catch(() => {
    throw ValidationError.of('dir', `${absolute} cannot be read: permission denied`);
  });
  return fs.realpath(absolute);
}

export class WatchStore {
  private readonly records: RecordDir<Watch>;

  constructor(home: string) {
    this.records = new RecordDir(join(home, 'watches'), watchSchema);
  }

  /** Watches, oldest first. */
  async list(): Promise<Watch[]> {
    const watches = await this.records.list();
    return watches.sort((a, b) => a.created_at.localeCompare(b.created_at));
  }

  async get(id: string): Promise<Watch | undefined> {
    return RecordDir.isValidId(id) ? this.records.get(id) : undefined;
  }

  /**
   * Checks everything (`profileExists` says whether the profile is saved)
   * before anything is written; ValidationError names the field.
   */
  async add(input: NewWatch, profileExists: (name: string) => Promise<boolean>): Promise<Watch> {
    const fields: Record<string, string[]> = {};
    const problem = async (field: string, check: () => Promise<unknown> | unknown) => {
      try {
        await check();
      } catch (error) {
        if (!(error instanceof ValidationError)) throw error;
        for (const [name, messages] of Object.entries(error.fields))
          fields[name === '' ? field : name] = messages;
      }
    };
    let dir = '';
    await problem('profile', async () => {
      if (input.profile.trim() === '') throw ValidationError.of('profile', 'give a saved profile');
      if (!(await profileExists(input.profile)))
        throw ValidationError.of(
          'profile',
          `no profile named "${input.profile}" (see "outbox profile list")`,
        );
    });
    await problem('dir', async () => (dir = await checkDir(input.dir)));
    const after = input.after ?? 'leave';
    await problem('after', () => {
      if (!(afterActions as readonly string[]).includes(after))
        throw ValidationError.of('after', `"${after}" is not one of leave, move, delete`);
    });
    await problem('include', () => checkGlobs('include', input.include ?? []));
    await problem('exclude', () => checkGlobs('exclude', input.exclude ?? []));
    let settle = DEFAULT_SETTLE_SECONDS;
    await problem('settle', () => {
      const given = input.settle_seconds;
      if (typeof given === 'string') settle = settleSeconds(given);
      else if (given !== undefined) settle = given;
      if (!(settle > 0 && settle <= MAX_SETTLE_SECONDS))
        throw ValidationError.of('settle', `must be > 0 and ≤ ${MAX_SETTLE_SECONDS} seconds`);
    });
    if (Object.keys(fields).length > 0) throw new ValidationError(fields);
    const watch: Watch = {
      id: `w${randomBytes(5).toString('hex')}`,
      profile: input.profile,
      dir,
      after: after as AfterAction,
      include: input.include ?? [],
      exclude: input.exclude ?? [],
      settle_seconds: settle,
      created_at: new Date().toISOString(),
    };
    await this.records.put(watch.id, watch);
    return watch;
  }

  async remove(id: string): Promise<void> {
    if (!(await this.get(id)))
      throw new OutboxError('NOT_FOUND', `no watch ${id} (see "outbox watch list")`);
    await this.records.remove(id);
  }
}
