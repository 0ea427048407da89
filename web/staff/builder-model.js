// builder-model.js — the procedure builder's logic without the page: the editor's
// state (strings and booleans, as the form controls hold them) ⇄ the procedure
// definition of docs/catalogue-format.md and docs/form-schema.md. No DOM here, so
// `node --test` checks exactly the JSON the page sends. The server's checker
// (catalogue_check_procedure) stays the judge; checkState only catches the common
// slips early, in Japanese, with the member path the server would name.

export const FIELD_TYPES = [
  ['text', '1行テキスト'], ['textarea', '複数行テキスト'], ['kana', 'フリガナ'],
  ['number', '数値'], ['date', '日付'], ['email', 'メールアドレス'], ['tel', '電話番号'],
  ['postal', '郵便番号'], ['select', 'プルダウン'], ['radio', 'ラジオボタン'],
  ['checkbox', 'チェックボックス'], ['group', '繰り返しグループ'], ['file', '添付ファイル'],
  ['agreement', '同意'], ['heading', '見出し'],
];
export const TYPE_LABEL = Object.fromEntries(FIELD_TYPES);
export const ACCEPT_KINDS = [['pdf', 'PDF'], ['image', '画像'], ['office', 'Office 文書'], ['text', 'テキスト']];
export const NOTIFY_EVENTS = [['arrival', '到達'], ['accepted', '受付'], ['review', '審査'],
  ['correction', '補正依頼'], ['message', 'お問い合わせ'], ['result', '結果通知'], ['completed', '完了'],
  ['document', '交付文書']];
// A staff address, as lib/mail.c will accept it (roughly: the server has the last word).
const MAIL_RE = /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$/;
// What an applicant email's own words may put in (daemons/portald/notify.c fills them).
export const PLACEHOLDERS = ['title', 'receipt_no', 'at', 'status_url'];
export const LIMITS = { levelFields: 200, groupDepth: 3, options: 200, label: 200, help: 2000 };

const WITH_LENGTH = ['text', 'textarea', 'kana'];
const WITH_OPTIONS = ['select', 'radio', 'checkbox'];
const NOT_TARGETS = ['group', 'heading', 'file'];
const NAME_RE = /^[a-z][a-z0-9_]{0,63}$/;
const ID_RE = /^[a-z0-9][a-z0-9-]{0,63}$/;
const DATE_RE = /^(today([+-][0-9]{1,4}[ymd])?|[0-9]{4}-[0-9]{2}-[0-9]{2})$/;
const MIB = 1024 * 1024;

export function newField(type, taken) {
  const base = type === 'heading' ? 'heading' : type;
  let name = base;
  for (let i = 2; (taken || []).includes(name); i++) name = `${base}_${i}`;
  return {
    type, name, label: '', help: '', placeholder: '', required: false,
    min_length: '', max_length: '', min: '', max: '', integer: false,
    min_date: '', max_date: '',
    options: WITH_OPTIONS.includes(type) ? [{ value: 'a', label: '', quota: '' }] : [],
    min_choices: '', max_choices: '',
    fields: [], min_items: '', max_items: '',
    accept: ['pdf', 'image'], max_files: '', max_file_mib: '',
    terms: '', address_field: '',
    show_if: { field: '', op: 'equals', value: '' },
  };
}

export function newState() {
  return {
    id: '', title: '', summary: '', category: '', life_events: '', keywords: '',
    visibility: 'public', identity: 'none', info_only: false,
    info: { description: '', bring: '', contact: '' },
    reception: { opens_at: '', closes_at: '' },
    attachments: { max_files: '', max_total_mib: '' },
    duplicate_rule: 'none', proxy: { allowed: false, attorney_required: false },
    sanitizer: { allow_archives: false, keep_ooxml: false },
    notify: { email_field: '', events: [], templates: {} },  // templates: {event: {subject, lead}}
    department: '', fields: [],
    routing: [],   // 振り分け: [{field, value, department}], office-side only
    staff_notify: '',   // addresses told of new applications, one a line; office-side only
    fee: { items: [], note: '' },   // 手数料: items [{label, amount, quantity_field}] (lib/fee.h)
    files: [],   // 様式・画像: [{name, title, type, size, sha256, use, alt}] (lib/procfile.h), uploaded first
  };
}

