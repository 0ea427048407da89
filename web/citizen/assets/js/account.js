// account.js — アカウントの設定: the profile forms are pre-filled from, change of
// address (verified by a mailed link; both addresses are told), change of password
// (the other sessions end), and deletion of the account. Each section is its own
// form with its own error summary.
import { accountUrl, chrome, h, home, loginUrl, me, put, send, setTitle, forgetMe, focusEl } from './common.js';
import { field, showErrors, clearErrors, serverErrors, notice, PASSWORD_HELP, EMAIL_RE } from './simpleform.js';

const TITLE = 'アカウントの設定';
const main = chrome();

function section(id, title, intro, fields, button, onsend) {
  const slot = h('div', {});
  const status = h('div', { 'aria-live': 'polite' });
  const sec = h('section', { 'aria-labelledby': `${id}-title` },
    h('h2', { id: `${id}-title` }, title), slot, intro ? h('p', {}, intro) : null,
    h('form', {
      novalidate: true,
      onsubmit: async (e) => {
        e.preventDefault();
        status.replaceChildren();
        const result = await onsend({ fail: (list) => showErrors(sec, slot, list, TITLE), clear: () => clearErrors(sec, slot, TITLE) });
        if (result) status.replaceChildren(notice('', h('p', {}, result)));
      },
    }, fields.map((f) => f.wrap || f), h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'button primary' }, button))),
    status);
  return sec;
}

function profileSection(profile) {
  const f = {
    name: field('p-name', '氏名', { autocomplete: 'name', value: profile.name }),
    kana: field('p-kana', '氏名（フリガナ）', { value: profile.kana, help: '全角カタカナで入力してください。' }),
    birth_date: field('p-birth_date', '生年月日', { type: 'date', cls: 'input-medium', autocomplete: 'bday', value: profile.birth_date }),
    postal_code: field('p-postal_code', '郵便番号', { inputmode: 'numeric', cls: 'input-medium', autocomplete: 'postal-code', value: profile.postal_code, help: '例：100-0001' }),
    address: field('p-address', '住所', { autocomplete: 'street-address', value: profile.address }),
    tel: field('p-tel', '電話番号', { type: 'tel', cls: 'input-medium', autocomplete: 'tel', value: profile.tel, help: '例：03-1234-5678' }),
  };
  const ids = Object.fromEntries(Object.keys(f).map((k) => [k, `p-${k}`]));
  return section('profile', '登録内容（申請書への入力に使います）',
    'ここで登録した内容は、申請書の同じ項目に入力できます。入力しない項目は空欄のままで構いません。',
    Object.values(f), '登録内容を保存する', async ({ fail, clear }) => {
      const profile = {};
      for (const [k, v] of Object.entries(f)) if (v.input.value.trim()) profile[k] = v.input.value.trim();
      try {
        const r = await send('/account/profile', 'PUT', { profile });
        clear();
        return r.message;
      } catch (err) {
        fail(serverErrors(err, 'p-name').map((x) => ({ path: ids[x.path] || x.path, message: x.message })));
        return null;
      }
    });
}

function emailSection(m) {
  const nw = field('e-new_email', '新しいメールアドレス', { type: 'email', autocomplete: 'email', required: true });
  const pw = field('e-password', '現在のパスワード', { type: 'password', autocomplete: 'current-password', required: true });
  return section('email', 'メールアドレスの変更', `現在のメールアドレス：${m.account.email}。新しいメールアドレスに確認のメールをお送りし、そのリンクを開くと変更が完了します。`,
    [nw, pw], '確認のメールを送る', async ({ fail, clear }) => {
      const list = [];
      if (!EMAIL_RE.test(nw.input.value.trim())) list.push({ path: 'e-new_email', message: 'メールアドレスを正しい形式で入力してください (例: taro@example.jp)。' });
      if (!pw.input.value) list.push({ path: 'e-password', message: '現在のパスワードを入力してください。' });
      if (list.length) { fail(list); return null; }
      try {
        const r = await send('/account/email', 'POST', { new_email: nw.input.value.trim(), password: pw.input.value });
        clear();
        pw.input.value = '';
        return r.message;
      } catch (err) {
        fail(serverErrors(err, 'e-new_email').map((x) => ({ path: { new_email: 'e-new_email', current_password: 'e-password' }[x.path] || 'e-new_email', message: x.message })));
        return null;
      }
    });
}

