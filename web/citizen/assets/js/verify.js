// verify.js — the landing page of a mailed verification link (a new account's
// address, or a changed one). The token comes in the fragment and is spent here.
import { accountUrl, chrome, h, put, send, setTitle, takeToken } from './common.js';
import { notice } from './simpleform.js';

const main = chrome();
const token = takeToken();
setTitle('メールアドレスの確認');

async function start() {
  if (!token) {
    put(main, h('h1', {}, 'メールアドレスの確認'),
      notice('error', h('p', {}, 'このリンクは正しくありません。メールに記載されたリンクをそのまま開いてください。')));
    return;
  }
  try {
    const r = await send('/account/verify', 'POST', { token });
    put(main, h('h1', {}, r.purpose === 'email' ? 'メールアドレスを変更しました' : '登録が完了しました'),
      notice('', h('p', {}, r.message)),
      h('p', {}, h('a', { class: 'button primary', href: accountUrl('login') }, 'ログインする')));
    setTitle(r.purpose === 'email' ? 'メールアドレスを変更しました' : '登録が完了しました');
  } catch (err) {
    put(main, h('h1', {}, 'メールアドレスを確認できませんでした'),
      notice('error', h('p', {}, err.message)),
      h('p', {}, h('a', { href: accountUrl('register') }, 'アカウントの登録へ')));
    setTitle('メールアドレスを確認できませんでした');
  }
}
start();
