import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { expect, test } from '@playwright/test';
import { dropFiles, openOutbox, screenshot, tile } from './fixtures/ui';

/**
 * History reads the delivery log: files dropped in the UI are there, and a
 * log of hundreds of entries (seeded as other Outbox processes would write
 * them) is searched by name, destination and dates, paged, and exported as
 * CSV and JSON. Runs after outbox.spec.ts (its first screen is empty).
 */
test.describe.configure({ mode: 'serial' });

const root = resolve(__dirname, '../..');
const seeded = 230;
const newest = new Date();
newest.setHours(12, 0, 0, 0);
newest.setDate(newest.getDate() - 2); // two days ago at noon; one seed every 10 minutes before
const dayBefore = new Date(newest);
dayBefore.setDate(newest.getDate() - 1);

function day(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

test.beforeAll(() => {
  const home = process.env.OUTBOX_E2E_HOME;
  if (!home) throw new Error('OUTBOX_E2E_HOME is not set: run through playwright.config.ts');
  // The pinned Node (node:sqlite), as every Outbox process writes the log.
  execFileSync(
    join(root, 'node_modules/.bin/node'),
    [
      '--import',
      'tsx',
      join(root, 'test/support/seed-delivery-log.ts'),
      home,
      String(seeded),
      'archive',
      newest.toISOString(),
    ],
    { cwd: root, stdio: 'inherit' },
  );
});

test('History: dropped files in the delivery log; search, dates, paging, CSV and JSON', async ({
  page,
}) => {
  await openOutbox(page);
  await dropFiles(page, tile(page, 'Temporary link'), [
    { name: 'minutes-2024.txt', data: Buffer.from('minutes') },
  ]);
  const job = page.getByRole('article', { name: 'minutes-2024.txt → Temporary link' });
  await expect(job.getByTestId('job-status')).toHaveText('Done');

  await page.getByRole('tab', { name: /History/ }).click();
  await expect(page.getByRole('button', { name: 'Delivered files' })).toHaveAttribute(
    'aria-pressed',
    'true',
  );
  const table = page.getByRole('table', { name: 'Delivery log' });
  const firstRow = table.getByRole('row').nth(1);
  await expect(firstRow).toContainText('minutes-2024.txt');
  await expect(firstRow).toContainText('export/url');
  // A temporary link stores nothing to check: said so, not shown as a failed check.
  await expect(firstRow).toContainText('link, not stored');

  // One destination: 230 entries, pages of 100 newest first.
  await page.getByLabel('Filter by destination').fill('archive');
  await expect(firstRow).toContainText('seed-0000.bin');
  await expect(firstRow).toContainText('archive · MD5 checked');
  await expect(table.getByRole('row')).toHaveCount(101);
  await screenshot(page, '20-history-delivery-log');
  const older = page.getByRole('button', { name: 'Older', exact: true });
  await older.click();
  await expect(firstRow).toContainText('seed-0100.bin');
  await older.click();
  await expect(firstRow).toContainText('seed-0200.bin');
  await expect(table.getByRole('row')).toHaveCount(31);
  await expect(older).toBeDisabled();
  await page.getByRole('button', { name: 'Newer', exact: true }).click();
  await expect(firstRow).toContainText('seed-0100.bin');

  // Search by name; then a date range: the whole day before the newest seeds' day
  // (seeds 73 to 216: that day's 144 ten-minute steps), in two pages.
  await page.getByLabel('Search by file name').fill('SEED-004');
  await expect(table.getByRole('row')).toHaveCount(11);
  await page.getByLabel('Search by file name').fill('');
  await page.getByLabel('Delivered from').fill(day(dayBefore));
  await page.getByLabel('Delivered until').fill(day(dayBefore));
  await expect(firstRow).toContainText('seed-0073.bin');
  await expect(table.getByRole('row')).toHaveCount(101);
  await older.click();
  await expect(table.getByRole('row')).toHaveCount(45);
  await expect(table.getByRole('row').last()).toContainText('seed-0216.bin');
  await screenshot(page, '21-history-filtered');

  // Export what the filters select, every page of it.
  await page.getByLabel('Delivered from').fill('');
  await page.getByLabel('Delivered until').fill('');
  const [csvDownload] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: 'Export CSV' }).click(),
  ]);
  const csv = readFileSync((await csvDownload.path()) as string, 'utf8').split('\r\n');
  expect(csv[0]).toBe(
    'delivered_at,filename,size,destination,operation,location,verified_by,checksum,source_path,job_id,task,id',
  );
  expect(csv).toHaveLength(seeded + 2); // header, entries, '' after the last CRLF
  expect(csv[1]).toContain(',seed-0000.bin,1000,archive,export/s3,');
  const [jsonDownload] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: 'Export JSON' }).click(),
  ]);
  const entries = JSON.parse(readFileSync((await jsonDownload.path()) as string, 'utf8')) as {
    filename: string;
  }[];
  expect(entries).toHaveLength(seeded);
  expect(entries.at(-1)?.filename).toBe('seed-0229.bin');
});
