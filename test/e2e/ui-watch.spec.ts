import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { BlobServiceClient, StorageSharedKeyCredential } from '@azure/storage-blob';
import { expect, test } from '@playwright/test';
import { AZURITE } from './fixtures/env';
import { checkScreen, openOutbox, tile } from './fixtures/ui';

/**
 * "Watch a folder…" on a destination tile, through the browser host: the
 * dialog refuses bad fields (named by the core), a watch is added, a file
 * written into the folder reaches azurite (read back with Azure's own SDK),
 * and the tile shows the watch's state and last delivery; then it is removed.
 */
test.describe.configure({ mode: 'serial' });

const root = resolve(__dirname, '../..');
const suffix = randomBytes(3).toString('hex');
const container = `e2e-watch-${suffix}`;
const profile = `Scans ${suffix}`;
const azure = new BlobServiceClient(
  AZURITE.endpoint,
  new StorageSharedKeyCredential(AZURITE.account, AZURITE.key),
);
let folder: string;

test.beforeAll(async () => {
  const home = process.env.OUTBOX_E2E_HOME;
  if (!home) throw new Error('OUTBOX_E2E_HOME is not set: run through playwright.config.ts');
  await azure.getContainerClient(container).create();
  folder = mkdtempSync(join(tmpdir(), 'outbox-e2e-watch-'));
  const task = join(folder, '..', `${container}.json`);
  writeFileSync(
    task,
    JSON.stringify({
      operation: 'export/azure/blob',
      storage_account: AZURITE.account,
      storage_access_key: AZURITE.key,
      container,
      endpoint: AZURITE.endpoint,
    }),
  );
  // Saved with the CLI on the same data directory (the keychain of this run).
  execFileSync(
    process.execPath,
    [join(root, 'bin/outbox.js'), 'profile', 'add', profile, '--task', task],
    {
      env: { ...process.env, OUTBOX_HOME: home },
      stdio: 'inherit',
    },
  );
  rmSync(task);
});

test.afterAll(async () => {
  await azure.getContainerClient(container).deleteIfExists();
  rmSync(folder, { recursive: true, force: true });
});

test('Watch a folder: the dialog checks the fields, the tile shows the watch at work', async ({
  page,
}) => {
  await openOutbox(page);
  const card = tile(page, profile);
  await card.getByRole('button', { name: `Watch a folder for ${profile}` }).click();
  const dialog = page.getByRole('dialog', { name: `Watch a folder for ${profile}` });
  await dialog.getByLabel('Folder').fill(join(folder, 'missing'));
  await dialog.getByLabel('Only files matching').fill('*.pdf\nscans/[x');
  await dialog.getByLabel('Settle time (seconds)').fill('soon');
  await dialog.getByRole('button', { name: 'Watch', exact: true }).click();
  await expect(dialog.getByText(/missing does not exist/)).toBeVisible();
  await expect(dialog.getByText('"scans/[x" has a [ without ]')).toBeVisible();
  await expect(dialog.getByText(/"soon" is not a number of seconds/)).toBeVisible();
  await checkScreen(page, '30-watch-folder-dialog-errors');

  await dialog.getByLabel('Folder').fill(folder);
  await dialog.getByLabel('Only files matching').fill('');
  await dialog.getByLabel('After delivery').selectOption('move');
  await dialog.getByLabel('Never files matching').fill('*.tmp');
  await dialog.getByLabel('Settle time (seconds)').fill('1');
  await dialog.getByRole('button', { name: 'Watch', exact: true }).click();
  await expect(dialog).toBeHidden();

  const watches = card.getByRole('list', { name: `Folders watched for ${profile}` });
  await expect(watches).toContainText(folder);
  await expect(watches).toContainText('Watching');
  await expect(watches).toContainText('last delivery none yet');

  mkdirSync(join(folder, 'batch'));
  writeFileSync(join(folder, 'batch', 'page-1.txt'), 'page one');
  await expect(watches).toContainText('last delivery just now', { timeout: 30_000 });
  await expect(watches).toContainText('0 files pending');
  const blob = azure.getContainerClient(container).getBlobClient('batch/page-1.txt');
  expect((await blob.downloadToBuffer()).toString()).toBe('page one');
  await checkScreen(page, '31-watch-folder-tile');

  await watches.getByRole('button', { name: `Remove watch ${folder}` }).click();
  await expect(watches).toBeHidden();
});
