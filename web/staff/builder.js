// The procedure editor: the definition as a form, no JSON to write. The state lives
// in builder-model.js's shape; controls write into it as they change, and only
// structural changes (add, remove, move a field or option) redraw the field list,
// putting the focus back where it was so a keyboard user keeps their place.
import {
  FIELD_TYPES, TYPE_LABEL, ACCEPT_KINDS, NOTIFY_EVENTS, newField, newState, stateToRequest,
  definitionToState, moveField, conditionTargets, checkState, explainServerError, routingFields,
  quantityFields,
} from '/builder-model.js';

const Staff = window.Staff;
const err = document.getElementById('error');
const notice = document.getElementById('notice');
const fieldsBox = document.getElementById('fields');
const preview = document.getElementById('preview');
const params = new URLSearchParams(location.search);
let state = newState();
let editing = null;   // {id, version} once saved
let readOnly = false;
let departments = [];  // names, for the routing rules

const el = (tag, props, ...kids) => {
  const e = document.createElement(tag);
  Object.entries(props || {}).forEach(([k, v]) => {
    if (k === 'text') e.textContent = v;
    else if (k === 'cls') e.className = v;
    else if (v !== undefined && v !== null && v !== false) e.setAttribute(k, v === true ? '' : v);
  });
  kids.flat().forEach((k) => k && e.appendChild(k));
  return e;
};

function getPath(obj, dotted) { return dotted.split('.').reduce((o, k) => o[k], obj); }
function setPath(obj, dotted, v) {
  const ks = dotted.split('.');
  const last = ks.pop();
  ks.reduce((o, k) => o[k], obj)[last] = v;
}

function say(text) { notice.textContent = text; notice.hidden = false; notice.focus(); }

function showErrors(list) {
  err.textContent = '';
  err.appendChild(el('p', { text: '保存できませんでした。次の点を直してください。' }));
  const ul = el('ul');
  list.forEach((e) => ul.appendChild(el('li', { text: (e.path ? `${e.path}：` : '') + e.message })));
  err.appendChild(ul);
  err.hidden = false;
  err.focus();
}

// ---- top-level controls -------------------------------------------------------
function bindTop() {
  document.querySelectorAll('#editor [data-k]').forEach((c) => {
    const k = c.dataset.k;
    const read = () => { setPath(state, k, c.type === 'checkbox' ? c.checked : c.value); refresh(); };
    c.addEventListener(c.tagName === 'SELECT' || c.type === 'checkbox' ? 'change' : 'input', read);
  });
  const box = document.getElementById('p-events');
  NOTIFY_EVENTS.forEach(([v, label]) => {
    const id = `p-ev-${v}`;
    const c = el('input', { type: 'checkbox', id, value: v });
    c.addEventListener('change', () => {
      const ev = NOTIFY_EVENTS.map(([x]) => x).filter((x) => document.getElementById(`p-ev-${x}`).checked);
      state.notify.events = ev;
      renderTemplates();
      refresh();
    });
    box.appendChild(el('span', { cls: 'choice' }, c, document.createTextNode(' '), el('label', { for: id, text: label })));
  });
}

function fillTop() {
  document.querySelectorAll('#editor [data-k]').forEach((c) => {
    const v = getPath(state, c.dataset.k);
    if (c.type === 'checkbox') c.checked = !!v; else c.value = v;
  });
  NOTIFY_EVENTS.forEach(([v]) => { document.getElementById(`p-ev-${v}`).checked = state.notify.events.includes(v); });
}

function fillEmailChoices() {
  const sel = document.getElementById('p-email');
  sel.textContent = '';
  sel.appendChild(el('option', { value: '', text: '送らない' }));
  state.fields.filter((f) => f.type === 'email').forEach((f) => {
    sel.appendChild(el('option', { value: f.name, text: `${f.label || f.name}（${f.name}）` }));
  });
  sel.value = state.notify.email_field;
}

