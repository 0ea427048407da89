// The statistics, audit-log and export pages in the browser, as an auditor made
// for this spec (`sekishoctl staff add`): the chart is inline SVG built by
// stats.js under the CSP, the figures are also a table, and axe finds nothing at
// either width on the three pages.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { test, expect } from '@playwright/test';
import { axeBoth, STAFF_ZOOM } from './helpers.js';
import { ROOT } from './stack.mjs';

const lgwan = (p) => `${process.env.SEKISHO_LGWAN}${p}`;
const NEW_PASSWORD = 'statistics-auditor-passphrase-2026';

test('an auditor sees statistics as a chart and a table, searches the audit log', async ({ page }) => {
  const bin = process.env.SEKISHO_BIN || join(ROOT, 'build', 'bin');
  const out = execFileSync(join(bin, 'sekishoctl'), ['--instance', process.env.SEKISHO_INSTANCE,
    'staff', 'add', 'demo', 'stats-auditor', 'auditor', '統計 監査']).toString();
  const initial = out.split('初期パスワード:')[1].trim().split(/\s/)[0];
  const blocked = [];
  page.on('console', (m) => { if (/Content Security Policy/.test(m.text())) { blocked.push(m.text()); } });

  await page.goto(lgwan('/index.html'));
  await page.getByLabel('自治体コード').fill('demo');
  await page.getByLabel('ログイン ID').fill('stats-auditor');
  await page.getByLabel('パスワード', { exact: true }).fill(initial);
  await page.getByRole('button', { name: 'ログイン' }).click();
  await page.getByLabel('現在のパスワード').fill(initial);
  await page.getByLabel(/新しいパスワード（12/).fill(NEW_PASSWORD);
  await page.getByLabel('新しいパスワード（確認のためもう一度）').fill(NEW_PASSWORD);
  await page.getByRole('button', { name: '変更する' }).click();
  await expect(page.getByText('パスワードを変更しました。')).toBeVisible();

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