// "2026-04-01T09:00" typed in Japan time → "2026-04-01T09:00:00+09:00"; '' stays absent.
export function jstToRfc3339(local) {
  const m = /^([0-9]{4}-[0-9]{2}-[0-9]{2})T([0-9]{2}:[0-9]{2})(:[0-9]{2})?$/.exec(local || '');
  return m ? `${m[1]}T${m[2]}${m[3] || ':00'}+09:00` : null;
}

// An RFC 3339 time (any offset) → the datetime-local value in Japan time.
export function rfc3339ToJst(t) {
  const ms = Date.parse(t || '');
  if (Number.isNaN(ms)) return '';
  return new Date(ms + 9 * 3600 * 1000).toISOString().slice(0, 16);
}

const lines = (s) => String(s || '').split(/[\n,、]/).map((x) => x.trim()).filter(Boolean);
const intOf = (s) => (String(s).trim() === '' ? undefined : Number(String(s).trim()));
function put(obj, key, v) {
  if (v !== undefined && v !== '' && v !== null && !(Array.isArray(v) && v.length === 0)) obj[key] = v;
}

// The value a show_if compares with, typed as the target answers it.
function conditionValue(raw, target) {
  const s = String(raw).trim();
  if (target && target.type === 'number' && s !== '' && !Number.isNaN(Number(s))) return Number(s);
  if (target && target.type === 'agreement') return true;
  return s;
}

// Fields visible from a level: its own, then each enclosing level outward.
function findTarget(name, scopes) {
  for (let i = scopes.length - 1; i >= 0; i--) {
    const f = scopes[i].find((x) => x.name === name);
    if (f) return f;
  }
  return null;
}

function fieldToSchema(f, scopes) {
  const out = { name: f.name.trim(), type: f.type, label: f.label.trim() };
  put(out, 'help', f.help);
  put(out, 'placeholder', f.type === 'heading' ? '' : f.placeholder.trim());
  if (f.type !== 'heading' && f.required) out.required = true;
  if (WITH_LENGTH.includes(f.type)) {
    put(out, 'min_length', intOf(f.min_length));
    put(out, 'max_length', intOf(f.max_length));
  }
  if (f.type === 'number') {
    put(out, 'min', intOf(f.min));
    put(out, 'max', intOf(f.max));
    if (f.integer) out.integer = true;
  }
  if (f.type === 'date') {
    put(out, 'min_date', f.min_date.trim());
    put(out, 'max_date', f.max_date.trim());
  }
  if (WITH_OPTIONS.includes(f.type)) {
    out.options = f.options.map((o) => {
      const opt = { value: o.value.trim(), label: o.label.trim() };
      put(opt, 'quota', intOf(o.quota));
      return opt;
    });
  }
  if (f.type === 'checkbox') {
    put(out, 'min_choices', intOf(f.min_choices));
    put(out, 'max_choices', intOf(f.max_choices));
  }
  if (f.type === 'group') {
    const inner = scopes.concat([f.fields]);
    out.fields = f.fields.map((g) => fieldToSchema(g, inner));
    put(out, 'min_items', intOf(f.min_items));
    put(out, 'max_items', intOf(f.max_items));
  }
  if (f.type === 'file') {
    out.accept = f.accept.slice();
    put(out, 'max_files', intOf(f.max_files));
    const mib = intOf(f.max_file_mib);
    put(out, 'max_file_bytes', mib === undefined ? undefined : mib * MIB);
  }
  if (f.type === 'agreement') put(out, 'terms', f.terms);
  if (f.type === 'postal') put(out, 'address_field', f.address_field);
  const c = f.show_if;
  if (c && c.field) {
    const target = findTarget(c.field, scopes);
    if (c.op === 'in') out.show_if = { field: c.field, in: lines(c.value).map((v) => conditionValue(v, target)) };
    else if (c.op === 'checked') out.show_if = { field: c.field, checked: String(c.value).trim() };
    else out.show_if = { field: c.field, equals: conditionValue(c.value, target) };
  }
  return out;
}

