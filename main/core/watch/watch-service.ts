import { randomBytes } from 'node:crypto';
import type { DeliveryLog } from '../delivery-log/delivery-log';
import type { JobRunner } from '../engine/job-runner';
import { engineStarted, engineStopped } from '../engine/owner';
import type { ProfileService } from '../profiles/profile-service';
import { FolderWatcher } from './folder-watcher';
import { WatchLedger, type WatchStatus } from './ledger';
import { WatchStore, type NewWatch, type Watch } from './watch-store';

/**
 * The watches of a data directory, run by the host that runs Outbox (the
 * app, `outbox serve`, `outbox watch run`): each saved watch is started, a
 * watch added or removed by another process (the CLI) is picked up within
 * seconds. One process runs a given watch; the others see its status.
 */

const RELOAD_MS = 2000;
const DEFAULT_RESCAN_MS = 60_000;

/** A watch as `outbox watch list` and the UI show it. */
export type WatchView = Watch & WatchStatus;

export type WatchServiceDeps = {
  home: string;
  runner: Pick<JobRunner, 'submit' | 'wait' | 'get'>;
  deliveryLog: Pick<DeliveryLog, 'sourcesOfJob'>;
  profiles: ProfileService;
  rescanMs?: number;
  changed?: () => void;
};

/** Watches and their status, readable by any process; starting them is `WatchService.start`. */
export class Watches {
  readonly store: WatchStore;

  protected constructor(
    protected readonly deps: WatchServiceDeps,
    readonly ledger: WatchLedger,
  ) {
    this.store = new WatchStore(deps.home);
  }

  static async open(deps: WatchServiceDeps): Promise<Watches> {
    return new Watches(deps, await WatchLedger.open(deps.home));
  }

  async list(): Promise<WatchView[]> {
    return (await this.store.list()).map((watch) => ({
      ...watch,
      ...this.ledger.status(watch.id),
    }));
  }

  /** Checks and saves a watch; a running service starts it within seconds. */
  async add(input: NewWatch): Promise<WatchView> {
    const watch = await this.store.add(input, (name) =>
      this.deps.profiles.get(name).then(
        () => true,
        () => false,
      ),
    );
    return { ...watch, ...this.ledger.status(watch.id) };
  }

  /** Removes a watch and its ledger (files in the folder stay as they are). */
  async remove(id: string): Promise<void> {
    await this.store.remove(id);
    this.ledger.forget(id);
  }

  close(): void {
    this.ledger.close();
  }
}

/** The watches, running. */
export class WatchService extends Watches {
  private readonly running = new Map<string, FolderWatcher>();
  private readonly ownerId = `watch-${randomBytes(4).toString('hex')}`;
  private readonly owner = engineStarted(this.ownerId);
  private reloadTimer: NodeJS.Timeout | undefined;
  private reloading = Promise.resolve();
  /** Watches another live process runs, by id. */
  readonly elsewhere = new Set<string>();

  static override async open(deps: WatchServiceDeps): Promise<WatchService> {
    return new WatchService(deps, await WatchLedger.open(deps.home));
  }

  /** Starts every saved watch and keeps following the saved ones. */
  async start(): Promise<void> {
    await this.reload();
    this.reloadTimer = setInterval(() => {
      this.reloading = this.reloading.then(() => this.reload()).catch(() => {});
    }, RELOAD_MS);
    this.reloadTimer.unref();
  }

  override async add(input: NewWatch): Promise<WatchView> {
    const view = await super.add(input);
    await this.reload();
    return { ...view, ...this.ledger.status(view.id) };
  }

  override async remove(id: string): Promise<void> {
    await this.running.get(id)?.stop();
    this.running.delete(id);
    await super.remove(id);
  }

  private async reload(): Promise<void> {
    const watches = await this.store.list();
    const ids = new Set(watches.map((w) => w.id));
    for (const [id, watcher] of this.running) {
      if (ids.has(id)) continue;
      await watcher.stop();
      this.running.delete(id);
      this.ledger.forget(id);
    }
    for (const watch of watches) {
      if (this.running.has(watch.id)) continue;
      const watcher = new FolderWatcher(watch, {
        ledger: this.ledger,
        runner: this.deps.runner,
        deliveryLog: this.deps.deliveryLog,
        profiles: this.deps.profiles,
        owner: this.owner,
        rescanMs: this.deps.rescanMs ?? DEFAULT_RESCAN_MS,
        ...(this.deps.changed ? { changed: this.deps.changed } : {}),
      });
      if (await watcher.start()) {
        this.running.set(watch.id, watcher);
        this.elsewhere.delete(watch.id);
      } else this.elsewhere.add(watch.id);
    }
  }

  override async close(): Promise<void> {
    clearInterval(this.reloadTimer);
    await this.reloading;
    for (const watcher of this.running.values()) await watcher.stop();
    this.running.clear();
    engineStopped(this.ownerId);
    super.close();
  }
}
