// login.js — ログイン. After it, the citizen goes back to where they were sent from
// (?next=, same site only) or to マイページ. A wrong address and a wrong password get
// the same words from the server, on purpose; we show them as they are.
import { accountUrl, chrome, h, put, send, setTitle, nextPage, forgetMe } from './common.js';
import { field, showErrors, clearErrors, notice } from './simpleform.js';

const TITLE = 'ログイン';
const main = chrome();
const slot = h('div', {});
const email = field('email', 'メールアドレス', { type: 'email', required: true, autocomplete: 'username' });
const pw = field('password', 'パスワード', { type: 'password', required: true, autocomplete: 'current-password' });

async function submit(e) {
  e.preventDefault();
  const list = [];
  if (!email.input.value.trim()) list.push({ path: 'email', message: 'メールアドレスを入力してください。' });
  if (!pw.input.value) list.push({ path: 'password', message: 'パスワードを入力してください。' });
  if (list.length) return showErrors(main, slot, list, TITLE);
  clearErrors(main, slot, TITLE);
  try {
    forgetMe();
    await send('/account/login', 'POST', { email: email.input.value.trim(), password: pw.input.value });
    location.assign(nextPage() || accountUrl('applications'));
  } catch (err) {
    pw.input.value = '';
    showErrors(main, slot, [{ path: 'email', message: err.message }], TITLE);
  }
}

setTitle(TITLE);
put(main,
  h('h1', {}, TITLE),
  slot,
  nextPage() ? notice('', h('p', {}, 'このページを使うには、ログインが必要です。')) : null,
  h('form', { novalidate: true, onsubmit: submit }, email.wrap, pw.wrap,
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'button primary' }, 'ログインする'))),
  h('ul', {},
    h('li', {}, h('a', { href: accountUrl('reset') }, 'パスワードをお忘れの方')),
    h('li', {}, h('a', { href: accountUrl('register') }, 'アカウントを登録する'))));