function passwordSection() {
  const cur = field('pw-current', '現在のパスワード', { type: 'password', autocomplete: 'current-password', required: true });
  const nw = field('pw-new', '新しいパスワード', { type: 'password', autocomplete: 'new-password', required: true, help: PASSWORD_HELP });
  const nw2 = field('pw-new2', '新しいパスワード（確認のため再入力）', { type: 'password', autocomplete: 'new-password', required: true });
  return section('password', 'パスワードの変更', '変更すると、ほかの端末でのログインは終了します。変更したことを登録のメールアドレスにお知らせします。',
    [cur, nw, nw2], 'パスワードを変更する', async ({ fail, clear }) => {
      const list = [];
      if (!cur.input.value) list.push({ path: 'pw-current', message: '現在のパスワードを入力してください。' });
      if (nw.input.value.length < 10) list.push({ path: 'pw-new', message: 'パスワードは10文字以上で入力してください。' });
      else if (nw.input.value !== nw2.input.value) list.push({ path: 'pw-new2', message: '確認のため、同じパスワードをもう一度入力してください。' });
      if (list.length) { fail(list); return null; }
      try {
        const r = await send('/account/password', 'POST', { current_password: cur.input.value, new_password: nw.input.value });
        forgetMe();	// the session token and its CSRF token are new
        clear();
        for (const x of [cur, nw, nw2]) x.input.value = '';
        return r.message;
      } catch (err) {
        fail(serverErrors(err, 'pw-current').map((x) => ({ path: { current_password: 'pw-current', new_password: 'pw-new' }[x.path] || 'pw-current', message: x.message })));
        return null;
      }
    });
}

function deleteSection() {
  const pw = field('d-password', '現在のパスワード', { type: 'password', autocomplete: 'current-password', required: true });
  const box = h('input', { type: 'checkbox', id: 'd-confirm', name: 'd-confirm' });
  const confirm = h('div', { class: 'field', id: 'w-d-confirm' }, h('div', { class: 'error-slot' }),
    h('div', { class: 'option checkbox' }, box, h('label', { for: 'd-confirm' }, 'アカウントを削除することに同意します')));
  return section('delete', 'アカウントの削除',
    '削除すると、登録内容と一時保存した申請内容は消去され、元に戻せません。すでに送信した申請は市区町村で引き続き取り扱いますが、マイページからは確認できなくなります（照会用パスワードを設定した申請は、到達番号とパスワードで確認できます）。',
    [confirm, pw], 'アカウントを削除する', async ({ fail }) => {
      const list = [];
      if (!box.checked) list.push({ path: 'd-confirm', message: '削除してよいことを確認のうえ、チェックを入れてください。' });
      if (!pw.input.value) list.push({ path: 'd-password', message: '現在のパスワードを入力してください。' });
      if (list.length) { fail(list); return null; }
      try {
        await send('/account/delete', 'POST', { password: pw.input.value, confirm: true });
        forgetMe();
        const done = h('h1', {}, 'アカウントを削除しました');
        put(main, done, notice('', h('p', {}, 'ご利用ありがとうございました。')), h('p', {}, h('a', { href: home }, '手続の一覧へ')));
        setTitle('アカウントを削除しました');
        focusEl(done);
        return null;
      } catch (err) {
        fail(serverErrors(err, 'd-password').map((x) => ({ path: { current_password: 'd-password', confirm: 'd-confirm' }[x.path] || 'd-password', message: x.message })));
        return null;
      }
    });
}

async function start() {
  const m = await me();
  if (!m) { location.replace(loginUrl()); return; }
  setTitle(TITLE);
  put(main,
    h('p', { class: 'back' }, h('a', { href: accountUrl('applications') }, 'マイページへ戻る')),
    h('h1', {}, TITLE),
    profileSection(m.account.profile || {}),
    emailSection(m),
    passwordSection(),
    deleteSection());
}
start();
