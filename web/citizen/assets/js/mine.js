// mine.js — マイページ: the account's applications with their status (each linking to
// the status page, which needs no password for one's own) and its drafts (一時保存).
import { accountUrl, api, chrome, h, jstTime, loginUrl, me, procUrl, put, send, setTitle, tenant } from './common.js';
import { notice } from './simpleform.js';

const TITLE = 'マイページ';
const main = chrome();

function applications(list) {
  if (!list.length) return h('p', {}, 'まだ申請はありません。');
  return h('ul', { class: 'plain my-list' }, list.map((a) => h('li', { class: 'card' },
    h('p', { class: 'card-title' }, a.procedure.title || a.procedure.id),
    h('dl', { class: 'summary-list' },
      h('div', { class: 'summary-row' }, h('dt', {}, '到達番号'), h('dd', {}, a.receipt_no)),
      h('div', { class: 'summary-row' }, h('dt', {}, '到達日時'), h('dd', {}, jstTime(a.submitted_at))),
      h('div', { class: 'summary-row' }, h('dt', {}, '現在の状況'), h('dd', {}, h('strong', {}, a.status_label || a.status)))),
    h('p', {}, h('a', { href: `/${tenant}/status?${new URLSearchParams({ receipt: a.receipt_no })}` },
      '状況と経過を見る', h('span', { class: 'visually-hidden' }, `（${a.receipt_no}）`))))));
}

function drafts(list, status) {
  if (!list.length) return h('p', {}, '一時保存した申請はありません。');
  return h('ul', { class: 'plain my-list' }, list.map((d) => {
    const li = h('li', { class: 'card' },
      h('p', { class: 'card-title' }, d.procedure.title || d.procedure.id),
      h('p', {}, `保存日時：${jstTime(d.updated_at)}（${jstTime(d.expires_at)}まで保存します）`),
      h('p', { class: 'inline' },
        h('a', { class: 'button secondary', href: `${procUrl(d.procedure.id, 'apply')}?draft=server` },
          '続きを入力する', h('span', { class: 'visually-hidden' }, `（${d.procedure.title}）`)),
        h('button', {
          type: 'button', class: 'button link-button',
          onclick: async () => {
            try {
              await send(`/drafts/${encodeURIComponent(d.procedure.id)}`, 'DELETE');
              li.remove();
              status.replaceChildren(notice('', h('p', {}, `「${d.procedure.title}」の一時保存を削除しました。`)));
            } catch (err) {
              status.replaceChildren(notice('error', h('p', {}, err.message)));
            }
          },
        }, '削除', h('span', { class: 'visually-hidden' }, `（${d.procedure.title}）`))));
    return li;
  }));
}

async function start() {
  const m = await me();
  if (!m) { location.replace(loginUrl()); return; }
  let apps, saved;
  try {
    [apps, saved] = await Promise.all([api('/account/applications'), api('/drafts')]);
  } catch (err) {
    put(main, h('h1', {}, TITLE), notice('error', h('p', {}, err.message)));
    return;
  }
  const status = h('div', { 'aria-live': 'polite' });
  setTitle(TITLE);
  put(main,
    h('h1', {}, TITLE),
    h('p', {}, `${m.account.email} でログインしています。`),
    h('ul', { class: 'inline-links' },
      h('li', {}, h('a', { href: accountUrl() }, 'アカウントの設定（登録内容・メールアドレス・パスワード）')),
      h('li', {}, h('a', { href: accountUrl('logout') }, 'ログアウト'))),
    h('h2', {}, '申請した手続'),
    applications(apps.applications || []),
    h('h2', {}, '一時保存した申請'),
    status,
    drafts(saved.drafts || [], status));
}
start();
