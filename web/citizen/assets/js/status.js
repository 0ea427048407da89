// status.js — 申請状況の確認: 到達番号 + 照会用パスワード -> the status and its history.
// An unknown number and a wrong password get the same answer from the server, on
// purpose; we show it as it is.
import { api, chrome, h, jstTime, me, setTitle, focusEl, put } from './common.js';
import { fold } from './validate.js';
import { errorSummary, markFieldErrors, clearFieldErrors } from './errors.js';
import { replySection } from './reply.js';
import { documentsSection } from './documents.js';

const main = chrome();
let account = null;	// signed in: one's own applications need no password
const RECEIPT = /^(T-)?\d{8}-\d{6}$/;	// T-: a test version's application

function field(id, label, help, input, required = true) {
  return h('div', { class: 'field', id: `w-${id}` },
    h('label', { class: 'label', for: id }, label, required ? [' ', h('span', { class: 'required' }, '必須')] : null),
    help ? h('p', { class: 'help', id: `${id}-help` }, help) : null,
    h('div', { class: 'error-slot' }), input);
}

const receipt = h('input', {
  type: 'text', id: 'receipt', name: 'receipt', class: 'input-medium', autocomplete: 'off',
  inputmode: 'numeric', 'aria-describedby': 'receipt-help',
  value: new URLSearchParams(location.search).get('receipt') || '',
});
const password = h('input', { type: 'password', id: 'password', name: 'password', class: 'input-medium', autocomplete: 'current-password' });
const summarySlot = h('div', {});
const result = h('div', { id: 'result' });

function errors(list) {
  // The ids here are the inputs' own ("receipt"), not answer paths.
  const s = errorSummary(list, (p) => `#${p}`);
  clearFieldErrors(main);
  for (const { path, message } of list) {
    const w = document.getElementById(`w-${path}`);
    w.classList.add('field-error');
    w.querySelector('.error-slot').append(h('p', { class: 'error-message', id: `${path}-error` },
      h('span', { class: 'visually-hidden' }, 'エラー：'), message));
    const input = document.getElementById(path);
    input.setAttribute('aria-invalid', 'true');
    input.setAttribute('aria-describedby', [input.getAttribute('aria-describedby'), `${path}-error`].filter(Boolean).join(' '));
  }
  summarySlot.replaceChildren(s);
  setTitle('エラー：申請状況の確認');
  focusEl(s);
}
void markFieldErrors;

async function lookup(e) {
  if (e) e.preventDefault();
  const no = fold(receipt.value.trim());
  const list = [];
  if (!no) list.push({ path: 'receipt', message: '到達番号を入力してください。' });
  else if (!RECEIPT.test(no)) list.push({ path: 'receipt', message: '到達番号は「20261122-000123」の形式で入力してください。' });
  if (!password.value && !account) list.push({ path: 'password', message: '照会用パスワードを入力してください。' });
  if (list.length) return errors(list);
  clearFieldErrors(main);
  summarySlot.replaceChildren();
  let st;
  try {
    // In a header, never in the URL: a URL ends up in access logs and history.
    st = await api(`/applications/${encodeURIComponent(no)}`,
      password.value ? { headers: { 'X-Status-Password': password.value } } : {});
  } catch (err) {
    result.replaceChildren();
    return errors([{ path: 'receipt', message: err.message }]);
  }
  setTitle(`申請の状況（${no}）`);
  const title = h('h2', { id: 'result-title' }, '申請の状況');
  // put, not replaceChildren: no reply form (null) must not be drawn as the text "null".
  put(result, title,
    h('dl', { class: 'summary-list' },
      h('div', { class: 'summary-row' }, h('dt', {}, '到達番号'), h('dd', {}, st.receipt_no)),
      h('div', { class: 'summary-row' }, h('dt', {}, '手続'), h('dd', {}, st.procedure ? st.procedure.title : '')),
      h('div', { class: 'summary-row' }, h('dt', {}, '到達日時'), h('dd', {}, jstTime(st.submitted_at))),
      h('div', { class: 'summary-row' }, h('dt', {}, '現在の状況'), h('dd', {}, h('strong', { class: 'status-now' }, st.status_label || st.status)))),
    h('h3', {}, 'これまでの経過'),
    h('ol', { class: 'timeline' }, (st.history || []).map((ev) => h('li', { class: ev.kind ? `timeline-${ev.kind}` : null },
      h('p', { class: 'timeline-label' }, ev.label || ev.status),
      h('p', { class: 'timeline-time' }, jstTime(ev.at)),
      ev.message ? h('p', { class: 'timeline-message' }, ev.message) : null))),
    // --- 補正・お問い合わせへの回答 (reply.js) ---
    replySection(st, password.value, () => lookup()));
  // 交付文書 (documents.js): its own section, after the history.
  const docs = await documentsSection(no, password.value);
  if (docs) result.append(docs);
  focusEl(title);
}

async function start() {
  account = await me();
  setTitle('申請状況の確認');
  put(main,
    h('h1', {}, '申請状況の確認'),
    summarySlot,
    h('p', {}, account
      ? 'ログインしているため、ご自身のアカウントで申請したものは、照会用パスワードなしで確認できます。'
      : '申請のときに表示された到達番号と、設定した照会用パスワードを入力してください。'),
    h('form', { novalidate: true, onsubmit: lookup },
      field('receipt', '到達番号', '例：20261122-000123', receipt),
      field('password', account ? '照会用パスワード（ログイン中は不要）' : '照会用パスワード', null, password, !account),
      h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'button primary' }, '状況を確認する'))),
    result);
  if (account && receipt.value) lookup();
}
start();
