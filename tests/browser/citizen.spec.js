// citizen.spec.js — a citizen's whole journey on the real dev stack: search, the
// procedure page, the conditional form with postal look-up, repeatable group and
// sanitized uploads, validation, check answers with a 変更 link, submission, 到達番号
// and status; a refused (EICAR) upload; keyboard-only completion; axe on every page.
import { test, expect } from '@playwright/test';
import { url, axeBoth, samplePdf, photoPng, eicarPdf, tabTo, readMail, linkPath, getRetrying } from './helpers.js';

const PASSWORD = 'correct horse battery';

test('児童手当: search, conditional form, postal look-up, uploads, check, submit, status', async ({ page }) => {
  // 1. The list and search
  await page.goto(url('/'));
  await expect(page).toHaveURL(/\/demo\/$/);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('手続をさがす');
  await expect(page.locator('.card')).toHaveCount(4);
  await axeBoth(page, 'the procedure list');
  await page.getByLabel('キーワード').fill('手当');
  await page.getByRole('button', { name: '検索' }).click();
  await expect(page).toHaveURL(/q=%E6%89%8B%E5%BD%93/);
  await expect(page.getByRole('status')).toHaveText('1件の手続が見つかりました。');
  await expect(page.locator('.card')).toHaveCount(1);
  await expect(page.locator('.card .badge-open')).toHaveText('受付中');
  await axeBoth(page, 'the search result');

  // 2. The procedure page
  await page.getByRole('link', { name: '児童手当 認定請求 (サンプル)' }).click();
  await expect(page).toHaveURL(/\/demo\/procedures\/jidou-teate$/);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('児童手当 認定請求 (サンプル)');
  await expect(page.getByText('請求者の健康保険証の写し')).toBeVisible();
  const qr = page.getByRole('img', { name: /この手続のページのQRコード/ });
  await expect(qr).toBeVisible();
  expect(await qr.evaluate((img) => img.complete && img.naturalWidth > 0)).toBe(true);
  await axeBoth(page, 'the procedure page');

  // 3. The form: nothing is checked while typing; a premature submit shows the summary
  await page.getByRole('link', { name: '申請を始める' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('申請内容の入力');
  await expect(page).toHaveTitle(/申請内容の入力/);
  await axeBoth(page, 'the empty form');
  await page.getByLabel('電話番号').fill('12');
  await expect(page.locator('.error-message')).toHaveCount(0);
  await page.getByRole('button', { name: '入力内容を確認する' }).click();
  const summary = page.locator('.error-summary');
  await expect(summary).toBeFocused();
  await expect(summary).toHaveAttribute('role', 'alert');
  await expect(summary).toContainText('請求者の氏名を入力してください。');
  await expect(summary).toContainText('電話番号は市外局番から10桁または11桁の番号で入力してください。');
  await expect(summary).toContainText('健康保険証の写しを添付してください。');
  await expect(summary).toContainText('利用規約に同意しますに同意してください。');
  await expect(summary).toContainText('対象となるお子さん（1件目）のお子さんの氏名を入力してください。');
  await expect(page).toHaveTitle(/^エラー：/);
  await axeBoth(page, 'the form with errors');
  await summary.getByRole('link', { name: '請求者の氏名を入力してください。' }).click();
  const name = page.locator('#f-name');
  await expect(name).toBeFocused();
  await expect(name).toHaveAttribute('aria-invalid', 'true');
  await expect(name).toHaveAttribute('aria-describedby', /f-name-error/);
  await expect(page.locator('#f-name-error')).toContainText('請求者の氏名を入力してください。');

  // The answers
  await name.fill('山田 太郎');
  await page.getByLabel('請求者の氏名 (フリガナ)').fill('ﾔﾏﾀﾞ ﾀﾛｳ');
  await page.getByLabel('請求者の生年月日').fill('1990-04-01');
  await expect(page.locator('#f-birth_date-wareki')).toHaveText('和暦：平成2年4月1日');
  // Postal look-up: several addresses to choose from, then a single one.
  await page.getByLabel('郵便番号').fill('452-0961');
  await page.getByRole('button', { name: '住所検索' }).click();
  const choice = page.getByRole('group', { name: /2件の住所が見つかりました/ });
  await choice.getByLabel('愛知県清須市春日一番割').check();
  await choice.getByRole('button', { name: 'この住所を使う' }).click();
  await expect(page.locator('#f-address')).toHaveValue('愛知県清須市春日一番割');
  await page.getByLabel('郵便番号').fill('１００－０００１');
  await page.getByRole('button', { name: '住所検索' }).click();
  const address = page.locator('#f-address');
  await expect(address).toHaveValue('東京都千代田区千代田');
  await expect(address).toBeFocused();
  await address.press('End');
  await address.type('1-1');
  await page.getByLabel('電話番号').fill('03-1234-5678');
  await page.getByLabel('メールアドレス').fill('taro@example.jp');

  // Conditional display, two levels: 転入 -> 国外から? -> はい -> 国名
  const movedFrom = page.getByLabel('転入前の住所');
  const abroad = page.getByRole('group', { name: /国外からの転入ですか/ });
  const country = page.getByLabel('転入前の国名');
  await expect(movedFrom).toBeHidden();
  await expect(abroad).toBeHidden();
  await page.getByLabel('転入', { exact: true }).check();
  await expect(movedFrom).toBeVisible();
  await expect(abroad).toBeVisible();
  await expect(country).toBeHidden();
  await abroad.getByLabel('はい').check();
  await expect(country).toBeVisible();
  await abroad.getByLabel('いいえ').check();
  await expect(country).toBeHidden();
  await abroad.getByLabel('はい').check();
  await movedFrom.fill('アメリカ合衆国 カリフォルニア州');
  await country.fill('アメリカ合衆国');

  // The repeatable group: a second child
  const child1 = page.getByRole('group', { name: '対象となるお子さん（1件目）' });
  await page.locator('#f-children-0--child_name').fill('山田 花子');
  await child1.getByLabel('お子さんの氏名 (フリガナ)').fill('ヤマダ ハナコ');
  await child1.getByLabel('お子さんの生年月日').fill('2020-05-05');
  await child1.getByLabel('同居', { exact: true }).check();
  await page.getByRole('button', { name: '対象となるお子さんを追加' }).click();
  const child2 = page.getByRole('group', { name: '対象となるお子さん（2件目）' });
  await expect(page.locator('#f-children-1--child_name')).toBeFocused();
  await page.locator('#f-children-1--child_name').fill('山田 次郎');
  await child2.getByLabel('お子さんの氏名 (フリガナ)').fill('ﾔﾏﾀﾞ ｼﾞﾛｳ');
  await child2.getByLabel('お子さんの生年月日').fill('2023-01-10');
  await child2.getByLabel('別居').check();
  // The first child's answers survived the redraw.
  await expect(page.locator('#f-children-0--child_name')).toHaveValue('山田 花子');

  await page.getByLabel('世帯で所得のある方の人数').fill('２');
  await page.getByLabel('午後').check();

  // Files: a PDF and a photo, sent at once, then sanitized
  await page.getByLabel('健康保険証の写し').setInputFiles([
    { name: '保険証.pdf', mimeType: 'application/pdf', buffer: samplePdf() },
    { name: '保険証の写真.png', mimeType: 'image/png', buffer: photoPng() },
  ]);
  const items = page.locator('.file-item');
  await expect(items).toHaveCount(2);
  await expect(items.nth(0).getByText('無害化処理が終わりました')).toBeVisible({ timeout: 90000 });
  await expect(items.nth(1).getByText('無害化処理が終わりました')).toBeVisible({ timeout: 90000 });
  await expect(items.nth(0)).toContainText(/PDF、\d+ページ/);
  await page.getByLabel('利用規約に同意します').check();
  await axeBoth(page, 'the filled form');

  // 4. Check answers, and a 変更 link back to one field
  await page.getByRole('button', { name: '入力内容を確認する' }).click();
  await expect(page).toHaveURL(/\/check$/);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('入力内容の確認');
  const rows = page.locator('.summary-row');
  await expect(rows.filter({ hasText: '請求者の生年月日' })).toContainText('1990年4月1日（平成2年4月1日）');
  await expect(rows.filter({ hasText: '転入前の国名' })).toContainText('アメリカ合衆国');
  await expect(page.getByRole('heading', { name: '対象となるお子さん（2件目）' })).toBeVisible();
  await expect(rows.filter({ hasText: '健康保険証の写し' })).toContainText('保険証の写真.png');
  await axeBoth(page, 'the check page');
  await rows.filter({ hasText: '電話番号' }).getByRole('link', { name: /変更/ }).click();
  await expect(page).toHaveURL(/\/apply#f-tel$/);
  const tel = page.getByLabel('電話番号');
  await expect(tel).toBeFocused();
  await expect(tel).toHaveValue('03-1234-5678');
  await tel.fill('090-1234-5678');
  await page.getByRole('button', { name: '入力内容を確認する' }).click();
  await expect(page.locator('.summary-row').filter({ hasText: '電話番号' })).toContainText('090-1234-5678');

  // A too-short status password is refused before anything is sent.
  await page.getByLabel('照会用パスワード').fill('short');
  await page.getByRole('button', { name: '送信する' }).click();
  await expect(page.locator('.error-summary')).toContainText('照会用パスワードは8文字以上');
  await page.getByLabel('照会用パスワード').fill(PASSWORD);

  // 5. Send: the 到達番号
  const reply = page.waitForResponse((r) => r.url().endsWith('/applications') && r.request().method() === 'POST');
  await page.getByRole('button', { name: '送信する' }).click();
  const sent = await reply;
  expect(sent.status()).toBe(201);
  expect(sent.request().headers()['idempotency-key']).toMatch(/^[0-9a-f-]{36}$/);
  await expect(page).toHaveURL(/\/done$/);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('申請が到達しました');
  const receipt = (await page.locator('#receipt-no').textContent()).trim();
  expect(receipt).toMatch(/^\d{8}-\d{6}$/);
  await axeBoth(page, 'the 到達 page');

  // 6. Status with the password
  await page.getByRole('link', { name: '申請状況を確認する' }).click();
  await expect(page.getByLabel('到達番号')).toHaveValue(receipt);
  await page.getByLabel('照会用パスワード').fill('wrong password');
  await page.getByRole('button', { name: '状況を確認する' }).click();
  await expect(page.locator('.error-summary')).toBeFocused();
  await axeBoth(page, 'the status page with an error');
  await page.getByLabel('照会用パスワード').fill(PASSWORD);
  await page.getByRole('button', { name: '状況を確認する' }).click();
  await expect(page.getByRole('heading', { name: '申請の状況' })).toBeFocused();
  await expect(page.locator('.status-now')).toHaveText('到達');
  await expect(page.locator('.timeline li').first()).toContainText('到達');
  await expect(page.locator('#result')).toContainText('児童手当 認定請求 (サンプル)');
  await axeBoth(page, 'the status page');
});

test('手数料: the procedure page lists it, the check page adds it up from the answers', async ({ page }) => {
  await page.goto(url('/demo/procedures/jumin-hyo'));
  const fee = page.locator('table.fee');
  await expect(fee).toContainText('住民票の写し');
  await expect(fee).toContainText('300円（「必要な通数」1 につき）');
  const form = page.getByRole('link', { name: '郵送請求書（印刷して記入する場合）' });
  await expect(form).toHaveAttribute('download', '住民票請求書.pdf');
  await expect(page.locator('ul.downloads')).toContainText('（PDF形式、');
  const pdf = await getRetrying(page.request, url(await form.getAttribute('href')));
  expect(pdf.status()).toBe(200);
  expect((await pdf.body()).subarray(0, 5).toString()).toBe('%PDF-');
  await axeBoth(page, 'a procedure page with a fee and a form to download');
  await page.getByRole('link', { name: '申請を始める' }).click();
  // The procedure's image is on the form too, with its alternative text.
  const img = page.getByRole('img', { name: '左の枠に「通数」、右の枠に必要な数を記入した例' });
  await expect(img).toBeVisible();
  expect(await img.evaluate((i) => i.naturalWidth)).toBe(240);
  await page.getByLabel('請求者のお名前').fill('手数 料子');
  await page.getByLabel('必要な通数').fill('2');
  await page.getByLabel('使いみち').selectOption('job');
  await page.getByLabel('請求にあたっての注意事項に同意します').check();
  await page.getByRole('button', { name: '入力内容を確認する' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('入力内容の確認');
  await expect(page.locator('#fee-total')).toHaveText('600円');
  await expect(page.locator('table.fee tbody')).toContainText('住民票の写し2600円');
  await axeBoth(page, 'the check page with a fee');
});

test('a file with a virus (EICAR) is refused with its reason, and blocks sending', async ({ page }) => {
  await page.goto(url('/demo/procedures/demo-inquiry/apply'));
  await page.getByLabel('お名前').fill('検査 花子');
  await page.getByLabel('添付ファイル').setInputFiles({ name: 'ウイルス.pdf', mimeType: 'application/pdf', buffer: eicarPdf() });
  const item = page.locator('.file-item');
  await expect(item.getByText('無害化処理中です')).toBeVisible();
  await expect(item.getByText('このファイルは受け付けられません。')).toBeVisible({ timeout: 90000 });
  await expect(item).toContainText(/ウイルス|マルウェア/);
  await axeBoth(page, 'the form with a refused file');
  await page.getByRole('button', { name: '入力内容を確認する' }).click();
  await expect(page.locator('.error-summary')).toContainText('受け付けられないファイルがあります');
  // Removing it makes the form acceptable again.
  await item.getByRole('button', { name: /削除/ }).click();
  await expect(page.locator('.file-item')).toHaveCount(0);
  await expect(page.getByLabel('添付ファイル')).toBeFocused();
});

test('the send button waits for the sanitizer', async ({ page }) => {
  await page.goto(url('/demo/procedures/demo-inquiry/apply'));
  await page.getByLabel('お名前').fill('待機 太郎');
  // Hold the verdict back so that the check page sees a pending file.
  let release;
  const held = new Promise((r) => { release = r; });
  await page.route('**/api/v1/demo/uploads/*', async (route) => { await held; await route.continue(); });
  await page.getByLabel('添付ファイル').setInputFiles({ name: 'メモ.pdf', mimeType: 'application/pdf', buffer: samplePdf() });
  await expect(page.getByText('無害化処理中です')).toBeVisible();
  await page.getByRole('button', { name: '入力内容を確認する' }).click();
  await expect(page).toHaveURL(/\/check$/);
  const send = page.getByRole('button', { name: '送信する' });
  await expect(send).toBeDisabled();
  await expect(page.locator('.send-state')).toContainText('無害化処理が終わるまで送信できません');
  release();
  await expect(send).toBeEnabled({ timeout: 90000 });
  await expect(page.locator('.summary-row').filter({ hasText: '添付ファイル' })).toContainText('無害化処理済み');
});

test('the server is the authority: a 422 is shown as the form\'s own errors', async ({ page }) => {
  await page.goto(url('/demo/procedures/demo-inquiry/apply'));
  await page.getByLabel('お名前').fill('山田 太郎');
  await page.getByRole('button', { name: '入力内容を確認する' }).click();
  await expect(page).toHaveURL(/\/check$/);
  // The server knows something the browser cannot (here: made to say so).
  await page.route('**/api/v1/demo/procedures/demo-inquiry/applications', (route) => route.fulfill({
    status: 422, contentType: 'application/json',
    body: JSON.stringify({
      error: { code: 'validation', message: '入力内容に誤りがあります。各項目のメッセージをご確認ください。' },
      errors: { name: 'お名前に使用できない文字が含まれています。' },
      error_list: [{ path: 'name', message: 'お名前に使用できない文字が含まれています。' }],
    }),
  }));
  await page.getByRole('button', { name: '送信する' }).click();
  await expect(page).toHaveURL(/\/apply$/);
  const summary = page.locator('.error-summary');
  await expect(summary).toBeFocused();
  await expect(summary).toContainText('お名前に使用できない文字が含まれています。');
  await expect(page.locator('#f-name-error')).toContainText('お名前に使用できない文字が含まれています。');
});

test('keyboard only: the demo-inquiry form from its page to the 到達番号', async ({ page }) => {
  await page.goto(url('/demo/procedures/demo-inquiry'));
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('お問い合わせ・届出のサンプル');
  // The skip link is the first stop and is visible when focused.
  await page.keyboard.press('Tab');
  await expect(page.getByRole('link', { name: '本文へ移動' })).toBeFocused();
  await expect(page.getByRole('link', { name: '本文へ移動' })).toBeInViewport();
  await tabTo(page, () => document.activeElement.textContent === '申請を始める', '申請を始める');
  const ring = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
  expect(ring).not.toBe('none');
  await page.keyboard.press('Enter');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('申請内容の入力');
  await tabTo(page, () => document.activeElement.id === 'f-name', 'お名前');
  await page.keyboard.type('鍵盤 太郎');
  await page.keyboard.press('Tab');
  await expect(page.getByLabel('メールアドレス')).toBeFocused();
  await page.keyboard.type('kenban@example.jp');
  await page.keyboard.press('Tab');
  await expect(page.getByLabel('お問い合わせ内容')).toBeFocused();
  await page.keyboard.type('キーボードだけで入力しました。');
  await tabTo(page, () => document.activeElement.textContent === '入力内容を確認する', 'the check button');
  await page.keyboard.press('Enter');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('入力内容の確認');
  await tabTo(page, () => document.activeElement.id === 'status_password', 'the password');
  await page.keyboard.type(PASSWORD);
  await page.keyboard.press('Tab');
  await expect(page.getByRole('button', { name: '送信する' })).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('申請が到達しました');
  await expect(page.locator('#receipt-no')).toHaveText(/^\d{8}-\d{6}$/);
});

test('account: register, verify by mail, log in, save a draft, log out, log in, resume, submit', async ({ page }) => {
  const email = `hanako-${Date.now()}@example.jp`;
  const pw = 'sakura-sakura-2026';

  // Registration and the mailed verification link
  await page.goto(url('/demo/account/register'));
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('アカウントの登録');
  await axeBoth(page, 'the registration page');
  await page.getByRole('button', { name: '登録する' }).click();
  await expect(page.locator('.error-summary')).toBeFocused();
  await axeBoth(page, 'the registration page with errors');
  await page.getByLabel('メールアドレス').fill(email);
  await page.getByLabel('パスワード', { exact: false }).first().fill(pw);
  await page.getByLabel('パスワード（確認のため再入力）').fill(pw);
  await page.getByRole('button', { name: '登録する' }).click();
  await expect(page.getByRole('heading', { name: '確認のメールをお送りしました' })).toBeVisible();
  const verify = await readMail(email, 'メールアドレスの確認');
  await page.goto(url(linkPath(verify.text, 'verify')));
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('登録が完了しました');
  await expect(page).toHaveURL(/\/demo\/account\/verify$/);	// the token left the address bar
  await axeBoth(page, 'the verification landing page');

  // Login -> マイページ
  await page.getByRole('link', { name: 'ログインする' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('ログイン');
  await axeBoth(page, 'the login page');
  await page.getByLabel('メールアドレス').fill(email);
  await page.getByLabel('パスワード').fill('wrong-password-1');
  await page.getByRole('button', { name: 'ログインする' }).click();
  await expect(page.locator('.error-summary')).toContainText('メールアドレスまたはパスワードが正しくありません。');
  await page.getByLabel('パスワード').fill(pw);
  await page.getByRole('button', { name: 'ログインする' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('マイページ');
  await expect(page.getByText('まだ申請はありません。')).toBeVisible();
  await axeBoth(page, 'マイページ (empty)');

  // The account-only procedure: pre-filled from the account, saved as a draft
  await page.goto(url('/demo/procedures/kyufukin-shinsei/apply'));
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('申請内容の入力');
  await page.getByRole('button', { name: '登録内容を使う' }).click();
  await expect(page.locator('#f-email')).toHaveValue(email);
  await page.locator('#f-name').fill('関所 花子');
  await page.getByRole('button', { name: '一時保存', exact: true }).click();
  await expect(page.locator('#save-status')).toContainText('一時保存しました');
  await axeBoth(page, 'the form with the 一時保存 panel');

  // Log out; a new browser session (nothing kept in the tab) logs in and resumes
  await page.goto(url('/demo/account/logout'));
  await axeBoth(page, 'the logout page');
  await page.getByRole('button', { name: 'ログアウトする' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('ログアウトしました');
  await page.evaluate(() => sessionStorage.clear());
  await page.goto(url('/demo/procedures/kyufukin-shinsei/apply'));
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('ログインが必要です');
  await axeBoth(page, 'the form of an account-only procedure, logged out');
  await page.getByRole('link', { name: 'ログインする' }).click();
  await page.getByLabel('メールアドレス').fill(email);
  await page.getByLabel('パスワード').fill(pw);
  await page.getByRole('button', { name: 'ログインする' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('申請内容の入力');	// ?next=
  await page.getByRole('button', { name: '一時保存した内容を読み込む' }).click();
  await expect(page.locator('#f-name')).toHaveValue('関所 花子');

  // The rest of the form, check, send
  await page.locator('#f-name_kana').fill('セキショ ハナコ');
  await page.getByLabel('申請者の生年月日').fill('1990-04-01');
  await page.getByLabel('郵便番号').fill('1000001');
  await page.locator('#f-address').fill('東京都千代田区千代田1-1');
  await page.getByLabel('電話番号').fill('03-1234-5678');
  await page.getByLabel('対象となるお子さんの人数').fill('2');
  await page.getByLabel('利用規約に同意します').check();
  await page.getByRole('button', { name: '入力内容を確認する' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('入力内容の確認');

  // 代理申請: the representative and the 委任状 (sanitized like any upload)
  await page.getByLabel('代理人が申請します').check();
  await page.getByRole('button', { name: '送信する' }).click();
  await expect(page.locator('.error-summary')).toContainText('代理人の氏名を入力してください。');
  await expect(page.locator('.error-summary')).toContainText('委任状を添付してください。');
  await axeBoth(page, 'the check page with the proxy section and its errors');
  await page.locator('#f-proxy--name').fill('関所 太郎');
  await page.locator('#f-proxy--kana').fill('セキショ タロウ');
  await page.locator('#f-proxy--relationship').fill('夫');
  await page.locator('#f-proxy--tel').fill('090-1234-5678');
  await page.locator('#f-proxy--attorney').setInputFiles({ name: '委任状.pdf', mimeType: 'application/pdf', buffer: samplePdf() });
  await expect(page.locator('#w-f-proxy--attorney .file-clean')).toBeVisible({ timeout: 60000 });
  const reply = page.waitForResponse((r) => r.url().endsWith('/applications') && r.request().method() === 'POST');
  await page.getByRole('button', { name: '送信する' }).click();
  const sent = await reply;
  expect(sent.status()).toBe(201);
  expect(sent.request().headers()['x-csrf-token']).toMatch(/^[0-9a-f]{64}$/);
  expect(JSON.parse(sent.request().postData()).proxy.relationship).toBe('夫');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('申請が到達しました');
  const receipt = (await page.locator('#receipt-no').textContent()).trim();

  // マイページ: the application with its status; the draft is gone; status by session
  await page.goto(url('/demo/account/applications'));
  await expect(page.locator('.my-list').first()).toContainText(receipt);
  await expect(page.locator('.my-list').first()).toContainText('到達');
  await expect(page.getByText('一時保存した申請はありません。')).toBeVisible();
  await axeBoth(page, 'マイページ with an application');
  await page.getByRole('link', { name: new RegExp(`状況と経過を見る.*${receipt}`) }).click();
  await expect(page.locator('.status-now')).toHaveText('到達');
  await expect(page.locator('#result')).toContainText('子育て応援給付金の申請 (サンプル)');

  // The account settings page
  await page.goto(url('/demo/account'));
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('アカウントの設定');
  await page.getByLabel('氏名', { exact: true }).fill('関所 花子');
  await page.getByRole('button', { name: '登録内容を保存する' }).click();
  await expect(page.getByText('登録内容を保存しました。')).toBeVisible();
  await axeBoth(page, 'the account settings page');
});

test('一時保存 without an account: a resume link by mail, used once', async ({ page }) => {
  const email = `goro-${Date.now()}@example.jp`;
  await page.goto(url('/demo/procedures/demo-inquiry/apply'));
  await page.getByLabel('お名前').fill('山田 五郎');
  await page.getByRole('button', { name: '一時保存', exact: true }).click();
  await page.getByLabel('続きを入力するためのリンクの送り先').fill(email);
  await page.getByRole('button', { name: 'リンクをメールで送る' }).click();
  await expect(page.locator('#save-status')).toContainText('メールでお送りしました');
  await axeBoth(page, 'the form after sending a resume link');
  const mail = await readMail(email, '一時保存');
  const link = linkPath(mail.text, 'resume');
  await page.evaluate(() => sessionStorage.clear());
  await page.goto(url(link));
  await expect(page).toHaveURL(/\/demo\/procedures\/demo-inquiry\/apply$/);
  await expect(page.getByLabel('お名前')).toHaveValue('山田 五郎');
  await expect(page.locator('#offers')).toContainText('一時保存した内容を読み込みました。');
  // Spent: a second opening is refused, in words.
  await page.goto(url(link));
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('一時保存した申請を開けませんでした');
  await axeBoth(page, 'the resume landing page (spent link)');
  await page.goto(url('/demo/account/reset'));
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('パスワードの再設定');
  await axeBoth(page, 'the password reset request page');
  await page.goto('about:blank');
  await page.goto(url(`/demo/account/reset#token=${'0'.repeat(64)}`));
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('新しいパスワードの設定');
  await axeBoth(page, 'the new password page');
});
