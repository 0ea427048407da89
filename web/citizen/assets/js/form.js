// form.js — the application form, rendered from the procedure's schema.
//
// The answers are one plain object (groups as arrays of item objects, files as upload
// records) kept in sessionStorage on every change; the DOM is drawn from it, so adding
// or removing a group item simply draws the form again. Checks run only when the
// citizen asks to go on; conditional fields appear and disappear as they answer.
import { api, accountUrl, chrome, h, jstTime, loginUrl, me, pageError, procId, procUrl, send, setTitle, wareki, focusEl, put } from './common.js';
import { rootScope, itemScope, pathOf, pathId, shown, validate, initialValues } from './schema.js';
import { resolveDate } from './validate.js';
import { dropFullOptions } from './quota.js';
import { loadDraft, saveDraft } from './store.js';
import { upload, poll, newRecord, statusContent, acceptAttr, acceptWords } from './uploads.js';
import { errorSummary, markFieldErrors, clearFieldErrors } from './errors.js';

const main = chrome();
let proc, values, registry, version, account = null;
let draftId = null;		// the server's draft this form continues (一時保存)
const offers = h('div', { id: 'offers' });
const savePanel = h('section', { class: 'save-panel', 'aria-labelledby': 'save-title' });

const save = (extra = {}) => saveDraft(procId, { version, answers: values, draftId, ...extra });

function required(f) {
  return f.required ? [' ', h('span', { class: 'required' }, '必須')] : [];
}

function helpEl(f, id) {
  return f.help ? h('p', { class: 'help', id: `${id}-help` }, f.help) : null;
}

function describe(f, id, extra = []) {
  return [f.help ? `${id}-help` : null, ...extra].filter(Boolean).join(' ') || null;
}

function setValue(scope, f, v) {
  scope.values[f.name] = v;
  save();
  updateVisibility();
}

// --- the field types ----------------------------------------------------------

function textControl(f, scope, id) {
  const v = scope.values[f.name] ?? '';
  const common = { id, name: id, 'aria-describedby': describe(f, id), placeholder: f.placeholder };
  const onInput = (e) => setValue(scope, f, e.target.value);
  switch (f.type) {
    case 'textarea':
      return h('textarea', { ...common, rows: '5', value: v, oninput: onInput });
    case 'number':
      return h('input', { ...common, type: 'text', inputmode: f.integer ? 'numeric' : 'decimal', class: 'input-short', value: v, oninput: onInput });
    case 'email':
      return h('input', { ...common, type: 'email', autocomplete: 'email', spellcheck: 'false', value: v, oninput: onInput });
    case 'tel':
      return h('input', { ...common, type: 'tel', autocomplete: 'tel', class: 'input-medium', value: v, oninput: onInput });
    default:
      return h('input', { ...common, type: 'text', value: v, oninput: onInput });
  }
}

function dateControl(f, scope, id) {
  const v = scope.values[f.name] ?? '';
  const wk = h('p', { class: 'wareki', id: `${id}-wareki`, 'aria-live': 'polite' }, wareki(v) ? `和暦：${wareki(v)}` : '');
  const input = h('input', {
    id, name: id, type: 'date', class: 'input-medium', value: v,
    min: resolveDate(f.min_date), max: resolveDate(f.max_date),
    'aria-describedby': describe(f, id, [`${id}-wareki`]),
    oninput: (e) => {
      wk.textContent = wareki(e.target.value) ? `和暦：${wareki(e.target.value)}` : '';
      setValue(scope, f, e.target.value);
    },
  });
  return [input, wk];
}

