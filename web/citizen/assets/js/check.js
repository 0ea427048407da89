// check.js — 入力内容の確認: every shown answer with a 変更 link back to its field,
// the optional 照会用パスワード, and 送信. Sending is impossible while a file is still
// being sanitized or was refused. The Idempotency-Key is made once for what is being
// sent and reused by a retry, so a reply lost to the network cannot make a second
// application.
import { api, chrome, h, me, pageError, procId, procUrl, setTitle, seireki, wareki, focusEl, NETWORK_MESSAGE, put } from './common.js';
import { rootScope, itemScope, pathOf, pathId, shown, validate, submission, allUploads } from './schema.js';
import { loadDraft, saveDraft, idempotencyKey, arrived } from './store.js';
import { poll, isPending, isBad, upload, newRecord, statusContent } from './uploads.js';
import { errorSummary, markFieldErrors, clearFieldErrors } from './errors.js';
import { feeTotal, yen } from './fee.js';

const main = chrome();
let proc, draft, sendButton, sendState, sending = false;

function display(f, v) {
  const none = h('span', { class: 'muted' }, '（未入力）');
  if (v === undefined || v === null || v === '' || (Array.isArray(v) && v.length === 0)) return none;
  switch (f.type) {
    case 'date': return wareki(v) ? `${seireki(v)}（${wareki(v)}）` : v;
    case 'select': case 'radio': return (f.options.find((o) => o.value === v) || { label: v }).label;
    case 'checkbox': return v.map((x) => (f.options.find((o) => o.value === x) || { label: x }).label).join('、');
    case 'agreement': return v === true ? '同意します' : none;
    case 'file':
      return h('ul', { class: 'plain' }, v.map((r) => h('li', {}, r.display_name, ' ',
        h('span', { class: 'muted' }, r.state === 'clean' ? `（無害化処理済み${r.pages ? `、${r.pages}ページ` : ''}）`
          : isPending(r) ? '（無害化処理中）' : '（受け付けられません）'))));
    case 'textarea': return h('span', { class: 'pre' }, v);
    default: return String(v);
  }
}

function rows(scope, out) {
  for (const f of scope.fields) {
    if (!shown(f, scope)) continue;
    const path = pathOf(scope, f);
    if (f.type === 'heading') {
      out.push(h('h2', { class: 'check-heading' }, f.label));
      continue;
    }
    if (f.type === 'group') {
      const items = scope.values[f.name] || [];
      out.push(h('h2', { class: 'check-heading' }, f.label));
      if (items.length === 0) out.push(h('p', {}, '（入力なし）'));
      items.forEach((_, i) => {
        const s = itemScope(scope, f, items, i);
        out.push(h('h3', {}, `${f.label}（${i + 1}件目）`));
        rows(s, out);
      });
      continue;
    }
    const label = f.label;
    const last = out[out.length - 1];
    const dl = last && last.tagName === 'DL' ? last : h('dl', { class: 'summary-list' });
    if (dl !== last) out.push(dl);
    dl.append(h('div', { class: 'summary-row' },
      h('dt', {}, label),
      h('dd', {}, display(f, scope.values[f.name])),
      h('dd', { class: 'summary-action' },
        h('a', { href: `${procUrl(procId, 'apply')}#${pathId(path)}` }, '変更',
          h('span', { class: 'visually-hidden' }, `（${scope.label}${label}）`)))));
  }
  return out;
}

function uploads() {
  return [...allUploads(rootScope(proc.schema, draft.answers)), ...(proxyOn ? proxyFiles : [])];
}

// --- 代理申請: the representative, beside the applicant's answers --------------------

let proxyOn = false;
const proxyFiles = [];	// 委任状: upload records, like the form's
const PROXY_FIELDS = [
  ['name', '代理人の氏名', { autocomplete: 'name' }],
  ['kana', '代理人の氏名（フリガナ）', { help: '全角カタカナで入力してください。' }],
  ['relationship', '申請者との関係', { help: '例：母、長男、成年後見人' }],
  ['tel', '代理人の電話番号', { type: 'tel', cls: 'input-medium', autocomplete: 'tel' }],
  ['email', '代理人のメールアドレス（任意）', { type: 'email', autocomplete: 'email', optional: true }],
];