// The editor's state → the body of POST /staff/procedures (and PUT .../versions/N).
export function stateToRequest(s) {
  const def = { id: s.id.trim(), version: 1, title: s.title.trim() };
  put(def, 'summary', s.summary.trim());
  put(def, 'category', s.category.trim());
  put(def, 'life_events', lines(s.life_events));
  put(def, 'keywords', lines(s.keywords));
  def.visibility = s.visibility;
  def.identity = s.identity;
  if (s.info_only) def.info_only = true;
  const info = {};
  put(info, 'description', s.info.description.trim());
  put(info, 'bring', lines(s.info.bring));
  put(info, 'contact', s.info.contact.trim());
  put(def, 'info', Object.keys(info).length ? info : undefined);
  const rec = {};
  put(rec, 'opens_at', jstToRfc3339(s.reception.opens_at));
  put(rec, 'closes_at', jstToRfc3339(s.reception.closes_at));
  put(def, 'reception', Object.keys(rec).length ? rec : undefined);
  if (!s.info_only || s.fields.length) def.schema = { fields: s.fields.map((f) => fieldToSchema(f, [s.fields])) };
  const att = {};
  put(att, 'max_files', intOf(s.attachments.max_files));
  const tot = intOf(s.attachments.max_total_mib);
  put(att, 'max_total_bytes', tot === undefined ? undefined : tot * MIB);
  put(def, 'attachments', Object.keys(att).length ? att : undefined);
  def.duplicate_rule = s.duplicate_rule;
  if (s.proxy.allowed || s.proxy.attorney_required) {
    def.proxy = { allowed: !!s.proxy.allowed, attorney_required: !!s.proxy.attorney_required };
  }
  // The procedure's own sanitizer policy (docs/catalogue-format.md); absent: the
  // sanitizer service's defaults.
  if (s.sanitizer.allow_archives || s.sanitizer.keep_ooxml) {
    def.sanitizer = { allow_archives: !!s.sanitizer.allow_archives, keep_ooxml: !!s.sanitizer.keep_ooxml };
  }
  const feeItems = s.fee.items.filter((i) => i.label.trim() || String(i.amount).trim())
    .map((i) => {
      const it = { label: i.label.trim(), amount: intOf(i.amount) };
      if (i.quantity_field) it.quantity_field = i.quantity_field;
      return it;
    });
  if (s.files.length) {
    def.files = s.files.map((f) => {
      const o = { name: f.name, title: f.title.trim(), type: f.type, size: f.size, sha256: f.sha256 };
      if (f.use === 'image') { o.use = 'image'; o.alt = f.alt.trim(); }
      return o;
    });
  }
  if (feeItems.length) {
    def.fee = { items: feeItems };
    put(def.fee, 'note', s.fee.note.trim());
  }
  if (s.notify.email_field || s.notify.events.length) {
    const n = {};
    put(n, 'email_field', s.notify.email_field);
    n.events = s.notify.events.slice();
    // The procedure's own words for an event's email; empty means the standard text.
    const t = {};
    n.events.forEach((ev) => {
      const x = (s.notify.templates || {})[ev];
      if (x && (x.subject.trim() || x.lead.trim())) t[ev] = { subject: x.subject.trim(), lead: x.lead.trim() };
    });
    if (Object.keys(t).length) n.templates = t;
    def.notify = n;
  }
  // Routing rules stay with officed (never in the definition): a rule is complete
  // only with all three parts; half-filled rows are the editor's, not the server's.
  const routing = s.routing.filter((r) => r.field && r.value && r.department)
    .map((r) => ({ field: r.field, value: r.value, department: r.department }));
  return { definition: def, department: s.department, routing, staff_notify: lines(s.staff_notify) || [] };
}

const str = (v) => (v === undefined || v === null ? '' : String(v));

function schemaToField(x) {
  const f = newField(x.type, []);
  f.name = str(x.name); f.label = str(x.label); f.help = str(x.help);
  f.placeholder = str(x.placeholder); f.required = !!x.required;
  f.min_length = str(x.min_length); f.max_length = str(x.max_length);
  f.min = str(x.min); f.max = str(x.max); f.integer = !!x.integer;
  f.min_date = str(x.min_date); f.max_date = str(x.max_date);
  f.options = (x.options || []).map((o) => ({ value: str(o.value), label: str(o.label), quota: str(o.quota) }));
  f.min_choices = str(x.min_choices); f.max_choices = str(x.max_choices);
  f.fields = (x.fields || []).map(schemaToField);
  f.min_items = str(x.min_items); f.max_items = str(x.max_items);
  if (x.accept) f.accept = x.accept.slice();
  f.max_files = str(x.max_files);
  f.max_file_mib = x.max_file_bytes ? String(Math.ceil(x.max_file_bytes / MIB)) : '';
  f.terms = str(x.terms); f.address_field = str(x.address_field);
  const c = x.show_if;
  if (c) {
    if ('in' in c) f.show_if = { field: c.field, op: 'in', value: c.in.map(str).join('\n') };
    else if ('checked' in c) f.show_if = { field: c.field, op: 'checked', value: str(c.checked) };
    else f.show_if = { field: c.field, op: 'equals', value: str(c.equals) };
  }
  return f;
}