function postalControl(f, scope, id) {
  const status = h('div', { class: 'lookup-status', id: `${id}-lookup`, role: 'status' });
  const input = h('input', {
    id, name: id, type: 'text', inputmode: 'numeric', autocomplete: 'postal-code', class: 'input-medium',
    value: scope.values[f.name] ?? '', 'aria-describedby': describe(f, id),
    oninput: (e) => setValue(scope, f, e.target.value),
  });
  const target = f.address_field ? scope.fields.find((x) => x.name === f.address_field) : null;
  const fill = (a) => {
    const text = `${a.prefecture}${a.city}${a.town || ''}`;
    const el = document.getElementById(pathId(pathOf(scope, target)));
    scope.values[target.name] = text;
    save();
    if (el) { el.value = text; el.focus(); }
    status.replaceChildren(h('p', {}, `住所欄に「${text}」を入力しました。番地などを続けて入力してください。`));
  };
  const lookup = async () => {
    const code = (input.value || '').replace(/[０-９]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xFEE0))
      .replace(/[^0-9]/g, '');
    if (code.length !== 7) {
      status.replaceChildren(h('p', {}, '7桁の郵便番号を入力してから「住所検索」を押してください。'));
      return;
    }
    status.replaceChildren(h('p', {}, '検索しています…'));
    try {
      const r = await api(`/postal-codes/${code}`);
      const list = r.addresses || [];
      if (list.length === 0) {
        status.replaceChildren(h('p', {}, '該当する住所が見つかりませんでした。住所を直接入力してください。'));
      } else if (list.length === 1) {
        fill(list[0]);
      } else {
        const name = `${id}-choice`;
        const choose = h('fieldset', { class: 'address-choice' },
          h('legend', {}, `${list.length}件の住所が見つかりました。住所を選択してください。`),
          list.map((a, i) => h('div', { class: 'option' },
            h('input', { type: 'radio', name, id: `${name}-${i}`, value: String(i), checked: i === 0 }),
            h('label', { for: `${name}-${i}` }, `${a.prefecture}${a.city}${a.town || ''}`))),
          h('button', {
            type: 'button', class: 'button secondary',
            onclick: () => {
              const sel = choose.querySelector('input:checked');
              fill(list[sel ? Number(sel.value) : 0]);
            },
          }, 'この住所を使う'));
        status.replaceChildren(choose);
        focusEl(choose.querySelector('input'));
      }
    } catch (e) {
      status.replaceChildren(h('p', {}, e.status === 400
        ? '7桁の郵便番号を入力してから「住所検索」を押してください。' : `${e.message} 住所を直接入力してください。`));
    }
  };
  const controls = [h('div', { class: 'inline' }, input,
    target ? h('button', { type: 'button', class: 'button secondary', onclick: lookup }, '住所検索') : null)];
  return target ? [...controls, status] : controls;
}

function selectControl(f, scope, id) {
  const v = scope.values[f.name] ?? '';
  return h('select', {
    id, name: id, 'aria-describedby': describe(f, id),
    onchange: (e) => setValue(scope, f, e.target.value),
  }, h('option', { value: '' }, '選択してください'),
  f.options.map((o) => {
    const opt = h('option', { value: o.value }, o.label);
    opt.selected = o.value === v;
    return opt;
  }));
}

function choiceGroup(f, scope, id) {
  const multi = f.type === 'checkbox';
  const v = scope.values[f.name] ?? (multi ? [] : '');
  const onChange = () => {
    const picked = [...fs.querySelectorAll('input:checked')].map((i) => i.value);
    setValue(scope, f, multi ? picked : (picked[0] ?? ''));
  };
  const fs = h('fieldset', { class: 'choices', 'aria-describedby': describe(f, id) },
    h('legend', {}, f.label, ...required(f)),
    helpEl(f, id),
    h('div', { class: 'error-slot' }),
    multi && f.max_choices && f.max_choices < f.options.length
      ? h('p', { class: 'help' }, `${f.max_choices}個まで選択できます。`) : null,
    h('div', { class: 'options' }, f.options.map((o, i) => {
      const oid = i === 0 ? id : `${id}-${i}`;
      return h('div', { class: multi ? 'option checkbox' : 'option radio' },
        h('input', {
          type: multi ? 'checkbox' : 'radio', id: oid, name: id, value: o.value,
          checked: multi ? v.includes(o.value) : v === o.value, onchange: onChange,
        }),
        h('label', { for: oid }, o.label));
    })));
  return fs;
}