// ---- field editors ------------------------------------------------------------
function input(id, label, value, onChange, attrs) {
  const c = el('input', Object.assign({ id, value }, attrs || {}));
  c.value = value;
  c.addEventListener('input', () => { onChange(c.value); refresh(); });
  return el('p', {}, el('label', { for: id, text: label }), el('br'), c);
}
function area(id, label, value, onChange, rows) {
  const c = el('textarea', { id, rows: rows || 3 });
  c.value = value;
  c.addEventListener('input', () => { onChange(c.value); refresh(); });
  return el('p', {}, el('label', { for: id, text: label }), el('br'), c);
}
function check(id, label, value, onChange) {
  const c = el('input', { type: 'checkbox', id });
  c.checked = !!value;
  c.addEventListener('change', () => { onChange(c.checked); refresh(); });
  return el('p', {}, c, document.createTextNode(' '), el('label', { for: id, text: label }));
}
function select(id, label, value, choices, onChange) {
  const c = el('select', { id });
  choices.forEach(([v, t]) => c.appendChild(el('option', { value: v, text: t })));
  c.value = value;
  c.addEventListener('change', () => { onChange(c.value); refresh(); });
  return el('p', {}, el('label', { for: id, text: label }), el('br'), c);
}
function btn(id, text, label, fn, disabled) {
  const b = el('button', { type: 'button', id, 'aria-label': label, cls: 'small', disabled: disabled || readOnly });
  b.textContent = text;
  b.addEventListener('click', fn);
  return b;
}

// ---- the procedure's own email words, per chosen event --------------------------
function renderTemplates() {
  const box = document.getElementById('p-templates');
  box.textContent = '';
  state.notify.events.forEach((ev) => {
    const label = (NOTIFY_EVENTS.find(([v]) => v === ev) || [ev, ev])[1];
    const t = state.notify.templates[ev] || (state.notify.templates[ev] = { subject: '', lead: '' });
    box.appendChild(el('fieldset', {}, el('legend', { text: `「${label}」のメールの文面（空欄は標準の文面）` }),
      input(`p-tpl-${ev}-subject`, '件名', t.subject, (v) => { t.subject = v; }, { maxlength: 100, disabled: readOnly }),
      area(`p-tpl-${ev}-lead`, '最初の段落（到達番号・状況確認のページの案内は自動で付きます）', t.lead, (v) => { t.lead = v; }, 3)));
  });
}

// ---- 様式・画像 (procfile.h) ----------------------------------------------------
// A file is uploaded first (officed stores it by hash and says what it is); the list
// then holds what the definition will name: title, use, alternative text.
const SIZE = (n) => (n >= 1048576 ? `${(n / 1048576).toFixed(1)} MB` : `${Math.max(1, Math.round(n / 1024))} KB`);
function renderFiles() {
  const box = document.getElementById('files');
  box.textContent = '';
  state.files.forEach((f, i) => {
    const n = i + 1;
    const uses = [['download', 'ダウンロード用の様式']];
    if (f.type === 'png' || f.type === 'jpeg') uses.push(['image', '画面に表示する画像']);
    box.appendChild(el('div', { cls: 'rule', role: 'group', 'aria-label': `ファイルの ${n} 件目（${f.name}）` },
      el('p', { text: `${n} 件目: ${f.name}（${f.type.toUpperCase()}、${SIZE(f.size)}）` }),
      input(`file-${i}-title`, '表題（住民の方に表示する名前）', f.title, (v) => { f.title = v; }, { maxlength: 100 }),
      select(`file-${i}-use`, '用途', f.use, uses, (v) => { f.use = v; renderFiles(); document.getElementById(`file-${i}-use`).focus(); }),
      f.use === 'image' ? input(`file-${i}-alt`, '代替テキスト（画像の内容の説明）', f.alt, (v) => { f.alt = v; }, { maxlength: 200 }) : null,
      el('p', {}, btn(`file-${i}-remove`, '削除', `ファイルの ${n} 件目（${f.name}）を削除`, () => {
        state.files.splice(i, 1);
        renderFiles();
        document.getElementById('file-pick').focus();
      }))));
  });
}

