import { z } from 'zod';

/** A temporary download link: one file, or several served as one ZIP. */
export const linkRecordSchema = z.object({
  id: z.string(),
  /** ≥128 bits of randomness; compared in constant time. */
  token: z.string(),
  kind: z.enum(['file', 'zip']),
  /** The name the downloader gets. */
  filename: z.string(),
  inline: z.boolean(),
  created_at: z.string(),
  expires_at: z.string(),
  revoked_at: z.string().optional(),
  job_id: z.string().optional(),
  task: z.string().optional(),
  /** Served on the LAN listener too (when LAN sharing is on); loopback always serves it. */
  lan: z.boolean().default(false),
  /** Full downloads allowed, counted by the bytes sent (download-ledger.ts); past it the link answers 410. */
  max_downloads: z.number().int().positive().optional(),
  /** scrypt hash of the link's password (see link-password.ts); never the password itself. */
  password_hash: z.string().optional(),
  /** Snapshots of the files at export time: a link never serves a file that changed since. */
  files: z
    .array(
      z.object({
        path: z.string(),
        name: z.string(),
        size: z.number(),
        mtime_ms: z.number(),
      }),
    )
    .min(1),
});
export type LinkRecord = z.output<typeof linkRecordSchema>;

export type LinkState = 'active' | 'expired' | 'revoked' | 'used_up';

export function linkState(link: LinkRecord, now = Date.now(), downloads = 0): LinkState {
  if (link.revoked_at) return 'revoked';
  if (Date.parse(link.expires_at) <= now) return 'expired';
  return link.max_downloads !== undefined && downloads >= link.max_downloads ? 'used_up' : 'active';
}
