import { promises as fs } from 'node:fs';
import { relative, sep } from 'node:path';
import { watch as chokidarWatch, type FSWatcher } from 'chokidar';
import type { DeliveryLog } from '../delivery-log/delivery-log';
import type { JobRunner } from '../engine/job-runner';
import type { Owner } from '../engine/owner';
import type { ProfileService } from '../profiles/profile-service';
import type { JobRecord } from '../transfer/records';
import { afterDelivery } from './after-delivery';
import type { LedgerFile, WatchLedger, WatchState } from './ledger';
import { Settler, type FileFacts } from './settle';
import { batchJob, contentHash } from './watch-batch';
import { PathFilter } from './watch-globs';
import type { Watch } from './watch-store';

/**
 * One watch at work: chokidar's events plus a periodic rescan (events are
 * missed on network filesystems and when the kernel's queue overflows) feed
 * the settler; settled files not in the ledger (or changed since delivered)
 * go to the job runner in batches, one job at a time; a verified delivery
 * goes into the ledger and then the file is left, moved or deleted. A failed
 * batch keeps its files and tries again after 5 s, 10 s, 20 s… up to 5 min.
 */

const TICK_MS = 250;
const MAX_BATCH = 1000;
const BACKOFF_MS = [5_000, 10_000, 20_000, 40_000, 80_000, 160_000, 300_000];
const REPORT_MS = 1000;

export type WatcherDeps = {
  ledger: WatchLedger;
  runner: Pick<JobRunner, 'submit' | 'wait' | 'get'>;
  deliveryLog: Pick<DeliveryLog, 'sourcesOfJob'>;
  profiles: Pick<ProfileService, 'get'>;
  owner: Owner;
  /** How often the whole folder is listed again. */
  rescanMs: number;
  /** Called when the watch's status may have changed (for the UI's events). */
  changed?: () => void;
};

const errorText = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** Why a job did not deliver everything, in its own words. */
function jobError(record: JobRecord): string | undefined {
  const failed = record.tasks.find((task) => task.status === 'error');
  return failed ? (failed.message ?? failed.code ?? 'the export failed') : undefined;
}

export class FolderWatcher {
  private readonly filter: PathFilter;
  private readonly settler: Settler;
  /** Settled, checked, waiting for a job. */
  private readonly ready = new Map<string, LedgerFile>();
  /** Handed to a job that has not ended. */
  private readonly busy = new Set<string>();
  private fsWatcher: FSWatcher | undefined;
  private timers: NodeJS.Timeout[] = [];
  private sending = false;
  private failures = 0;
  private retryAt = 0;
  private lastError: string | undefined;
  private lastReport = '';
  private lastReportAt = 0;
  private stopped = false;

  constructor(
    readonly watch: Watch,
    private readonly deps: WatcherDeps,
  ) {
    this.filter = new PathFilter(watch.include, watch.exclude);
    this.settler = new Settler(watch.settle_seconds * 1000);
  }

