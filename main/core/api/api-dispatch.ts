import { z } from 'zod';
import { deliveryQuerySchema } from '../delivery-log/delivery-entry';
import { ValidationError, type FieldErrors } from '../errors';
import { shareRequestSchema } from '../engine/share-after-export';
import { maxRunningJobsSchema } from '../engine/queue-settings';
import { exportOperations } from '../tasks/operations';
import { collectIssues } from '../tasks/validate';
import { apiErrorOf } from './core-api';
import type { ApiArgs, ApiMethod, ApiResult } from './api-transport';
import type { OutboxApi } from './outbox-api';
import { settingsInputSchema } from './settings-views';
import { watchInputSchema } from './watch-api';

/**
 * The arguments each OutboxApi method accepts, checked before the core sees
 * them: every host (IPC, HTTP) calls through `dispatch`, so a call from a
 * compromised page or a stray request is refused the same way everywhere.
 */

const id = z.string().min(1).max(200);
const name = z.string().min(1).max(500);
const json = z.json();
const secretState = z.strictObject({ set: z.boolean() });

const destination = z.union([
  z.strictObject({ profile: name }),
  z.strictObject({ task: z.record(z.string(), json) }),
]);

/** Destinations one drop goes to at most (one export task each). */
const MAX_DESTINATIONS = 32;

const fileRef = z.union([
  z.strictObject({ path: z.string().min(1).max(4096) }),
  z.strictObject({ uploadId: id }),
]);

const profileInput = z.strictObject({
  name: z.string().max(500),
  originalName: name.optional(),
  operation: z.enum(exportOperations as [string, ...string[]]),
  params: z.record(z.string(), z.union([secretState, json])),
});

const none = z.tuple([]);

const linkOptions = z.strictObject({
  lan: z.boolean().optional(),
  max_downloads: z.number().int().positive().max(1_000_000).nullable().optional(),
  password: z.string().min(1).max(1024).nullable().optional(),
  expires_in: z
    .number()
    .int()
    .positive()
    .max(365 * 86400)
    .optional(),
});

export const apiArgSchemas = {
  info: none,
  listProfiles: none,
  saveProfile: z.tuple([profileInput]),
  deleteProfile: z.tuple([name]),
  testConnection: z.tuple([destination]),
  startExport: z.tuple([
    z.union([destination, z.array(destination).min(1).max(MAX_DESTINATIONS)]),
    z.array(fileRef).min(1).max(100_000),
  ]),
  listJobs: none,
  cancelJob: z.tuple([id]),
  retryJob: z.tuple([id]),
  pauseJob: z.tuple([id]),
  resumeJob: z.tuple([id]),
  moveJobToFront: z.tuple([id]),
  pauseAll: none,
  resumeAll: none,
  createShareLink: z.tuple([id, name, shareRequestSchema.optional()]),
  removeJob: z.tuple([id]),
  clearHistory: none,
  searchDeliveries: z.tuple([deliveryQuerySchema]),
  listLinks: none,
  revokeLink: z.tuple([id]),
  updateLink: z.tuple([id, linkOptions]),
  getSettings: none,
  saveSettings: z.tuple([settingsInputSchema]),
  // The text is parsed by the setting itself (INVALID_DATA naming the entry and why).
  setBandwidthLimit: z.tuple([z.string().min(1).max(1000), name.optional()]),
  setMaxRunningJobs: z.tuple([maxRunningJobsSchema]),
  listWatches: none,
  addWatch: z.tuple([watchInputSchema]),
  removeWatch: z.tuple([id]),
} satisfies Record<ApiMethod, z.ZodType>;

/** The arguments of `method`, or a ValidationError naming each bad one (`0.task.bucket`…). */
export function parseArgs<M extends ApiMethod>(method: M, raw: unknown): ApiArgs<M> {
  const parsed = apiArgSchemas[method].safeParse(raw);
  if (parsed.success) return parsed.data as ApiArgs<M>;
  const fields: FieldErrors = {};
  collectIssues(parsed.error.issues, '', fields);
  throw new ValidationError(fields);
}

/** Validates the arguments and calls the method; never throws: errors come back in the envelope. */
export async function dispatch(
  api: OutboxApi,
  method: ApiMethod,
  raw: unknown,
): Promise<ApiResult<unknown>> {
  try {
    const args = parseArgs(method, raw);
    const call = api[method] as (...a: unknown[]) => Promise<unknown>;
    const value = await call(...args);
    return { ok: true, value: value ?? null };
  } catch (error) {
    return { ok: false, error: apiErrorOf(error) };
  }
}