function agreementControl(f, scope, id) {
  return [
    f.terms ? h('div', { class: 'terms', id: `${id}-terms`, tabindex: '0', role: 'region', 'aria-label': '同意いただく内容' }, f.terms) : null,
    h('div', { class: 'option checkbox' },
      h('input', {
        type: 'checkbox', id, name: id, checked: scope.values[f.name] === true,
        'aria-describedby': describe(f, id, f.terms ? [`${id}-terms`] : []),
        onchange: (e) => setValue(scope, f, e.target.checked),
      }),
      h('label', { for: id }, f.label, ...required(f))),
  ];
}

function fileControl(f, scope, id) {
  const list = h('ul', { class: 'file-list', id: `${id}-list` });
  const max = f.max_files || 1;
  const note = h('div', { class: 'lookup-status', role: 'status' });
  const records = () => scope.values[f.name] || (scope.values[f.name] = []);
  const onChange = (r, what) => {
    save();
    const li = document.getElementById(`u-${r.local}`);
    if (!li) return;
    if (what === 'progress') {
      const bar = li.querySelector('progress');
      const label = li.querySelector('.file-state');
      if (bar) { bar.value = r.progress; label.textContent = `送信中です（${r.progress}%）`; return; }
    }
    li.querySelector('.file-status').replaceChildren(...statusContent(r).filter(Boolean));
  };
  const item = (r) => h('li', { id: `u-${r.local}`, class: 'file-item' },
    h('span', { class: 'file-name' }, r.display_name),
    h('div', { class: 'file-status', role: 'status' }, statusContent(r)),
    h('button', {
      type: 'button', class: 'button link-button',
      onclick: () => {
        scope.values[f.name] = records().filter((x) => x !== r);
        save();
        document.getElementById(`u-${r.local}`)?.remove();
        note.replaceChildren(h('p', {}, `${r.display_name} を削除しました。`));
        input.focus();
      },
    }, '削除', h('span', { class: 'visually-hidden' }, `（${r.display_name}）`)));
  const input = h('input', {
    type: 'file', id, name: id, accept: acceptAttr(f), multiple: max > 1,
    'aria-describedby': describe(f, id, [`${id}-rules`]),
    onchange: () => {
      for (const file of input.files) {
        if (records().length >= max) {
          note.replaceChildren(h('p', {}, `${f.label}は${max}件まで添付できます。`));
          break;
        }
        const r = newRecord(file);
        records().push(r);
        list.append(item(r));
        upload(procId, f.name, file, r, onChange);
      }
      save();
      input.value = '';
    },
  });
  const kb = Math.round((f.max_file_bytes || 10485760) / 1048576);
  for (const r of records()) {
    list.append(item(r));
    poll(r, onChange);
  }
  return [
    h('p', { class: 'help', id: `${id}-rules` }, `${acceptWords(f)}を${max}件まで、1件${kb}MBまで添付できます。添付したファイルは、安全のため無害化処理（ウイルス検査と作り直し）を行います。`),
    list, input, note,
  ];
}

// --- fields, groups and the form ----------------------------------------------

function renderField(f, scope) {
  const path = pathOf(scope, f);
  const id = pathId(path);
  const wrapper = h('div', { class: `field field-${f.type}`, id: `w-${id}`, 'data-path': path });
  registry.push({ f, scope, wrapper });
  switch (f.type) {
    case 'heading':
      wrapper.append(h('h2', { class: 'form-heading' }, f.label), helpEl(f, id) || '');
      return wrapper;
    case 'radio': case 'checkbox':
      wrapper.append(choiceGroup(f, scope, id));
      return wrapper;
    case 'group':
      wrapper.append(renderGroup(f, scope, id, path));
      return wrapper;
    case 'agreement':
      wrapper.append(h('p', { class: 'label' }, '利用規約など'), helpEl(f, id) || '',
        h('div', { class: 'error-slot' }), ...agreementControl(f, scope, id).filter(Boolean));
      return wrapper;
    default: {
      let control;
      if (f.type === 'date') control = dateControl(f, scope, id);
      else if (f.type === 'postal') control = postalControl(f, scope, id);
      else if (f.type === 'select') control = selectControl(f, scope, id);
      else if (f.type === 'file') control = fileControl(f, scope, id);
      else control = textControl(f, scope, id);
      wrapper.append(h('label', { class: 'label', for: id }, f.label, ...required(f)),
        helpEl(f, id) || '', h('div', { class: 'error-slot' }),
        ...[control].flat().filter(Boolean));
      return wrapper;
    }
  }
}

