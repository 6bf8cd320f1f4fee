import { randomBytes } from 'node:crypto';
import { expect, test, type BrowserContext, type Page } from '@playwright/test';
import { startPutServer, type PutServer } from '../support/put-server';
import { checkScreen, dropFiles, openOutbox, tile } from './fixtures/ui';

/**
 * Web Notifications in the browser host. Headless Chromium shows no
 * notification on screen, so an init script wraps the page's real
 * `Notification` (permission granted to the context by Playwright) and
 * records each `new Notification(...)`; a click is that notification's own
 * click event, dispatched on it. Headless Chromium also answers "denied"
 * to a page that never asked (a desktop browser says "default", then shows
 * its prompt): for the first test the wrapper says "default" until the page
 * calls requestPermission, which the real one answers.
 */
test.describe.configure({ mode: 'serial' });

const suffix = randomBytes(3).toString('hex');

type Recorded = { title: string; body?: string; tag?: string };

async function recordingContext(context: BrowserContext, notAskedYet = false): Promise<void> {
  await context.addInitScript((unasked) => {
    const shown: { title: string; body?: string; tag?: string; notification: Notification }[] = [];
    const Real = window.Notification;
    class Recording extends Real {
      constructor(title: string, options?: NotificationOptions) {
        super(title, options);
        shown.push({ title, body: options?.body, tag: options?.tag, notification: this });
      }
      static override get permission(): NotificationPermission {
        return asked || !unasked ? Real.permission : 'default';
      }
      static override requestPermission(): Promise<NotificationPermission> {
        asked = true;
        return Real.requestPermission();
      }
    }
    let asked = false;
    Object.assign(window, { Notification: Recording, shownNotifications: shown });
  }, notAskedYet);
}

function shown(page: Page): Promise<Recorded[]> {
  return page.evaluate(() =>
    (
      window as unknown as { shownNotifications: (Recorded & { notification: unknown })[] }
    ).shownNotifications.map(({ title, body, tag }) => ({ title, body, tag })),
  );
}

function clickNotification(page: Page, index: number): Promise<void> {
  return page.evaluate((i) => {
    const list = (window as unknown as { shownNotifications: { notification: Notification }[] })
      .shownNotifications;
    list[i]?.notification.dispatchEvent(new Event('click'));
  }, index);
}

test('nothing is asked until the person clicks "Notify me"', async ({ browser }) => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await recordingContext(context, true);
  await openOutbox(page);
  expect(await page.evaluate(() => Notification.permission)).toBe('default');
  const notify = page.getByRole('button', { name: 'Notify me' });
  await expect(notify).toBeVisible();
  await checkScreen(page, '30-notify-me');

  // The person allows it in the browser's prompt (granted here by Playwright).
  await context.grantPermissions(['notifications']);
  await notify.click();
  await expect(
    page.getByText('Outbox will notify you when transfers finish or fail.'),
  ).toBeVisible();
  await expect(notify).toHaveCount(0);
  await context.close();
});

test.describe('with notifications allowed', () => {
  let refusing: PutServer;
  test.use({ permissions: ['notifications', 'clipboard-read', 'clipboard-write'] });
  test.beforeAll(async () => {
    refusing = await startPutServer({ failFirst: { count: 1000, status: 403 } });
  });
  test.afterAll(async () => refusing.close());

  test('a finished job notifies; a click opens the job', async ({ page, context }) => {
    await recordingContext(context);
    await openOutbox(page);
    await expect(page.getByRole('button', { name: 'Notify me' })).toHaveCount(0);
    await dropFiles(page, tile(page, 'Temporary link'), [
      { name: `notified-${suffix}.txt`, data: Buffer.from('ding\n') },
    ]);
    const job = page.getByRole('article', { name: `notified-${suffix}.txt → Temporary link` });
    await expect(job.getByTestId('job-status')).toHaveText('Done');
    await expect.poll(() => shown(page)).toHaveLength(1);
    const [notice] = await shown(page);
    expect(notice).toMatchObject({
      title: 'Export finished',
      body: '1 file ready: the links are in Outbox.',
    });

    // Elsewhere in the app, the click brings the job back and focuses it.
    await page.getByRole('tab', { name: 'History' }).click();
    await expect(job).toHaveCount(0);
    await clickNotification(page, 0);
    await expect(page.getByRole('tab', { name: /Transfers/ })).toHaveAttribute(
      'aria-selected',
      'true',
    );
    await expect(job).toBeFocused();
    await checkScreen(page, '31-notification-opened-job');
  });

  test('a failed job notifies with the reason', async ({ page, context }) => {
    await recordingContext(context);
    await openOutbox(page);
    await page.getByRole('button', { name: 'New destination' }).click();
    const editor = page.getByRole('dialog', { name: 'New destination' });
    await editor.getByLabel('Destination type').selectOption('export/upload');
    await editor.getByLabel('Name', { exact: true }).fill(`Refusing ${suffix}`);
    await editor.getByLabel('URL', { exact: true }).fill(`${refusing.url}/in/x.bin`);
    await editor.getByRole('button', { name: 'Save' }).click();
    await expect(editor).toHaveCount(0);

    await dropFiles(page, tile(page, `Refusing ${suffix}`), [
      { name: 'refused.txt', data: Buffer.from('no entry\n') },
    ]);
    const job = page.getByRole('article', { name: `refused.txt → Refusing ${suffix}` });
    await expect(job.getByTestId('job-status')).toHaveText('Failed');
    await expect.poll(() => shown(page)).toHaveLength(1);
    const [notice] = await shown(page);
    expect(notice?.title).toBe('Export failed');
    expect(notice?.body).toContain('/in/x.bin');
    await clickNotification(page, 0);
    await expect(job).toBeFocused();
  });
});
