/**
 * Bandwidth limits written as rclone writes `--bwlimit`: a rate ("10M", "512K",
 * "off") or a timetable of "[WEEKDAY-]HH:MM,RATE" entries separated by spaces
 * or semicolons ("08:00,1M 19:00,off", "Mon-00:00,512K Sat-00:00,off"). Sizes
 * are binary as in rclone: a bare number or K is KiB/s, B bytes/s, M MiB/s,
 * G GiB/s, T TiB/s; "off" or "0" is no limit. Outbox only sends, so rclone's
 * "UP:DOWN" pairs are refused rather than half-used.
 */

/** Bytes per second; 0 = no limit. */
export type Rate = number;

/** One entry: from `minute` of the week (0 = Monday 00:00) or of every day (`day` undefined). */
export type BwSlot = { day: number | undefined; minute: number; rate: Rate; text: string };

export type BwLimit = { slots: BwSlot[] };

/** A limit is a mistake, said in words that name what to fix. */
export class BwLimitError extends Error {}

const MIN_RATE = 1024;
const UNITS: Record<string, number> = { b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };
const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
const DAY_NAMES = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'];
const MINUTES_A_DAY = 24 * 60;

/** "10M" → 10485760, "off" → 0. */
export function parseRate(text: string): Rate {
  const value = text.trim();
  if (/^(off|0)$/i.test(value)) return 0;
  if (value.includes(':'))
    throw new BwLimitError(
      `"${value}": Outbox only sends, give one rate (not rclone's UPLOAD:DOWNLOAD pair)`,
    );
  const match = /^(\d+(?:\.\d+)?)([bkmgt])?$/i.exec(value);
  if (!match)
    throw new BwLimitError(
      `"${value}" is not a rate: write a number with K, M or G (KiB/s, MiB/s, GiB/s), e.g. 10M, or off`,
    );
  const rate = Math.floor(Number(match[1]) * (UNITS[(match[2] ?? 'k').toLowerCase()] ?? 1024));
  if (rate < MIN_RATE)
    throw new BwLimitError(`"${value}" is below the smallest limit, 1K (1 KiB/s)`);
  if (!Number.isSafeInteger(rate)) throw new BwLimitError(`"${value}" is too large`);
  return rate;
}

/** A rate or a timetable; throws BwLimitError naming the entry that is wrong and why. */
export function parseBwLimit(text: string): BwLimit {
  const entries = text
    .trim()
    .split(/[\s;]+/)
    .filter(Boolean);
  if (entries.length === 0) throw new BwLimitError('empty: give a rate such as 10M, or off');
  if (entries.length === 1 && !entries[0]?.includes(','))
    return { slots: [{ day: undefined, minute: 0, rate: parseRate(entries[0] ?? ''), text: '' }] };
  const slots = entries.map(parseSlot);
  const seen = new Set<string>();
  for (const slot of slots) {
    const key = `${slot.day ?? '*'}-${slot.minute}`;
    if (seen.has(key)) throw new BwLimitError(`"${slot.text}": a second entry for the same time`);
    seen.add(key);
  }
  return { slots };
}

function parseSlot(entry: string): BwSlot {
  const comma = entry.indexOf(',');
  if (comma < 0)
    throw new BwLimitError(`"${entry}": a timetable entry is HH:MM,RATE (e.g. 08:00,1M)`);
  const when = entry.slice(0, comma);
  const match = /^(?:([a-z]+)-)?(\d{2}):(\d{2})$/i.exec(when);
  if (!match)
    throw new BwLimitError(`"${entry}": the time must be HH:MM or WEEKDAY-HH:MM (e.g. Mon-08:00)`);
  const [, dayName, hh, mm] = match;
  let day: number | undefined;
  if (dayName !== undefined) {
    const name = dayName.toLowerCase();
    day = Math.max(DAYS.indexOf(name), DAY_NAMES.indexOf(name));
    if (day < 0) throw new BwLimitError(`"${entry}": ${dayName} is not a weekday (Mon … Sun)`);
  }
  const hours = Number(hh);
  const minutes = Number(mm);
  if (hours > 23 || minutes > 59)
    throw new BwLimitError(`"${entry}": ${when} is not a time of day`);
  let rate: Rate;
  try {
    rate = parseRate(entry.slice(comma + 1));
  } catch (error) {
    throw new BwLimitError(`"${entry}": ${(error as Error).message}`);
  }
  return { day, minute: hours * 60 + minutes, rate, text: entry };
}

/** Minute of the week, Monday 00:00 = 0, in local time (as rclone's timetable). */
function minuteOfWeek(date: Date): number {
  const day = (date.getDay() + 6) % 7;
  return day * MINUTES_A_DAY + date.getHours() * 60 + date.getMinutes();
}

/**
 * The rate in force at `now`: that of the latest entry at or before now; before
 * the first entry of the week, the last one still holds (a timetable repeats).
 */
export function rateAt(limit: BwLimit, now: Date): Rate {
  const week = limit.slots.flatMap((slot) =>
    slot.day === undefined
      ? DAYS.map((_, day) => ({ at: day * MINUTES_A_DAY + slot.minute, rate: slot.rate }))
      : [{ at: slot.day * MINUTES_A_DAY + slot.minute, rate: slot.rate }],
  );
  week.sort((a, b) => a.at - b.at);
  const current = minuteOfWeek(now);
  let rate = week[week.length - 1]?.rate ?? 0;
  for (const slot of week) if (slot.at <= current) rate = slot.rate;
  return rate;
}
