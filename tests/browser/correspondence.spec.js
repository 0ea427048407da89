// correspondence.spec.js — 申請者とのやりとり on the staff detail page: a clerk sends a
// message (問合せ) from the page, requests a correction, and the applicant's reply with
// its sanitized PDF comes back over the bridge and is shown with the attachment in a
// frame; axe on the page at each step. The API side is tests/integration/test_replies.py.
import { test, expect } from '@playwright/test';
import { axeBoth, samplePdf, url, sekishoctl, initialPassword, staffFirstLogin, lgwan, getRetrying, postRetrying, orNull } from './helpers.js';

const NEW_PASSWORD = 'correspondence-passphrase-2026';
const STATUS_PASSWORD = 'reply horse battery';

test('a message, a correction request and the reply with its attachment', async ({ page, request }) => {
  test.setTimeout(300000);
  const out = sekishoctl('staff', 'add', 'demo', 'reviewer1', 'admin', '審査 太郎');
  const initial = initialPassword(out);

  const r = await request.post(url('/api/v1/demo/procedures/demo-inquiry/applications'), {
    data: { answers: { name: 'やりとり 花子' }, status_password: STATUS_PASSWORD },
    headers: { 'Idempotency-Key': crypto.randomUUID() },
  });
  expect(r.status()).toBe(201);
  const receipt = (await r.json()).receipt_no;

  await staffFirstLogin(page, 'reviewer1', initial, NEW_PASSWORD);
  const staff = (p) => lgwan(`/api/v1/demo/staff/applications/${receipt}${p}`);
  await expect.poll(orNull(async () => (await page.request.get(staff(''))).status()),
    { timeout: 120000, message: 'the application reached officed' }).toBe(200);

  await page.goto(lgwan(`/application.html?r=${receipt}`));
  await expect(page.getByRole('heading', { name: '申請者とのやりとり' })).toBeVisible();
  await expect(page.locator('#correspondence')).toHaveText('まだやりとりはありません。');
  await page.getByLabel(/申請者へのお問い合わせ/).fill('日中の連絡先を\n教えてください。');
  await page.getByLabel('申請者からの回答（添付ファイルを含む）を受け付ける').uncheck();
  await page.getByRole('button', { name: 'お問い合わせを送る' }).click();
  await expect(page.locator('#notice')).toHaveText('申請者にメッセージを送りました。');
  await expect(page.locator('#correspondence li')).toHaveCount(1);
  await expect(page.locator('#correspondence .message-body')).toHaveText('日中の連絡先を\n教えてください。');
  await expect(page.locator('#correspondence li')).toContainText('回答不要');
  await axeBoth(page, 'the staff detail page with a message');

  await page.getByLabel(/申請者へのメッセージ/).fill('住民票の写しを添付してください。');
  await page.getByRole('button', { name: '受付する' }).click();
  await expect(page.locator('#status')).toHaveText('受付');
  await page.getByLabel(/申請者へのメッセージ/).fill('住民票の写しを添付してください。');
  await page.getByRole('button', { name: '補正を依頼する' }).click();
  await expect(page.locator('#status')).toHaveText('補正');
  await expect(page.locator('#correspondence li')).toHaveCount(2);

  // The applicant replies through the portal with a sanitized PDF.
  const up = await postRetrying(request, url('/api/v1/demo/uploads?procedure=demo-inquiry&field=attachment'), {
    multipart: { file: { name: '住民票.pdf', mimeType: 'application/pdf', buffer: samplePdf() } },
  });
  expect(up.status()).toBe(202);
  const uid = (await up.json()).upload_id;
  await expect.poll(orNull(async () => (await (await request.get(url(`/api/v1/demo/uploads/${uid}`))).json()).state),
    { timeout: 90000 }).toBe('clean');
  await expect.poll(orNull(async () => (await (await request.get(url(`/api/v1/demo/applications/${receipt}`),
    { headers: { 'X-Status-Password': STATUS_PASSWORD } })).json()).can_reply),
  { timeout: 60000, message: 'the correction request reached the portal' }).toBe(true);
  const rep = await postRetrying(request, url(`/api/v1/demo/applications/${receipt}/replies`), {
    data: { text: '住民票の写しを添付します。', uploads: [uid], status_password: STATUS_PASSWORD },
    headers: { 'Idempotency-Key': crypto.randomUUID() },
  });
  expect(rep.status()).toBe(201);
  await expect.poll(orNull(async () => (await (await page.request.get(staff(''))).json()).replies.length),
    { timeout: 120000, message: 'the reply reached officed' }).toBe(1);

  await page.reload();
  await expect(page.locator('#status')).toHaveText('審査');
  const reply = page.locator('#correspondence li').nth(2);
  await expect(reply).toContainText('申請者からの回答（第1回）');
  await expect(reply).toContainText('状態を「審査」に戻しました');
  await expect(reply.locator('.message-body')).toHaveText('住民票の写しを添付します。');
  await expect(reply.locator('iframe.pdf')).toHaveAttribute('title', '回答の添付ファイル: 住民票.pdf');
  const file = await getRetrying(page.request, staff('/replies/1/files/1'));
  expect(file.status()).toBe(200);
  expect(file.headers()['content-type']).toBe('application/pdf');
  await axeBoth(page, 'the staff detail page with a reply');
});
