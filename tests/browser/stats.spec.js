// The statistics, audit-log and export pages in the browser, as an auditor made
// for this spec (`sekishoctl staff add`): the chart is inline SVG built by
// stats.js under the CSP, the figures are also a table, and axe finds nothing at
// either width on the three pages.
import { test, expect } from '@playwright/test';
import { axeBoth, STAFF_ZOOM, sekishoctl, initialPassword, staffFirstLogin, lgwan } from './helpers.js';

const NEW_PASSWORD = 'statistics-auditor-passphrase-2026';

test('an auditor sees statistics as a chart and a table, searches the audit log', async ({ page }) => {
  const out = sekishoctl('staff', 'add', 'demo', 'stats-auditor', 'auditor', '統計 監査');
  const initial = initialPassword(out);
  const blocked = [];
  page.on('console', (m) => { if (/Content Security Policy/.test(m.text())) { blocked.push(m.text()); } });

  await staffFirstLogin(page, 'stats-auditor', initial, NEW_PASSWORD);

  await page.getByRole('link', { name: /^統計/ }).click();
  await expect(page.getByRole('heading', { name: '統計', exact: true })).toBeVisible();
  await expect(page.locator('#summary')).toContainText('到達した申請');
  await expect(page.locator('#downloads-note')).toContainText('記録していない');
  await page.getByLabel('単位').selectOption('month');
  await page.getByRole('button', { name: '集計する' }).click();
  await expect(page.locator('#f-since')).not.toHaveValue('');
  await expect(page.getByRole('link', { name: 'CSV（Shift_JIS）' })).toHaveAttribute('href', /encoding=cp932/);
  await axeBoth(page, 'statistics', STAFF_ZOOM);

  await page.goto(lgwan('/audit.html'));
  await expect(page.getByRole('heading', { name: '監査ログ' })).toBeVisible();
  await page.getByLabel(/^操作者/).fill('stats-auditor');
  await page.getByRole('button', { name: '検索する' }).click();
  await expect(page.locator('#rows tr').first()).toContainText('stats-auditor');
  await axeBoth(page, 'audit log', STAFF_ZOOM);

  await page.goto(lgwan('/exports.html'));
  await expect(page.getByLabel(/到達番号/)).toBeChecked();
  await axeBoth(page, 'exports', STAFF_ZOOM);
  expect(blocked).toEqual([]);
});
