// procedure.js — one procedure: what it is, what to bring, whom to ask, whether it can
// be applied for now, and the QR code of its stable address.
import { accountUrl, api, apiBase, chrome, h, pageError, procId, procUrl, receptionBadge, setTitle, home, put } from './common.js';
import { yen } from './fee.js';

const main = chrome();

// 手数料: each item, per unit of an answer where it is counted so.
function feeSection(p) {
  const unitOf = (it) => {
    const f = it.quantity_field && p.schema ? p.schema.fields.find((x) => x.name === it.quantity_field) : null;
    return f ? `（「${f.label}」1 につき）` : '';
  };
  return [h('h2', {}, '手数料'),
    h('table', { class: 'fee' },
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, '項目'), h('th', { scope: 'col' }, '金額'))),
      h('tbody', {}, p.fee.items.map((it) => h('tr', {}, h('td', {}, it.label), h('td', {}, `${yen(it.amount)}${unitOf(it)}`))))),
    p.fee.note ? h('p', { class: 'pre' }, p.fee.note) : null];
}

async function start() {
  if (!procId) return pageError(main, '手続が見つかりません', 'アドレスをご確認ください。');
  let p;
  try {
    p = await api(`/procedures/${procId}`);
  } catch (e) {
    return pageError(main, e.status === 404 ? '手続が見つかりません' : 'エラーが発生しました',
      e.status === 404 ? `${e.message} 手続の一覧からお探しください。` : e.message);
  }
  setTitle(p.title);
  const r = p.reception || { state: 'open' };
  const info = p.info || {};
  let action;
  if (p.info_only || !p.schema) {
    action = h('div', { class: 'notice' }, h('p', {}, 'この手続はご案内のみです。オンラインでの申請はできません。上の内容をご確認のうえ、窓口でお手続きください。'));
  } else if (r.state !== 'open') {
    action = h('div', { class: 'notice notice-warning' },
      h('p', {}, h('strong', {}, r.state === 'upcoming' ? '現在は受付期間前です。' : '受付は終了しました。')),
      r.message ? h('p', {}, r.message) : null);
  } else if (p.identity === 'account') {
    action = h('div', {},
      h('div', { class: 'notice' }, h('p', {}, 'この手続の申請には、アカウントでのログインが必要です。アカウントをお持ちでない方は、先に登録してください。'),
        p.proxy && p.proxy.allowed ? h('p', {}, p.proxy.attorney_required ? 'ご家族などによる代理申請もできます（委任状が必要です）。' : 'ご家族などによる代理申請もできます。') : null),
      h('p', { class: 'inline' }, h('a', { class: 'button primary start', href: procUrl(procId, 'apply') }, '申請を始める'),
        h('a', { class: 'button secondary', href: accountUrl('register') }, 'アカウントを登録する')));
  } else {
    action = h('div', {},
      h('p', {}, 'アカウントの登録は不要です。入力には10分ほどかかります。添付ファイルがある場合は、あらかじめご用意ください。'),
      h('a', { class: 'button primary start', href: procUrl(procId, 'apply') }, '申請を始める'));
  }
  put(main, 
    h('p', { class: 'back' }, h('a', { href: home }, '手続の一覧へ戻る')),
    p.category ? h('p', { class: 'caption' }, p.category) : null,
    h('h1', {}, p.title),
    h('p', { class: 'card-meta' }, receptionBadge(r), r.message ? h('span', { class: 'reception-message' }, r.message) : null),
    p.summary ? h('p', { class: 'lead' }, p.summary) : null,
    info.description ? [h('h2', {}, '手続の説明'), h('p', { class: 'pre' }, info.description)] : null,
    info.bring && info.bring.length ? [h('h2', {}, '用意するもの'), h('ul', {}, info.bring.map((b) => h('li', {}, b)))] : null,
    p.fee ? feeSection(p) : null,
    info.contact ? [h('h2', {}, 'お問い合わせ先'), h('p', { class: 'pre' }, info.contact)] : null,
    h('h2', {}, '申請'),
    action,
    h('h2', {}, 'このページのQRコード'),
    h('div', { class: 'qr' },
      h('img', { src: `${apiBase}/procedures/${encodeURIComponent(procId)}/qr.svg`, alt: `この手続のページのQRコード（${p.url || ''}）`, width: '160', height: '160' }),
      h('p', {}, 'スマートフォンで読み取ると、このページを開けます。', p.url ? [h('br'), h('span', { class: 'url' }, p.url)] : null)));
}

start();