function renderGroup(f, scope, id, path) {
  const items = scope.values[f.name] || (scope.values[f.name] = []);
  const min = f.min_items !== undefined ? f.min_items : (f.required ? 1 : 0);
  const max = f.max_items || 1;
  const fs = h('fieldset', { class: 'group', id, tabindex: '-1', 'aria-describedby': describe(f, id, [`${id}-count`]) },
    h('legend', {}, f.label, ...(min > 0 ? [' ', h('span', { class: 'required' }, '必須')] : [])),
    helpEl(f, id),
    h('p', { class: 'help', id: `${id}-count` }, `${max}件まで入力できます（現在${items.length}件）。`),
    h('div', { class: 'error-slot' }));
  items.forEach((_, i) => {
    const s = itemScope(scope, f, items, i);
    const itemFs = h('fieldset', { class: 'group-item' },
      h('legend', {}, `${f.label}（${i + 1}件目）`),
      s.fields.map((sub) => renderField(sub, s)));
    if (items.length > min) {
      itemFs.append(h('button', {
        type: 'button', class: 'button secondary',
        onclick: () => {
          items.splice(i, 1);
          save();
          render();
          focusEl(document.getElementById(id));
        },
      }, `${f.label}（${i + 1}件目）を削除`));
    }
    fs.append(itemFs);
  });
  if (items.length < max) {
    fs.append(h('button', {
      type: 'button', class: 'button secondary',
      onclick: () => {
        items.push(initialValues(f.fields));
        save();
        render();
        const first = f.fields.find((x) => x.type !== 'heading');
        focusEl(document.getElementById(pathId(`${path}[${items.length - 1}].${first.name}`)));
      },
    }, `${f.label}を追加`));
  }
  return fs;
}

function updateVisibility() {
  for (const { f, scope, wrapper } of registry) wrapper.hidden = !shown(f, scope);
}

function render() {
  registry = [];
  const root = rootScope(proc.schema, values);
  const form = h('form', { novalidate: true, class: 'apply-form', onsubmit: onSubmit },
    h('div', { id: 'summary-slot' }),
    proc.schema.fields.map((f) => renderField(f, root)),
    h('div', { class: 'actions' },
      h('button', { type: 'submit', class: 'button primary' }, '入力内容を確認する')));
  put(main, 
    h('p', { class: 'back' }, h('a', { href: procUrl(procId) }, '手続の説明へ戻る')),
    h('p', { class: 'caption' }, proc.title),
    h('h1', {}, '申請内容の入力'),
    h('p', {}, '「必須」と表示している項目は、必ず入力してください。入力した内容は、次の画面で確認できます。'),
    offers,
    form,
    savePanel);
  updateVisibility();
}

// --- 一時保存 and pre-fill -------------------------------------------------------

function saveStatus(kind, text) {
  const el = document.getElementById('save-status');
  el.replaceChildren(h('div', { class: `notice${kind ? ` notice-${kind}` : ''}` }, h('p', {}, text)));
}

async function saveToServer() {
  try {
    const r = await send(`/drafts/${encodeURIComponent(procId)}`, 'PUT', { version, answers: values });
    draftId = r.id;
    save();
    saveStatus('', `一時保存しました（${jstTime(r.updated_at)}）。マイページの「一時保存した申請」から、続きを入力できます。`);
  } catch (e) {
    saveStatus('error', e.message);
  }
}

