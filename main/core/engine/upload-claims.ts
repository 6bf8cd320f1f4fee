import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { OutboxError } from '../errors';
import { ensurePrivateDir } from '../store/atomic-file';
import { ownerAlive, type Owner } from './owner';

/**
 * One transfer at a time per upload (destination, name and source: the key
 * of its partial upload), across every process on the data directory. Two
 * transfers of the same file to the same place (a double drop, the app and
 * the CLI, Retry while the first runs) would share one partial upload (the
 * SFTP temporary file, the S3 upload id, the Azure block nonce, the Swift
 * segment prefix); the second ends at once with ALREADY_EXPORTING instead.
 *
 * A task claims the keys of all its files at once, before it sends anything:
 * one file `claims/<id>.json` naming its process, job and task, written
 * while holding `claims/.lock` (held for a directory listing and one write,
 * so a task never waits long). Claims of processes that died (killed,
 * crashed) are removed then: the next transfer takes over, and continues
 * their partial uploads. A claim is released when its task ends. The cost is
 * per task, not per file (a folder of 20,000 small files makes one claim).
 */

const claimSchema = z.object({
  pid: z.number(),
  boot: z.string(),
  job_id: z.string(),
  task: z.string(),
  since: z.string(),
  keys: z.array(z.string()),
});
type ClaimRecord = z.output<typeof claimSchema>;

/** Who holds an upload another transfer asked for. */
export type ClaimHolder = Pick<ClaimRecord, 'pid' | 'job_id' | 'task' | 'since'>;

export type TaskClaim = {
  /** Keys held by another live transfer, with who holds them: those files are not to be sent. */
  refused: Map<string, ClaimHolder>;
  release: () => Promise<void>;
};

const LOCK = '.lock';
/** The lock is held for milliseconds: one this old, whose owner is gone, was left by a crash. */
const STALE_LOCK_MS = 5_000;
/** Give up waiting for the lock after this long (a live process holding it is stuck). */
const LOCK_WAIT_MS = 30_000;

export class UploadClaims {
  private readonly dir: string;
  private ready: Promise<void> | undefined;

  constructor(
    home: string,
    private readonly owner: Owner,
  ) {
    this.dir = join(home, 'claims');
  }

  private init(): Promise<void> {
    this.ready ??= ensurePrivateDir(this.dir);
    return this.ready;
  }

  /** Claims `keys` for one task; the ones another live transfer holds come back as refused. */
  async claim(keys: string[], holder: { job_id: string; task: string }): Promise<TaskClaim> {
    const refused = new Map<string, ClaimHolder>();
    if (keys.length === 0) return { refused, release: async () => {} };
    await this.init();
    const path = join(this.dir, `${randomUUID()}.json`);
    const granted = await this.locked(async () => {
      const held = await this.liveClaims();
      const mine = keys.filter((key) => {
        const other = held.get(key);
        if (other) refused.set(key, other);
        return !other;
      });
      if (mine.length > 0) {
        const record: ClaimRecord = {
          ...this.owner,
          ...holder,
          since: new Date().toISOString(),
          keys: mine,
        };
        // Renamed into place: readers never see half a claim. No fsync: a claim dies with its process.
        const temporary = join(this.dir, `.${randomUUID()}.tmp`);
        await fs.writeFile(temporary, JSON.stringify(record), { mode: 0o600 });
        await fs.rename(temporary, path);
      }
      return mine.length;
    });
    return {
      refused,
      release: async () => {
        if (granted > 0) await fs.unlink(path).catch(() => undefined);
      },
    };
  }

  /** Removes the claims of processes that died (also done by every claim). */
  async sweep(): Promise<void> {
    await this.init();
    await this.locked(() => this.liveClaims());
  }

  /**
   * Every key held by a live process; claims of dead ones are deleted on the way, and so are
   * temporary files (claims are written under the lock: one seen here was left by a crash).
   * Call locked.
   */
  private async liveClaims(): Promise<Map<string, ClaimHolder>> {
    const held = new Map<string, ClaimHolder>();
    for (const name of await fs.readdir(this.dir)) {
      const path = join(this.dir, name);
      if (name.endsWith('.tmp')) await fs.unlink(path).catch(() => undefined);
      if (!name.endsWith('.json')) continue;
      const record = await fs.readFile(path, 'utf8').then(
        (text) => claimSchema.safeParse(JSON.parse(text)).data,
        () => undefined,
      );
      if (!record || !ownerAlive(record)) {
        await fs.unlink(path).catch(() => undefined);
        continue;
      }
      const { keys, ...who } = record;
      for (const key of keys) held.set(key, who);
    }
    return held;
  }

  /** Runs `body` holding `claims/.lock`, which is taken over when its process died. */
  private async locked<T>(body: () => Promise<T>): Promise<T> {
    const lock = join(this.dir, LOCK);
    const me = JSON.stringify(this.owner);
    const deadline = Date.now() + LOCK_WAIT_MS;
    for (;;) {
      try {
        await fs.writeFile(lock, me, { flag: 'wx', mode: 0o600 });
        break;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      if (await this.lockIsStale(lock)) await fs.unlink(lock).catch(() => undefined);
      else if (Date.now() > deadline) {
        throw new OutboxError(
          'INTERNAL_ERROR',
          `Another Outbox process has held ${lock} for over ${LOCK_WAIT_MS / 1000} s: if no Outbox runs, delete that file.`,
        );
      } else await new Promise((resolve) => setTimeout(resolve, 5 + Math.random() * 20));
    }
    try {
      return await body();
    } finally {
      await fs.unlink(lock).catch(() => undefined);
    }
  }

  private async lockIsStale(lock: string): Promise<boolean> {
    const [text, stat] = await Promise.all([
      fs.readFile(lock, 'utf8').catch(() => undefined),
      fs.stat(lock).catch(() => undefined),
    ]);
    if (text === undefined || !stat) return false; // released meanwhile: try again
    if (Date.now() - stat.mtimeMs < STALE_LOCK_MS) return false;
    try {
      return !ownerAlive(JSON.parse(text) as Owner);
    } catch {
      return true; // never written: its process died between creating and writing it
    }
  }
}

/** The error of a file whose upload another transfer holds. */
export function alreadyExporting(what: string, holder: ClaimHolder): OutboxError {
  const by = `job ${holder.job_id} (task "${holder.task}"${holder.pid === process.pid ? '' : `, Outbox process ${holder.pid}`}, since ${holder.since})`;
  return new OutboxError(
    'ALREADY_EXPORTING',
    `${what} is already being exported to the same place by ${by}: let that transfer finish (or cancel it), then export again if needed.`,
  );
}