function uploadFile() {
  const pick = document.getElementById('file-pick');
  const file = pick.files[0];
  if (!file) { Staff.showError(err, '登録するファイルを選んでください。'); return; }
  const form = new FormData();
  form.append('file', file, file.name);
  Staff.upload('/procedure-files', form).then((res) => {
    if (res.status === 401) { location.href = '/index.html'; return; }
    if (!res.ok) { Staff.showError(err, Staff.message(res)); return; }
    const b = res.body;
    state.files.push({ name: b.name, title: b.name.replace(/\.[^.]*$/, ''), type: b.type, size: b.size, sha256: b.sha256, use: 'download', alt: '' });
    pick.value = '';
    renderFiles();
    say(`ファイル「${b.name}」を登録しました。表題を確認して、下書きを保存してください。`);
    document.getElementById(`file-${state.files.length - 1}-title`).focus();
  });
}

// ---- 手数料 ----------------------------------------------------------------------
// One row per item: its name, yen, and what it counts by (once, or a whole-number
// answer). Redrawn like the routing rows.
function renderFee() {
  const box = document.getElementById('fee');
  box.textContent = '';
  const counts = [['', '1件につき（固定）'], ...quantityFields(state).map((f) => [f.name, `「${f.label || f.name}」の数ごと`])];
  state.fee.items.forEach((it, i) => {
    const n = i + 1;
    box.appendChild(el('div', { cls: 'rule', role: 'group', 'aria-label': `手数料の ${n} 件目` },
      input(`fee-${i}-label`, `${n} 件目: 項目名`, it.label, (v) => { it.label = v; }, { maxlength: 100 }),
      input(`fee-${i}-amount`, '金額（円）', it.amount, (v) => { it.amount = v; }, { type: 'number', min: 0, max: 1000000 }),
      select(`fee-${i}-qty`, '数え方', it.quantity_field, counts, (v) => { it.quantity_field = v; }),
      el('p', {}, btn(`fee-${i}-remove`, '削除', `手数料の ${n} 件目を削除`, () => {
        state.fee.items.splice(i, 1);
        renderFee();
        document.getElementById('fee-add').focus();
      }))));
  });
  box.appendChild(el('p', {}, btn('fee-add', '手数料の項目を追加', '手数料の項目を追加', () => {
    state.fee.items.push({ label: '', amount: '', quantity_field: '' });
    renderFee();
    document.getElementById(`fee-${state.fee.items.length - 1}-label`).focus();
  })));
}

// ---- routing (振り分け) ---------------------------------------------------------
// One row per rule: a top-level choice field, one of its options, a department. Rows
// are redrawn when their field changes (the options follow) or one is added/removed.
function renderRouting() {
  const box = document.getElementById('routing');
  box.textContent = '';
  const fields = routingFields(state);
  state.routing.forEach((r, i) => {
    const n = i + 1;
    const field = fields.find((f) => f.name === r.field);
    const fieldSel = select(`rt-${i}-field`, `${n} 件目: 条件にする項目`, r.field,
      [['', '選んでください'], ...fields.map((f) => [f.name, `${f.label || f.name}（${f.name}）`])],
      (v) => { r.field = v; r.value = ''; renderRouting(); document.getElementById(`rt-${i}-field`).focus(); });
    const valueSel = select(`rt-${i}-value`, 'その回答が', r.value,
      [['', '選んでください'], ...(field ? field.options.filter((o) => o.value).map((o) => [o.value, o.label || o.value]) : [])],
      (v) => { r.value = v; });
    const deptSel = select(`rt-${i}-dept`, 'のときの担当部署', r.department,
      [['', '選んでください'], ...departments.map((d) => [d, d])], (v) => { r.department = v; });
    const remove = btn(`rt-${i}-remove`, '削除', `振り分けの ${n} 件目を削除`, () => {
      state.routing.splice(i, 1);
      renderRouting();
      document.getElementById('rt-add').focus();
    });
    box.appendChild(el('div', { cls: 'rule', role: 'group', 'aria-label': `振り分けの ${n} 件目` },
      fieldSel, valueSel, deptSel, el('p', {}, remove)));
  });
  if (!fields.length) box.appendChild(el('p', { text: '最上位にプルダウン・ラジオボタン・チェックボックスの項目を追加すると、回答による振り分けを設定できます。' }));
  const add = btn('rt-add', '振り分けを追加', '振り分けを追加', () => {
    state.routing.push({ field: '', value: '', department: '' });
    renderRouting();
    document.getElementById(`rt-${state.routing.length - 1}-field`).focus();
  }, !fields.length);
  box.appendChild(el('p', {}, add));
}

