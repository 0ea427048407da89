// logout.js — ログアウト: a button, so that a link followed by mistake (or planted on
// another site) cannot end the session.
import { accountUrl, chrome, h, home, me, put, send, setTitle, forgetMe, focusEl } from './common.js';
import { notice } from './simpleform.js';

const main = chrome();
setTitle('ログアウト');

async function start() {
  const m = await me();
  if (!m) {
    put(main, h('h1', {}, 'ログアウト'), h('p', {}, 'ログインしていません。'),
      h('p', {}, h('a', { href: accountUrl('login') }, 'ログイン'), '　', h('a', { href: home }, '手続の一覧')));
    return;
  }
  const status = h('div', {});
  put(main, h('h1', {}, 'ログアウト'), status,
    h('p', {}, `${m.account.email} でログインしています。`),
    h('form', {
      novalidate: true,
      onsubmit: async (e) => {
        e.preventDefault();
        try {
          await send('/account/logout', 'POST');
          forgetMe();
          const done = h('h1', {}, 'ログアウトしました');
          put(main, done, notice('', h('p', {}, 'ご利用ありがとうございました。共用のパソコンをお使いの場合は、ブラウザを閉じてください。')),
            h('p', {}, h('a', { href: home }, '手続の一覧へ')));
          setTitle('ログアウトしました');
          focusEl(done);
        } catch (err) {
          status.replaceChildren(notice('error', h('p', {}, err.message)));
        }
      },
    }, h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'button primary' }, 'ログアウトする'))));
}
start();
