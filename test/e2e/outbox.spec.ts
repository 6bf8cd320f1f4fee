import { randomBytes } from 'node:crypto';
import { BlobServiceClient, StorageSharedKeyCredential } from '@azure/storage-blob';
import { expect, test } from '@playwright/test';
import { startPutServer, type PutServer } from '../support/put-server';
import { AZURITE } from './fixtures/env';
import {
  bytesOf,
  dropFiles,
  newAzureProfile,
  openOutbox,
  checkScreen,
  screenshot,
  tile,
  type DropFile,
} from './fixtures/ui';

/**
 * The UI end to end: Debian's Chromium drives the real UI served by
 * `outbox serve`, which exports to azurite (a real Azure Blob server) and
 * serves real temporary links. The scenarios run in order on one data directory.
 */
test.describe.configure({ mode: 'serial' });

const suffix = randomBytes(3).toString('hex');
const container = `e2e-ui-${suffix}`;
const profileName = `Azurite ${suffix}`;
const azure = new BlobServiceClient(
  AZURITE.endpoint,
  new StorageSharedKeyCredential(AZURITE.account, AZURITE.key),
);

test.beforeAll(async () => {
  await azure.getContainerClient(container).create();
});

test.afterAll(async () => {
  await azure.getContainerClient(container).deleteIfExists();
});

test('the first screen says what to do', async ({ page }) => {
  await openOutbox(page);
  await expect(page.getByText('Nothing is moving')).toBeVisible();
  await expect(page.getByRole('button', { name: /Add a destination/ })).toBeVisible();
  await checkScreen(page, '01-empty');
});

test('the editor validates fields as you type', async ({ page }) => {
  await openOutbox(page);
  await page.getByRole('button', { name: 'New destination' }).click();
  const editor = page.getByRole('dialog', { name: 'New destination' });
  await editor.getByLabel('Destination type').selectOption('export/azure/blob');
  const account = editor.getByLabel('Storage account', { exact: true });
  await account.fill('Not_Valid!');
  await expect(editor.getByText('must be 3–24 lowercase letters and digits')).toBeVisible();
  await expect(account).toHaveAttribute('aria-invalid', 'true');
  await account.fill('devstoreaccount1');
  await expect(editor.getByText('must be 3–24 lowercase letters and digits')).toHaveCount(0);

  // Saving with required fields missing names each of them; nothing is saved.
  await editor.getByLabel('Endpoint', { exact: true }).fill('not a url');
  await editor.getByRole('button', { name: 'Save' }).click();
  await expect(editor.getByText('give the destination a name')).toBeVisible();
  await expect(
    editor.getByText('must be an http:// or https:// URL with a host', { exact: false }),
  ).toBeVisible();
  await expect(editor.locator('[data-field="container"] .field-error')).toHaveText('required');
  await checkScreen(page, '02-editor-validation');
  await editor.getByRole('button', { name: 'Cancel' }).click();
  await expect(editor).toHaveCount(0);
  await expect(tile(page, 'Azurite')).toHaveCount(0);
});

test('create a destination, test its connection, see its task JSON', async ({ page }) => {
  await openOutbox(page);
  const editor = await newAzureProfile(page, profileName, container);
  await editor.getByRole('button', { name: 'Test connection' }).click();
  await expect(editor.getByText(/Connection works/)).toBeVisible();

  // The CloudConvert task JSON has the parameters but never the key.
  await editor.getByText('CloudConvert task JSON').click();
  const json = editor.getByLabel('Task JSON', { exact: true });
  await expect(json).toContainText('"operation": "export/azure/blob"');
  await expect(json).toContainText(`"container": "${container}"`);
  await expect(json).not.toContainText(AZURITE.key);
  await checkScreen(page, '03-editor-test-ok');

  await editor.getByRole('button', { name: 'Save' }).click();
  await expect(editor).toHaveCount(0);
  await expect(tile(page, profileName)).toBeVisible();
  await expect(tile(page, profileName)).toContainText(container);

  // Reopened, the key is write-only: "Set", with Replace, never its value.
  await page.getByRole('button', { name: `Edit ${profileName}` }).click();
  const again = page.getByRole('dialog', { name: `Edit ${profileName}` });
  await expect(again.getByRole('button', { name: 'Replace Storage access key' })).toBeVisible();
  expect(await again.innerHTML()).not.toContain(AZURITE.key);
  await again.getByRole('button', { name: 'Cancel' }).click();
});

