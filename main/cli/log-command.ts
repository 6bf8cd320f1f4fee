import { DEFAULT_LOG_RETENTION_DAYS, loadConfig } from '../core/config';
import { deliveriesCsv } from '../core/api/delivery-csv';
import type { DeliveryEntry } from '../core/delivery-log/delivery-entry';
import { DeliveryLog } from '../core/delivery-log/delivery-log';
import { formatBytes } from '../core/format';
import { jsonOption, UsageError, type Command } from './command';
import { writePaced } from './paced-output';

/** `outbox log`: the delivery log, filtered, as text, CSV or JSON. */

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;
const MOMENT =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/;

/**
 * A DATE of `--since`/`--until`: a day `YYYY-MM-DD` (local time; `--until`
 * includes the whole day), or a moment `YYYY-MM-DDTHH:MM[:SS[.mmm]]` with `Z`
 * or an offset (`+02:00`). Anything else, or a day that does not exist, is a
 * usage mistake.
 */
export function parseLogDate(option: string, text: string, endOfDay: boolean): Date {
  const wrong = () =>
    new UsageError(
      `${option} "${text}": give a date as YYYY-MM-DD (local time) or YYYY-MM-DDTHH:MM[:SS] with Z or an offset such as +02:00`,
    );
  const day = DAY.exec(text);
  if (day) {
    const [year, month, date] = day.slice(1).map(Number) as [number, number, number];
    const start = new Date(year, month - 1, date);
    if (start.getFullYear() !== year || start.getMonth() !== month - 1 || start.getDate() !== date)
      throw wrong();
    return endOfDay ? new Date(year, month - 1, date + 1) : start;
  }
  const moment = MOMENT.exec(text);
  if (!moment) throw wrong();
  const [year, month, date, hour, minute, second] = moment.slice(1, 7).map((v) => Number(v ?? 0));
  const calendar = new Date(Date.UTC(year ?? 0, (month ?? 1) - 1, date));
  if (
    calendar.getUTCMonth() !== (month ?? 1) - 1 ||
    (hour ?? 0) > 23 ||
    (minute ?? 0) > 59 ||
    (second ?? 0) > 59
  )
    throw wrong();
  const parsed = new Date(text);
  if (Number.isNaN(parsed.getTime())) throw wrong();
  return parsed;
}

function line(entry: DeliveryEntry): string {
  return [
    entry.delivered_at,
    entry.destination,
    entry.filename,
    formatBytes(entry.size),
    entry.location ?? '-',
    `verified: ${entry.verified_by}`,
  ].join('  ');
}

export const logCommand: Command = {
  usage:
    'outbox log [--since DATE] [--until DATE] [--destination NAME] [--name TEXT] [--csv | --json]',
  summary:
    'The delivery log: every file Outbox delivered (a drop, a job, a watch, the CLI), newest first.\n' +
    `Entries are kept OUTBOX_LOG_RETENTION days (a whole number, default ${DEFAULT_LOG_RETENTION_DAYS}).\n` +
    '  --since DATE        delivered at or after DATE\n' +
    '  --until DATE        delivered before DATE (a day: up to the end of that day)\n' +
    '                      DATE: YYYY-MM-DD (local time) or YYYY-MM-DDTHH:MM[:SS] with Z or an offset (+02:00)\n' +
    '  --destination NAME  only this destination: a profile name, or an operation (export/s3) for tasks given inline\n' +
    '  --name TEXT         only files whose name contains TEXT (any case)\n' +
    '  --csv               CSV with a header: delivered_at, filename, size, destination, operation, location,\n' +
    '                      verified_by, checksum, source_path, job_id, task, id (a text cell starting with\n' +
    "                      = + - @, a tab or a CR gets a leading ' so that spreadsheets show it, not run it)\n" +
    '  --json              a JSON array of entries with the same fields',
  options: {
    since: { type: 'string' },
    until: { type: 'string' },
    destination: { type: 'string' },
    name: { type: 'string' },
    csv: { type: 'boolean' },
    ...jsonOption,
  },
  async run({ values, positionals }) {
    if (positionals.length > 0)
      throw new UsageError(`unexpected argument "${String(positionals[0])}"`);
    if (values.csv && values.json) throw new UsageError('choose one of --csv and --json');
    const since =
      typeof values.since === 'string' ? parseLogDate('--since', values.since, false) : undefined;
    const until =
      typeof values.until === 'string' ? parseLogDate('--until', values.until, true) : undefined;
    if (since && until && since >= until)
      throw new UsageError('--since must be earlier than --until');
    for (const option of ['destination', 'name'] as const) {
      if (values[option] === '') throw new UsageError(`--${option} takes a non-empty value`);
    }
    const config = loadConfig();
    const log = await DeliveryLog.open(config.home, config.logRetentionDays);
    try {
      const pages = log.all({
        ...(since ? { since: since.toISOString() } : {}),
        ...(until ? { until: until.toISOString() } : {}),
        ...(typeof values.destination === 'string' ? { destination: values.destination } : {}),
        ...(typeof values.name === 'string' ? { name: values.name } : {}),
      });
      let count = 0;
      if (values.json) await writePaced('[');
      for (const entries of pages) {
        if (values.csv) await writePaced(deliveriesCsv(entries, count === 0));
        else if (values.json)
          await writePaced(
            entries.map((e, i) => `${count + i ? ',' : ''}\n  ${JSON.stringify(e)}`).join(''),
          );
        else await writePaced(entries.map((entry) => `${line(entry)}\n`).join(''));
        count += entries.length;
      }
      if (values.json) await writePaced(count ? '\n]\n' : ']\n');
      else if (values.csv && count === 0) await writePaced(deliveriesCsv([], true));
      else if (!values.csv && count === 0) console.log('No deliveries match.');
      return 0;
    } finally {
      log.close();
    }
  },
};