// Redraw the field list, then focus the control with this id (or its fallback).
function redraw(focusId, fallbackId) {
  renderFields();
  fillEmailChoices();
  renderRouting();
  refresh();
  const f = document.getElementById(focusId);
  const target = f && !f.disabled ? f : document.getElementById(fallbackId);
  if (target) target.focus();
}

function optionsEditor(f, pid) {
  const fs = el('fieldset', {}, el('legend', { text: '選択肢' }));
  f.options.forEach((o, k) => {
    const oid = `${pid}-o${k}`;
    const row = el('div', { cls: 'option-row' },
      input(`${oid}-value`, `選択肢 ${k + 1} の値（英数字。保存される値）`, o.value, (v) => { o.value = v; }, { maxlength: 100 }),
      input(`${oid}-label`, `選択肢 ${k + 1} の表示名`, o.label, (v) => { o.label = v; }, { maxlength: 200 }),
      input(`${oid}-quota`, `選択肢 ${k + 1} の受付数の上限（空欄は無制限）`, o.quota, (v) => { o.quota = v; }, { type: 'number', min: 1 }),
      el('p', {}, btn(`${oid}-del`, `選択肢 ${k + 1} を削除`, `選択肢 ${k + 1} を削除`, () => {
        f.options.splice(k, 1);
        redraw(`${pid}-addopt`);
      }, f.options.length <= 1)));
    fs.appendChild(row);
  });
  fs.appendChild(el('p', {}, btn(`${pid}-addopt`, '選択肢を追加', '選択肢を追加', () => {
    let n = f.options.length + 1;
    while (f.options.some((o) => o.value === `opt${n}`)) n++;
    f.options.push({ value: `opt${n}`, label: '', quota: '' });
    redraw(`${pid}-o${f.options.length - 1}-label`);
  })));
  return fs;
}

function conditionEditor(f, pid, scopes) {
  const targets = conditionTargets(scopes, f);
  const fs = el('fieldset', {}, el('legend', { text: '表示条件（空欄なら常に表示）' }));
  const c = f.show_if;
  fs.appendChild(select(`${pid}-if-field`, '条件にする項目', c.field,
    [['', '常に表示する']].concat(targets.map((t) => [t.name, `${t.label || t.name}（${t.name}）`])),
    (v) => { c.field = v; redraw(`${pid}-if-field`); }));
  if (!c.field) return fs;
  const t = targets.find((x) => x.name === c.field);
  const ops = [['equals', 'が次の値のとき'], ['in', 'が次のいずれかのとき（1 行に 1 つ）']];
  if (t && t.type === 'checkbox') ops.push(['checked', 'で次の値がチェックされているとき']);
  if (t && t.type === 'agreement') {
    c.op = 'equals';
    fs.appendChild(el('p', { text: '同意されたときに表示します。' }));
    return fs;
  }
  fs.appendChild(select(`${pid}-if-op`, '条件', c.op, ops, (v) => { c.op = v; redraw(`${pid}-if-op`); }));
  if (t && t.options && t.options.length && c.op !== 'in') {
    fs.appendChild(select(`${pid}-if-value`, '値', c.value,
      [['', '選んでください']].concat(t.options.map((o) => [o.value, `${o.label || o.value}（${o.value}）`])),
      (v) => { c.value = v; }));
  } else if (c.op === 'in') {
    fs.appendChild(area(`${pid}-if-value`, '値（1 行に 1 つ）', c.value, (v) => { c.value = v; }, 2));
  } else {
    fs.appendChild(input(`${pid}-if-value`, '値', c.value, (v) => { c.value = v; }));
  }
  return fs;
}

