// reply.spec.js — 補正への回答 on the status page: the correction request in the
// history, the reply form with a sanitized attachment (a refused one blocks sending),
// the reply sent and shown; axe on each state. The office's side and the bundle's way
// to LGWAN are tests/integration/test_replies.py's.
import { test, expect } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { url, axeBoth, samplePdf, eicarPdf } from './helpers.js';

const PASSWORD = 'reply horse battery';

// The office's correction request as a status bundle leaves it in the portal's
// database (downlink.c): status 補正 and an event that invites a reply.
const REQUEST = `
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], timeout=10)
with db:
    db.execute("UPDATE applications SET status = 'correction' WHERE receipt_no = ?", (sys.argv[2],))
    db.execute("INSERT INTO application_events (receipt_no, status, message, at, source, kind,"
               " reply_invited) VALUES (?, 'correction', ?, ?, 'office', 'status', 1)",
               (sys.argv[2], "住民票の写しを\\n添付してください。", int(time.time())))
`;

test('補正への回答: request shown, sanitized PDF attached, reply sent', async ({ page, request }) => {
  const r = await request.post(url('/api/v1/demo/procedures/demo-inquiry/applications'), {
    data: { answers: { name: '回答 太郎' }, status_password: PASSWORD },
    headers: { 'Idempotency-Key': crypto.randomUUID() },
  });
  expect(r.status()).toBe(201);
  const receipt = (await r.json()).receipt_no;
  execFileSync('/usr/bin/python3', ['-c', REQUEST,
    join(process.env.SEKISHO_INSTANCE, 'dmz', 'db', 'demo.sqlite'), receipt]);

  await page.goto(url(`/demo/status?receipt=${receipt}`));
  await page.getByLabel('照会用パスワード').fill(PASSWORD);
  await page.getByRole('button', { name: '状況を確認する' }).click();
  await expect(page.locator('.status-now')).toHaveText('補正依頼');
  await expect(page.locator('.timeline-message').last()).toHaveText('住民票の写しを\n添付してください。');
  await expect(page.getByRole('heading', { name: '回答の送信' })).toBeVisible();
  await axeBoth(page, 'the status page with a reply form');

  // Nothing written: refused before anything is sent.
  await page.getByRole('button', { name: '回答を送信する' }).click();
  await expect(page.locator('.error-summary')).toContainText('回答の内容を入力してください。');
  await expect(page.locator('.error-summary')).toBeFocused();
  await axeBoth(page, 'the reply form with an error');

  // A refused file blocks sending until it is removed.
  await page.getByLabel('回答の内容').fill('住民票の写しを添付します。');
  await page.getByLabel('添付ファイル（任意）').setInputFiles({ name: 'ウイルス.pdf', mimeType: 'application/pdf', buffer: eicarPdf() });
  const bad = page.locator('#reply-files .file-item');
  await expect(bad.getByText('このファイルは受け付けられません。')).toBeVisible({ timeout: 90000 });
  await page.getByRole('button', { name: '回答を送信する' }).click();
  await expect(page.locator('.error-summary')).toContainText('受け付けられないファイルを削除してから');
  await bad.getByRole('button', { name: /削除/ }).click();
  await expect(page.locator('#reply-files .file-item')).toHaveCount(0);

  await page.getByLabel('添付ファイル（任意）').setInputFiles({ name: '住民票.pdf', mimeType: 'application/pdf', buffer: samplePdf() });
  await expect(page.locator('#reply-files').getByText('無害化処理が終わりました')).toBeVisible({ timeout: 90000 });
  await axeBoth(page, 'the reply form with a clean file');
  const sent = page.waitForResponse((res) => res.url().endsWith(`/applications/${receipt}/replies`));
  await page.getByRole('button', { name: '回答を送信する' }).click();
  const res = await sent;
  expect(res.status()).toBe(201);
  expect(res.request().headers()['idempotency-key']).toMatch(/^[0-9a-f-]{36}$/);
  expect(JSON.parse(res.request().postData()).uploads).toHaveLength(1);
  // Looked up again: the reply in the history, and no second form.
  await expect(page.locator('.timeline-reply .timeline-label')).toHaveText('ご回答');
  await expect(page.locator('.timeline-reply .timeline-message')).toHaveText('住民票の写しを添付します。');
  await expect(page.getByRole('heading', { name: '回答の送信' })).toHaveCount(0);
  await axeBoth(page, 'the status page after the reply');
});