// A stored definition (GET .../versions/N) → the editor's state.
export function definitionToState(def, department, routing, staffNotify) {
  const s = newState();
  s.id = str(def.id); s.title = str(def.title); s.summary = str(def.summary);
  s.category = str(def.category);
  s.life_events = (def.life_events || []).join('\n');
  s.keywords = (def.keywords || []).join('\n');
  s.visibility = def.visibility || 'public';
  s.identity = def.identity || 'none';
  s.info_only = !!def.info_only;
  const info = def.info || {};
  s.info = { description: str(info.description), bring: (info.bring || []).join('\n'), contact: str(info.contact) };
  const r = def.reception || {};
  s.reception = { opens_at: rfc3339ToJst(r.opens_at), closes_at: rfc3339ToJst(r.closes_at) };
  const a = def.attachments || {};
  s.attachments = { max_files: str(a.max_files),
    max_total_mib: a.max_total_bytes ? String(Math.ceil(a.max_total_bytes / MIB)) : '' };
  s.duplicate_rule = def.duplicate_rule || 'none';
  s.proxy = { allowed: !!(def.proxy && def.proxy.allowed), attorney_required: !!(def.proxy && def.proxy.attorney_required) };
  s.sanitizer = { allow_archives: !!(def.sanitizer && def.sanitizer.allow_archives),
    keep_ooxml: !!(def.sanitizer && def.sanitizer.keep_ooxml) };
  const tm = (def.notify && def.notify.templates) || {};
  s.notify = { email_field: str(def.notify && def.notify.email_field),
    events: ((def.notify && def.notify.events) || []).slice(),
    templates: Object.fromEntries(Object.entries(tm).map(([k, v]) => [k, { subject: str(v.subject), lead: str(v.lead) }])) };
  s.department = department || '';
  s.fields = ((def.schema && def.schema.fields) || []).map(schemaToField);
  s.staff_notify = (staffNotify || []).join('\n');
  s.files = (def.files || []).map((f) => ({ name: str(f.name), title: str(f.title), type: str(f.type),
    size: f.size, sha256: str(f.sha256), use: f.use === 'image' ? 'image' : 'download', alt: str(f.alt) }));
  s.fee = { items: ((def.fee && def.fee.items) || []).map((i) => ({ label: str(i.label), amount: str(i.amount), quantity_field: str(i.quantity_field) })),
    note: str(def.fee && def.fee.note) };
  s.routing = (routing || []).map((r) => ({ field: str(r.field), value: str(r.value), department: str(r.department) }));
  return s;
}

// Move the field at i by delta (-1 上へ, +1 下へ) in place; the new index, or i.
export function moveField(list, i, delta) {
  const j = i + delta;
  if (j < 0 || j >= list.length) return i;
  const [f] = list.splice(i, 1);
  list.splice(j, 0, f);
  return j;
}

// Fields a show_if at this level may name: targets here and in enclosing levels,
// never groups, headings or files, never the field itself.
export function conditionTargets(scopes, self) {
  const out = [];
  const seen = new Set();
  for (let i = scopes.length - 1; i >= 0; i--) {
    for (const f of scopes[i]) {
      if (f === self || NOT_TARGETS.includes(f.type) || seen.has(f.name) || !f.name) continue;
      seen.add(f.name);
      out.push(f);
    }
  }
  return out;
}

function isInt(s, lo, hi) {
  if (String(s).trim() === '') return true;
  const n = Number(String(s).trim());
  return Number.isInteger(n) && n >= lo && n <= hi;
}