test('drop several files on a destination: progress to the end, then where they went', async ({
  page,
}) => {
  await openOutbox(page);
  const files: DropFile[] = [
    { name: 'report.pdf', size: 6 * 1024 * 1024 + 7, seed: 11 },
    { name: 'notes.txt', data: Buffer.from('Outbox end-to-end notes\n') },
    { name: 'photo.jpg', size: 900_000, seed: 12 },
  ];
  await dropFiles(page, tile(page, profileName), files);

  const job = page.getByRole('article', { name: `report.pdf and 2 more → ${profileName}` });
  await expect(job).toBeVisible();
  await expect(job.getByTestId('job-status')).toHaveText('Done', { timeout: 60_000 });
  await expect(
    job.getByRole('progressbar', { name: `Progress to ${profileName}` }),
  ).toHaveAttribute('aria-valuenow', '100');
  await expect(job.getByText('Sent 3 files')).toBeVisible();
  const delivered = job.getByRole('group', { name: 'Delivered to' });
  for (const file of files) await expect(delivered).toContainText(file.name);
  await checkScreen(page, '04-transfer-done');
  await page.emulateMedia({ colorScheme: 'dark' });
  await checkScreen(page, '04-transfer-done-dark');
  await page.emulateMedia({ colorScheme: 'light' });

  // Read back with the Azure SDK: the same bytes arrived.
  for (const file of files) {
    const blob = azure.getContainerClient(container).getBlobClient(file.name);
    expect((await blob.downloadToBuffer()).equals(bytesOf(file))).toBe(true);
  }

  await job.getByRole('button', { name: /Show 3 files/ }).click();
  await expect(job.getByRole('region', { name: /Files of/ }).getByRole('listitem')).toHaveCount(3);
});

test('"Create share link" after an export to Azure: the link downloads the bytes, QR code, time left', async ({
  page,
}) => {
  await openOutbox(page);
  const file: DropFile = { name: 'to share.bin', size: 250_000, seed: 21 };
  await dropFiles(page, tile(page, profileName), [file]);
  const job = page.getByRole('article', { name: `to share.bin → ${profileName}` });
  await expect(job.getByTestId('job-status')).toHaveText('Done', { timeout: 60_000 });
  // Nothing is shared until asked.
  await expect(job.getByLabel('Link URL for to share.bin')).toHaveCount(0);

  const share = job.getByRole('form', { name: 'Share this file' });
  await share.getByLabel('Link works for').selectOption({ label: '1 hour' });
  await share.getByRole('button', { name: 'Create share link' }).click();
  const link = job.getByRole('group', { name: 'Share link for to share.bin' });
  await expect(link).toContainText(/59 min left|1 h left/);
  await expect(link).toContainText('It cannot be revoked before then.');
  // The location stays the blob, not the signed URL.
  await expect(job.getByRole('group', { name: 'Delivered to' })).toContainText(
    `${container}/to share.bin`,
  );
  // The badge says how the stored file was checked (the result's verified_by).
  await expect(
    job.getByRole('group', { name: 'Delivered to' }).getByText('verified', { exact: true }),
  ).toHaveAttribute('title', 'The MD5 of the stored file matches the bytes sent');

  const url = await link.getByLabel('Link URL for to share.bin').inputValue();
  expect(url.startsWith(`${AZURITE.endpoint}/${container}/to%20share.bin?`)).toBe(true);
  expect(new URL(url).searchParams.get('sp')).toBe('r');
  // Downloaded by this test, without any credential.
  const response = await fetch(url);
  expect(response.status).toBe(200);
  expect(Buffer.from(await response.arrayBuffer()).equals(bytesOf(file))).toBe(true);

  await link.getByRole('button', { name: 'Copy link for to share.bin' }).click();
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(url);
  await link.getByRole('button', { name: 'Show QR code for to share.bin' }).click();
  await expect(
    link.getByRole('img', { name: 'QR code for the link to to share.bin' }),
  ).toBeVisible();
  await checkScreen(page, '05-share-link');
});

