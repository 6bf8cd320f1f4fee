import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { DeliveryQuery } from '../../main/core/delivery-log/delivery-entry';
import { DeliveryLog } from '../../main/core/delivery-log/delivery-log';
import type { BenchContext } from '../lib/context';
import { failedLine } from '../lib/line';
import { median, type Line } from '../lib/table';

/**
 * History paging (issue 15): the delivery log with 100,000 entries, and the
 * queries the History screen and `outbox log` run on it: the newest page, a
 * walk 100 pages deep by cursor, a destination with a date range, and file
 * name searches. In process, on the log's own SQLite file: what a page
 * costs before the API carries it.
 */

const DAY_MS = 86_400_000;
const DESTINATIONS = ['Backups', 'Scans', 'Renders', 'export/url'];

function seed(log: DeliveryLog, count: number, now: number): void {
  const batch = 1000; // the runner appends delivered files in batches like this
  for (let from = 0; from < count; from += batch) {
    log.append(
      Array.from({ length: Math.min(batch, count - from) }, (_, k) => {
        const i = from + k;
        const name = `scan-${String(i).padStart(6, '0')}.pdf`;
        return {
          delivered_at: new Date(now - i * 60_000).toISOString(),
          job_id: `job-${Math.floor(i / 50)}`,
          task: 'export',
          source_path: `/scans/${name}`,
          filename: name,
          size: 100_000 + i,
          checksum: `md5:${i.toString(16).padStart(32, '0')}`,
          destination: DESTINATIONS[i % DESTINATIONS.length] as string,
          operation: 'export/s3',
          location: `s3://scans/${name}`,
          verified_by: 'md5',
        };
      }),
    );
  }
}

/** Milliseconds of one query, the median of `times` runs. */
function timed(times: number, run: () => void): number {
  const samples: number[] = [];
  for (let i = 0; i < times; i++) {
    const t0 = performance.now();
    run();
    samples.push(performance.now() - t0);
  }
  return median(samples) ?? NaN;
}

export async function historyLines(ctx: BenchContext): Promise<Line[]> {
  const count = ctx.quick ? 10_000 : 100_000;
  const title = `History paging: delivery log of ${count.toLocaleString('en')} entries, 100 a page as History shows them`;
  const home = join(ctx.scratch, 'history');
  try {
    await fs.mkdir(home, { recursive: true });
    const log = await DeliveryLog.open(home, 90);
    const now = Date.now();
    const t0 = performance.now();
    seed(log, count, now);
    const seedSeconds = (performance.now() - t0) / 1000;
    const page = (query: DeliveryQuery) => log.search({ limit: 100, ...query });
    const repeat = 20 * ctx.runs;
    const first = timed(repeat, () => page({}));
    // 100 pages deep by cursor, as "Older" does: per page
    const walk =
      timed(ctx.runs, () => {
        let after: string | undefined;
        for (let i = 0; i < 100; i++) after = page(after ? { after } : {}).next;
      }) / 100;
    const ranged = timed(repeat, () =>
      page({
        destination: 'Scans',
        since: new Date(now - 30 * DAY_MS).toISOString(),
        until: new Date(now - 20 * DAY_MS).toISOString(),
      }),
    );
    const byName = timed(repeat, () => page({ name: 'scan-04217' }));
    const everyRow = timed(ctx.runs, () => page({ name: 'scan' }));
    log.close();
    ctx.log(`history: seeded ${count} in ${seedSeconds.toFixed(1)} s`);
    const ms = (value: number) => `${value.toFixed(2)} ms`;
    return [
      {
        id: 'history',
        title,
        outbox: { tool: 'Outbox', samples: [] },
        peers: [],
        absolute:
          `newest page **${ms(first)}**; each of 100 pages by cursor **${ms(walk)}**; a destination and a ` +
          `10-day range ${ms(ranged)}; a name (trigram index) ${ms(byName)}; a name every entry matches ` +
          `${ms(everyRow)} (medians; writing the ${count.toLocaleString('en')} entries in batches of 1,000: ` +
          `${seedSeconds.toFixed(1)} s)`,
      },
    ];
  } catch (error) {
    return [failedLine('history', title, error)];
  } finally {
    await fs.rm(home, { recursive: true, force: true });
  }
}
