import { z } from 'zod';

/**
 * One delivered file as the delivery log keeps it, and the log's query: the
 * shapes the CLI (`outbox log`), the API and the History screen share.
 */

export const deliveryEntrySchema = z.object({
  /** Row id: increases with every entry; with `delivered_at` it orders the log. */
  id: z.number().int(),
  /** When the delivery was verified (ISO 8601, UTC). */
  delivered_at: z.string(),
  job_id: z.string(),
  task: z.string(),
  /** The local file that was sent. */
  source_path: z.string(),
  /** The stored file's name (a link's download name for export/url). */
  filename: z.string(),
  size: z.number().int(),
  /** `algorithm:value` of the bytes read (e.g. `md5:…`, `sha256:…`); absent where none was computed. */
  checksum: z.string().optional(),
  /** The saved profile's name, or the operation for a destination given inline. */
  destination: z.string(),
  operation: z.string(),
  /** Where the file now is: the object's URL or `sftp://…`; `link:<id>` for a temporary link. */
  location: z.string().optional(),
  /** How the stored file was compared with the bytes read (see README, Output). */
  verified_by: z.string(),
});
export type DeliveryEntry = z.output<typeof deliveryEntrySchema>;

/** What a new entry needs (the log assigns `id`). */
export type NewDeliveryEntry = Omit<DeliveryEntry, 'id'>;

const cursorSchema = z.string().regex(/^\d{1,15}:\d{1,15}$/, 'is not a cursor this log gave out');

export const deliveryQuerySchema = z.strictObject({
  /** Part of the file name (case-insensitive). */
  name: z.string().max(500).optional(),
  /** Exact destination: a profile name or an operation. */
  destination: z.string().max(500).optional(),
  /** From this time on (ISO 8601), inclusive. */
  since: z.iso.datetime({ offset: true }).optional(),
  /** Up to this time (ISO 8601), exclusive. */
  until: z.iso.datetime({ offset: true }).optional(),
  /** Continue after this entry (the `next` of the previous page). */
  after: cursorSchema.optional(),
  /** Entries per page, 1–1000; default 100. */
  limit: z.number().int().min(1).max(1000).optional(),
});
export type DeliveryQuery = z.output<typeof deliveryQuerySchema>;

export type DeliveryPage = {
  entries: DeliveryEntry[];
  /** Give as `after` for the next (older) page; absent on the last page. */
  next?: string;
};