function checkFields(list, path, scopes, depth, errs) {
  const names = new Set();
  if (list.length > LIMITS.levelFields) errs.push({ path, message: `項目は 1 階層に ${LIMITS.levelFields} 個までです。` });
  list.forEach((f, i) => {
    const p = `${path}[${i}]`;
    const add = (m, member) => errs.push({ path: member ? `${p}.${member}` : p, message: m });
    if (!NAME_RE.test(f.name)) add('項目名（name）は英小文字で始まる英小文字・数字・_ の 64 文字以内で入力してください。', 'name');
    else if (names.has(f.name)) add(`項目名「${f.name}」が同じ階層で重複しています。`, 'name');
    names.add(f.name);
    if (!f.label.trim()) add('表示名（label）を入力してください。', 'label');
    else if ([...f.label.trim()].length > LIMITS.label) add('表示名は 200 文字以内で入力してください。', 'label');
    if ([...f.help].length > LIMITS.help) add('説明文は 2000 文字以内で入力してください。', 'help');
    for (const k of ['min_length', 'max_length']) {
      if (WITH_LENGTH.includes(f.type) && !isInt(f[k], 0, f.type === 'textarea' ? 20000 : 1000)) add('文字数は 0 以上の整数で入力してください（上限 1000、複数行は 20000）。', k);
    }
    for (const k of ['min', 'max']) {
      if (f.type === 'number' && f[k].trim() !== '' && Number.isNaN(Number(f[k]))) add('範囲は数値で入力してください。', k);
    }
    for (const k of ['min_date', 'max_date']) {
      if (f.type === 'date' && f[k].trim() !== '' && !DATE_RE.test(f[k].trim())) add('日付は YYYY-MM-DD、today、today-18y・today+30d・today-6m の形で入力してください。', k);
    }
    if (WITH_OPTIONS.includes(f.type)) {
      if (f.options.length === 0) add('選択肢を 1 つ以上追加してください。', 'options');
      const vals = new Set();
      f.options.forEach((o, k) => {
        const op = `options[${k}]`;
        if (!o.value.trim()) add('選択肢の値（value）を入力してください。', `${op}.value`);
        else if (vals.has(o.value.trim())) add(`選択肢の値「${o.value.trim()}」が重複しています。`, `${op}.value`);
        vals.add(o.value.trim());
        if (!o.label.trim()) add('選択肢の表示名を入力してください。', `${op}.label`);
        if (!isInt(o.quota, 1, 1e9)) add('上限数は 1 以上の整数で入力してください。', `${op}.quota`);
      });
    }
    if (f.type === 'checkbox') {
      for (const k of ['min_choices', 'max_choices']) if (!isInt(f[k], 0, f.options.length)) add('選択できる数は 0 から選択肢の数までの整数で入力してください。', k);
    }
    if (f.type === 'group') {
      if (depth >= LIMITS.groupDepth) add('グループの入れ子は 3 段までです。');
      if (f.fields.length === 0) add('グループに項目を 1 つ以上追加してください。', 'fields');
      for (const k of ['min_items', 'max_items']) if (!isInt(f[k], 0, 100)) add('件数は 0 から 100 までの整数で入力してください。', k);
      checkFields(f.fields, `${p}.fields`, scopes.concat([f.fields]), depth + 1, errs);
    }
    if (f.type === 'file') {
      if (f.accept.length === 0) add('受け付けるファイルの種類を 1 つ以上選んでください。', 'accept');
      if (!isInt(f.max_files, 1, 20)) add('添付できる件数は 1 から 20 までの整数で入力してください。', 'max_files');
      if (!isInt(f.max_file_mib, 1, 100)) add('1 件あたりの大きさは 1 から 100 MB までの整数で入力してください。', 'max_file_bytes');
    }
    if (f.type === 'postal' && f.address_field) {
      const t = list.find((x) => x.name === f.address_field);
      if (!t || !['text', 'textarea'].includes(t.type)) add('住所を入れる項目には、同じ階層の 1 行・複数行テキストの項目を選んでください。', 'address_field');
    }
    const c = f.show_if;
    if (c && c.field) {
      const t = findTarget(c.field, scopes);
      if (!t || t === f || NOT_TARGETS.includes(t.type)) add(`表示条件の項目「${c.field}」が見つからないか、条件に使えない項目です。`, 'show_if.field');
      else if (c.op === 'checked' && t.type !== 'checkbox') add('「チェックされている」はチェックボックスの項目にだけ使えます。', 'show_if');
      else if (t.type !== 'agreement' && String(c.value).trim() === '') add('表示条件の値を入力してください。', 'show_if.value');
      else if (WITH_OPTIONS.includes(t.type)) {
        const vals = t.options.map((o) => o.value.trim());
        const want = c.op === 'in' ? lines(c.value) : [String(c.value).trim()];
        const bad = want.find((v) => !vals.includes(v));
        if (bad !== undefined) add(`表示条件の値「${bad}」は「${t.label || t.name}」の選択肢にありません。`, 'show_if.value');
      }
    }
  });
}

