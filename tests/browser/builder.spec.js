// The procedure builder in the browser: an administrator (fresh password from
// `sekishoctl staff passwd`) builds a two-field procedure with a condition, keyboard
// reorders a field, saves, publishes after the confirmation, and the internet zone
// serves it. axe on the list and the editor.
import { test, expect } from '@playwright/test';
import { axeBoth, STAFF_ZOOM, sekishoctl, initialPassword, staffFirstLogin, lgwan, getRetrying, orNull } from './helpers.js';

const NEW_PASSWORD = 'procedure-builder-passphrase-2026';

test('an administrator builds and publishes a procedure without writing JSON', async ({ page }) => {
  const out = sekishoctl('staff', 'passwd', 'demo', 'admin');
  const initial = initialPassword(out);

  await staffFirstLogin(page, 'admin', initial, NEW_PASSWORD);

  // A department for the procedure (the builder picks from existing ones).
  const csrf = await page.evaluate(() => sessionStorage.getItem('csrf'));
  for (const name of ['市民課', '住民異動係']) {
    const dep = await page.request.post(lgwan('/api/v1/demo/staff/departments'),
      { data: { name }, headers: { 'X-CSRF-Token': csrf } });
    expect([201, 409]).toContain(dep.status());
  }

  await page.getByRole('link', { name: '手続の一覧（作成・編集・公開）' }).click();
  await expect(page.getByRole('heading', { name: '手続の一覧' })).toBeVisible();
  await axeBoth(page, 'procedures list', STAFF_ZOOM);
  await page.getByRole('link', { name: '新しい手続を作成する' }).click();

  await page.getByLabel(/手続 ID/).fill('builder-ui');
  await page.getByLabel('手続名').fill('ビルダー画面で作った手続');
  await page.getByLabel('担当部署').selectOption('市民課');
  // Unlisted, so the citizen spec running beside this one still sees its two cards.
  await page.getByLabel('公開範囲').selectOption('unlisted');
  await page.getByLabel('受付開始').fill('2020-04-01T09:00');

  // Field 1: a radio; field 2: a text shown only for one answer.
  await page.getByLabel('追加する項目の種類').first().selectOption('text');
  await page.getByRole('button', { name: '選んだ種類の項目を追加' }).click();
  await expect(page.locator('#f-0-label')).toBeFocused();
  await page.locator('#f-0-name').fill('detail');
  await page.locator('#f-0-label').fill('詳しい内容');
  await page.getByLabel('追加する項目の種類').first().selectOption('radio');
  await page.getByRole('button', { name: '選んだ種類の項目を追加' }).click();
  await page.locator('#f-1-name').fill('kind');
  await page.locator('#f-1-label').fill('届出の種類');
  await page.locator('#f-1-required').check();
  await page.locator('#f-1-o0-value').fill('move');
  await page.locator('#f-1-o0-label').fill('転居');
  await page.locator('#f-1-addopt').click();
  await page.locator('#f-1-o1-value').fill('other');
  await page.locator('#f-1-o1-label').fill('その他');

  // Move the radio up with the keyboard: focus stays on its 上へ button's new place.
  await page.locator('#f-1-up').focus();
  await page.keyboard.press('Enter');
  await expect(page.locator('#f-0-label')).toHaveValue('届出の種類');
  await expect(page.locator('#f-0-down')).toBeFocused();

  await page.locator('#f-1-if-field').selectOption('kind');
  await page.locator('#f-1-if-value').selectOption('other');
  await expect(page.locator('#preview')).toContainText('詳しい内容');

  // 振り分け: 転居 goes to the 住民異動係; the value list follows the chosen field.
  await page.getByRole('button', { name: '振り分けを追加' }).click();
  await expect(page.locator('#rt-0-field')).toBeFocused();
  await page.locator('#rt-0-field').selectOption('kind');
  await expect(page.locator('#rt-0-value option')).toHaveText(['選んでください', '転居', 'その他']);
  await page.locator('#rt-0-value').selectOption('move');
  await page.locator('#rt-0-dept').selectOption('住民異動係');

  // The 完了 email in this procedure's own words.
  await page.getByLabel('完了', { exact: true }).check();
  await page.locator('#p-tpl-completed-subject').fill('【完了】{{title}}');
  await page.locator('#p-tpl-completed-lead').fill('「{{title}}」の届出の処理が終わりました。');
  await page.getByLabel(/通知先のメールアドレス（1 行に 1 つ/).fill('juumin@city.example.lg.jp');
  // A form to download: uploaded, then titled.
  await page.locator('#file-pick').setInputFiles({ name: '届出書.pdf', mimeType: 'application/pdf',
    buffer: Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n') });
  await page.getByRole('button', { name: 'ファイルを登録' }).click();
  await expect(page.locator('#file-0-title')).toBeFocused();
  await expect(page.locator('#file-0-title')).toHaveValue('届出書');
  await page.locator('#file-0-title').fill('届出書（印刷用）');
  await page.getByRole('button', { name: '手数料の項目を追加' }).click();
  await expect(page.locator('#fee-0-label')).toBeFocused();
  await page.locator('#fee-0-label').fill('届出手数料');
  await page.locator('#fee-0-amount').fill('200');
  await expect(page.locator('#fee-0-qty option')).toHaveText(['1件につき（固定）']);
  await axeBoth(page, 'builder', STAFF_ZOOM);

  await page.getByRole('button', { name: '下書きを保存する' }).click();
  await expect(page.getByRole('status').filter({ hasText: '下書き（builder-ui 第1版）を保存しました' })).toBeVisible();
  const saved = await getRetrying(page.request, lgwan('/api/v1/demo/staff/procedures/builder-ui/versions/1'));
  expect((await saved.json()).routing.map((r) => [r.field, r.value, r.department]))
    .toEqual([['kind', 'move', '住民異動係']]);
  expect((await saved.json()).staff_notify).toEqual(['juumin@city.example.lg.jp']);
  expect((await saved.json()).definition.fee).toEqual({ items: [{ label: '届出手数料', amount: 200 }] });
  expect((await saved.json()).definition.files.map((f) => [f.name, f.title, f.type])).toEqual([['届出書.pdf', '届出書（印刷用）', 'pdf']]);
  expect((await saved.json()).definition.notify.templates)
    .toEqual({ completed: { subject: '【完了】{{title}}', lead: '「{{title}}」の届出の処理が終わりました。' } });

  await page.getByRole('link', { name: '手続の一覧に戻る' }).click();
  await page.getByRole('button', { name: /公開する：ビルダー画面で作った手続/ }).click();
  await expect(page.getByText('この版は変更できなくなります')).toBeVisible();
  await page.locator('#confirm-yes').click();
  await expect(page.locator('#rows')).toContainText('公開済み');

  await expect.poll(orNull(async () => {
    const r = await fetch(`${process.env.SEKISHO_BASE}/api/v1/demo/procedures/builder-ui`);
    if (!r.ok) return null;
    const fields = (await r.json()).schema.fields;
    return fields.map((f) => [f.name, f.show_if || null]);
  }), { timeout: 90000 }).toEqual([['kind', null], ['detail', { field: 'kind', equals: 'other' }]]);
});
