// register.js — アカウントの登録: address and password; the server mails a
// verification link. The reply is the same whether or not the address already has
// an account (no one learns who is registered from this page).
import { accountUrl, chrome, h, put, send, setTitle, focusEl } from './common.js';
import { field, showErrors, clearErrors, serverErrors, notice, PASSWORD_HELP, EMAIL_RE } from './simpleform.js';

const TITLE = 'アカウントの登録';
const main = chrome();
const slot = h('div', {});
const email = field('email', 'メールアドレス', { type: 'email', required: true, autocomplete: 'email' });
const pw = field('password', 'パスワード', { type: 'password', required: true, autocomplete: 'new-password', help: PASSWORD_HELP });
const pw2 = field('password2', 'パスワード（確認のため再入力）', { type: 'password', required: true, autocomplete: 'new-password' });
const form = h('form', { novalidate: true, onsubmit: submit }, email.wrap, pw.wrap, pw2.wrap,
  h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'button primary' }, '登録する')));

async function submit(e) {
  e.preventDefault();
  const list = [];
  if (!EMAIL_RE.test(email.input.value.trim())) list.push({ path: 'email', message: 'メールアドレスを正しい形式で入力してください (例: taro@example.jp)。' });
  if (pw.input.value.length < 10) list.push({ path: 'password', message: 'パスワードは10文字以上で入力してください。' });
  else if (pw.input.value !== pw2.input.value) list.push({ path: 'password2', message: '確認のため、同じパスワードをもう一度入力してください。' });
  if (list.length) return showErrors(main, slot, list, TITLE);
  clearErrors(main, slot, TITLE);
  try {
    const r = await send('/account/register', 'POST', { email: email.input.value.trim(), password: pw.input.value });
    const done = h('h2', {}, '確認のメールをお送りしました');
    form.replaceWith(notice('', done, h('p', {}, r.message)));
    focusEl(done);
  } catch (err) {
    showErrors(main, slot, serverErrors(err, 'email'), TITLE);
  }
}

setTitle(TITLE);
put(main,
  h('h1', {}, TITLE),
  slot,
  h('p', {}, 'アカウントを登録すると、ログインが必要な手続の申請、申請の状況の確認（マイページ）、入力内容の一時保存、登録内容を使った入力ができます。'),
  h('p', {}, '登録のあと、入力したメールアドレスに確認のメールをお送りします。メールのリンクを開くと登録が完了します。'),
  form,
  h('p', {}, 'すでに登録している方は ', h('a', { href: accountUrl('login') }, 'ログイン'), ' してください。'));
