import { randomBytes } from 'node:crypto';
import { BlobServiceClient, StorageSharedKeyCredential } from '@azure/storage-blob';
import { expect, test, type Page } from '@playwright/test';
import { AZURITE } from './fixtures/env';
import {
  checkScreen,
  dropFiles,
  newAzureProfile,
  openOutbox,
  patternBytes,
  tile,
  type DropFile,
} from './fixtures/ui';

/**
 * Pause, Resume and the queue in the app, against azurite: a transfer slowed
 * by a per-destination speed limit (set in the Speed limits dialog) is paused
 * once a block is staged, keeps that uncommitted block on the server, and
 * after Resume is stored whole and verified. With max_running_jobs 1 the next
 * jobs show "Queued #N", one is moved to the front, one cancelled while it
 * waits; Pause all and Resume all act on the rest. Serial, and the queue
 * limit is put back to 2 at the end: the other specs share this Outbox.
 */
test.describe.configure({ mode: 'serial' });

const suffix = randomBytes(3).toString('hex');
const profile = `Paced ${suffix}`;
// Long, so the delivered location is cut on the card: the file name must stay readable.
const container = `e2e-pause-${suffix}-a-container-with-a-rather-long-name`;
const MiB = 1024 * 1024;
const azure = new BlobServiceClient(
  AZURITE.endpoint,
  new StorageSharedKeyCredential(AZURITE.account, AZURITE.key),
);
const blob = (name: string) => azure.getContainerClient(container).getBlockBlobClient(name);

