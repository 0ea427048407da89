// list.js — 手続をさがす: keyword, 分類 and ライフイベント as an ordinary GET form, so
// every search has its own address and the back button works.
import { api, chrome, h, home, procUrl, receptionBadge, setTitle, focusEl, put } from './common.js';

const main = chrome();
const q = new URLSearchParams(location.search);
const keyword = (q.get('q') || '').slice(0, 100);
const category = q.get('category') || '';
const lifeEvent = q.get('life_event') || '';

function selectOf(id, label, name, options, current) {
  const sel = h('select', { id, name }, h('option', { value: '' }, 'すべて'),
    options.map((o) => {
      const opt = h('option', { value: o }, o);
      opt.selected = o === current;
      return opt;
    }));
  return h('div', { class: 'field' }, h('label', { class: 'label', for: id }, label), sel);
}

function card(p) {
  const r = p.reception || { state: 'open' };
  return h('li', { class: 'card' },
    h('h2', { class: 'card-title' }, h('a', { href: procUrl(p.id) }, p.title)),
    h('p', { class: 'card-meta' }, receptionBadge(r),
      r.state !== 'open' && r.message ? h('span', { class: 'reception-message' }, r.message) : null,
      p.info_only ? h('span', { class: 'badge badge-info' }, 'ご案内のみ') : null,
      p.identity === 'account' ? h('span', { class: 'badge badge-info' }, 'ログインが必要') : null),
    p.summary ? h('p', {}, p.summary) : null,
    h('p', { class: 'card-tags' }, p.category ? `分類：${p.category}` : '',
      p.life_events && p.life_events.length ? `　ライフイベント：${p.life_events.join('、')}` : ''));
}

async function start() {
  const filtered = keyword || category || lifeEvent;
  setTitle(filtered ? '手続の検索結果' : '手続をさがす');
  const params = new URLSearchParams();
  if (keyword) params.set('q', keyword);
  if (category) params.set('category', category);
  if (lifeEvent) params.set('life_event', lifeEvent);
  let data;
  try {
    data = await api(`/procedures${params.toString() ? '?' + params : ''}`);
  } catch (e) {
    put(main, h('h1', {}, '手続をさがす'), h('div', { class: 'notice notice-error', role: 'alert' }, e.message));
    return;
  }
  const list = data.procedures || [];
  const form = h('form', { class: 'search', method: 'get', action: home, role: 'search', 'aria-label': '手続の検索' },
    h('div', { class: 'field' },
      h('label', { class: 'label', for: 'q' }, 'キーワード'),
      h('p', { class: 'help', id: 'q-help' }, '例：児童手当、転入、問い合わせ'),
      h('div', { class: 'inline' },
        h('input', { type: 'search', id: 'q', name: 'q', value: keyword, 'aria-describedby': 'q-help' }),
        h('button', { type: 'submit', class: 'button primary' }, '検索'))),
    h('div', { class: 'filters' },
      selectOf('category', '分類', 'category', data.categories || [], category),
      selectOf('life_event', 'ライフイベント', 'life_event', data.life_events || [], lifeEvent)));
  const count = h('p', { class: 'result-count', role: 'status' },
    list.length ? `${list.length}件の手続が見つかりました。` : '条件に合う手続は見つかりませんでした。キーワードを変えてお試しください。');
  const events = (data.life_events || []).map((ev) => h('li', {},
    h('a', { href: `${home}?life_event=${encodeURIComponent(ev)}`, 'aria-current': ev === lifeEvent ? 'true' : null }, ev)));
  put(main, 
    h('h1', {}, '手続をさがす'),
    h('p', {}, 'オンラインで申請できる手続と、手続のご案内を探せます。'),
    form,
    events.length ? h('nav', { class: 'life-events', 'aria-labelledby': 'le-title' },
      h('h2', { id: 'le-title' }, 'ライフイベントからさがす'), h('ul', {}, events)) : null,
    h('h2', { id: 'results-title' }, filtered ? '検索結果' : 'すべての手続'),
    count,
    filtered ? h('p', {}, h('a', { href: home }, '条件をすべて解除する')) : null,
    h('ul', { class: 'cards', 'aria-labelledby': 'results-title' }, list.map(card)),
    h('p', {}, h('a', { href: `${home}status` }, '申請の状況を確認する（到達番号をお持ちの方）')));
  if (filtered) focusEl(document.getElementById('results-title'));
}

start();
