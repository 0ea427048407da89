// common.js — what every citizen page shares: the tenant and procedure taken from
// the address, JSON calls to portald, a small DOM builder, 和暦 and the page chrome.
//
// The pages are static files; everything they show comes from /api/v1/{tenant}/, the
// same origin (CSP default-src 'self'), so no inline script or style is ever needed.

const SERVICE = '関所 電子申請サービス';
const PATH = location.pathname.split('/');

// "/demo/procedures/jidou-teate/apply" -> tenant "demo", procedure "jidou-teate"
export const tenant = /^[a-z0-9][a-z0-9_-]{0,63}$/.test(PATH[1] || '') ? PATH[1] : 'demo';
export const procId = PATH[2] === 'procedures' && /^[a-z0-9][a-z0-9-]{0,63}$/.test(PATH[3] || '')
  ? PATH[3] : null;
export const apiBase = `/api/v1/${tenant}`;
export const home = `/${tenant}/`;
export const procUrl = (id, page) => `/${tenant}/procedures/${encodeURIComponent(id)}${page ? '/' + page : ''}`;
// "/demo/account" (the account page), "/demo/account/login", ...
export const accountUrl = (page) => `/${tenant}/account${page ? '/' + page : ''}`;
// The login page that brings the citizen back here afterwards.
export const loginUrl = () => `${accountUrl('login')}?${new URLSearchParams({ next: location.pathname })}`;

export const NETWORK_MESSAGE =
  '通信できませんでした。通信環境をご確認のうえ、もう一度お試しください。';

export class ApiError extends Error {
  constructor(status, body, message) {
    super(message);
    this.status = status;
    this.body = body;
    this.code = body && body.error ? body.error.code : null;
  }
}

// JSON from portald; a reply that is not 2xx becomes an ApiError carrying the
// server's polite Japanese message.
export async function api(path, opts = {}) {
  let r;
  try {
    r = await fetch(apiBase + path, {
      ...opts,
      headers: { Accept: 'application/json', ...(opts.headers || {}) },
    });
  } catch (e) {
    throw new ApiError(0, null, NETWORK_MESSAGE);
  }
  let body = null;
  try { body = await r.json(); } catch (e) { body = null; }
  if (!r.ok) {
    const msg = body && body.error && body.error.message
      ? body.error.message
      : `エラーが発生しました（${r.status}）。しばらくしてから、もう一度お試しください。`;
    throw new ApiError(r.status, body, msg);
  }
  return body;
}

// The signed-in account ({account, csrf_token, session}) or null, asked once per page.
let mine = null;
export function me() {
  if (!mine) mine = api('/account').catch(() => null);
  return mine;
}
export function forgetMe() { mine = null; }

// A state-changing call with a JSON body; signed in, it carries the session's CSRF
// token (the server refuses a change made with a session without it).
export async function send(path, method, body, extraHeaders) {
  const m = await me();
  const headers = { 'Content-Type': 'application/json', ...(extraHeaders || {}) };
  if (m) headers['X-CSRF-Token'] = m.csrf_token;
  return api(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
}

// A same-site page to go back to after login (?next=), or null: never another site.
export function nextPage() {
  const n = new URLSearchParams(location.search).get('next') || '';
  return n.startsWith(`/${tenant}/`) && !n.startsWith('//') ? n : null;
}

// The token a mailed link carries in its fragment ("#token=..."), taken out of the
// address bar at once so that it is not left in history or shown over a shoulder.
export function takeToken() {
  const m = /token=([0-9a-f]{64})/.exec(location.hash);
  if (location.hash) history.replaceState(null, '', location.pathname + location.search);
  return m ? m[1] : null;
}

// h('p', {class: 'x', onclick: fn}, 'text', child...) — attributes are set as
// attributes (never innerHTML), so text from the API can never become markup.
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (k === 'text') el.textContent = v;
    else if (k === 'value') el.value = v;
    else if (k === 'checked') el.checked = !!v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : String(c));
  }
}

export function setTitle(s) {
  document.title = `${s} | ${SERVICE}`;
}

// 和暦 of "YYYY-MM-DD" (「令和8年11月22日」; the first year of an era is 元年), or ''.
const ERAS = [['令和', 2019, 5, 1], ['平成', 1989, 1, 8], ['昭和', 1926, 12, 25],
  ['大正', 1912, 7, 30], ['明治', 1868, 1, 25]];
export function wareki(iso) {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso || '');
  if (!m) return '';
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (!realDate(y, mo, d)) return '';
  for (const [name, ey, em, ed] of ERAS) {
    if (y * 10000 + mo * 100 + d >= ey * 10000 + em * 100 + ed) {
      const n = y - ey + 1;
      return `${name}${n === 1 ? '元' : n}年${mo}月${d}日`;
    }
  }
  return '';
}

export function realDate(y, m, d) {
  if (m < 1 || m > 12 || d < 1) return false;
  const days = [31, (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28, 31, 30, 31, 30,
    31, 31, 30, 31, 30, 31];
  return d <= days[m - 1];
}

// 「2026年11月22日」 of "YYYY-MM-DD".
export function seireki(iso) {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso || '');
  return m ? `${Number(m[1])}年${Number(m[2])}月${Number(m[3])}日` : iso;
}

// Today in Japan as "YYYY-MM-DD" (the server validates against the date in Japan).
export function todayJst() {
  return new Date(Date.now() + 9 * 3600 * 1000).toISOString().slice(0, 10);
}

// An RFC 3339 time shown in Japan time: 「2026年11月22日 10時05分」.
export function jstTime(s) {
  const t = Date.parse(s || '');
  if (Number.isNaN(t)) return s || '';
  const d = new Date(t + 9 * 3600 * 1000).toISOString();
  return `${seireki(d.slice(0, 10))} ${Number(d.slice(11, 13))}時${d.slice(14, 16)}分`;
}

const RECEPTION = { open: '受付中', upcoming: '受付前', closed: '受付終了' };

// The reception state as words, never by colour alone.
export function receptionBadge(reception) {
  const state = (reception && reception.state) || 'open';
  return h('span', { class: `badge badge-${state}` }, RECEPTION[state] || state);
}

export function formatBytes(n) {
  if (!Number.isFinite(n)) return '';
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${Math.round(n / 1024)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

// The header's home link, the footer, and a main landmark to fill.
export function chrome() {
  for (const a of document.querySelectorAll('[data-home]')) a.setAttribute('href', home);
  for (const a of document.querySelectorAll('[data-status-link]')) a.setAttribute('href', `/${tenant}/status`);
  for (const a of document.querySelectorAll('[data-account-link]')) a.setAttribute('href', accountUrl('applications'));
  return document.getElementById('content');
}

// A whole-page failure (procedure not found, server down): said plainly, with a way on.
export function pageError(container, title, message) {
  setTitle(title);
  container.replaceChildren(
    h('h1', { text: title }),
    h('p', { text: message }),
    h('p', {}, h('a', { href: home }, '手続の一覧へ戻る')),
  );
}

// Move focus to a heading or summary after the page content changed, so screen
// reader users hear where they are.
export function focusEl(el) {
  if (!el) return;
  if (!el.hasAttribute('tabindex')) el.setAttribute('tabindex', '-1');
  el.focus();
}

// Replace container's content; arrays are flattened, null and false left out.
export function put(container, ...children) {
  container.replaceChildren();
  append(container, children);
  return container;
}
