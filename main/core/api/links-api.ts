import { z } from 'zod';
import { OutboxError } from '../errors';
import { findRunningServer } from '../http/server-info';
import { linkRecordSchema } from '../links/link-record';
import type { LinkRecord } from '../links/link-record';
import {
  downloadSize,
  type LinkChange,
  type LinkStore,
  type LinkSummary,
} from '../links/link-store';

/**
 * The API's link calls and the two views of a link, on a link store by
 * itself: the app, the browser host and `outbox links` (which opens no
 * engine) read links through here, so what they show cannot drift apart.
 */

const linkStateSchema = z.enum(['active', 'expired', 'revoked', 'used_up']);

/** A link as the UI lists it, and `outbox links` prints it. */
export const linkViewSchema = z.object({
  id: z.string(),
  url: z.string(),
  filename: z.string(),
  kind: z.enum(['file', 'zip']),
  /** Bytes of one full download (see downloadSize). */
  size: z.number(),
  state: linkStateSchema,
  created_at: z.string(),
  expires_at: z.string(),
  downloads: z.number(),
  job_id: z.string().optional(),
  /** The download page (names, sizes, time left, password) on this machine. */
  page_url: z.string(),
  /** Served on the LAN listener too (when LAN sharing is on). */
  lan: z.boolean(),
  /** The download page on each LAN address, while LAN sharing serves this link. */
  lan_urls: z.array(z.string()),
  max_downloads: z.number().optional(),
  has_password: z.boolean(),
});
export type LinkView = z.infer<typeof linkViewSchema>;

/**
 * A link as scripts read it (`outbox links --json`): its whole record but
 * the token and the password hash, its files by name and size.
 */
export const linkListingSchema = linkRecordSchema
  .omit({ token: true, password_hash: true, files: true })
  .extend({
    has_password: z.boolean(),
    url: z.string(),
    state: linkStateSchema,
    downloads: z.number(),
    files: z.array(z.object({ name: z.string(), size: z.number() })),
  });
export type LinkListing = z.infer<typeof linkListingSchema>;

function linkListing(link: LinkSummary): LinkListing {
  const { token: _token, password_hash, files, ...rest } = link;
  return {
    has_password: password_hash !== undefined,
    ...rest,
    files: files.map((file) => ({ name: file.name, size: file.size })),
  };
}

function linkView(links: LinkStore, link: LinkSummary, lanBases: string[]): LinkView {
  return {
    id: link.id,
    url: link.url,
    filename: link.filename,
    kind: link.kind,
    size: downloadSize(link),
    state: link.state,
    created_at: link.created_at,
    expires_at: link.expires_at,
    downloads: link.downloads,
    ...(link.job_id ? { job_id: link.job_id } : {}),
    page_url: links.pageUrlOf(link),
    lan: link.lan,
    lan_urls: link.lan ? lanBases.map((base) => links.pageUrlOf(link, base)) : [],
    ...(link.max_downloads !== undefined ? { max_downloads: link.max_downloads } : {}),
    has_password: link.password_hash !== undefined,
  };
}

/** Where the server on this data directory serves links on the LAN now (any process). */
async function lanBasesOf(home: string): Promise<string[]> {
  return (await findRunningServer(home))?.lan_urls ?? [];
}

export type LinkCalls = {
  listLinks(): Promise<LinkView[]>;
  /** Every link with its whole record (see linkListing). */
  listLinkRecords(): Promise<LinkListing[]>;
  updateLink(id: string, change: LinkChange): Promise<LinkView>;
  /** Revokes at once; resolves to the link as it is now. */
  revokeLink(id: string): Promise<LinkView>;
};

/**
 * The link calls on `links` of the data directory `home`; `changed` hears of
 * changes no job event announces (a revocation, a new option).
 */
export function linkCalls(
  links: LinkStore,
  home: string,
  changed: () => void = () => {},
): LinkCalls {
  const notFound = (id: string) => new OutboxError('NOT_FOUND', `no link ${id}`);
  const viewOf = async (link: LinkRecord) =>
    linkView(links, await links.summarize(link), await lanBasesOf(home));
  return {
    async listLinks() {
      const lanBases = await lanBasesOf(home);
      return (await links.list()).map((link) => linkView(links, link, lanBases));
    },
    listLinkRecords: async () => (await links.list()).map(linkListing),
    async updateLink(id, change) {
      const updated = await links.update(id, change);
      if (!updated) throw notFound(id);
      changed();
      return viewOf(updated);
    },
    async revokeLink(id) {
      const revoked = await links.revoke(id);
      if (!revoked) throw notFound(id);
      changed();
      return viewOf(revoked);
    },
  };
}
