import type { OutboxConfig } from '../config';
import type { Engine } from '../engine/engine';
import type { ControlledRunner } from '../engine/job-control';
import type { LinkStore } from '../links/link-store';
import type { ProfileService } from '../profiles/profile-service';
import { WatchService, type Watches } from '../watch/watch-service';

/**
 * What a host (the app, the browser host) hands to the core API and its own
 * parts: the settings, the job runner, the links and the profiles, each by
 * itself, rather than one engine everything is reached through.
 */
export type HostContext = {
  config: OutboxConfig;
  runner: ControlledRunner;
  links: LinkStore;
  /** Where links are served on this machine. */
  linkBaseUrl: string;
  profiles: ProfileService;
  /** Watch folders, where the host runs them (the app, `outbox serve`). */
  watches?: Watches | undefined;
};

export function hostContext(
  engine: Engine,
  profiles: ProfileService,
  watches?: Watches,
): HostContext {
  return {
    config: engine.config,
    runner: engine,
    links: engine.links,
    linkBaseUrl: engine.linkBaseUrl,
    profiles,
    watches,
  };
}

/** The watch folders of a host that runs them (the app, `outbox serve`, `outbox watch run`), started. */
export async function startWatches(
  engine: Engine,
  profiles: ProfileService,
): Promise<WatchService> {
  const watches = await WatchService.open({
    home: engine.config.home,
    runner: engine,
    deliveryLog: engine.deliveryLog,
    profiles,
  });
  await watches.start();
  return watches;
}