test('drop on "Temporary link": copy the link, download it, same bytes', async ({ page }) => {
  await openOutbox(page);
  const file: DropFile = { name: 'handout.bin', size: 300_000, seed: 99 };
  await dropFiles(page, tile(page, 'Temporary link'), [file]);
  const job = page.getByRole('article', { name: 'handout.bin → Temporary link' });
  await expect(job.getByTestId('job-status')).toHaveText('Done');

  const url = await job.getByLabel('Link URL for handout.bin').inputValue();
  expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\//);
  await job.getByRole('button', { name: 'Copy link for handout.bin' }).click();
  await expect(job.getByRole('button', { name: 'Copy link for handout.bin' })).toContainText(
    'Copied',
  );
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(url);

  const response = await fetch(url);
  expect(response.status).toBe(200);
  expect(Buffer.from(await response.arrayBuffer()).equals(bytesOf(file))).toBe(true);

  await job.getByRole('button', { name: 'Show QR code for handout.bin' }).click();
  await expect(job.getByRole('img', { name: /QR code/ })).toBeVisible();
  await checkScreen(page, '05-temporary-link');

  // The Links tab counts the download and can revoke the link.
  await page.getByRole('tab', { name: /Links/ }).click();
  const row = page.getByRole('group', { name: 'Link for handout.bin' });
  await expect(row).toContainText('1 download');
  await expect(row).toContainText(/left/);
  await checkScreen(page, '06-links');
  await row.getByRole('button', { name: 'Revoke link for handout.bin' }).click();
  await row.getByRole('button', { name: 'Revoke now' }).click();
  await expect(row).toContainText('revoked');
  expect((await fetch(url)).status).toBeGreaterThanOrEqual(400);
});

test('"Share on network": LAN sharing on, network URL and QR code, then off', async ({ page }) => {
  await openOutbox(page);
  const file: DropFile = { name: 'for-phone.bin', size: 40_000, seed: 7 };
  await dropFiles(page, tile(page, 'Temporary link'), [file]);
  const job = page.getByRole('article', { name: 'for-phone.bin → Temporary link' });
  await expect(job.getByTestId('job-status')).toHaveText('Done');

  await page.getByRole('tab', { name: /Links/ }).click();
  await expect(page.getByRole('switch', { name: 'LAN sharing' })).toHaveAttribute(
    'aria-checked',
    'false',
  );
  const row = page.getByRole('group', { name: 'Link for for-phone.bin' });
  await row.getByRole('button', { name: 'Share on network' }).click();
  // Off by default: the button explains the setting before anything is exposed.
  await expect(row.getByRole('note')).toContainText('LAN sharing is off');
  await row.getByRole('button', { name: 'Turn on LAN sharing and share' }).click();

  await expect(page.getByRole('status', { name: 'LAN sharing status' })).toBeVisible();
  const lanUrl = await row.getByLabel('Network URL for for-phone.bin').inputValue();
  const lanAddress = process.env.OUTBOX_E2E_LAN_ADDRESS ?? 'unset';
  expect(lanUrl).toMatch(
    new RegExp(`^http://${lanAddress.replace(/\./g, '\\.')}:\\d+/d/[\\w-]+/[\\w-]+/$`),
  );
  await expect(row.getByRole('img', { name: /QR code for the network link/ })).toBeVisible();
  await checkScreen(page, '07-share-on-network');

  // The download page on the LAN address; the app itself is not there.
  const pageResponse = await fetch(lanUrl);
  expect(pageResponse.status).toBe(200);
  expect(await pageResponse.text()).toContain('for-phone.bin');
  const lanOrigin = new URL(lanUrl).origin;
  expect((await fetch(`${lanOrigin}/healthz`)).status).toBe(404);
  const file2 = await fetch(`${lanUrl}for-phone.bin`);
  expect(Buffer.from(await file2.arrayBuffer()).equals(bytesOf(file))).toBe(true);

  await page
    .getByRole('status', { name: 'LAN sharing status' })
    .getByRole('button', { name: 'Turn off' })
    .click();
  await expect(page.getByRole('switch', { name: 'LAN sharing' })).toHaveAttribute(
    'aria-checked',
    'false',
  );
  await expect(fetch(lanUrl)).rejects.toThrow();
});