function fieldEditor(f, i, list, pid, scopes, depth) {
  const n = i + 1;
  const fs = el('fieldset', { cls: 'field-editor', id: pid });
  fs.appendChild(el('legend', { text: `項目 ${n}：${f.label || '（表示名なし）'}（${TYPE_LABEL[f.type]}）` }));
  const name = f.label || f.name;
  fs.appendChild(el('p', { cls: 'field-tools' },
    btn(`${pid}-up`, '上へ', `「${name}」を上へ移動`, () => {
      const j = moveField(list, i, -1);
      redraw(`${pid.replace(/-\d+$/, '')}-${j}-up`, `${pid.replace(/-\d+$/, '')}-${j}-down`);
    }, i === 0),
    btn(`${pid}-down`, '下へ', `「${name}」を下へ移動`, () => {
      const j = moveField(list, i, 1);
      redraw(`${pid.replace(/-\d+$/, '')}-${j}-down`, `${pid.replace(/-\d+$/, '')}-${j}-up`);
    }, i === list.length - 1),
    btn(`${pid}-del`, '削除', `「${name}」を削除`, () => {
      list.splice(i, 1);
      redraw(`${pid.replace(/-\d+$/, '')}-add-type`);
    })));
  fs.appendChild(input(`${pid}-name`, '項目名（英小文字・数字・_。保存されるデータの名前）', f.name, (v) => { f.name = v; }, { maxlength: 64, autocomplete: 'off' }));
  fs.appendChild(input(`${pid}-label`, f.type === 'heading' ? '見出しの文字' : '表示名', f.label, (v) => { f.label = v; }, { maxlength: 200 }));
  fs.appendChild(area(`${pid}-help`, '説明文（入力欄の下に表示）', f.help, (v) => { f.help = v; }, 2));
  if (f.type !== 'heading') {
    fs.appendChild(check(`${pid}-required`, '必須にする', f.required, (v) => { f.required = v; }));
    fs.appendChild(input(`${pid}-placeholder`, '入力例（欄の中に薄く表示）', f.placeholder, (v) => { f.placeholder = v; }, { maxlength: 200 }));
  }
  if (['text', 'textarea', 'kana'].includes(f.type)) {
    fs.appendChild(input(`${pid}-minlen`, '最小文字数', f.min_length, (v) => { f.min_length = v; }, { type: 'number', min: 0 }));
    fs.appendChild(input(`${pid}-maxlen`, `最大文字数（空欄は ${f.type === 'textarea' ? 4000 : 200}）`, f.max_length, (v) => { f.max_length = v; }, { type: 'number', min: 1 }));
  }
  if (f.type === 'number') {
    fs.appendChild(input(`${pid}-min`, '最小値', f.min, (v) => { f.min = v; }, { inputmode: 'decimal' }));
    fs.appendChild(input(`${pid}-max`, '最大値', f.max, (v) => { f.max = v; }, { inputmode: 'decimal' }));
    fs.appendChild(check(`${pid}-integer`, '整数のみ', f.integer, (v) => { f.integer = v; }));
  }
  if (f.type === 'date') {
    const hint = '（YYYY-MM-DD、today、today-18y のように今日から N 年・月(m)・日(d) 前後も指定できます）';
    fs.appendChild(input(`${pid}-mindate`, `この日以降${hint}`, f.min_date, (v) => { f.min_date = v; }));
    fs.appendChild(input(`${pid}-maxdate`, `この日以前${hint}`, f.max_date, (v) => { f.max_date = v; }));
  }
  if (['select', 'radio', 'checkbox'].includes(f.type)) fs.appendChild(optionsEditor(f, pid));
  if (f.type === 'checkbox') {
    fs.appendChild(input(`${pid}-minch`, '最低いくつ選ぶか', f.min_choices, (v) => { f.min_choices = v; }, { type: 'number', min: 0 }));
    fs.appendChild(input(`${pid}-maxch`, '最大いくつまで選べるか', f.max_choices, (v) => { f.max_choices = v; }, { type: 'number', min: 1 }));
  }
  if (f.type === 'group') {
    fs.appendChild(input(`${pid}-minitems`, '最低の件数', f.min_items, (v) => { f.min_items = v; }, { type: 'number', min: 0, max: 100 }));
    fs.appendChild(input(`${pid}-maxitems`, '最大の件数（空欄は 1）', f.max_items, (v) => { f.max_items = v; }, { type: 'number', min: 1, max: 100 }));
    const inner = el('fieldset', { cls: 'group-fields' }, el('legend', { text: `「${name}」の中の項目` }));
    fieldList(inner, f.fields, `${pid}-g`, scopes.concat([f.fields]), depth + 1);
    fs.appendChild(inner);
  }
  if (f.type === 'file') {
    const kinds = el('fieldset', {}, el('legend', { text: '受け付けるファイルの種類' }));
    ACCEPT_KINDS.forEach(([v, t]) => {
      kinds.appendChild(check(`${pid}-acc-${v}`, t, f.accept.includes(v), (on) => {
        f.accept = ACCEPT_KINDS.map(([x]) => x).filter((x) => (x === v ? on : f.accept.includes(x)));
      }));
    });
    fs.appendChild(kinds);
    fs.appendChild(input(`${pid}-maxfiles`, '添付できる件数（空欄は 1、20 まで）', f.max_files, (v) => { f.max_files = v; }, { type: 'number', min: 1, max: 20 }));
    fs.appendChild(input(`${pid}-maxmib`, '1 件あたりの大きさの上限（MB。空欄は 10、100 まで）', f.max_file_mib, (v) => { f.max_file_mib = v; }, { type: 'number', min: 1, max: 100 }));
  }
  if (f.type === 'agreement') fs.appendChild(area(`${pid}-terms`, '同意していただく文章（利用規約など）', f.terms, (v) => { f.terms = v; }, 6));
  if (f.type === 'postal') {
    fs.appendChild(select(`${pid}-addr`, '郵便番号から住所を入れる項目', f.address_field,
      [['', '使わない']].concat(list.filter((x) => ['text', 'textarea'].includes(x.type)).map((x) => [x.name, `${x.label || x.name}（${x.name}）`])),
      (v) => { f.address_field = v; }));
  }
  fs.appendChild(conditionEditor(f, pid, scopes));
  return fs;
}

