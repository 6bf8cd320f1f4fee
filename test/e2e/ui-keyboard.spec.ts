import { expect, test, type Page } from '@playwright/test';
import { checkScreen, openOutbox } from './fixtures/ui';

/**
 * The app without a mouse: every control is reached with Tab in reading
 * order and worked with Enter or Space; Escape closes a dialog and focus
 * returns to the control that opened it; files are chosen and sent to a
 * destination with the keyboard alone. (Runs after outbox.spec.ts, on the
 * same `outbox serve`.)
 */
test.describe.configure({ mode: 'serial' });

/** The accessible name (or text) of the focused element. */
function focusedName(page: Page): Promise<string> {
  return page.evaluate(() => {
    const el = document.activeElement as HTMLElement | null;
    if (!el || el === document.body) return '';
    return (el.getAttribute('aria-label') ?? el.textContent ?? '').trim();
  });
}

/** Presses Tab until the focused element's name matches, at most `limit` times. */
async function tabTo(page: Page, name: string | RegExp, limit = 40): Promise<string[]> {
  const seen: string[] = [];
  for (let i = 0; i < limit; i++) {
    await page.keyboard.press('Tab');
    const current = await focusedName(page);
    seen.push(current);
    if (typeof name === 'string' ? current === name : name.test(current)) return seen;
  }
  throw new Error(`Tab never reached "${String(name)}"; it went through: ${seen.join(' | ')}`);
}

/** Presses `key` on the focused file picker button and chooses these text files in its dialog. */
async function pickFilesWith(
  page: Page,
  key: string,
  files: Record<string, string>,
): Promise<void> {
  const chooser = page.waitForEvent('filechooser');
  await page.keyboard.press(key);
  await (
    await chooser
  ).setFiles(
    Object.entries(files).map(([name, text]) => ({
      name,
      mimeType: 'text/plain',
      buffer: Buffer.from(text),
    })),
  );
}

test('Tab goes through the window in reading order', async ({ page }) => {
  await openOutbox(page);
  const order = await tabTo(page, 'Transfers');
  const at = (name: string) => order.findIndex((n) => n.includes(name));
  const expected = [
    'Choose folder…',
    'Choose files…',
    'New destination',
    'Choose files for Temporary link',
    'Add a destination',
    'Transfers',
  ];
  const positions = expected.map(at);
  expect(
    positions.every((p) => p >= 0),
    `tab order: ${order.join(' | ')}`,
  ).toBe(true);
  expect([...positions].sort((a, b) => a - b)).toEqual(positions);
  // Every stop shows where focus is (a visible focus ring).
  const outline = await page.evaluate(() => {
    const style = getComputedStyle(document.activeElement as Element);
    return style.outlineStyle !== 'none' || style.boxShadow !== 'none';
  });
  expect(outline).toBe(true);
});

test('Arrow keys switch the activity tabs; Enter and Space press buttons', async ({ page }) => {
  await openOutbox(page);
  await tabTo(page, 'Transfers');
  await page.keyboard.press('ArrowRight');
  await expect(page.getByRole('tab', { name: /Links/ })).toHaveAttribute('aria-selected', 'true');
  await expect(page.getByRole('tab', { name: /Links/ })).toBeFocused();
  await page.keyboard.press('ArrowRight');
  await expect(page.getByRole('tab', { name: 'History' })).toBeFocused();
  await checkScreen(page, '20-history-by-keyboard');
  await page.keyboard.press('ArrowLeft');
  await page.keyboard.press('ArrowLeft');
  await expect(page.getByRole('tab', { name: /Transfers/ })).toHaveAttribute(
    'aria-selected',
    'true',
  );
});

test('Escape closes the destination editor and focus returns to its button', async ({ page }) => {
  await openOutbox(page);
  await tabTo(page, 'New destination');
  await page.keyboard.press('Enter');
  const editor = page.getByRole('dialog', { name: 'New destination' });
  await expect(editor).toBeVisible();
  // Focus moved into the dialog, and Tab stays inside it.
  await expect.poll(() => editor.evaluate((d) => d.contains(document.activeElement))).toBe(true);
  for (let i = 0; i < 12; i++) await page.keyboard.press('Tab');
  expect(await editor.evaluate((d) => d.contains(document.activeElement))).toBe(true);
  await checkScreen(page, '21-editor-by-keyboard');
  await page.keyboard.press('Escape');
  await expect(editor).toHaveCount(0);
  await expect(page.getByRole('button', { name: 'New destination' })).toBeFocused();
});

test('choose files and a destination with the keyboard alone: they are sent', async ({ page }) => {
  await openOutbox(page);
  await tabTo(page, 'Choose files…');
  await pickFilesWith(page, 'Space', {
    'typed.txt': 'sent without a mouse\n',
    'keys.txt': 'tab, tab, enter\n',
  });
  const sendTo = page.getByRole('dialog', { name: 'Send to…' });
  await expect(sendTo).toBeVisible();
  await checkScreen(page, '22-send-to-by-keyboard');

  // Escape first: nothing is sent, focus is back on the button.
  await page.keyboard.press('Escape');
  await expect(sendTo).toHaveCount(0);
  await expect(page.getByRole('button', { name: 'Choose files…' })).toBeFocused();

  await pickFilesWith(page, 'Enter', { 'typed.txt': 'sent without a mouse\n' });
  await expect(sendTo).toBeVisible();
  await tabTo(page, /^Temporary link/);
  await page.keyboard.press('Enter');
  await expect(sendTo).toHaveCount(0);
  const job = page.getByRole('article', { name: 'typed.txt → Temporary link' });
  await expect(job.getByTestId('job-status')).toHaveText('Done');
  const url = await job.getByLabel('Link URL for typed.txt').inputValue();
  expect(await (await fetch(url)).text()).toBe('sent without a mouse\n');

  // The job's controls are reachable too: Tab gets to its copy button.
  await tabTo(page, 'Copy link for typed.txt', 80);
  await page.keyboard.press('Enter');
  await expect(job.getByRole('button', { name: 'Copy link for typed.txt' })).toContainText(
    'Copied',
  );
  await checkScreen(page, '23-sent-by-keyboard');
});

test('a destination tile has its own keyboard file picker', async ({ page }) => {
  await openOutbox(page);
  await tabTo(page, 'Choose files for Temporary link');
  await pickFilesWith(page, 'Enter', { 'tile.txt': 'from a tile\n' });
  const job = page.getByRole('article', { name: 'tile.txt → Temporary link' });
  await expect(job.getByTestId('job-status')).toHaveText('Done');
});
