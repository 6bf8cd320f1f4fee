import { defineConfig } from '@playwright/test';

/**
 * End-to-end tests of the UI in Debian's Chromium, through the browser host
 * (`outbox serve`), against real storage servers. Electron's binary cannot be
 * downloaded here; the UI and the API are the same.
 *
 *   npx playwright test -c playwright.config.ts
 */
export default defineConfig({
  testDir: 'test/e2e',
  globalSetup: './test/e2e/global-setup.ts',
  outputDir: 'test-results/artifacts',
  // One `outbox serve` and one data directory: the scenarios share them, in order.
  workers: 1,
  fullyParallel: false,
  timeout: 90_000,
  expect: { timeout: 20_000 },
  reporter: [['list']],
  use: {
    browserName: 'chromium',
    viewport: { width: 1280, height: 800 },
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
    permissions: ['clipboard-read', 'clipboard-write'],
    launchOptions: {
      executablePath: '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    },
  },
});