function emailForLink() {
  const form = h('form', {
    novalidate: true, class: 'save-form',
    onsubmit: async (e) => {
      e.preventDefault();
      const input = document.getElementById('save-email');
      const addr = input.value.trim();
      if (!/^[^\s@,]+@[^\s@,]+\.[^\s@,]+$/.test(addr)) {
        input.setAttribute('aria-invalid', 'true');
        saveStatus('error', 'メールアドレスを正しい形式で入力してください (例: taro@example.jp)。');
        input.focus();
        return;
      }
      input.removeAttribute('aria-invalid');
      try {
        const r = await send('/drafts/resume-link', 'POST', { procedure: procId, version, email: addr, answers: values, draft_id: draftId });
        draftId = r.draft_id;
        save();
        saveStatus('', `${r.message}リンクは一度だけ使えます。ブラウザを閉じても、リンクから続きを入力できます。`);
      } catch (err) {
        saveStatus('error', err.message);
      }
    },
  },
  h('div', { class: 'field', id: 'w-save-email' },
    h('label', { class: 'label', for: 'save-email' }, '続きを入力するためのリンクの送り先'),
    h('p', { class: 'help', id: 'save-email-help' }, 'メールアドレスを入力してください。入力内容はサーバーに7日間保存します。'),
    h('input', { type: 'email', id: 'save-email', name: 'save-email', autocomplete: 'email', spellcheck: 'false', 'aria-describedby': 'save-email-help' })),
  h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'button secondary' }, 'リンクをメールで送る')));
  return form;
}

function renderSavePanel() {
  const status = h('div', { id: 'save-status', 'aria-live': 'polite' });
  if (account) {
    savePanel.replaceChildren(h('h2', { id: 'save-title' }, '一時保存'),
      h('p', {}, '入力の途中で保存して、あとから続きを入力できます。'),
      h('div', { class: 'actions' }, h('button', { type: 'button', class: 'button secondary', onclick: saveToServer }, '一時保存')),
      status);
  } else {
    const slot = h('div', {});
    savePanel.replaceChildren(h('h2', { id: 'save-title' }, '一時保存'),
      h('p', {}, '入力の途中で保存して、あとから続きを入力できます。',
        h('a', { href: loginUrl() }, 'ログイン'), 'している場合は、アカウントに保存します。'),
      h('div', { class: 'actions' }, h('button', {
        type: 'button', class: 'button secondary', 'aria-expanded': 'false', 'aria-controls': 'save-link-slot',
        onclick: (e) => {
          e.target.setAttribute('aria-expanded', 'true');
          slot.replaceChildren(emailForLink());
          document.getElementById('save-email').focus();
        },
      }, '一時保存')),
      h('div', { id: 'save-link-slot' }, slot), status);
  }
}

function offer(text, button, onclick) {
  return h('div', { class: 'notice' }, h('p', {}, text),
    h('p', {}, h('button', { type: 'button', class: 'button secondary', onclick }, button)));
}

function useAnswers(answers, message) {
  values = { ...values, ...answers };
  save();
  offers.replaceChildren(h('div', { class: 'notice', role: 'status' }, h('p', {}, message)));
  render();
  focusEl(offers.firstChild);
}

// Signed in: the server's draft of this procedure, and answers from the profile and
// the previous application (過去の申請の再利用), each offered, never forced.
async function offerAccountData(loadedServerDraft) {
  const [d, pf] = await Promise.all([
    loadedServerDraft ? null : api(`/drafts/${encodeURIComponent(procId)}`).catch(() => null),
    api(`/procedures/${encodeURIComponent(procId)}/prefill`).catch(() => null),
  ]);
  const list = [];
  if (d && d.version === version) {
    list.push(offer(`一時保存した入力内容があります（${jstTime(d.updated_at)}に保存）。`, '一時保存した内容を読み込む', () => {
      draftId = d.id;
      useAnswers(d.answers, '一時保存した内容を読み込みました。');
    }));
  }
  if (pf && Object.keys(pf.answers || {}).length) {
    list.push(pf.previous
      ? offer(`前回の申請（${jstTime(pf.previous.submitted_at)}、到達番号 ${pf.previous.receipt_no}）と登録内容から、入力できる項目があります。`,
        '前回の申請内容を使う', () => useAnswers(pf.answers, '前回の申請内容と登録内容を入力しました。内容をご確認のうえ、必要に応じて直してください。'))
      : offer('アカウントの登録内容から、入力できる項目があります。', '登録内容を使う',
        () => useAnswers(pf.answers, '登録内容を入力しました。内容をご確認のうえ、必要に応じて直してください。')));
  }
  offers.replaceChildren(...list);
}

