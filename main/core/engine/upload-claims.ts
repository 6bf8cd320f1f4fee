import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { OutboxError } from '../errors';
import { ensurePrivateDir, removeStaleTempFiles } from '../store/atomic-file';
import { ownerAlive, type Owner } from './owner';

/**
 * One transfer at a time per upload (destination, name and source: the key
 * of its partial upload), across every process on the data directory. Two
 * transfers of the same file to the same place (a double drop, the app and
 * the CLI, Retry while the first runs) would share one partial upload (the
 * SFTP temporary file, the S3 upload id, the Azure block nonce, the Swift
 * segment prefix); the second ends at once with ALREADY_EXPORTING instead.
 *
 * A claim is a file `claims/<key>` holding its owner, created exclusively.
 * The claim of a dead process (killed, crashed) is taken over: that is how
 * a run after a crash continues the upload. Taking over replaces the file
 * atomically, under a short-lived `<key>.takeover` file, so two processes
 * taking over the same dead claim cannot both win.
 */

const claimSchema = z.object({
  pid: z.number(),
  boot: z.string(),
  job_id: z.string(),
  task: z.string(),
  since: z.string(),
});
type ClaimRecord = z.output<typeof claimSchema>;

/** An empty claim is one being written (open, then write): dead only if it stays empty this long. */
const UNWRITTEN_CLAIM_MS = 10_000;
/** A takeover holds its lock for a read and a rename: one older than this died midway. */
const STALE_TAKEOVER_MS = 10_000;

export type Claim = { release: () => Promise<void> };

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
    this.ready ??= ensurePrivateDir(this.dir).then(() => removeStaleTempFiles(this.dir));
    return this.ready;
  }

  /**
   * Claims the upload `key` for one transfer of `what` (a file's name, for
   * the message), or throws ALREADY_EXPORTING naming the transfer that has it.
   */
  async claim(key: string, holder: { job_id: string; task: string }, what: string): Promise<Claim> {
    await this.init();
    const path = join(this.dir, key);
    const mine = JSON.stringify({ ...this.owner, ...holder, since: new Date().toISOString() });
    const claimed: Claim = { release: () => fs.unlink(path).catch(() => undefined) };
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        await fs.writeFile(path, mine, { flag: 'wx', mode: 0o600 });
        return claimed;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const held = await this.read(path);
      if (held === 'gone') continue; // released meanwhile
      if (held.alive) throw busy(what, held.record);
      if (await this.takeOver(path, held.text, mine)) return claimed;
    }
    const held = await this.read(path);
    throw busy(what, held !== 'gone' ? held.record : undefined);
  }

  /** Forgets claims of dead processes nobody took over for `maxAgeMs` (their uploads were abandoned). */
  async sweep(now: number, maxAgeMs: number): Promise<void> {
    await this.init();
    for (const name of await fs.readdir(this.dir)) {
      if (name.includes('.')) continue; // takeover locks and temporary files
      const path = join(this.dir, name);
      const stat = await fs.stat(path).catch(() => undefined);
      if (!stat || stat.mtimeMs + maxAgeMs > now) continue;
      const held = await this.read(path);
      if (held !== 'gone' && !held.alive) await fs.unlink(path).catch(() => undefined);
    }
  }

  private async read(
    path: string,
  ): Promise<'gone' | { text: string; alive: boolean; record?: ClaimRecord }> {
    let text: string;
    let mtimeMs: number;
    try {
      const handle = await fs.open(path, 'r');
      try {
        text = await handle.readFile('utf8');
        mtimeMs = (await handle.stat()).mtimeMs;
      } finally {
        await handle.close();
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'gone';
      throw error;
    }
    if (text === '') return { text, alive: Date.now() - mtimeMs < UNWRITTEN_CLAIM_MS };
    let record: ClaimRecord | undefined;
    try {
      record = claimSchema.parse(JSON.parse(text));
    } catch {
      return { text, alive: false }; // unreadable: nobody can hold it
    }
    return { text, alive: ownerAlive(record), record };
  }

  /** Replaces a dead owner's claim (`stale`) with `mine`; false when another process got there first. */
  private async takeOver(path: string, stale: string, mine: string): Promise<boolean> {
    const lock = `${path}.takeover`;
    const temporary = join(this.dir, `.${randomBytes(6).toString('hex')}.tmp`);
    await fs.writeFile(temporary, mine, { mode: 0o600 });
    try {
      try {
        await fs.link(temporary, lock);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        const stat = await fs.stat(lock).catch(() => undefined);
        if (stat && Date.now() - stat.mtimeMs > STALE_TAKEOVER_MS)
          await fs.unlink(lock).catch(() => undefined);
        return false;
      }
      try {
        const now = await fs.readFile(path, 'utf8').catch(() => undefined);
        if (now !== stale) return false; // released or taken over meanwhile
        await fs.rename(temporary, path);
        return true;
      } finally {
        await fs.unlink(lock).catch(() => undefined);
      }
    } finally {
      await fs.unlink(temporary).catch(() => undefined);
    }
  }
}

function busy(what: string, holder: ClaimRecord | undefined): OutboxError {
  const by = holder
    ? ` by job ${holder.job_id} (task "${holder.task}"${holder.pid === process.pid ? '' : `, Outbox process ${holder.pid}`}, since ${holder.since})`
    : '';
  return new OutboxError(
    'ALREADY_EXPORTING',
    `${what} is already being exported to the same place${by}: let that transfer finish (or cancel it), then export again if needed.`,
  );
}
