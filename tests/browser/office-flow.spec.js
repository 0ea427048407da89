// office-flow.spec.js — the whole story of issue #6 in order, through the real pages of
// both zones and the real bridge between them: an administrator (made by the operator
// with `sekishoctl staff add`) creates a department and a clerk, builds a procedure
// with a conditional field and a PDF-only attachment, checks it, publishes it; a
// citizen applies on the portal with a PDF, waits for the sanitizer, submits; the
// clerk (not the administrator) receives, reviews, requests a correction, sees the
// reply, issues a signed document from a template and completes; the citizen
// downloads the very same bytes; the clerk's CSV export has the application. Every
// wait for the bridge or the importer is a poll with a generous limit, never a sleep:
// the machine running this is a shared 2-core one.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, expect } from '@playwright/test';
import { DESKTOP, axeBoth, photoPng, samplePdf, url, sekishoctl, initialPassword, staffFirstLogin, lgwan, orNull } from './helpers.js';

const STATUS_PASSWORD = 'office flow horse';
// The bridge, the importer and the downlink each poll; on a busy 2-core machine a
// round trip has taken most of a minute.
const BRIDGE_MS = 180000;
// A missing control fails the step in a minute instead of waiting out the test.
test.use({ actionTimeout: 60000 });

// The staff pages at a desktop terminal's size, in the test's locale.
async function staffPage(browser) {
  const ctx = await browser.newContext({ locale: 'ja-JP', timezoneId: 'Asia/Tokyo', viewport: DESKTOP });
  return ctx.newPage();
}


// The citizen's status page, looked up again until the office's change has come
// down the bridge (the page shows what the portal knows at the time of the lookup).
async function lookUpUntil(page, receipt, label) {
  await page.goto(url(`/demo/status?receipt=${receipt}`));
  await page.getByLabel('照会用パスワード').fill(STATUS_PASSWORD);
  // The password travels in a header, never in the URL (access logs, history). The
  // requests are watched, not waited for: one more lookup than the loop needs would
  // redraw the page under the steps that follow.
  const asked = [];
  const watch = (r) => { if (r.url().includes('/api/v1/demo/applications/')) asked.push(r); };
  page.on('request', watch);
  await expect(async () => {
    await page.getByRole('button', { name: '状況を確認する' }).click();
    await expect(page.locator('.status-now')).toHaveText(label, { timeout: 3000 });
  }).toPass({ timeout: BRIDGE_MS, intervals: [1000, 2000, 3000] });
  page.off('request', watch);
  expect(asked.length).toBeGreaterThan(0);
  for (const r of asked) {
    expect(r.url()).not.toContain('status_password');
    expect(r.headers()['x-status-password']).toBe(STATUS_PASSWORD);
  }
  // Nothing drawn from a missing section (the reply form is absent unless invited).
  await expect(page.locator('#result')).not.toContainText('null');
}

// A GET with the page's own session, made by the page (as its frames and links do):
// the browser retries on a kept-alive connection the server has just closed, which
// Playwright's request context reports as ECONNRESET.
async function pageGet(page, path) {
  return page.evaluate(async (p) => {
    const r = await fetch(p);
    const bytes = new Uint8Array(await r.arrayBuffer());
    return { status: r.status, type: r.headers.get('content-type'),
      disposition: r.headers.get('content-disposition'), text: new TextDecoder().decode(bytes),
      head: String.fromCharCode(...bytes.subarray(0, 5)) };
  }, path);
}

async function bodyOf(download) {
  return readFileSync(await download.path());
}