function proxyInput(name, label, opts) {
  const id = pathId(`proxy.${name}`);
  return h('div', { class: 'field', id: `w-${id}` },
    h('label', { class: 'label', for: id }, label, opts.optional ? null : [' ', h('span', { class: 'required' }, '必須')]),
    opts.help ? h('p', { class: 'help', id: `${id}-help` }, opts.help) : null,
    h('div', { class: 'error-slot' }),
    h('input', { type: opts.type || 'text', id, name: id, class: opts.cls || null, autocomplete: opts.autocomplete || null, 'aria-describedby': opts.help ? `${id}-help` : null }));
}

function proxySection() {
  const required = !!proc.proxy.attorney_required;
  const fid = pathId('proxy.attorney');
  const list = h('ul', { class: 'file-list' });
  const onChange = (r) => {
    const li = document.getElementById(`u-${r.local}`);
    if (li) li.querySelector('.file-status').replaceChildren(...statusContent(r).filter(Boolean));
    refreshSend();
  };
  const file = h('input', {
    type: 'file', id: fid, name: fid, accept: '.pdf,application/pdf,image/jpeg,image/png,.jpg,.jpeg,.png', multiple: true,
    'aria-describedby': `${fid}-help`,
    onchange: () => {
      for (const f of file.files) {
        if (proxyFiles.length >= 3) break;
        const r = newRecord(f);
        proxyFiles.push(r);
        list.append(h('li', { id: `u-${r.local}`, class: 'file-item' }, h('span', { class: 'file-name' }, r.display_name),
          h('div', { class: 'file-status', role: 'status' }, statusContent(r))));
        upload(procId, 'proxy_attorney', f, r, onChange);
      }
      file.value = '';
      refreshSend();
    },
  });
  const fields = h('div', { id: 'proxy-fields', hidden: true },
    PROXY_FIELDS.map(([n, l, o]) => proxyInput(n, l, o)),
    h('div', { class: 'field', id: `w-${fid}` },
      h('label', { class: 'label', for: fid }, '委任状', required ? [' ', h('span', { class: 'required' }, '必須')] : null),
      h('p', { class: 'help', id: `${fid}-help` }, 'PDF または画像を3件まで添付できます。ほかの添付ファイルと同じく無害化処理を行います。'),
      h('div', { class: 'error-slot' }), list, file));
  const toggleId = pathId('proxy');
  const toggle = h('input', {
    type: 'checkbox', id: toggleId, name: toggleId,
    onchange: () => { proxyOn = toggle.checked; fields.hidden = !proxyOn; refreshSend(); },
  });
  return h('section', { 'aria-labelledby': 'proxy-title' },
    h('h2', { id: 'proxy-title' }, '代理申請'),
    h('p', {}, required
      ? 'ご本人に代わって申請する場合は、代理人の情報を入力し、委任状を添付してください。入力画面の内容は、申請者（ご本人）について入力してください。'
      : 'ご本人に代わって申請する場合は、代理人の情報を入力してください。入力画面の内容は、申請者（ご本人）について入力してください。'),
    h('div', { class: 'field', id: `w-${toggleId}` }, h('div', { class: 'error-slot' }),
      h('div', { class: 'option checkbox' }, toggle, h('label', { for: toggleId }, '代理人が申請します'))),
    fields);
}

// The representative for the body, or a list of what is missing.
function proxyBody() {
  const out = {}, errs = [];
  for (const [n, l, o] of PROXY_FIELDS) {
    const v = document.getElementById(pathId(`proxy.${n}`)).value.trim();
    if (v) out[n] = v;
    else if (!o.optional) errs.push({ path: `proxy.${n}`, message: `${l}を入力してください。` });
  }
  const ids = proxyFiles.filter((r) => r.upload_id && r.state === 'clean').map((r) => r.upload_id);
  if (proc.proxy.attorney_required && !ids.length) errs.push({ path: 'proxy.attorney', message: '委任状を添付してください。' });
  return { proxy: out, attorney: ids, errs };
}

