// staff-admin.spec.js — 職員と部署の管理 in the browser: an administrator (made by the
// operator with `sekishoctl staff add`) adds departments and a clerk through the page
// and reads the initial password off it; the clerk signs in with it and sees the
// department; the administrator changes the clerk's role and departments and the API
// agrees; a CSV with one bad row shows that row's error as the API gives it and
// creates nothing (the import is all or nothing), the corrected file creates the
// account; the export downloads; a clerk is refused the page; axe at both widths.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, expect } from '@playwright/test';
import { DESKTOP, STAFF_ZOOM, axeBoth, sekishoctl, initialPassword, staffFirstLogin, lgwan, getRetrying } from './helpers.js';

test.use({ actionTimeout: 60000 });

async function staffPage(browser) {
  const ctx = await browser.newContext({ locale: 'ja-JP', timezoneId: 'Asia/Tokyo', viewport: DESKTOP });
  return ctx.newPage();
}


async function account(page, login) {
  const r = await getRetrying(page.request, lgwan('/api/v1/demo/staff/accounts?limit=1000'));
  expect(r.status()).toBe(200);
  return (await r.json()).accounts.find((a) => a.login === login);
}

test('an administrator manages departments and staff on the page; a clerk is refused it', async ({ browser }) => {
  test.setTimeout(600000);
  const RUN = crypto.randomUUID().slice(0, 6);
  const ADMIN = { login: `sa-admin-${RUN}`, password: 'staff-admin-page-administrator-2026' };
  const CLERK = { login: `sa-clerk-${RUN}`, password: 'staff-admin-page-clerk-2026' };
  const DEPT = `市民課（${RUN}）`;
  const DEPT2 = `税務課（${RUN}）`;
  const blocked = [];

  const out = sekishoctl('staff', 'add', 'demo', ADMIN.login, 'admin', '職員 管理者');
  const admin = await staffPage(browser);
  admin.on('console', (m) => { if (/Content Security Policy/.test(m.text())) { blocked.push(m.text()); } });
  await staffFirstLogin(admin, ADMIN.login, initialPassword(out), ADMIN.password);
  await admin.getByRole('link', { name: '職員と部署の管理（管理者）' }).click();
  await expect(admin.getByRole('heading', { name: '職員と部署の管理' })).toBeVisible();
  await expect(admin.locator('#staff-rows')).toContainText(ADMIN.login);

  // ---- departments: the server's refusal beside the field, then two added ----------
  await admin.getByLabel(/^新しい部署名/).fill('総務;企画');
  await admin.getByRole('button', { name: '部署を追加する' }).click();
  await expect(admin.locator('#dept-name-error')).toContainText('「;」は使えません');
  await expect(admin.getByLabel(/^新しい部署名/)).toHaveAttribute('aria-invalid', 'true');
  await expect(admin.locator('#error')).toBeFocused();
  await axeBoth(admin, 'staff admin with a field error', STAFF_ZOOM);
  for (const name of [DEPT, DEPT2]) {
    await admin.getByLabel(/^新しい部署名/).fill(name);
    await admin.getByRole('button', { name: '部署を追加する' }).click();
    await expect(admin.locator('#notice')).toHaveText(`部署「${name}」を追加しました。`);
    await expect(admin.locator('#dept-rows')).toContainText(name);
  }
  await expect(admin.locator('#dept-name-error')).toBeHidden();
  await admin.getByLabel(/^新しい部署名/).fill(DEPT);
  await admin.getByRole('button', { name: '部署を追加する' }).click();
  await expect(admin.locator('#dept-name-error')).toHaveText('同じ名前の部署が既にあります。');

  // ---- a clerk, whose initial password the page shows once, as the API gave it ----
  await admin.getByLabel(/^ログイン ID/).fill(CLERK.login);
  await admin.getByLabel(/^氏名/).fill('窓口 係員');
  await admin.locator('#acct-role').selectOption('clerk');
  await admin.getByRole('group', { name: /^所属する部署/ }).getByLabel(DEPT, { exact: true }).check();
  const created = admin.waitForResponse((r) => r.url().endsWith('/staff/accounts') && r.request().method() === 'POST');
  await admin.getByRole('button', { name: 'アカウントを追加する' }).click();
  const reply = await (await created).json();
  expect(reply.initial_password).toMatch(/^\S{16}$/);
  await expect(admin.locator('#created-password')).toHaveText(reply.initial_password);
  await expect(admin.locator('#created')).toContainText('今回だけ表示されます');
  await expect(admin.locator('#staff-rows tr', { hasText: CLERK.login })).toContainText('業務担当者');
  // The same login again: the 409 beside the login field.
  await admin.getByLabel(/^ログイン ID/).fill(CLERK.login);
  await admin.getByLabel(/^氏名/).fill('二重 登録');
  await admin.getByRole('button', { name: 'アカウントを追加する' }).click();
  await expect(admin.locator('#acct-login-error')).toHaveText('このログイン ID は既に使われています。');
  await expect(admin.locator('#created')).toBeHidden();

  // ---- the clerk signs in with it, sees the department, and is refused the page ----
  const clerk = await staffPage(browser);
  await staffFirstLogin(clerk, CLERK.login, reply.initial_password, CLERK.password);
  await expect(clerk.locator('#departments')).toHaveText(DEPT);
  await expect(clerk.getByRole('link', { name: /職員と部署の管理/ })).toBeHidden();
  await clerk.goto(lgwan('/staff-admin.html'));
  await expect(clerk.locator('#refused')).toContainText('このページは管理者だけが使えます。');
  await expect(clerk.locator('#admin')).toBeHidden();
  await axeBoth(clerk, 'staff admin refused to a clerk', STAFF_ZOOM);
  // The server refuses regardless of the page.
  const csrf = await clerk.evaluate(() => sessionStorage.getItem('csrf'));
  expect((await clerk.request.post(lgwan('/api/v1/demo/staff/departments'),
    { data: { name: `x${RUN}` }, headers: { 'X-CSRF-Token': csrf } })).status()).toBe(403);

  // ---- role and departments changed on the page, as the API then reports ---------
  await admin.getByRole('button', { name: `${CLERK.login} を変更` }).click();
  await expect(admin.getByRole('heading', { name: /の権限と所属を変更する$/ })).toBeFocused();
  await admin.locator('#edit-role').selectOption('auditor');
  const editGroup = admin.getByRole('group', { name: '所属する部署', exact: true });
  await expect(editGroup.getByLabel(DEPT, { exact: true })).toBeChecked();
  await editGroup.getByLabel(DEPT, { exact: true }).uncheck();
  await editGroup.getByLabel(DEPT2, { exact: true }).check();
  await admin.getByRole('button', { name: '変更を保存する' }).click();
  await expect(admin.locator('#notice')).toHaveText(`${CLERK.login} の権限を「監査者」、所属を「${DEPT2}」にしました。`);
  // The keyboard carries on from the row that was changed.
  await expect(admin.getByRole('button', { name: `${CLERK.login} を変更` })).toBeFocused();
  const changed = await account(admin, CLERK.login);
  expect(changed.role).toBe('auditor');
  expect(changed.departments).toEqual([DEPT2]);
  await expect(admin.locator('#staff-rows tr', { hasText: CLERK.login })).toContainText('監査者');

  // ---- CSV import: one bad row stops the file, the corrected file goes in ---------
  const GOOD = `sa-csv-${RUN}`;
  const NEWDEPT = `福祉課（${RUN}）`;
  const work = mkdtempSync(join(tmpdir(), 'sekisho-staff-admin-'));
  const mixed = join(work, 'mixed.csv');
  writeFileSync(mixed, `login,display_name,role,departments\n${GOOD},一括 太郎,業務担当者,${NEWDEPT}\n` +
    `bad login!,一括 花子,clerk,${DEPT}\n`);
  await admin.getByLabel(/^CSV ファイル/).setInputFiles(mixed);
  const refused = admin.waitForResponse((r) => r.url().endsWith('/staff/import'));
  await admin.getByRole('button', { name: '取り込む' }).click();
  const bad = await (await refused).json();
  expect(bad.errors.length).toBe(1);
  expect(bad.errors[0].row).toBe(3);
  await expect(admin.locator('#error')).toHaveText(bad.error.message);
  const errRows = admin.locator('#import-rows tr');
  await expect(errRows).toHaveCount(1);
  await expect(errRows.first().locator('td')).toHaveText(['3 行目', bad.errors[0].column, bad.errors[0].reason]);
  expect(bad.errors[0].reason).toContain('bad login!');
  expect(await account(admin, GOOD)).toBeUndefined();
  await axeBoth(admin, 'staff admin with import errors', STAFF_ZOOM);

  const good = join(work, 'good.csv');
  writeFileSync(good, `login,display_name,role,departments\n${GOOD},一括 太郎,業務担当者,${NEWDEPT}\n`);
  await admin.getByLabel(/^CSV ファイル/).setInputFiles(good);
  const imported = admin.waitForResponse((r) => r.url().endsWith('/staff/import'));
  await admin.getByRole('button', { name: '取り込む' }).click();
  const ok = await (await imported).json();
  expect(ok.created).toBe(1);
  await expect(admin.locator('#notice')).toContainText('職員アカウントを 1 件、部署を 1 件作成しました');
  await expect(admin.locator('#import-rows tr').first().locator('td').nth(2)).toHaveText(ok.accounts[0].setup_code);
  const csvAccount = await account(admin, GOOD);
  expect(csvAccount.status).toBe('setup_pending');
  expect(csvAccount.departments).toEqual([NEWDEPT]);
  await expect(admin.locator('#dept-rows')).toContainText(NEWDEPT);

  // ---- export -------------------------------------------------------------------
  const dl = admin.waitForEvent('download');
  await admin.getByRole('link', { name: /CSV で書き出す/ }).click();
  const csv = readFileSync(await (await dl).path(), 'utf8');
  expect(csv).toContain(CLERK.login);
  expect(csv).toContain(GOOD);

  await axeBoth(admin, 'staff admin', STAFF_ZOOM);
  expect(blocked).toEqual([]);
});
