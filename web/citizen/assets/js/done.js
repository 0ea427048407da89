// done.js — 到達: the 到達番号 first and large, then what happens next.
import { chrome, h, pageError, procId, setTitle, jstTime, tenant, put } from './common.js';
import { loadReceipt } from './store.js';

const main = chrome();
const r = procId ? loadReceipt(procId) : null;
if (!r) {
  pageError(main, '到達番号を表示できません',
    'この画面は申請を送信した直後にだけ表示されます。申請の状況は「申請状況の確認」で確認できます。');
} else {
  setTitle(`申請が到達しました（${r.procedure ? r.procedure.title : ''}）`);
  put(main, 
    h('div', { class: 'panel-done' },
      h('h1', {}, '申請が到達しました'),
      h('p', {}, '到達番号'),
      h('p', { class: 'receipt-no', id: 'receipt-no' }, r.receipt_no)),
    h('dl', { class: 'summary-list' },
      h('div', { class: 'summary-row' }, h('dt', {}, '手続'), h('dd', {}, r.procedure ? r.procedure.title : '')),
      h('div', { class: 'summary-row' }, h('dt', {}, '到達日時'), h('dd', {}, jstTime(r.submitted_at))),
      h('div', { class: 'summary-row' }, h('dt', {}, '状況'), h('dd', {}, r.status_label || r.status))),
    h('h2', {}, 'このあとの流れ'),
    h('ol', {},
      h('li', {}, '到達番号は、お問い合わせや状況の確認に必要です。メモをとるか、この画面を保存してください。'),
      h('li', {}, 'メールアドレスを入力された場合は、到達確認のメールをお送りします。'),
      h('li', {}, '担当課が内容を確認し、受付・審査の状況をお知らせします。内容に不備があるときは、補正（修正）をお願いすることがあります。')),
    h('p', {}, '照会用パスワードを設定された場合は、到達番号とあわせて、いつでも状況を確認できます。'),
    h('p', {}, h('a', { href: `/${tenant}/status?receipt=${encodeURIComponent(r.receipt_no)}` }, '申請状況を確認する')),
    h('p', {}, h('a', { href: `/${tenant}/` }, '手続の一覧へ戻る')));
}