// Slips caught before sending, as [{path, message}] (path as the server names it:
// "schema.fields[2].options[0].value").
export function checkState(s) {
  const errs = [];
  if (!ID_RE.test(s.id.trim())) errs.push({ path: 'id', message: '手続 ID は英小文字・数字・ハイフンの 64 文字以内で入力してください（先頭は英小文字か数字）。' });
  if (!s.title.trim()) errs.push({ path: 'title', message: '手続名を入力してください。' });
  if (!s.department) errs.push({ path: 'department', message: '担当部署を選んでください。' });
  for (const k of ['opens_at', 'closes_at']) {
    if (s.reception[k] && !jstToRfc3339(s.reception[k])) errs.push({ path: `reception.${k}`, message: '受付期間の日時が正しくありません。' });
  }
  if (s.reception.opens_at && s.reception.closes_at && s.reception.closes_at <= s.reception.opens_at) {
    errs.push({ path: 'reception', message: '受付終了は受付開始より後の日時にしてください。' });
  }
  if (!isInt(s.attachments.max_files, 0, 32)) errs.push({ path: 'attachments.max_files', message: '添付ファイルの合計件数は 0 から 32 までの整数で入力してください。' });
  if (!isInt(s.attachments.max_total_mib, 0, 200)) errs.push({ path: 'attachments.max_total_bytes', message: '添付ファイルの合計の大きさは 0 から 200 MB までの整数で入力してください。' });
  if (s.notify.email_field && !s.fields.some((f) => f.name === s.notify.email_field && f.type === 'email')) {
    errs.push({ path: 'notify.email_field', message: '通知先のメールアドレスには、フォームのメールアドレス項目を選んでください。' });
  }
  if (!s.info_only && s.fields.length === 0) errs.push({ path: 'schema.fields', message: '項目を 1 つ以上追加してください（案内のみの手続を除きます）。' });
  checkFields(s.fields, 'schema.fields', [s.fields], 1, errs);
  s.notify.events.forEach((ev) => {
    const x = (s.notify.templates || {})[ev];
    if (!x || (!x.subject.trim() && !x.lead.trim())) return;
    const where = `notify.templates.${ev}`;
    if (!x.subject.trim() || !x.lead.trim()) errs.push({ path: where, message: 'メールの文面を変えるときは、件名と最初の段落の両方を入力してください。' });
    if (/[\r\n]/.test(x.subject)) errs.push({ path: where, message: 'メールの件名は 1 行で入力してください。' });
    const bad = [...`${x.subject}${x.lead}`.matchAll(/\{\{\s*([^}]*?)\s*\}\}/g)].map((m) => m[1]).filter((n) => !PLACEHOLDERS.includes(n));
    if (bad.length) errs.push({ path: where, message: `メールの文面で使えない差し込み項目があります（${bad.join('、')}）。使えるのは ${PLACEHOLDERS.map((n) => `{{${n}}}`).join('、')} です。` });
  });
  s.files.forEach((f, i) => {
    const where = `files[${i}]`;
    if (!f.title.trim()) errs.push({ path: where, message: `ファイル「${f.name}」の表題を入力してください。` });
    if (f.use === 'image' && !['png', 'jpeg'].includes(f.type)) errs.push({ path: where, message: `ファイル「${f.name}」は画像（PNG・JPEG）ではないため、画面に表示できません。様式として掲載してください。` });
    if (f.use === 'image' && !f.alt.trim()) errs.push({ path: where, message: `画像「${f.name}」の代替テキスト（画像の内容の説明）を入力してください。` });
  });
  if (s.files.length > 10) errs.push({ path: 'files', message: 'ファイルは 10 件までです。' });
  s.fee.items.forEach((it, i) => {
    if (!it.label.trim() && !String(it.amount).trim()) return;   // an empty row is left out
    const where = `fee.items[${i}]`;
    if (!it.label.trim()) errs.push({ path: where, message: `手数料の ${i + 1} 件目: 項目名を入力してください。` });
    if (!isInt(it.amount, 0, 1000000) || String(it.amount).trim() === '') errs.push({ path: where, message: `手数料の ${i + 1} 件目: 金額は 0 から 1,000,000 円までの整数で入力してください。` });
    if (it.quantity_field && !quantityFields(s).some((f) => f.name === it.quantity_field)) errs.push({ path: where, message: `手数料の ${i + 1} 件目: 数量にする項目は、最上位の整数の数値項目から選んでください。` });
  });
  (lines(s.staff_notify) || []).forEach((a, i) => {
    if (!MAIL_RE.test(a)) errs.push({ path: 'staff_notify', message: `新着の通知先の ${i + 1} 件目（${a}）は、メールアドレスの形式ではありません。` });
  });
  s.routing.forEach((r, i) => {
    const where = `routing[${i}]`;
    if (!r.field && !r.value && !r.department) return;   // an empty row is left out
    const f = routingFields(s).find((x) => x.name === r.field);
    if (!f) errs.push({ path: where, message: `振り分けの ${i + 1} 件目: 条件にする項目を選んでください。` });
    else if (!f.options.some((o) => o.value === r.value)) errs.push({ path: where, message: `振り分けの ${i + 1} 件目: 選択肢を選んでください。` });
    if (!r.department) errs.push({ path: where, message: `振り分けの ${i + 1} 件目: 振り分け先の部署を選んでください。` });
  });
  return errs;
}