function fieldList(box, list, prefix, scopes, depth) {
  list.forEach((f, i) => box.appendChild(fieldEditor(f, i, list, `${prefix}-${i}`, scopes, depth)));
  if (readOnly) return;
  const types = FIELD_TYPES.filter(([t]) => t !== 'group' || depth < 3);
  const sel = el('select', { id: `${prefix}-add-type` });
  types.forEach(([v, t]) => sel.appendChild(el('option', { value: v, text: t })));
  box.appendChild(el('p', { cls: 'add-field' },
    el('label', { for: `${prefix}-add-type`, text: '追加する項目の種類' }), el('br'), sel, document.createTextNode(' '),
    btn(`${prefix}-add`, '項目を追加', '選んだ種類の項目を追加', () => {
      list.push(newField(sel.value, list.map((x) => x.name)));
      redraw(`${prefix}-${list.length - 1}-label`);
    })));
}

function renderFields() {
  fieldsBox.textContent = '';
  fieldList(fieldsBox, state.fields, 'f', [state.fields], 1);
  if (readOnly) fieldsBox.querySelectorAll('input, select, textarea').forEach((c) => { c.disabled = true; });
}

// ---- preview ------------------------------------------------------------------
function previewField(f, prefix) {
  const id = `${prefix}-${f.name}`;
  const req = f.required ? el('span', { cls: 'req', text: '（必須）' }) : null;
  const cond = f.show_if.field ? el('p', { cls: 'hint', text: `※「${f.show_if.field}」の回答によって表示されます。` }) : null;
  const help = f.help ? el('p', { cls: 'hint', text: f.help }) : null;
  if (f.type === 'heading') return el('h3', { text: f.label || '（見出し）' });
  if (['radio', 'checkbox'].includes(f.type) || f.type === 'group') {
    const fs = el('fieldset', {}, el('legend', {}, document.createTextNode(f.label || f.name), req), cond, help);
    if (f.type === 'group') f.fields.forEach((g) => fs.appendChild(previewField(g, `${id}-0`)));
    else {
      f.options.forEach((o, k) => {
        const oid = `${id}-${k}`;
        fs.appendChild(el('p', {}, el('input', { type: f.type, id: oid, name: id, disabled: true }), document.createTextNode(' '), el('label', { for: oid, text: o.label || o.value })));
      });
    }
    return fs;
  }
  let control;
  if (f.type === 'textarea') control = el('textarea', { id, rows: 3, disabled: true });
  else if (f.type === 'select') {
    control = el('select', { id, disabled: true });
    f.options.forEach((o) => control.appendChild(el('option', { text: o.label || o.value })));
  } else if (f.type === 'agreement') {
    return el('div', {}, f.terms ? el('p', { cls: 'terms', text: f.terms }) : null,
      el('p', {}, el('input', { type: 'checkbox', id, disabled: true }), document.createTextNode(' '),
        el('label', { for: id, text: `${f.label || f.name}に同意します` }), req), cond);
  } else {
    const type = { date: 'date', email: 'email', tel: 'tel', number: 'number', file: 'file' }[f.type] || 'text';
    control = el('input', { id, type, disabled: true, placeholder: f.placeholder || null });
  }
  return el('div', {}, el('p', {}, el('label', { for: id }, document.createTextNode(f.label || f.name), req), el('br'), control), help, cond);
}