test('申請から交付・完了・書き出しまで: administrator, citizen and clerk on the real stack', async ({ browser, page }) => {
  test.setTimeout(900000);
  // Names of this run's own, so that --repeat-each can run the story again on one stack
  // (a worker loads this file once).
  const RUN = crypto.randomUUID().slice(0, 6);
  const ADMIN = { login: `flow-admin-${RUN}`, password: 'whole-story-administrator-2026' };
  const CLERK = { login: `flow-clerk-${RUN}`, password: 'whole-story-nursery-clerk-2026' };
  const DEPT = `保育課（${RUN}）`;
  const PROC = `office-flow-${RUN}`;
  const TITLE = `保育施設の利用申込（通し試験 ${RUN}）`;
  const TEMPLATE = { name: `利用決定通知 ${RUN}`, title: `保育施設利用決定通知書 ${RUN}` };
  const pdf = samplePdf();
  const work = mkdtempSync(join(tmpdir(), 'sekisho-flow-'));

  // ---- 1. The administrator: department, clerk ---------------------------------
  const out = sekishoctl('staff', 'add', 'demo', ADMIN.login, 'admin', '通し 管理者');
  const adminInitial = initialPassword(out);
  const admin = await staffPage(browser);
  await staffFirstLogin(admin, ADMIN.login, adminInitial, ADMIN.password);
  await expect(admin.locator('#role')).toHaveText('管理者');

  // 職員と部署の管理: the department, then the clerk in it; the page shows the
  // clerk's initial password once.
  await admin.getByRole('link', { name: '職員と部署の管理（管理者）' }).click();
  await admin.getByLabel(/^新しい部署名/).fill(DEPT);
  await admin.getByRole('button', { name: '部署を追加する' }).click();
  await expect(admin.locator('#notice')).toHaveText(`部署「${DEPT}」を追加しました。`);
  await admin.getByLabel(/^ログイン ID/).fill(CLERK.login);
  await admin.getByLabel(/^氏名/).fill('保育 係員');
  await admin.locator('#acct-role').selectOption('clerk');
  await admin.getByRole('group', { name: /^所属する部署/ }).getByLabel(DEPT, { exact: true }).check();
  await admin.getByRole('button', { name: 'アカウントを追加する' }).click();
  await expect(admin.locator('#created-login')).toHaveText(CLERK.login);
  const clerkInitial = await admin.locator('#created-password').textContent();
  expect(clerkInitial).toMatch(/^\S{16}$/);
  await admin.getByRole('link', { name: 'ホームに戻る' }).click();

  // ---- 2. The administrator builds the procedure ---------------------------------
  await admin.getByRole('link', { name: '手続の一覧（作成・編集・公開）' }).click();
  await admin.getByRole('link', { name: '新しい手続を作成する' }).click();
  // The editor is drawn once the departments are in; typing before would be redrawn away.
  await expect(admin.locator('#status-line')).toHaveText('新しい手続（まだ保存していません）');
  await admin.getByLabel(/手続 ID/).fill(PROC);
  await admin.getByLabel('手続名').fill(TITLE);
  await admin.getByLabel('担当部署').selectOption(DEPT);
  // Unlisted: the citizen spec beside this one counts the cards on the list.
  await admin.getByLabel('公開範囲').selectOption('unlisted');
  await admin.getByLabel('受付開始').fill('2020-04-01T09:00');

  const addField = async (type) => {
    await admin.getByLabel('追加する項目の種類').first().selectOption(type);
    await admin.getByRole('button', { name: '選んだ種類の項目を追加' }).click();
  };
  await addField('text');
  await admin.locator('#f-0-name').fill('name');
  await admin.locator('#f-0-label').fill('申込者の氏名');
  await admin.locator('#f-0-required').check();
  await addField('radio');
  await admin.locator('#f-1-name').fill('kind');
  await admin.locator('#f-1-label').fill('申込の区分');
  await admin.locator('#f-1-required').check();
  await admin.locator('#f-1-o0-value').fill('new');
  await admin.locator('#f-1-o0-label').fill('新規');
  await admin.locator('#f-1-addopt').click();
  await admin.locator('#f-1-o1-value').fill('change');
  await admin.locator('#f-1-o1-label').fill('施設の変更');
  // The conditional field: asked only when the answer is 施設の変更.
  await addField('text');
  await admin.locator('#f-2-name').fill('reason');
  await admin.locator('#f-2-label').fill('変更の理由');
  await admin.locator('#f-2-required').check();
  await admin.locator('#f-2-if-field').selectOption('kind');
  await admin.locator('#f-2-if-value').selectOption('change');
  // The attachment: PDF only.
  await addField('file');
  await admin.locator('#f-3-name').fill('certificate');
  await admin.locator('#f-3-label').fill('就労証明書');
  await admin.locator('#f-3-required').check();
  await expect(admin.locator('#f-3-acc-pdf')).toBeChecked();
  await admin.locator('#f-3-acc-image').uncheck();

  // "Tests it": today the builder offers its preview (the citizen's form as drawn
  // from the definition) and the server's check on saving.
  const preview = admin.locator('#preview');
  await expect(preview.getByRole('heading', { name: TITLE })).toBeVisible();
  await expect(preview.getByLabel(/変更の理由/)).toBeDisabled();
  await expect(preview).toContainText('※「kind」の回答によって表示されます。');
  await expect(preview.locator('input[type=file]')).toHaveCount(1);
  await admin.getByRole('button', { name: '下書きを保存する' }).click();
  await expect(admin.getByRole('status').filter({ hasText: `下書き（${PROC} 第1版）を保存しました` })).toBeVisible();
  const saved = JSON.parse((await pageGet(admin, `/api/v1/demo/staff/procedures/${PROC}/versions/1`)).text);
  const fields = saved.definition.schema.fields;
  expect(fields.map((f) => [f.name, f.type, f.show_if || null])).toEqual([
    ['name', 'text', null], ['kind', 'radio', null],
    ['reason', 'text', { field: 'kind', equals: 'change' }], ['certificate', 'file', null]]);
  expect(fields[3].accept).toEqual(['pdf']);
  // "Tests it" for real: the draft goes to the portal as a test version under its own
  // unlisted id, a citizen applies there (sanitizer, bridge and import are the real
  // ones), and the application comes back as a テスト申請 under the draft with a T-
  // number, never in the clerk's list or the export below.
  await admin.getByRole('button', { name: 'テスト版として公開' }).click();
  await expect(admin.getByRole('status').filter({ hasText: 'テスト版を公開しました' })).toBeVisible();
  const testPath = (await admin.locator('#test-url').textContent()).trim();
  expect(testPath).toMatch(/^\/demo\/procedures\/test--[0-9a-f]{24}$/);
  const testId = testPath.split('/').pop();
  await expect.poll(orNull(async () => (await fetch(url(`/api/v1/demo/procedures/${testId}`))).status),
    { timeout: BRIDGE_MS, message: 'the test version reached the internet zone' }).toBe(200);
  await page.goto(url(testPath));
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(`【テスト】${TITLE}`);
  await page.getByRole('link', { name: '申請を始める' }).click();
  await page.getByLabel('申込者の氏名').fill('試験 太郎');
  await page.getByLabel('新規').check();
  await page.getByLabel('就労証明書').setInputFiles({ name: '試験.pdf', mimeType: 'application/pdf', buffer: pdf });
  await expect(page.locator('.file-item').getByText('無害化処理が終わりました')).toBeVisible({ timeout: 120000 });
  await page.getByRole('button', { name: '入力内容を確認する' }).click();
  await page.getByLabel('照会用パスワード').fill(STATUS_PASSWORD);
  await page.getByRole('button', { name: '送信する' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('申請が到達しました');
  const testReceipt = (await page.locator('#receipt-no').textContent()).trim();
  expect(testReceipt).toMatch(/^T-\d{8}-\d{6}$/);
  await expect(async () => {
    await admin.reload();
    await expect(admin.locator('#test-apps-table')).toContainText(testReceipt, { timeout: 3000 });
  }).toPass({ timeout: BRIDGE_MS, intervals: [2000, 3000, 5000] });

  await admin.getByRole('link', { name: '手続の一覧に戻る' }).click();
  await admin.getByRole('button', { name: `公開する：${TITLE}` }).click();
  await expect(admin.getByText('この版は変更できなくなります')).toBeVisible();
  await admin.locator('#confirm-yes').click();
  await expect(admin.locator('#rows')).toContainText('公開済み');
  // Publishing for real withdraws the test version from the portal.
  await expect.poll(orNull(async () => (await fetch(url(`/api/v1/demo/procedures/${testId}`))).status),
    { timeout: BRIDGE_MS, message: 'the test version was withdrawn' }).toBe(404);

  // The document template and the issuer, ready for the clerk.
  await admin.goto(lgwan('/documents.html'));
  await expect(admin.locator('#signing')).toHaveText('文書署名用の証明書が設定されています。');
  await admin.getByRole('textbox', { name: /^発行者名/ }).fill('関所市長 通し 一郎');
  await admin.locator('#settings').getByRole('button', { name: '保存する' }).click();
  await expect(admin.locator('#notice')).toHaveText('発行者名を保存しました。');
  await admin.getByLabel(/^公印の画像/).setInputFiles({ name: '公印.png', mimeType: 'image/png', buffer: photoPng() });
  await admin.getByRole('button', { name: '登録する' }).click();
  await expect(admin.locator('#notice')).toHaveText('公印の画像を登録しました。');
  await admin.getByRole('textbox', { name: /^名前（職員が選ぶ/ }).fill(TEMPLATE.name);
  await admin.getByRole('textbox', { name: /^表題（文書の一番上/ }).fill(TEMPLATE.title);
  await admin.getByRole('textbox', { name: /^本文/ }).fill('{{name}} 様\n\n「{{procedure_title}}」（到達番号 {{receipt_no}}）について、'
    + '利用を決定しましたので通知します。\n\n{{date_wareki}}');
  await admin.locator('#template').getByRole('button', { name: '保存する' }).click();
  await expect(admin.locator('#notice')).toHaveText(`ひな形「${TEMPLATE.name}」を保存しました。`);

  // ---- 3. The citizen applies on the portal ------------------------------------
  await expect.poll(orNull(async () => (await fetch(url(`/api/v1/demo/procedures/${PROC}`))).status),
    { timeout: BRIDGE_MS, message: 'the published procedure reached the internet zone' }).toBe(200);
  await page.goto(url(`/demo/procedures/${PROC}`));
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(TITLE);
  await page.getByRole('link', { name: '申請を始める' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('申請内容の入力');
  await page.getByLabel('申込者の氏名').fill('通し 花子');
  const reason = page.getByLabel(/^変更の理由/);
  await expect(reason).toBeHidden();
  await page.getByLabel('施設の変更').check();
  await expect(reason).toBeVisible();
  await page.getByLabel('新規').check();
  await expect(reason).toBeHidden();
  await page.getByLabel('施設の変更').check();
  await reason.fill('勤務先が変わったため');

  // The upload is answered at once as pending and the page says so; the page's polls
  // for the verdict are held until that has been seen (the sanitizer may be quicker
  // than the assertion), then the sanitized file's first page is shown.
  let release;
  const held = new Promise((ok) => { release = ok; });
  await page.route(/\/api\/v1\/demo\/uploads\/[0-9a-f]+$/, async (route) => { await held; await route.continue(); });
  const posted = page.waitForResponse((r) => /\/uploads\?/.test(r.url()) && r.request().method() === 'POST');
  await page.getByLabel('就労証明書').setInputFiles({ name: '就労証明書.pdf', mimeType: 'application/pdf', buffer: pdf });
  const up = await posted;
  expect(up.status()).toBe(202);
  expect((await up.json()).state).toBe('pending');
  const item = page.locator('.file-item');
  await expect(item).toContainText('無害化処理中です。しばらくお待ちください。');
  release();
  await expect(item.getByText('無害化処理が終わりました')).toBeVisible({ timeout: 120000 });
  await page.unroute(/\/api\/v1\/demo\/uploads\/[0-9a-f]+$/);
  const thumb = item.locator('img.file-preview');
  await expect(thumb).toBeVisible();
  await expect.poll(() => thumb.evaluate((img) => img.complete && img.naturalWidth > 0)).toBe(true);

  await page.getByRole('button', { name: '入力内容を確認する' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('入力内容の確認');
  await expect(page.locator('.summary-row').filter({ hasText: '変更の理由' })).toContainText('勤務先が変わったため');
  await expect(page.locator('.summary-row').filter({ hasText: '就労証明書' })).toContainText('就労証明書.pdf');
  await page.getByLabel('照会用パスワード').fill(STATUS_PASSWORD);
  await page.getByRole('button', { name: '送信する' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('申請が到達しました');
  const receipt = (await page.locator('#receipt-no').textContent()).trim();
  expect(receipt).toMatch(/^\d{8}-\d{6}$/);

  // ---- 4. The clerk receives and reviews ---------------------------------------
  const clerk = await staffPage(browser);
  await staffFirstLogin(clerk, CLERK.login, clerkInitial, CLERK.password);
  await expect(clerk.locator('#role')).toHaveText('業務担当者');
  await expect(clerk.locator('#departments')).toContainText(DEPT);
  const staffApi = `/api/v1/demo/staff/applications/${receipt}`;
  await expect.poll(orNull(async () => (await pageGet(clerk, staffApi)).status),
    { timeout: BRIDGE_MS, message: 'the application came over the bridge and was imported' }).toBe(200);

  await clerk.getByRole('link', { name: '申請の一覧（受付・審査・完了）' }).click();
  const row = clerk.locator('#rows tr').filter({ hasText: receipt });
  await expect(row).toContainText(TITLE);
  await expect(row).toContainText('到達');
  await row.getByRole('link', { name: receipt }).click();
  await expect(clerk).toHaveURL(new RegExp(`/application\\.html\\?r=${receipt}$`));
  await expect(clerk.locator('#status')).toHaveText('到達');
  await expect(clerk.locator('#department')).toHaveText(DEPT);
  await expect(clerk.locator('#answers')).toContainText('勤務先が変わったため');
  await expect(clerk.locator('#answers')).toContainText('施設の変更');
  // The sanitized PDF, inline.
  const frame = clerk.locator('#files iframe.pdf');
  await expect(frame).toHaveAttribute('title', '添付ファイル: 就労証明書.pdf');
  const attached = await pageGet(clerk, await frame.getAttribute('src'));
  expect(attached.status).toBe(200);
  expect(attached.type).toBe('application/pdf');
  expect(attached.disposition).toBe('inline; filename="file-1.pdf"');
  expect(attached.head).toBe('%PDF-');

  await clerk.getByRole('button', { name: '受付する' }).click();
  await expect(clerk.locator('#status')).toHaveText('受付');
  await clerk.getByRole('button', { name: '審査する' }).click();
  await expect(clerk.locator('#status')).toHaveText('審査');
  // A correction request needs its message; the page says so before sending.
  await clerk.getByRole('button', { name: '補正を依頼する' }).click();
  await expect(clerk.locator('#error')).toHaveText('申請者へのメッセージを入力してください。');
  await clerk.getByLabel(/^申請者へのメッセージ/).fill('就労証明書に勤務先の印がありません。\n押印のあるものを添付してください。');
  await clerk.getByRole('button', { name: '補正を依頼する' }).click();
  await expect(clerk.locator('#status')).toHaveText('補正');
  await expect(clerk.locator('#correspondence li')).toHaveCount(1);

  // ---- 5. The citizen sees the request and replies ------------------------------
  await lookUpUntil(page, receipt, '補正依頼');
  await expect(page.locator('.timeline-message').last())
    .toHaveText('就労証明書に勤務先の印がありません。\n押印のあるものを添付してください。');
  await expect(page.getByRole('heading', { name: '回答の送信' })).toBeVisible();
  await page.getByLabel('回答の内容').fill('押印のある就労証明書を添付します。');
  await page.getByLabel('添付ファイル（任意）').setInputFiles({ name: '就労証明書（押印あり）.pdf', mimeType: 'application/pdf', buffer: pdf });
  await expect(page.locator('#reply-files').getByText('無害化処理が終わりました')).toBeVisible({ timeout: 120000 });
  const replied = page.waitForResponse((r) => r.url().endsWith(`/applications/${receipt}/replies`));
  await page.getByRole('button', { name: '回答を送信する' }).click();
  expect((await replied).status()).toBe(201);
  await expect(page.locator('.timeline-reply .timeline-message')).toHaveText('押印のある就労証明書を添付します。');

  // ---- 6. The clerk sees the reply, issues the document, completes ---------------
  await expect.poll(orNull(async () => JSON.parse((await pageGet(clerk, staffApi)).text).replies.length),
    { timeout: BRIDGE_MS, message: 'the reply came over the bridge' }).toBe(1);
  await clerk.reload();
  await expect(clerk.locator('#status')).toHaveText('審査');
  const reply = clerk.locator('#correspondence li').nth(1);
  await expect(reply).toContainText('申請者からの回答（第1回）');
  await expect(reply.locator('.message-body')).toHaveText('押印のある就労証明書を添付します。');
  await expect(reply.locator('iframe.pdf')).toHaveAttribute('title', '回答の添付ファイル: 就労証明書（押印あり）.pdf');

  await expect(clerk.locator('#issue-template')).toBeVisible();
  await clerk.getByLabel('ひな形から発行する').selectOption({ label: `${TEMPLATE.name}（${TEMPLATE.title}）` });
  await clerk.locator('#issue-template').getByRole('button', { name: '発行する' }).click();
  await expect(clerk.locator('#notice')).toHaveText(`「${TEMPLATE.title}」を発行しました。署名済みの PDF を申請者に送ります。`);
  const docLink = clerk.locator('#documents a').filter({ hasText: TEMPLATE.title });
  await expect(docLink).toHaveCount(1);
  const staffDownload = clerk.waitForEvent('download');
  await docLink.click();
  const signed = await bodyOf(await staffDownload);
  const text = signed.toString('latin1');
  expect(text.startsWith('%PDF-')).toBe(true);
  // PAdES: an incremental update with a signature dictionary whose /ByteRange covers
  // the whole file but the /Contents hole, which holds a CMS signature.
  const br = /\/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]/.exec(text);
  expect(br, 'a /ByteRange in the issued PDF').not.toBeNull();
  const [a0, a1, b0, b1] = br.slice(1).map(Number);
  expect(a0).toBe(0);
  expect(b0 + b1).toBe(signed.length);
  expect(text[a1]).toBe('<');
  expect(text[b0 - 1]).toBe('>');
  expect(text.slice(a1 + 1, b0 - 1)).toMatch(/^[0-9A-Fa-f]+$/);
  expect(text.slice(a1 + 1, a1 + 3)).toBe('30');   // a DER SEQUENCE, not zeros
  expect(text).toMatch(/\/SubFilter\s*\/ETSI\.CAdES\.detached/);
  if (existsSync('/usr/bin/pdfsig')) {
    const file = join(work, 'issued.pdf');
    writeFileSync(file, signed);
    let report;
    try {
      report = execFileSync('/usr/bin/pdfsig', [file], { encoding: 'utf8' });
    } catch (e) {
      // pdfsig exits non-zero when the signer's certificate is not trusted (the dev
      // stack's is self-made); the report on stdout is what counts.
      report = `${e.stdout}`;
    }
    expect(report).toMatch(/Signature #1/);
    expect(report).toMatch(/Signature Validation: Signature is Valid\./);
    expect(report).toMatch(/Signature Type: ETSI\.CAdES\.detached/);
  }

  await clerk.getByRole('button', { name: '結果通知を発行する' }).click();
  await expect(clerk.locator('#status')).toHaveText('結果通知発行');
  await clerk.getByRole('button', { name: '完了にする' }).click();
  await expect(clerk.locator('#status')).toHaveText('完了');
  await expect(clerk.locator('#buttons')).toHaveText('この申請の状態は変更できません。');
  // The list says when the signed PDF has left for the internet zone (looked at again
  // on each load of the page).
  await expect(async () => {
    await clerk.reload();
    await expect(clerk.locator('#documents')).toContainText('送信済み', { timeout: 3000 });
  }).toPass({ timeout: BRIDGE_MS, intervals: [1000, 2000, 3000] });

  // ---- 7. The citizen downloads the document: the same bytes ---------------------
  await lookUpUntil(page, receipt, '完了');
  await expect(page.locator('.timeline')).toContainText(`交付文書「${TEMPLATE.title}」が届きました。`);
  const docs = page.getByRole('region', { name: '交付文書' });
  await expect(docs).toContainText(TEMPLATE.title);
  const citizenDownload = page.waitForEvent('download');
  await docs.getByRole('button', { name: `「${TEMPLATE.title}」をダウンロード` }).click();
  const got = await citizenDownload;
  expect(got.suggestedFilename()).toMatch(/\.pdf$/);
  expect((await bodyOf(got)).equals(signed)).toBe(true);
  await expect(docs.getByRole('status')).toHaveText(`「${TEMPLATE.title}」をダウンロードしました。`);
  await axeBoth(page, 'the status page with the issued document');

  // ---- 8. The clerk exports CSV ------------------------------------------------
  await clerk.goto(lgwan('/exports.html'));
  // The page's own first load of the columns, before asking for this procedure's.
  await expect(clerk.getByLabel(/到達番号/)).toBeChecked();
  await clerk.getByLabel(/^手続 ID/).fill(PROC);
  await clerk.getByRole('button', { name: '列を読み込む' }).click();
  await clerk.getByLabel('申込者の氏名（answer.name）').check();
  await clerk.getByLabel('変更の理由（answer.reason）').check();
  await expect(clerk.getByLabel(/到達番号/)).toBeChecked();
  const csvDownload = clerk.waitForEvent('download');
  await clerk.getByRole('link', { name: 'CSV を書き出す' }).click();
  const csv = await bodyOf(await csvDownload);
  expect([...csv.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
  const lines = new TextDecoder('utf-8', { fatal: true }).decode(csv.subarray(3)).split(/\r\n/).filter((l) => l);
  const line = lines.find((l) => l.includes(receipt));
  expect(line, `a row for ${receipt} in the CSV`).toBeTruthy();
  expect(line).toContain('通し 花子');
  expect(line).toContain('勤務先が変わったため');
  expect(line).toContain('完了');
  expect(lines).toHaveLength(2);   // the header and this procedure's one application

  await admin.context().close();
  await clerk.context().close();
  rmSync(work, { recursive: true, force: true });
});
