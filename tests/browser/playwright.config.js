// Playwright for the citizen pages, in Debian's chromium (no browser download): the
// real dev stack is started once by stack.mjs for the whole run.
import { defineConfig } from '@playwright/test';

export default defineConfig({
  testDir: '.',
  testMatch: /.*\.spec\.js$/,
  globalSetup: './stack.mjs',
  // The long scenarios (a whole application with axe and zoom checks on every page)
  // take about a minute alone; a shared 2-core machine may take several.
  timeout: 300000,
  expect: { timeout: 15000 },
  workers: 2,
  fullyParallel: true,
  retries: 0,
  reporter: [['list']],
  outputDir: '../../build/browser-results',
  use: {
    locale: 'ja-JP',
    timezoneId: 'Asia/Tokyo',
    trace: 'retain-on-failure',
    viewport: { width: 375, height: 812 },
    launchOptions: { executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--headless'] },
  },
  // Phone first: every test runs at 375 px; the axe checks look at each page at
  // phone and desktop widths (helpers.js).
  projects: [{ name: 'chromium' }],
});
