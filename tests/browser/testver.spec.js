// Test versions (テスト版) in the builder: an administrator made for this spec
// (`sekishoctl staff add`) opens a saved draft, presses 「テスト版として公開」, is
// shown the unlisted URL, an application made there through the internet zone comes
// back as a テスト申請 under the draft (marked on its own page), and is deleted after
// the confirmation. axe on the builder with its test section filled.
import { test, expect } from '@playwright/test';
import { axeBoth, STAFF_ZOOM, sekishoctl, initialPassword, staffFirstLogin, lgwan, orNull } from './helpers.js';

const portal = (p) => `${process.env.SEKISHO_BASE}/api/v1/demo${p}`;
const NEW_PASSWORD = 'test-version-admin-passphrase-2026';

const DEFINITION = {
  id: 'testver-ui',
  version: 1,
  title: 'テスト版を試す手続',
  visibility: 'unlisted',
  schema: { fields: [{ name: 'name', type: 'text', label: 'お名前', required: true }] },
};

test('an administrator publishes a test version and sees its test applications', async ({ page }) => {
  const out = sekishoctl('staff', 'add', 'demo', 'testver-admin', 'admin', 'テスト 管理');
  const initial = initialPassword(out);

  await staffFirstLogin(page, 'testver-admin', initial, NEW_PASSWORD);

  const csrf = await page.evaluate(() => sessionStorage.getItem('csrf'));
  const headers = { 'X-CSRF-Token': csrf };
  const dep = await page.request.post(lgwan('/api/v1/demo/staff/departments'),
    { data: { name: 'テスト版係' }, headers });
  expect([201, 409]).toContain(dep.status());
  const made = await page.request.post(lgwan('/api/v1/demo/staff/procedures'),
    { data: { definition: DEFINITION, department: 'テスト版係' }, headers });
  expect(made.status()).toBe(201);

  await page.goto(lgwan('/builder.html?id=testver-ui&v=1'));
  await expect(page.getByRole('heading', { name: 'テスト版', exact: true })).toBeVisible();
  await expect(page.locator('#test-state')).toHaveText('テスト版はまだ公開していません。');
  await expect(page.locator('#test-apps-empty')).toBeVisible();
  await page.getByRole('button', { name: 'テスト版として公開' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'テスト版を公開しました' })).toBeVisible();
  const path = await page.locator('#test-url').textContent();
  expect(path).toMatch(/^\/demo\/procedures\/test--[0-9a-f]{24}$/);
  const testId = path.split('/').pop();

  // The internet zone serves it at that URL, and a citizen applies there.
  await expect.poll(orNull(async () => {
    const r = await fetch(portal(`/procedures/${testId}`));
    return r.ok ? (await r.json()).title : null;
  }), { timeout: 90000 }).toBe('【テスト】テスト版を試す手続');
  const listed = await (await fetch(portal('/procedures'))).json();
  expect(listed.procedures.map((p) => p.id)).not.toContain(testId);
  const sent = await fetch(portal(`/procedures/${testId}/applications`), {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'Idempotency-Key': `testver-${Date.now()}` },
    body: JSON.stringify({ answers: { name: '試験 花子' }, status_password: 'testver-status-pass' }),
  });
  expect(sent.status).toBe(201);
  const receipt = (await sent.json()).receipt_no;
  expect(receipt).toMatch(/^T-\d{8}-\d{6}$/);

  // Imported into officed, it is listed under the draft as a テスト申請.
  await expect.poll(async () => {
    await page.reload();
    return page.locator('#test-apps-table').count();
  }, { timeout: 120000 }).toBe(1);
  await expect(page.locator('#test-apps-table')).toContainText(receipt);
  await expect(page.locator('#test-apps-table')).toContainText('到達');
  await axeBoth(page, 'builder test version', STAFF_ZOOM);

  // Its own page says it is a test application.
  await page.getByRole('link', { name: receipt }).click();
  await expect(page.locator('#procedure')).toContainText('テスト申請');
  await page.goBack();

  // Deleted after the confirmation; the list is empty again.
  await page.getByRole('button', { name: 'テスト申請を削除' }).click();
  await expect(page.locator('#test-confirm')).toBeVisible();
  await page.getByRole('button', { name: '削除する' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'テスト申請を削除しました' })).toBeVisible();
  await expect(page.locator('#test-apps-empty')).toBeVisible();
  await expect(page.getByRole('button', { name: 'テスト申請を削除' })).toBeHidden();
});