function refresh() {
  // The routing rows follow the fields (names, options) as they are typed, except
  // while the user is in them: redrawing would take their focus away.
  const rt = document.getElementById('routing');
  if (rt && !rt.contains(document.activeElement)) renderRouting();
  const fe = document.getElementById('fee');
  if (fe && !fe.contains(document.activeElement)) renderFee();
  preview.textContent = '';
  preview.appendChild(el('h3', { text: state.title || '（手続名）' }));
  if (state.summary) preview.appendChild(el('p', { text: state.summary }));
  state.fields.forEach((f) => preview.appendChild(previewField(f, 'pv')));
}

// ---- save ---------------------------------------------------------------------
document.getElementById('editor').addEventListener('submit', (e) => {
  e.preventDefault();
  err.hidden = true;
  if (readOnly) return;
  const slips = checkState(state);
  if (slips.length) { showErrors(slips); return; }
  const body = stateToRequest(state);
  const save = editing
    ? Staff.api('PUT', `/procedures/${encodeURIComponent(editing.id)}/versions/${editing.version}`, body)
    : Staff.api('POST', '/procedures', body);
  save.then((res) => {
    if (res.status === 401) { location.href = '/index.html'; return; }
    if (!res.ok) {
      const m = Staff.message(res);
      showErrors([res.body.error && res.body.error.code === 'invalid_definition' ? explainServerError(m) : { path: '', message: m }]);
      return;
    }
    if (!editing) {
      editing = { id: res.body.id, version: res.body.version };
      history.replaceState(null, '', `/builder.html?id=${encodeURIComponent(editing.id)}&v=${editing.version}`);
      document.getElementById('p-id').disabled = true;
    }
    statusLine();
    loadTest();
    say(`下書き（${editing.id} 第${editing.version}版）を保存しました。公開は手続の一覧から行います。`);
  }).catch(() => Staff.showError(err, 'サーバーに接続できません。しばらくしてから再度お試しください。'));
});

document.getElementById('file-upload').addEventListener('click', uploadFile);

function statusLine() {
  document.getElementById('status-line').textContent = editing
    ? `${editing.id} 第${editing.version}版（${readOnly ? '公開済み・変更できません' : '下書き'}）`
    : '新しい手続（まだ保存していません）';
}

// ---- test version (テスト版) ----------------------------------------------------
// Shown once the draft is saved. Publishing a test version and deleting its test
// applications are the administrator's; anyone who may see the draft sees its tests.
function testPath() {
  return `/procedures/${encodeURIComponent(editing.id)}/versions/${editing.version}/test`;
}

function renderTest(body) {
  const line = document.getElementById('test-state');
  line.textContent = '';
  const t = body.test;
  if (!t) {
    line.textContent = 'テスト版はまだ公開していません。';
  } else if (t.withdrawn_at) {
    line.textContent = `テスト版（第${t.test_version}回）は取り下げました。`;
  } else {
    line.append(`テスト版（第${t.test_version}回）を公開しています。住民側のアドレス: `,
      el('code', { id: 'test-url', text: t.path }));
  }
  const box = document.getElementById('test-apps');
  box.textContent = '';
  const apps = body.applications || [];
  if (!apps.length) {
    box.appendChild(el('p', { id: 'test-apps-empty', text: 'テスト申請はありません。' }));
  } else {
    const rows = apps.map((a) => el('tr', {},
      el('td', {}, el('a', { href: `/application.html?r=${encodeURIComponent(a.receipt_no)}`, text: a.receipt_no })),
      el('td', { text: a.status_label || a.status }), el('td', { text: a.received_at.replace('T', ' ').slice(0, 16) })));
    box.appendChild(el('table', { id: 'test-apps-table', 'aria-labelledby': 'test-apps-heading' },
      el('thead', {}, el('tr', {}, el('th', { scope: 'col', text: '到達番号' }),
        el('th', { scope: 'col', text: '状態' }), el('th', { scope: 'col', text: '到達日時' }))),
      el('tbody', {}, rows)));
  }
  document.getElementById('test-delete').hidden = readOnlyRole || !apps.length;
  document.getElementById('test-publish').hidden = readOnly;
}

