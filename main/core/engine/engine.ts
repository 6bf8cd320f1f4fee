import type { OutboxConfig } from '../config';
import { DeliveryLog } from '../delivery-log/delivery-log';
import { LinkStore } from '../links/link-store';
import { urlExporter } from '../links/url-exporter';
import type { ProfileResolver } from '../profiles/profile-params';
import { ensurePrivateDir } from '../store/atomic-file';
import type { BwLimit } from '../transfer/bwlimit';
import { ControlledRunner } from './job-control';
import { JobStore } from './job-store';

export type { EngineEvents } from './job-runner';

const SWEEP_INTERVAL_MS = 10 * 60 * 1000;

/**
 * The jobs of a data directory, open: the job store (records, ownership,
 * recovery, retention) and the runner (plan, workers, progress, cancel,
 * resume) over it, with the link store export/url writes to. Every host —
 * the app, `outbox serve`, the CLI — sees the same jobs and survives a crash.
 */
export class Engine extends ControlledRunner {
  private sweepTimer: NodeJS.Timeout | undefined;

  private constructor(
    config: OutboxConfig,
    readonly links: LinkStore,
    readonly linkBaseUrl: string,
    resolveProfile: ProfileResolver | undefined,
    deliveryLog: DeliveryLog,
    bwlimit: BwLimit | undefined,
  ) {
    super(config, new JobStore(config), {
      resolveProfile,
      taskExporters: [urlExporter(links, config.home, linkBaseUrl)],
      deliveryLog,
      bwlimit,
    });
  }

  /**
   * Opens the data directory: marks jobs of dead processes as interrupted,
   * sweeps expired records and, for long-running hosts (`resumeInterrupted`:
   * the app, `outbox serve`), resumes the interrupted jobs that can be.
   */
  static async open(
    config: OutboxConfig,
    options: {
      linkBaseUrl?: string;
      sweepEvery?: boolean;
      resolveProfile?: ProfileResolver;
      resumeInterrupted?: boolean;
      /** `--bwlimit`: the global bandwidth limit of this run instead of the saved one. */
      bwlimit?: BwLimit;
    } = {},
  ): Promise<Engine> {
    await ensurePrivateDir(config.home); // also an existing one, made with a looser mode
    const linkBaseUrl = options.linkBaseUrl ?? `http://${config.host}:${config.port}`;
    const engine = new Engine(
      config,
      new LinkStore(config.home, linkBaseUrl),
      linkBaseUrl,
      options.resolveProfile,
      await DeliveryLog.open(config.home, config.logRetentionDays),
      options.bwlimit,
    );
    await engine.bandwidth.start();
    await engine.store.recoverInterrupted();
    await engine.sweep();
    if (options.resumeInterrupted) await engine.resumeInterrupted();
    engine.serveRequests();
    if (options.sweepEvery) {
      engine.sweepTimer = setInterval(() => void engine.sweep(), SWEEP_INTERVAL_MS);
      engine.sweepTimer.unref();
    }
    return engine;
  }

  /**
   * Removes what outlived its time: jobs, their logs, partial uploads, stale
   * claims (links: the link server, while it serves them; see open-links.ts).
   */
  async sweep(now = Date.now()): Promise<void> {
    for (const id of await this.store.sweep(new Set(this.active.keys()), now)) {
      this.finishedJobs.delete(id);
    }
    await this.partials.sweep(now);
    await this.claims.sweep();
    this.deliveryLog.sweep(now);
  }

  override async close(): Promise<void> {
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    await super.close();
    await this.links.close();
  }
}
