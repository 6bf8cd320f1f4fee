import { ensurePrivateDir } from '../store/atomic-file';
import { LinkStore } from './link-store';

/** Links stay answerable (410 Gone) this long after they expire, then are deleted. */
export const LINK_TOMBSTONE_MS = 7 * 86400 * 1000;

/**
 * The links of a data directory by themselves (what `outbox links` needs:
 * no job is recovered or swept), after removing those past their tombstone
 * time as the engine's sweep does.
 */
export async function openLinks(home: string, baseUrl: string): Promise<LinkStore> {
  await ensurePrivateDir(home);
  const links = new LinkStore(home, baseUrl);
  await links.sweep(Date.now(), LINK_TOMBSTONE_MS);
  return links;
}