  /** Starts watching; resolves false when another live process runs this watch. */
  async start(): Promise<boolean> {
    if (this.deps.ledger.claim(this.watch.id, this.deps.owner) !== undefined) return false;
    this.recoverInFlight();
    this.fsWatcher = chokidarWatch(this.watch.dir, {
      ignoreInitial: false,
      alwaysStat: true,
      ignored: (path, stats) => this.ignored(path, stats),
    });
    this.fsWatcher.on('add', (path, stats) => this.seen(path, stats));
    this.fsWatcher.on('change', (path, stats) => this.seen(path, stats));
    this.fsWatcher.on('unlink', (path) => this.settler.forget(this.relOf(path)));
    this.fsWatcher.on('error', (error) =>
      this.fail(`watching ${this.watch.dir}: ${errorText(error)}`),
    );
    this.timers = [
      setInterval(() => void this.tick(), TICK_MS),
      setInterval(() => void this.rescan(), this.deps.rescanMs),
    ];
    for (const timer of this.timers) timer.unref();
    void this.rescan();
    return true;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers) clearInterval(timer);
    await this.fsWatcher?.close();
    this.deps.ledger.report(this.watch.id, { state: 'not running', pending: this.pending() });
  }

  private relOf(path: string): string {
    return relative(this.watch.dir, path).split(sep).join('/');
  }

  private ignored(path: string, stats?: { isDirectory(): boolean }): boolean {
    const rel = this.relOf(path);
    if (rel.startsWith('..')) return true;
    if (!stats) return !this.filter.watchesFolder(rel);
    return stats.isDirectory() ? !this.filter.watchesFolder(rel) : !this.filter.takesFile(rel);
  }

  private seen(path: string, stats?: FileFacts & { isFile(): boolean }): void {
    const rel = this.relOf(path);
    if (!stats?.isFile() || !this.filter.takesFile(rel) || this.busy.has(rel)) return;
    if (this.ready.has(rel)) {
      const ready = this.ready.get(rel) as LedgerFile;
      if (ready.size === stats.size && ready.mtimeMs === stats.mtimeMs) return;
      this.ready.delete(rel); // changed while waiting: settle again
    }
    this.settler.observe(rel, { size: stats.size, mtimeMs: stats.mtimeMs }, Date.now());
  }

  /** Lists the whole folder again: what the events missed is found here. */
  private async rescan(): Promise<void> {
    const entries = await fs
      .readdir(this.watch.dir, { recursive: true, withFileTypes: true })
      .catch((error: unknown) => {
        this.fail(`${this.watch.dir} cannot be listed: ${errorText(error)}`);
        return [];
      });
    for (const entry of entries) {
      if (this.stopped) return;
      if (!entry.isFile()) continue;
      const path = `${entry.parentPath}${sep}${entry.name}`;
      const rel = this.relOf(path);
      if (!this.filter.takesFile(rel) || this.busy.has(rel)) continue;
      const stats = await fs.stat(path).catch(() => undefined);
      if (stats) this.seen(path, stats);
    }
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    const now = Date.now();
    for (const [rel, facts] of this.settler.takeSettled(now)) await this.settled(rel, facts);
    if (!this.sending && this.ready.size > 0 && now >= this.retryAt) void this.sendBatch();
    this.report();
  }

  /** A file unchanged for the settle time: checked once more, then compared with the ledger. */
  private async settled(rel: string, facts: FileFacts): Promise<void> {
    const path = `${this.watch.dir}/${rel}`;
    const stats = await fs.stat(path).catch(() => undefined);
    if (!stats) return; // gone
    if (stats.size !== facts.size || stats.mtimeMs !== facts.mtimeMs) {
      this.settler.observe(rel, stats, Date.now());
      return;
    }
    const delivered = this.deps.ledger.delivered(this.watch.id, rel);
    if (delivered && delivered.size === facts.size && delivered.mtimeMs === facts.mtimeMs) {
      await this.afterDelivery(rel, facts); // delivered before a crash, not yet moved
      return;
    }
    const hash = await contentHash(path).catch(() => undefined);
    if (!hash) return;
    const file = { rel, ...facts, hash };
    if (delivered?.hash === hash && delivered.size === facts.size) {
      this.deps.ledger.redelivered(this.watch.id, file); // the same content again
      await this.afterDelivery(rel, facts);
      return;
    }
    this.ready.set(rel, file);
  }

  private async afterDelivery(rel: string, facts: FileFacts): Promise<void> {
    await afterDelivery(`${this.watch.dir}/${rel}`, facts, this.watch.after).catch(
      (error: unknown) =>
        this.fail(`${rel} was delivered but not ${this.watch.after}d: ${errorText(error)}`),
    );
  }

  private async sendBatch(): Promise<void> {
    this.sending = true;
    const files = [...this.ready.values()].slice(0, MAX_BATCH);
    for (const file of files) {
      this.ready.delete(file.rel);
      this.busy.add(file.rel);
    }
    try {
      const profile = await this.deps.profiles.get(this.watch.profile);
      const record = await this.deps.runner.submit(batchJob(this.watch.dir, profile, files), {
        tag: `watch ${this.watch.id}`,
      });
      this.deps.ledger.sending(this.watch.id, record.id, record.created_at, files);
      await this.finishJob(record.id, record.created_at, files);
    } catch (error) {
      // Not started (profile gone, a file vanished or changed): the files settle again.
      for (const file of files) this.busy.delete(file.rel);
      await this.failed(errorText(error), files);
    } finally {
      this.sending = false;
    }
  }

  /** After a crash: jobs the ledger handed files to are waited for (a resumed one) and settled. */
  private recoverInFlight(): void {
    for (const [jobId, { started, files }] of this.deps.ledger.inFlight(this.watch.id)) {
      for (const file of files) this.busy.add(file.rel);
      this.sending = true;
      void this.finishJob(jobId, started, files)
        .catch((error: unknown) => this.fail(errorText(error)))
        .finally(() => (this.sending = false));
    }
  }

  /** Waits for the job, records what it delivered (per the delivery log), retries the rest later. */
  private async finishJob(jobId: string, started: string, files: LedgerFile[]): Promise<void> {
    const record = (await this.deps.runner.get(jobId))
      ? await this.deps.runner.wait(jobId)
      : undefined;
    const sources = this.deps.deliveryLog.sourcesOfJob(jobId, started);
    const delivered = files.filter((file) => sources.has(`${this.watch.dir}/${file.rel}`));
    const now = Date.now();
    this.deps.ledger.settleJob(this.watch.id, jobId, delivered, now);
    if (delivered.length > 0) this.deps.ledger.deliveredAt(this.watch.id, now);
    for (const file of files) this.busy.delete(file.rel);
    const missed = files.filter((file) => !sources.has(`${this.watch.dir}/${file.rel}`));
    if (!record || record.tasks.some((task) => task.code === 'INTERRUPTED')) {
      // Outbox stopped in the middle (not the destination's fault): the rest goes again now.
      for (const file of missed) this.ready.set(file.rel, file);
      return;
    }
    if (missed.length === 0) {
      this.failures = 0;
      this.retryAt = 0;
      this.lastError = undefined;
      this.report(true);
    }
    for (const file of delivered) await this.afterDelivery(file.rel, file);
    if (missed.length === 0) return;
    await this.failed(
      (record && jobError(record)) ?? `the job ${jobId} ended before it delivered every file`,
      missed,
    );
  }

  /** Files that were not delivered wait for the next try, after the backoff; nothing is dropped. */
  private async failed(message: string, files: LedgerFile[]): Promise<void> {
    const delay = BACKOFF_MS[Math.min(this.failures, BACKOFF_MS.length - 1)] as number;
    this.failures++;
    this.retryAt = Date.now() + delay;
    this.fail(message);
    for (const file of files) {
      const stats = await fs.stat(`${this.watch.dir}/${file.rel}`).catch(() => undefined);
      if (!stats) continue; // deleted meanwhile: nothing left to deliver
      if (stats.size === file.size && stats.mtimeMs === file.mtimeMs)
        this.ready.set(file.rel, file);
      else this.settler.observe(file.rel, stats, Date.now());
    }
    this.report(true);
  }

  private fail(message: string): void {
    this.lastError = message;
    this.report(true);
  }

  private pending(): number {
    return this.settler.size + this.ready.size + this.busy.size;
  }

  private state(): WatchState {
    return this.retryAt > Date.now() ? 'retrying' : 'watching';
  }

  /** Writes the status when it changed (at most once a second unless `now`). */
  private report(now = false): void {
    if (this.stopped) return;
    const status = {
      state: this.state(),
      pending: this.pending(),
      ...(this.lastError ? { lastError: this.lastError } : {}),
      ...(this.retryAt > Date.now() ? { retryAt: this.retryAt } : {}),
    };
    const text = JSON.stringify(status);
    if (text === this.lastReport || (!now && Date.now() - this.lastReportAt < REPORT_MS)) return;
    this.lastReport = text;
    this.lastReportAt = Date.now();
    this.deps.ledger.report(this.watch.id, status);
    this.deps.changed?.();
  }
}