test('a failing destination says what is wrong', async ({ page }) => {
  await openOutbox(page);
  const missing = `missing-${suffix}`;
  const editor = await newAzureProfile(page, `Broken ${suffix}`, missing);
  await editor.getByRole('button', { name: 'Test connection' }).click();
  const failure = editor.getByRole('alert').filter({ hasText: 'Connection failed' });
  await expect(failure).toContainText(missing);
  await expect(failure).toContainText('does not exist');
  await checkScreen(page, '07-test-failed');
  await editor.getByRole('button', { name: 'Save' }).click();
  await expect(editor).toHaveCount(0);

  await dropFiles(page, tile(page, `Broken ${suffix}`), [
    { name: 'lost.txt', data: Buffer.from('nowhere to go') },
  ]);
  const job = page.getByRole('article', { name: `lost.txt → Broken ${suffix}` });
  await expect(job.getByTestId('job-status')).toHaveText('Failed');
  const error = job.getByRole('alert');
  await expect(error).toContainText(`container "${missing}" does not exist`);
  await error.getByText('Details').click();
  await expect(error.getByText('NOT_FOUND')).toBeVisible();
  await expect(job.getByRole('button', { name: 'Retry' })).toBeVisible();
  await checkScreen(page, '08-job-failed');
});

test.describe('a slow destination', () => {
  let slow: PutServer;
  test.beforeAll(async () => {
    // An HTTP PUT receiver that reads 1 MB/s, so there is time to watch, check and cancel.
    slow = await startPutServer({ bytesPerSecond: 1_000_000 });
  });
  test.afterAll(async () => slow.close());

  test('shows speed and time left, and cancels', async ({ page }) => {
    await openOutbox(page);
    await page.getByRole('button', { name: 'New destination' }).click();
    const editor = page.getByRole('dialog', { name: 'New destination' });
    await editor.getByLabel('Destination type').selectOption('export/upload');
    await editor.getByLabel('Name', { exact: true }).fill('Slow PUT');
    await editor.getByLabel('URL', { exact: true }).fill(`${slow.url}/big.bin`);
    await editor.getByRole('button', { name: 'Save' }).click();
    await expect(editor).toHaveCount(0);

    await dropFiles(page, tile(page, 'Slow PUT'), [{ name: 'big.bin', size: 40_000_000, seed: 5 }]);
    const job = page.getByRole('article', { name: 'big.bin → Slow PUT' });
    await expect(job.getByTestId('job-status')).toHaveText('Sending');
    await expect(job.getByText(/MB\/s/)).toBeVisible();
    await expect(job.getByText(/left/)).toBeVisible();
    await expect(tile(page, 'Slow PUT')).toContainText('Sending…');
    // Screenshot only: an axe run here can outlast the transfer on a busy machine;
    // the same job card is checked by axe once cancelled, below.
    await screenshot(page, '09-transfer-running');

    await job.getByRole('button', { name: 'Cancel' }).click();
    await expect(job.getByTestId('job-status')).toHaveText('Cancelled');
    await expect(job.getByRole('region', { name: 'To Slow PUT' })).toContainText('Cancelled');
    expect(slow.received.has('/big.bin')).toBe(false);
    await checkScreen(page, '09-transfer-cancelled');

    await page.getByRole('tab', { name: 'History' }).click();
    await page.getByRole('button', { name: 'Jobs (24 h)' }).click();
    await expect(page.getByRole('button', { name: /big\.bin → Slow PUT/ })).toContainText(
      'Cancelled',
    );
    await checkScreen(page, '10-history');
  });
});
