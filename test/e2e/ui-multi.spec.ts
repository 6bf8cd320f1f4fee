import { randomBytes } from 'node:crypto';
import { BlobServiceClient, StorageSharedKeyCredential } from '@azure/storage-blob';
import { expect, test, type Page } from '@playwright/test';
import { AZURITE } from './fixtures/env';
import { checkScreen, dropFiles, newAzureProfile, openOutbox, tile } from './fixtures/ui';

/**
 * One drop to several destinations: tiles are selected (by keyboard here,
 * the checkbox of each tile), files dropped on one of them go to all of them
 * in one job, whose card has a row per destination with its own progress and
 * result. One destination fails (its container does not exist yet); the
 * others deliver. Once the container exists, Retry sends to that one alone.
 */
test.describe.configure({ mode: 'serial' });

const suffix = randomBytes(3).toString('hex');
const good = `Multi good ${suffix}`;
const late = `Multi late ${suffix}`;
const goodContainer = `e2e-multi-${suffix}`;
const lateContainer = `e2e-multi-late-${suffix}`;
const azure = new BlobServiceClient(
  AZURITE.endpoint,
  new StorageSharedKeyCredential(AZURITE.account, AZURITE.key),
);
const body = Buffer.from('one drop, three places\n');

test.beforeAll(async () => {
  await azure.getContainerClient(goodContainer).create();
});
test.afterAll(async () => {
  await azure.getContainerClient(goodContainer).deleteIfExists();
  await azure.getContainerClient(lateContainer).deleteIfExists();
});

async function saveProfile(page: Page, name: string, container: string): Promise<void> {
  const editor = await newAzureProfile(page, name, container);
  await editor.getByRole('button', { name: 'Save' }).click();
  await expect(editor).toHaveCount(0);
  await expect(tile(page, name)).toBeVisible();
}

test('select three destinations, drop once: one job, a row each; Retry sends only to the one that failed', async ({
  page,
}) => {
  await openOutbox(page);
  await saveProfile(page, good, goodContainer);
  await saveProfile(page, late, lateContainer);

  // Selected with the keyboard: focus each tile's checkbox, Space.
  for (const name of ['Temporary link', good, late]) {
    await page.getByRole('checkbox', { name: `Select ${name}` }).focus();
    await page.keyboard.press('Space');
    await expect(page.getByRole('checkbox', { name: `Select ${name}` })).toBeChecked();
  }
  const bar = page.getByRole('region', { name: 'Selected destinations' });
  await expect(bar).toContainText(`3 selected: Temporary link, ${good}, ${late}`);
  await expect(tile(page, good)).toContainText('Drop files here for all 3 selected');
  await checkScreen(page, '40-multi-selected');

  await dropFiles(page, tile(page, good), [{ name: 'several.txt', data: body }]);
  const job = page.getByRole('article', {
    name: `several.txt → Temporary link, ${good}, ${late}`,
  });
  await expect(job.getByTestId('job-status')).toHaveText('Failed');
  for (const name of ['Temporary link', good, late]) {
    await expect(job.getByRole('progressbar', { name: `Progress to ${name}` })).toBeVisible();
  }
  const linkRow = job.getByRole('region', { name: 'To Temporary link' });
  const goodRow = job.getByRole('region', { name: `To ${good}` });
  const lateRow = job.getByRole('region', { name: `To ${late}` });
  await expect(goodRow.getByText('Sent 1 file')).toBeVisible();
  await expect(goodRow.getByText('verified')).toBeVisible();
  await expect(lateRow.getByRole('alert')).toContainText(`"${lateContainer}" does not exist`);
  const url = await linkRow.getByLabel('Link URL for several.txt').inputValue();
  expect(Buffer.from(await (await fetch(url)).arrayBuffer()).equals(body)).toBe(true);
  const stored = azure.getContainerClient(goodContainer).getBlobClient('several.txt');
  expect((await stored.downloadToBuffer()).equals(body)).toBe(true);
  await checkScreen(page, '41-multi-one-failed');

  // The destination is fixed (its container now exists); Retry, by keyboard.
  await azure.getContainerClient(lateContainer).create();
  const goodBefore = await stored.getProperties();
  await job.getByRole('button', { name: 'Retry' }).focus();
  await page.keyboard.press('Enter');
  await expect(job.getByTestId('job-status')).toHaveText('Done');
  await expect(lateRow.getByText('Sent 1 file')).toBeVisible();
  await expect(lateRow.getByRole('alert')).toHaveCount(0);
  const retried = azure.getContainerClient(lateContainer).getBlobClient('several.txt');
  expect((await retried.downloadToBuffer()).equals(body)).toBe(true);
  // The others were not sent again: the same link, the same stored blob.
  expect(await linkRow.getByLabel('Link URL for several.txt').inputValue()).toBe(url);
  expect((await stored.getProperties()).etag).toBe(goodBefore.etag);
  await expect(
    page.getByRole('article', { name: /^several\.txt → / }),
    'Retry runs in the same job: no second card',
  ).toHaveCount(1);
  await checkScreen(page, '42-multi-retried');

  await bar.getByRole('button', { name: 'Clear selection' }).click();
  await expect(bar).toHaveCount(0);
  await expect(page.getByRole('checkbox', { name: `Select ${good}` })).not.toBeChecked();
});
