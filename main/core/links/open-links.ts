import { ensurePrivateDir } from '../store/atomic-file';
import { LinkStore } from './link-store';

/** Links stay answerable (410 Gone) this long after they expire, then are deleted. */
const LINK_TOMBSTONE_MS = 7 * 86400 * 1000;
/** How often the host that serves the links deletes those past their tombstone time. */
const SWEEP_EVERY_MS = 10 * 60 * 1000;

/** Deletes the links past their tombstone time; how many. */
function sweepTombstones(links: LinkStore): Promise<number> {
  return links.sweep(Date.now(), LINK_TOMBSTONE_MS);
}

/**
 * Deletes the links past their tombstone time now and every 10 minutes, as
 * the link server does while it runs (the app, `outbox serve`, `export
 * --serve`): a command that serves none (a plain export) never lists the
 * links folder, whose 20,000 names after a day of use cost it ~9 MiB.
 * Returns the stop.
 */
export async function sweepLinksWhileServing(links: LinkStore): Promise<() => void> {
  await sweepTombstones(links);
  const timer = setInterval(
    () => void sweepTombstones(links).catch(() => undefined),
    SWEEP_EVERY_MS,
  );
  timer.unref();
  return () => clearInterval(timer);
}

/**
 * The links of a data directory by themselves (what `outbox links` needs:
 * no job is recovered or swept), after removing those past their tombstone
 * time as the link server does.
 */
export async function openLinks(home: string, baseUrl: string): Promise<LinkStore> {
  await ensurePrivateDir(home);
  const links = new LinkStore(home, baseUrl);
  await sweepTombstones(links);
  return links;
}
