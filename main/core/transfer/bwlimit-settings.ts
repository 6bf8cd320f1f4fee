import { z } from 'zod';
import { OutboxError } from '../errors';
import { readSettingsFile, writeSetting } from '../store/settings-file';
import { BwLimitError, parseBwLimit, rateAt, type Rate } from './bwlimit';

/**
 * Bandwidth limits in `<home>/settings.json`, as rclone writes `--bwlimit`
 * (bwlimit.ts): `"bandwidth_limit": { "global": "08:00,1M 19:00,off",
 * "profiles": { "backups": "512K" } }`. No key: no limit.
 */

const limitText = z.string().superRefine((text, ctx) => {
  try {
    parseBwLimit(text);
  } catch (error) {
    if (!(error instanceof BwLimitError)) throw error;
    ctx.addIssue({ code: 'custom', message: error.message });
  }
});

export const bandwidthLimitsSchema = z.strictObject({
  global: limitText.optional(),
  /** By profile name: the limit of transfers to that saved destination. */
  profiles: z.record(z.string().min(1), limitText).optional(),
});
export type BandwidthLimits = z.output<typeof bandwidthLimitsSchema>;

const KEY = 'bandwidth_limit';

/** The limits saved; none when the file has none (or a hand-edited one that does not parse). */
export async function loadBandwidthLimits(home: string): Promise<BandwidthLimits> {
  const parsed = bandwidthLimitsSchema.safeParse((await readSettingsFile(home))[KEY]);
  return parsed.success ? parsed.data : {};
}

/**
 * Sets the global limit (no `profile`) or a destination's: `text` is a rate or
 * a timetable, "off" removes it. INVALID_DATA naming the field and why.
 */
export async function saveBandwidthLimit(
  home: string,
  text: string,
  profile?: string,
): Promise<BandwidthLimits> {
  const field = profile === undefined ? `${KEY}.global` : `${KEY}.profiles.${profile}`;
  let off: boolean;
  try {
    off = parseBwLimit(text).slots.every((slot) => slot.rate === 0) && !text.includes(',');
  } catch (error) {
    if (error instanceof BwLimitError)
      throw new OutboxError('INVALID_DATA', `${field}: ${error.message}`);
    throw error;
  }
  const value = off ? undefined : text.trim();
  const current = await loadBandwidthLimits(home);
  const profiles = { ...current.profiles };
  let next: BandwidthLimits;
  if (profile === undefined) {
    const { global: _old, ...rest } = current;
    next = value === undefined ? rest : { ...rest, global: value };
  } else {
    if (value === undefined) delete profiles[profile];
    else profiles[profile] = value;
    const { profiles: _old, ...rest } = current;
    next = Object.keys(profiles).length ? { ...rest, profiles } : rest;
  }
  await writeSetting(home, KEY, Object.keys(next).length ? next : undefined);
  return next;
}

/** A renamed destination keeps its limit. */
export async function renameBandwidthLimit(home: string, from: string, to: string): Promise<void> {
  const limit = (await loadBandwidthLimits(home)).profiles?.[from];
  if (limit === undefined) return;
  await saveBandwidthLimit(home, limit, to);
  await saveBandwidthLimit(home, 'off', from);
}

/** The rates the saved limits set at `now` (bytes per second, 0: no limit): what settings show. */
export function ratesAt(
  limits: BandwidthLimits,
  now: Date,
): { global: Rate; profiles: Record<string, Rate> } {
  const at = (text: string | undefined) => (text ? rateAt(parseBwLimit(text), now) : 0);
  return {
    global: at(limits.global),
    profiles: Object.fromEntries(
      Object.entries(limits.profiles ?? {}).map(([name, text]) => [name, at(text)]),
    ),
  };
}