async function loadTest() {
  const area = document.getElementById('test-area');
  if (!editing) { area.hidden = true; return; }
  const r = await Staff.api('GET', testPath());
  if (!r.ok) { area.hidden = true; return; }
  area.hidden = false;
  renderTest(r.body);
}

document.getElementById('test-publish').addEventListener('click', () => {
  err.hidden = true;
  Staff.api('POST', testPath()).then((res) => {
    if (!res.ok) {
      const m = Staff.message(res);
      showErrors([res.body.error && res.body.error.code === 'invalid_definition' ? explainServerError(m) : { path: '', message: m }]);
      return;
    }
    loadTest().then(() => say(`${res.body.message} アドレス: ${res.body.path}`));
  }).catch(() => Staff.showError(err, 'サーバーに接続できません。しばらくしてから再度お試しください。'));
});
document.getElementById('test-delete').addEventListener('click', () => {
  document.getElementById('test-confirm').hidden = false;
  document.getElementById('test-delete-yes').focus();
});
document.getElementById('test-delete-no').addEventListener('click', () => {
  document.getElementById('test-confirm').hidden = true;
  document.getElementById('test-delete').focus();
});
document.getElementById('test-delete-yes').addEventListener('click', () => {
  document.getElementById('test-confirm').hidden = true;
  Staff.api('DELETE', `${testPath()}/applications`).then((res) => {
    if (!res.ok) { Staff.showError(err, Staff.message(res)); return; }
    loadTest().then(() => say(res.body.message));
  });
});

let readOnlyRole = false;  // not an administrator: may look at tests, not make them

async function start() {
  const me = await Staff.api('GET', '/me');
  if (me.status === 401) { location.href = '/index.html'; return; }
  readOnly = !(me.ok && me.body.staff.role === 'admin');
  readOnlyRole = readOnly;
  const d = await Staff.api('GET', '/departments');
  const sel = document.getElementById('p-dept');
  sel.appendChild(el('option', { value: '', text: '選んでください' }));
  departments = (d.body.departments || []).map((x) => x.name);
  departments.forEach((name) => sel.appendChild(el('option', { value: name, text: name })));
  if (params.get('id')) {
    const r = await Staff.api('GET', `/procedures/${encodeURIComponent(params.get('id'))}/versions/${encodeURIComponent(params.get('v') || '1')}`);
    if (!r.ok) { Staff.showError(err, Staff.message(r)); return; }
    state = definitionToState(r.body.definition, r.body.department ? r.body.department.name : '',
      r.body.routing, r.body.staff_notify);
    editing = { id: r.body.id, version: r.body.version };
    if (r.body.state !== 'draft') readOnly = true;
  }
  bindTop();
  fillTop();
  if (editing) document.getElementById('p-id').disabled = true;
  renderFields();
  fillEmailChoices();
  renderTemplates();
  renderRouting();
  renderFee();
  renderFiles();
  refresh();
  statusLine();
  if (readOnly) {
    document.querySelectorAll('#editor input, #editor select, #editor textarea, #editor button').forEach((c) => { c.disabled = true; });
    document.getElementById('save').hidden = true;
  }
  // Filled: now it may be typed in (builder.html keeps it disabled until here).
  document.getElementById('editor-body').disabled = false;
  document.getElementById('editor').removeAttribute('aria-busy');
  await loadTest();
}

start().catch(() => Staff.showError(err, 'サーバーに接続できません。しばらくしてから再度お試しください。'));