// Whether sending is possible now, said in words beside the disabled button.
function refreshSend() {
  const ups = uploads();
  const pending = ups.filter(isPending).length, bad = ups.filter(isBad).length;
  let msg = '';
  if (bad) msg = '受け付けられない添付ファイルがあります。「変更」から削除し、別のファイルを添付してください。';
  else if (pending) msg = `添付ファイルの無害化処理が終わるまで送信できません（残り${pending}件）。しばらくお待ちください。`;
  sendState.textContent = msg;
  sendButton.disabled = sending || bad > 0 || pending > 0;
}

function showError(list) {
  const slot = document.getElementById('summary-slot');
  clearFieldErrors(main);
  markFieldErrors(main, list);
  const s = errorSummary(list, (p) => (p === 'status_password' ? '#status_password'
    : p === 'proxy' || p.startsWith('proxy.') ? `#${pathId(p)}` : `${procUrl(procId, 'apply')}#${pathId(p)}`));
  slot.replaceChildren(s);
  setTitle(`エラー：入力内容の確認（${proc.title}）`);
  focusEl(s);
}

function showProblem(message) {
  const slot = document.getElementById('summary-slot');
  const box = h('div', { class: 'notice notice-error', role: 'alert', tabindex: '-1' },
    h('h2', {}, '送信できませんでした'), h('p', {}, message));
  slot.replaceChildren(box);
  focusEl(box);
}

// A cheap fingerprint of what is sent (the password included), only to notice a
// change: the key itself is random.
function fingerprint(s) {
  let a = 0x811c9dc5, b = 0x01000193;
  for (let i = 0; i < s.length; i++) {
    a = Math.imul(a ^ s.charCodeAt(i), 0x01000193) >>> 0;
    b = Math.imul(b ^ s.charCodeAt(i), 0x5bd1e995) >>> 0;
  }
  return `${a.toString(16)}${b.toString(16)}${s.length}`;
}

async function send(e) {
  e.preventDefault();
  if (sendButton.disabled) return;
  const pw = document.getElementById('status_password').value;
  const bytes = new TextEncoder().encode(pw).length;
  if (pw && (bytes < 8 || bytes > 128)) {
    showError([{ path: 'status_password', message: '照会用パスワードは8文字以上128文字以内で入力してください。' }]);
    return;
  }
  const root = rootScope(proc.schema, draft.answers);
  const body = submission(root);
  if (pw) body.status_password = pw;
  if (proxyOn) {
    const px = proxyBody();
    if (px.errs.length) {
      showError(px.errs);
      return;
    }
    body.proxy = px.proxy;
    body.proxy_attorney = px.attorney;
  }
  // The draft this finishes (一時保存) is deleted with the submission.
  if (draft.draftId) body.draft_id = draft.draftId;
  const json = JSON.stringify(body);
  // Signed in, the application is the account's (マイページ) and carries the CSRF token.
  const account = await me();
  const key = idempotencyKey(procId, fingerprint(`${proc.version}:${json}`));
  sending = true;
  refreshSend();
  sendButton.textContent = '送信しています…';
  try {
    const r = await api(`/procedures/${procId}/applications`, {
      method: 'POST', body: json,
      headers: {
        'Content-Type': 'application/json', 'Idempotency-Key': key,
        ...(account ? { 'X-CSRF-Token': account.csrf_token } : {}),
      },
    });
    arrived(procId, r);
    location.assign(procUrl(procId, 'done'));
    return;
  } catch (err) {
    sending = false;
    sendButton.textContent = '送信する';
    refreshSend();
    if (err.status === 422 && err.body && Array.isArray(err.body.error_list)) {
      const list = err.body.error_list;
      const formErrs = list.filter((x) => x.path !== 'status_password' && x.path !== 'proxy' && !x.path.startsWith('proxy.'));
      if (formErrs.length) {
        // The server is the authority: its messages go back to the form, shown as ours are.
        saveDraft(procId, { ...draft, serverErrors: formErrs });
        location.assign(procUrl(procId, 'apply'));
        return;
      }
      showError(list);
    } else if (err.status === 0) {
      showProblem(`${NETWORK_MESSAGE} 「送信する」をもう一度押しても、同じ申請が二重に届くことはありません。`);
    } else if (err.status === 401) {
      showProblem('この手続の申請にはアカウントでのログインが必要です。ログインしてから、もう一度「送信する」を押してください（入力内容はこの画面に残っています）。');
    } else {
      showProblem(err.message);
    }
  }
}