/** A method of the browser host's API, called from the page with its session (no UI sets max_running_jobs). */
async function api(page: Page, method: string, ...args: unknown[]): Promise<unknown> {
  return page.evaluate(
    async ([name, list]) => {
      const response = await fetch(`/api/${name}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(list),
      });
      const body = (await response.json()) as { ok: boolean; value?: unknown; error?: unknown };
      if (!body.ok) throw new Error(`${name}: ${JSON.stringify(body.error)}`);
      return body.value;
    },
    [method, args] as const,
  );
}

async function expectStored(file: DropFile & { size: number; seed: number }): Promise<void> {
  const stored = await blob(file.name).downloadToBuffer();
  expect(stored.equals(patternBytes(file.size, file.seed)), `${file.name} stored whole`).toBe(true);
}

const card = (page: Page, name: string) =>
  page.getByRole('article', { name: `${name} → ${profile}` });

test.beforeAll(async () => {
  await azure.getContainerClient(container).create();
});
test.afterAll(async ({ browser }) => {
  const page = await browser.newPage();
  await openOutbox(page);
  await api(page, 'setMaxRunningJobs', 2);
  await api(page, 'deleteProfile', profile);
  await page.close();
  await azure.getContainerClient(container).deleteIfExists();
});

test('Pause keeps the staged blocks; Resume finishes the upload, verified', async ({ page }) => {
  await openOutbox(page);
  const editor = await newAzureProfile(page, profile, container);
  // Blocks of 5 MiB, one at a time: one is staged long before the file is sent.
  await editor.getByText(/^More options/).click();
  await editor.getByLabel('Part size', { exact: true }).fill(String(5 * MiB));
  await editor.getByLabel('Concurrency', { exact: true }).fill('1');
  await editor.getByRole('button', { name: 'Save' }).click();
  await expect(editor).toHaveCount(0);

  await page.getByRole('button', { name: 'Speed limit' }).click();
  const limits = page.getByRole('dialog', { name: 'Speed limits' });
  const row = limits.getByLabel(profile, { exact: true });
  await row.fill('2M');
  await row.press('Enter');
  await expect(limits.getByText('2.10 MB/s now')).toBeVisible();
  await checkScreen(page, '50-pause-speed-limit-per-destination');
  await page.keyboard.press('Escape');
  await expect(limits).toBeHidden();

  const file = { name: 'paused.bin', size: 16 * MiB, seed: 50 };
  await dropFiles(page, tile(page, profile), [file]);
  const job = card(page, file.name);
  await expect(job.getByTestId('job-status')).toHaveText('Sending');
  // Azure answers 404 until the first block is staged.
  const staged = () =>
    blob(file.name)
      .getBlockList('all')
      .then((list) => list.uncommittedBlocks?.length ?? 0)
      .catch(() => 0);
  await expect.poll(staged).toBeGreaterThan(0);

  await job.getByRole('button', { name: 'Pause' }).click();
  await expect(job.getByTestId('job-status')).toHaveText('Paused');
  await expect(job.getByRole('button', { name: 'Resume' })).toBeVisible();
  await expect(job.getByRole('button', { name: 'Pause' })).toHaveCount(0);
  await expect(job.getByRole('region', { name: `To ${profile}` })).toContainText(/Paused/);
  const kept = await blob(file.name).getBlockList('all');
  expect(kept.committedBlocks ?? [], 'nothing committed while paused').toHaveLength(0);
  expect(kept.uncommittedBlocks?.length ?? 0, 'staged blocks kept').toBeGreaterThan(0);
  await checkScreen(page, '51-pause-paused');

  await job.getByRole('button', { name: 'Resume' }).click();
  await expect(job.getByTestId('job-status')).toHaveText('Done');
  await expect(job.getByText('verified')).toBeVisible();
  await expectStored(file);
  // The location is cut in its folder part: the file name at its end is shown whole.
  const name = job.locator('.location-name');
  await expect(name).toHaveText(file.name);
  expect(await name.evaluate((e) => e.scrollWidth <= e.clientWidth)).toBe(true);
  await checkScreen(page, '52-pause-resumed');
});

test('one job at a time: Queued #N, Move to front, Cancel while queued, Pause all, Resume all', async ({
  page,
}) => {
  await openOutbox(page);
  await api(page, 'setMaxRunningJobs', 1);
  // Slow enough that the first job still runs while the queue is worked (32 s at 512 KiB/s).
  await api(page, 'setBandwidthLimit', '512K', profile);
  const first = { name: 'first.bin', size: 16 * MiB, seed: 51 };
  const second = { name: 'second.bin', size: 64 * 1024, seed: 52 };
  const third = { name: 'third.bin', size: 64 * 1024, seed: 53 };

  await dropFiles(page, tile(page, profile), [first]);
  await expect(card(page, first.name).getByTestId('job-status')).toHaveText('Sending');
  await dropFiles(page, tile(page, profile), [second]);
  await expect(card(page, second.name).getByTestId('job-status')).toHaveText('Queued #1');
  await dropFiles(page, tile(page, profile), [third]);
  await expect(card(page, third.name).getByTestId('job-status')).toHaveText('Queued #2');
  await expect(card(page, third.name).getByRole('region', { name: `To ${profile}` })).toContainText(
    'Waiting in the queue',
  );
  // The first in line has nothing to move past.
  await expect(card(page, second.name).getByRole('button', { name: 'Move to front' })).toHaveCount(
    0,
  );
  await checkScreen(page, '53-pause-queued');

  await card(page, third.name).getByRole('button', { name: 'Move to front' }).click();
  await expect(card(page, third.name).getByTestId('job-status')).toHaveText('Queued #1');
  await expect(card(page, second.name).getByTestId('job-status')).toHaveText('Queued #2');
  // Waiting jobs are listed first, in their queue order.
  const titles = page.getByRole('article');
  await expect(titles.nth(0)).toHaveAccessibleName(`${third.name} → ${profile}`);
  await expect(titles.nth(1)).toHaveAccessibleName(`${second.name} → ${profile}`);

  await card(page, second.name).getByRole('button', { name: 'Cancel' }).click();
  await expect(card(page, second.name).getByTestId('job-status')).toHaveText('Cancelled');
  await expect(card(page, third.name).getByTestId('job-status')).toHaveText('Queued #1');
  expect(await blob(second.name).exists(), 'a job cancelled in the queue sent nothing').toBe(false);

  const all = page.getByRole('group', { name: 'All transfers' });
  await all.getByRole('button', { name: 'Pause all' }).click();
  await expect(card(page, first.name).getByTestId('job-status')).toHaveText('Paused');
  await expect(card(page, third.name).getByTestId('job-status')).toHaveText('Paused');
  await expect(all.getByRole('button', { name: 'Pause all' })).toBeDisabled();
  await checkScreen(page, '54-pause-all-paused');

  await all.getByRole('button', { name: 'Resume all' }).click();
  await api(page, 'setBandwidthLimit', 'off', profile);
  await expect(card(page, first.name).getByTestId('job-status')).toHaveText('Done');
  await expect(card(page, third.name).getByTestId('job-status')).toHaveText('Done');
  await expectStored(first);
  await expectStored(third);
  await expect(all).toHaveCount(0);
  await checkScreen(page, '55-pause-all-resumed');
});
