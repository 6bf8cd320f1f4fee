import { z } from 'zod';
import { loadMaxRunningJobs } from '../engine/queue-settings';
import { findRunningServer } from '../http/server-info';
import { lanCandidates, lanSharingSchema, loadLanSharing } from '../server/lan-settings';
import { bandwidthLimitsSchema, loadBandwidthLimits, ratesAt } from '../transfer/bwlimit-settings';

/**
 * The settings as the UI shows them, and as `outbox settings` prints them:
 * read from the data directory, so the app, the browser host and the CLI
 * (which opens no engine for them) show the same.
 */
export const settingsViewSchema = z.object({
  lan_sharing: lanSharingSchema,
  /** Bandwidth limits as saved (rates or timetables, rclone's --bwlimit syntax); none: no limit. */
  bandwidth_limit: bandwidthLimitsSchema,
  /** The rates those limits set now, in bytes per second (0: no limit). */
  bandwidth_now: z.object({ global: z.number(), profiles: z.record(z.string(), z.number()) }),
  /** Jobs an Outbox process runs at once; the others wait in its queue (settings.json). */
  max_running_jobs: z.number(),
  /** What the running server does now, and what it could listen on. */
  lan: z.object({
    /** Base URLs the link server listens on in the LAN (empty: off, or no server runs). */
    urls: z.array(z.string()),
    /** Addresses that could not be listened on, with why. */
    errors: z.array(z.string()),
    /** This machine's non-internal IPv4 addresses. */
    candidates: z.array(z.object({ name: z.string(), address: z.string() })),
    /** Whether an Outbox server runs on this data directory (links work only then). */
    server_running: z.boolean(),
  }),
});
export type SettingsView = z.infer<typeof settingsViewSchema>;

/** What the UI saves with saveSettings. */
export const settingsInputSchema = z.strictObject({ lan_sharing: lanSharingSchema });
export type SettingsInput = z.infer<typeof settingsInputSchema>;

/** The settings and where links are served on the LAN now. */
export async function settingsView(home: string): Promise<SettingsView> {
  const server = await findRunningServer(home);
  const bandwidth = await loadBandwidthLimits(home);
  return {
    lan_sharing: await loadLanSharing(home),
    bandwidth_limit: bandwidth,
    bandwidth_now: ratesAt(bandwidth, new Date()),
    max_running_jobs: await loadMaxRunningJobs(home),
    lan: {
      urls: server?.lan_urls ?? [],
      errors: server?.lan_errors ?? [],
      candidates: lanCandidates(),
      server_running: server !== undefined,
    },
  };
}

/** The settings as scripts read them (`outbox settings --json`): the view, its LAN URLs as `lan_urls`. */
export const settingsSummarySchema = settingsViewSchema
  .pick({ lan_sharing: true, bandwidth_limit: true, bandwidth_now: true, max_running_jobs: true })
  .extend({ lan_urls: z.array(z.string()) });
export type SettingsSummary = z.infer<typeof settingsSummarySchema>;

export function settingsSummary(view: SettingsView): SettingsSummary {
  return {
    lan_sharing: view.lan_sharing,
    lan_urls: view.lan.urls,
    bandwidth_limit: view.bandwidth_limit,
    bandwidth_now: view.bandwidth_now,
    max_running_jobs: view.max_running_jobs,
  };
}