// 手数料 for these answers, as the office will see it (lib/fee.c adds it up again).
function feeSummary() {
  const f = feeTotal(proc.fee, submission(rootScope(proc.schema, draft.answers)).answers);
  if (!f) return null;
  return [h('h2', {}, '手数料'),
    h('table', { class: 'fee' },
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, '項目'), h('th', { scope: 'col' }, '数量'), h('th', { scope: 'col' }, '金額'))),
      h('tbody', {}, f.items.filter((i) => i.quantity > 0).map((i) =>
        h('tr', {}, h('td', {}, i.label), h('td', {}, String(i.quantity)), h('td', {}, yen(i.subtotal))))),
      h('tfoot', {}, h('tr', {}, h('th', { scope: 'row', colspan: '2' }, '合計'), h('td', { id: 'fee-total' }, yen(f.total))))),
    proc.fee.note ? h('p', { class: 'pre' }, proc.fee.note) : null];
}

async function start() {
  if (!procId) return pageError(main, '手続が見つかりません', 'アドレスをご確認ください。');
  try {
    proc = await api(`/procedures/${procId}`);
  } catch (e) {
    return pageError(main, e.status === 404 ? '手続が見つかりません' : 'エラーが発生しました', e.message);
  }
  draft = loadDraft(procId);
  if (!draft || draft.version !== proc.version || !proc.schema) {
    location.replace(procUrl(procId, 'apply'));
    return;
  }
  // A citizen who came here by the address bar still gets the form's own checks.
  if (validate(rootScope(proc.schema, draft.answers)).length) {
    location.replace(procUrl(procId, 'apply'));
    return;
  }
  setTitle(`入力内容の確認（${proc.title}）`);
  sendButton = h('button', { type: 'submit', class: 'button primary' }, '送信する');
  sendState = h('p', { class: 'send-state', role: 'status' });
  const pw = h('input', {
    type: 'password', id: 'status_password', name: 'status_password', class: 'input-medium',
    autocomplete: 'new-password', 'aria-describedby': 'status_password-help',
  });
  const answers = h('div', { id: 'answers' }, rows(rootScope(proc.schema, draft.answers), []));
  put(main, 
    h('p', { class: 'back' }, h('a', { href: procUrl(procId, 'apply') }, '入力画面へ戻る')),
    h('p', { class: 'caption' }, proc.title),
    h('h1', {}, '入力内容の確認'),
    h('div', { id: 'summary-slot' }),
    h('p', {}, '入力内容をご確認ください。直す場合は、各項目の「変更」を押してください。'),
    answers,
    h('form', { class: 'send-form', novalidate: true, onsubmit: send },
      proc.proxy && proc.proxy.allowed ? proxySection() : null,
      feeSummary(),
      h('h2', {}, '照会用パスワード（任意）'),
      h('div', { class: 'field', id: 'w-status_password' },
        h('label', { class: 'label', for: 'status_password' }, '照会用パスワード'),
        h('p', { class: 'help', id: 'status_password-help' },
          '到達番号と組み合わせて、あとから申請の状況を確認するためのパスワードです。8文字以上で、ほかのサービスと同じものは避けてください。設定しない場合、状況の確認はできませんが、申請はできます。'),
        h('div', { class: 'error-slot' }),
        pw),
      h('h2', {}, '送信'),
      h('p', {}, '「送信する」を押すと申請が届きます。送信後は内容を変更できません。'),
      sendState,
      h('div', { class: 'actions' }, sendButton)));
  for (const r of uploads()) {
    poll(r, () => {
      saveDraft(procId, draft);
      refreshSend();
      answers.replaceChildren(...rows(rootScope(proc.schema, draft.answers), []));
    });
  }
  refreshSend();
  focusEl(main.querySelector('h1'));
}

start();
