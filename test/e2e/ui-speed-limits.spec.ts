import { expect, test } from '@playwright/test';
import { checkScreen, openOutbox } from './fixtures/ui';

/**
 * Speed limits in the app: the global bandwidth limit set, refused with the
 * reason when it does not parse, and removed; the number of jobs at once
 * beside it (the limiter itself is tested against sshd in
 * test/integration/bwlimit.test.ts, the queue in job-queue.test.ts). Serial,
 * and both are as before at the end: the other specs share this Outbox.
 */
test.describe.configure({ mode: 'serial' });

test('a global speed limit is set, a wrong one refused with why, and removed', async ({ page }) => {
  await openOutbox(page);
  await page.getByRole('button', { name: 'Speed limit' }).click();
  const dialog = page.getByRole('dialog', { name: 'Speed limits' });
  await expect(dialog).toBeVisible();
  const global = dialog.getByLabel('All transfers');

  await global.fill('08:00,1M 25:00,off');
  await global.press('Enter');
  await expect(dialog.getByRole('alert')).toContainText('"25:00,off": 25:00 is not a time of day');
  await expect(global).toHaveAttribute('aria-invalid', 'true');
  await checkScreen(page, 'speed-limits-refused');

  await global.fill('10M');
  await dialog.getByRole('button', { name: 'Save' }).first().click();
  await expect(dialog.getByRole('alert')).toHaveCount(0);
  await expect(dialog.getByText('10.5 MB/s now')).toBeVisible();
  await checkScreen(page, 'speed-limits-set');
  await page.keyboard.press('Escape');
  await expect(dialog).toBeHidden();
  const button = page.getByRole('button', { name: 'Limit 10.5 MB/s' });
  await expect(button).toBeFocused();

  await button.click();
  await dialog.getByRole('button', { name: 'Remove' }).first().click();
  await expect(dialog.getByText('no limit').first()).toBeVisible();

  // The queue's size is set here too: refused when it is not 1–16, then 3, then back to 2.
  const jobs = dialog.getByLabel('Jobs at once');
  await jobs.fill('0');
  await jobs.press('Enter');
  await expect(dialog.getByRole('alert')).toBeVisible();
  await expect(jobs).toHaveAttribute('aria-invalid', 'true');
  await jobs.fill('3');
  await jobs.press('Enter');
  await expect(dialog.getByRole('alert')).toHaveCount(0);
  await expect(dialog.getByText('3 now; the others wait in the queue')).toBeVisible();
  await checkScreen(page, 'speed-limits-jobs-at-once');
  await jobs.fill('2');
  await jobs.press('Enter');
  await expect(dialog.getByText('2 now; the others wait in the queue')).toBeVisible();
  await dialog.getByRole('button', { name: 'Done' }).click();
  await expect(page.getByRole('button', { name: 'Speed limit' })).toBeVisible();
});