function showErrors(list) {
  clearFieldErrors(main);
  markFieldErrors(main, list);
  const summary = errorSummary(list);
  document.getElementById('summary-slot').replaceChildren(summary);
  setTitle(`エラー：申請内容の入力（${proc.title}）`);
  focusEl(summary);
}

function onSubmit(e) {
  e.preventDefault();
  const errs = validate(rootScope(proc.schema, values));
  if (errs.length) {
    showErrors(errs);
    return;
  }
  save();
  location.assign(procUrl(procId, 'check'));
}

async function start() {
  if (!procId) return pageError(main, '手続が見つかりません', 'アドレスをご確認ください。');
  try {
    proc = await api(`/procedures/${procId}`);
  } catch (e) {
    return pageError(main, e.status === 404 ? '手続が見つかりません' : 'エラーが発生しました', e.message);
  }
  if (proc.info_only || !proc.schema || (proc.reception && proc.reception.state !== 'open')) {
    location.replace(procUrl(procId));
    return;
  }
  version = proc.version;
  dropFullOptions(proc.schema.fields, proc.full_options || []);
  account = await me();
  if (proc.identity === 'account' && !account) {
    setTitle(`ログインが必要です（${proc.title}）`);
    put(main,
      h('p', { class: 'back' }, h('a', { href: procUrl(procId) }, '手続の説明へ戻る')),
      h('p', { class: 'caption' }, proc.title),
      h('h1', {}, 'ログインが必要です'),
      h('p', {}, 'この手続の申請には、アカウントでのログインが必要です。'),
      h('p', { class: 'inline' }, h('a', { class: 'button primary', href: loginUrl() }, 'ログインする'),
        h('a', { class: 'button secondary', href: accountUrl('register') }, 'アカウントを登録する')));
    return;
  }
  let draft = loadDraft(procId);
  let fromServer = false;
  if (account && new URLSearchParams(location.search).get('draft') === 'server') {
    const d = await api(`/drafts/${encodeURIComponent(procId)}`).catch(() => null);
    if (d && d.version === version) {
      draft = { version, answers: d.answers, draftId: d.id };
      fromServer = true;
    }
  }
  values = draft && draft.version === version ? draft.answers : initialValues(proc.schema.fields);
  draftId = draft && draft.version === version ? draft.draftId || null : null;
  // A file still being sent when the page was left is lost; say nothing of it.
  dropUnsent(proc.schema.fields, values);
  setTitle(`申請内容の入力（${proc.title}）`);
  renderSavePanel();
  if (fromServer || (draft && draft.resumed)) {
    offers.replaceChildren(h('div', { class: 'notice', role: 'status' }, h('p', {}, '一時保存した内容を読み込みました。続きを入力してください。')));
  }
  render();
  if (account) offerAccountData(fromServer);
  if (draft && draft.serverErrors && draft.serverErrors.length) {
    showErrors(draft.serverErrors);
    save();
  } else if (location.hash.startsWith('#f-')) {
    const el = document.getElementById(location.hash.slice(1));
    if (el) {
      el.closest('.field')?.scrollIntoView();
      focusEl(el);
    }
  } else {
    save();
  }
}

function dropUnsent(fields, v) {
  for (const f of fields) {
    if (f.type === 'file' && Array.isArray(v[f.name])) v[f.name] = v[f.name].filter((r) => r.upload_id || r.state === 'failed');
    if (f.type === 'group') for (const item of v[f.name] || []) dropUnsent(f.fields, item);
  }
}

start();