// The fields a fee item may count by: top-level whole numbers (lib/fee.c).
export function quantityFields(s) {
  return s.fields.filter((f) => f.type === 'number' && f.integer && f.name);
}

// The fields a routing rule may name: the form's top-level choices (routing.h on the
// server says why: an answer inside a group has many items).
export function routingFields(s) {
  return s.fields.filter((f) => ['select', 'radio', 'checkbox'].includes(f.type) && f.name);
}

const REASONS = [
  [/is missing|^missing/, 'が指定されていません'], [/is empty|^empty/, 'が空です'],
  [/longer than|^too long/, 'が長すぎます'], [/must be a string|^not a string/, 'は文字列で指定してください'],
  [/must be an integer from/, 'の数値が範囲外か整数ではありません'], [/must be a number/, 'は数値で指定してください'],
  [/is not a member of/, 'に、この種類の項目では使えない設定があります'], [/unknown member/, 'は定義にない項目です'],
  [/unknown type/, 'の項目の種類が正しくありません'], [/not one of the allowed values/, 'に指定できない値です'],
  [/true or false/, 'は true か false で指定してください'], [/greater than/, 'の最小値が最大値より大きくなっています'],
  [/is not YYYY-MM-DD/, 'の日付の形式が正しくありません'], [/not an RFC 3339/, 'の日時の形式が正しくありません'],
  [/closes_at is not after opens_at/, 'の受付終了が受付開始より後になっていません'],
  [/^not 0\.\.32/, 'は 0 から 32 までです'], [/^not 0\.\.200 MiB/, 'は 200 MB までです'],
  [/unknown event/, 'に未知の通知の種類があります'], [/deeper than/, 'のグループの入れ子が深すぎます'],
  [/appears twice|duplicate|not unique/, 'に重複があります'], [/cycle/, 'の表示条件が循環しています'],
  [/show_if/, 'の表示条件が正しくありません'], [/must match/, 'の名前の形式が正しくありません'],
];

// The server's invalid_definition message (「手続の定義に誤りがあります（procedure ID:
// member: reason）。」) → {path, message} in Japanese; the English reason is kept
// in brackets so that nothing the checker said is lost.
export function explainServerError(msg) {
  const m = /（procedure [^:]*: ([^:]+): (.*)）。$/.exec(msg || '');
  if (!m) return { path: '', message: msg || '保存できませんでした。' };
  let path = m[1].trim();
  let reason = m[2].trim();
  if (path === 'schema') {
    const inner = /^([^:]+): (.*)$/.exec(reason);
    if (inner) { path = `schema.${inner[1].trim()}`; reason = inner[2].trim(); }
  }
  const hit = REASONS.find(([re]) => re.test(reason));
  const ja = hit ? `「${path}」${hit[1]}` : `「${path}」の設定に誤りがあります`;
  return { path, message: `${ja}（${reason}）。` };
}
