// The builder's pure logic under `node --test`: the editor state → definition
// conversion, the round trip back, Japan time, moves, and the early checks.
import test from 'node:test';
import assert from 'node:assert/strict';
import {
  FIELD_TYPES, newField, newState, stateToRequest, definitionToState, jstToRfc3339,
  rfc3339ToJst, moveField, conditionTargets, checkState, explainServerError, routingFields, PLACEHOLDERS, quantityFields,
} from '../../web/staff/builder-model.js';
import { sampleState } from './builder-sample.mjs';

const byName = (fields, n) => fields.find((f) => f.name === n);

test('the sample covers every field type of the schema', () => {
  const def = stateToRequest(sampleState()).definition;
  const seen = new Set();
  const walk = (fs) => fs.forEach((f) => { seen.add(f.type); if (f.fields) walk(f.fields); });
  walk(def.schema.fields);
  assert.deepEqual([...seen].sort(), FIELD_TYPES.map(([t]) => t).sort());
});

test('members are typed as the schema wants them', () => {
  const { definition: d, department } = stateToRequest(sampleState());
  assert.equal(department, '市民課');
  assert.deepEqual(d.reception, { opens_at: '2020-04-01T09:00:00+09:00', closes_at: '2099-03-31T17:00:00+09:00' });
  assert.deepEqual(d.attachments, { max_files: 5, max_total_bytes: 20 * 1024 * 1024 });
  assert.deepEqual(d.life_events, ['引っ越し', '結婚']);
  assert.deepEqual(d.keywords, ['試験', 'ビルダー']);
  assert.deepEqual(d.info.bring, ['本人確認書類', '印鑑']);
  const f = d.schema.fields;
  assert.deepEqual(byName(f, 'name'), { name: 'name', type: 'text', label: 'お名前', help: '戸籍上のお名前を入力してください。', required: true, max_length: 50 });
  assert.deepEqual(byName(f, 'people'), { name: 'people', type: 'number', label: '人数', min: 1, max: 10, integer: true });
  assert.deepEqual(byName(f, 'course').options[0], { value: 'am', label: '午前の部', quota: 30 });
  assert.deepEqual(byName(f, 'ward').options[0], { value: 'north', label: '北地区' });
  assert.deepEqual(byName(f, 'id_doc'), { name: 'id_doc', type: 'file', label: '本人確認書類', required: true, accept: ['pdf', 'image'], max_files: 2, max_file_bytes: 10 * 1024 * 1024 });
  assert.equal(byName(f, 'h_applicant').required, undefined, 'a heading is never required');
  assert.deepEqual(byName(f, 'children').show_if, { field: 'has_children', equals: 'yes' });
  const kids = byName(f, 'children').fields;
  assert.deepEqual(byName(kids, 'school_name').show_if, { field: 'school', equals: 'es' });
  assert.deepEqual(byName(kids, 'am_note').show_if, { field: 'course', in: ['am'] }, 'a group field may name a form field');
  assert.deepEqual(byName(f, 'welfare_note').show_if, { field: 'topics', checked: 'b' });
  assert.deepEqual(byName(f, 'big_family').show_if, { field: 'people', equals: 10 }, 'numbers compare as numbers');
  assert.deepEqual(byName(f, 'agreed_note').show_if, { field: 'agree', equals: true }, 'an agreement is tested with true');
});

test('definition → state → definition is the same definition', () => {
  const req = stateToRequest(sampleState());
  const again = stateToRequest(definitionToState(req.definition, req.department, req.routing, req.staff_notify));
  assert.deepEqual(again, req);
});

test('routing rules travel beside the definition, complete rows only', () => {
  const s = sampleState();
  s.routing.push({ field: 'course', value: '', department: '' });   // a row being filled in
  const req = stateToRequest(s);
  assert.deepEqual(req.routing, [{ field: 'ward', value: 'north', department: '税務課' }]);
  assert.equal(req.definition.routing, undefined, 'never published');
  assert.deepEqual(routingFields(s).map((f) => f.name), ['ward', 'course', 'topics', 'has_children'],
    'top-level choices only: not school, inside a group');
});

test('a routing rule the form cannot satisfy is caught before sending', () => {
  const s = sampleState();
  s.routing = [
    { field: 'name', value: 'x', department: '税務課' },
    { field: 'ward', value: 'east', department: '税務課' },
    { field: 'ward', value: 'south', department: '' },
    { field: '', value: '', department: '' },
  ];
  const errs = checkState(s).filter((e) => e.path.startsWith('routing'));
  assert.deepEqual(errs.map((e) => e.path), ['routing[0]', 'routing[1]', 'routing[2]']);
  assert.match(errs[0].message, /条件にする項目/);
  assert.match(errs[1].message, /選択肢/);
  assert.match(errs[2].message, /部署/);
});

test('Japan time both ways, and nothing for an empty input', () => {
  assert.equal(jstToRfc3339('2026-04-01T09:00'), '2026-04-01T09:00:00+09:00');
  assert.equal(jstToRfc3339(''), null);
  assert.equal(jstToRfc3339('2026-04-01'), null);
  assert.equal(rfc3339ToJst('2026-04-01T00:00:00Z'), '2026-04-01T09:00');
  assert.equal(rfc3339ToJst('2026-03-31T23:30:00+09:00'), '2026-03-31T23:30');
  const s = sampleState();
  s.reception = { opens_at: '', closes_at: '' };
  assert.equal(stateToRequest(s).definition.reception, undefined);
});

test('moves stay inside the list', () => {
  const l = ['a', 'b', 'c'];
  assert.equal(moveField(l, 0, -1), 0);
  assert.deepEqual(l, ['a', 'b', 'c']);
  assert.equal(moveField(l, 0, 1), 1);
  assert.deepEqual(l, ['b', 'a', 'c']);
  assert.equal(moveField(l, 2, 1), 2);
  assert.equal(moveField(l, 2, -1), 1);
  assert.deepEqual(l, ['b', 'c', 'a']);
});

test('new fields get unused names; targets exclude groups, files, headings and self', () => {
  assert.equal(newField('text', ['text', 'text_2']).name, 'text_3');
  const s = sampleState();
  const kids = byName(s.fields, 'children');
  const inner = byName(kids.fields, 'school_name');
  const names = conditionTargets([s.fields, kids.fields], inner).map((f) => f.name);
  assert.ok(names.includes('school') && names.includes('course'));
  assert.ok(!names.includes('school_name') && !names.includes('children') && !names.includes('id_doc') && !names.includes('h_applicant'));
  assert.equal(names.indexOf('school') < names.indexOf('course'), true, 'own level first');
});

test('the sample passes the early checks; slips are reported with their paths', () => {
  assert.deepEqual(checkState(sampleState()), []);
  const s = newState();
  s.id = 'Bad ID';
  s.fields = [newField('radio', []), newField('text', [])];
  s.fields[0].options[0].value = '';
  s.fields[1].name = 'radio';
  s.fields[1].show_if = { field: 'radio', op: 'equals', value: 'zzz' };
  s.reception = { opens_at: '2026-04-02T09:00', closes_at: '2026-04-01T09:00' };
  const paths = checkState(s).map((e) => e.path);
  for (const p of ['id', 'title', 'department', 'reception', 'schema.fields[0].label',
    'schema.fields[0].options[0].value', 'schema.fields[1].name']) {
    assert.ok(paths.includes(p), `${p} in ${paths}`);
  }
  checkState(s).forEach((e) => assert.match(e.message, /。$/));
});

test('server messages become Japanese with the member path', () => {
  const e = explainServerError('手続の定義に誤りがあります（procedure x: schema: children.birth_date: "max_date" "today-x" is not YYYY-MM-DD, today or today±N）。');
  assert.equal(e.path, 'schema.children.birth_date');
  assert.match(e.message, /^「schema\.children\.birth_date」の日付の形式が正しくありません（/);
  const r = explainServerError('手続の定義に誤りがあります（procedure x: reception: closes_at is not after opens_at）。');
  assert.equal(r.path, 'reception');
  assert.match(r.message, /受付終了/);
  assert.deepEqual(explainServerError('同じ版の手続が既にあります。'), { path: '', message: '同じ版の手続が既にあります。' });
});

test('an event email in the procedure\'s own words: both parts, known placeholders only', () => {
  const s = sampleState();
  const n = stateToRequest(s).definition.notify;
  assert.deepEqual(n.templates, { completed: { subject: '【完了】{{title}}（{{receipt_no}}）', lead: '「{{title}}」の手続が完了しました。' } });
  s.notify.templates.arrival = { subject: '  ', lead: '' };            // left empty: the standard text
  s.notify.templates.review = { subject: '審査', lead: '審査します。' };  // not a chosen event: not sent
  assert.deepEqual(Object.keys(stateToRequest(s).definition.notify.templates), ['completed']);
  assert.deepEqual(checkState(s).filter((e) => e.path.startsWith('notify')), []);
  s.notify.templates.arrival = { subject: '{{reciept_no}} を受け付けました', lead: '' };
  const errs = checkState(s).filter((e) => e.path === 'notify.templates.arrival').map((e) => e.message);
  assert.equal(errs.length, 2);
  assert.match(errs[0], /両方/);
  assert.match(errs[1], /reciept_no/);
  assert.ok(PLACEHOLDERS.every((p) => errs[1].includes(`{{${p}}}`)), 'the message lists what may be used');
});

test('staff addresses told of new applications: beside the definition, checked', () => {
  const s = sampleState();
  s.staff_notify = 'shimin@city.example.lg.jp\n\n kakari@city.example.lg.jp ';
  const req = stateToRequest(s);
  assert.deepEqual(req.staff_notify, ['shimin@city.example.lg.jp', 'kakari@city.example.lg.jp']);
  assert.equal(JSON.stringify(req.definition).includes('shimin@'), false, 'never published');
  assert.deepEqual(checkState(s).filter((e) => e.path === 'staff_notify'), []);
  s.staff_notify = 'shimin@city.example.lg.jp\n市民課';
  const errs = checkState(s).filter((e) => e.path === 'staff_notify');
  assert.equal(errs.length, 1);
  assert.match(errs[0].message, /2 件目（市民課）/);
});

test('手数料: items as lib/fee.h reads them, checked before sending', () => {
  const s = sampleState();
  assert.deepEqual(stateToRequest(s).definition.fee, {
    items: [{ label: '参加費', amount: 500, quantity_field: 'people' }, { label: '資料代', amount: 200 }],
    note: '当日受付でお支払いください。' });
  assert.deepEqual(quantityFields(s).map((f) => f.name), ['people'], 'whole numbers at the top level only');
  s.fee.items.push({ label: '', amount: '', quantity_field: '' });   // an empty row is left out
  assert.equal(stateToRequest(s).definition.fee.items.length, 2);
  assert.deepEqual(checkState(s).filter((e) => e.path.startsWith('fee')), []);
  s.fee.items = [{ label: '', amount: '100', quantity_field: '' }, { label: 'x', amount: '-1', quantity_field: '' },
    { label: 'y', amount: '10', quantity_field: 'big_family' }];
  assert.deepEqual(checkState(s).filter((e) => e.path.startsWith('fee')).map((e) => e.path),
    ['fee.items[0]', 'fee.items[1]', 'fee.items[2]']);
  s.fee.items = [];
  assert.equal(stateToRequest(s).definition.fee, undefined);
});

test('様式・画像: uploaded entries listed in the definition, images with their alt text', () => {
  const s = sampleState();
  const sha = 'a'.repeat(64);
  s.files = [{ name: '申請書.pdf', title: ' 申請書 ', type: 'pdf', size: 1200, sha256: sha, use: 'download', alt: '' },
    { name: '地図.png', title: '会場', type: 'png', size: 50, sha256: 'b'.repeat(64), use: 'image', alt: '駅からの道' }];
  const d = stateToRequest(s).definition;
  assert.deepEqual(d.files, [{ name: '申請書.pdf', title: '申請書', type: 'pdf', size: 1200, sha256: sha },
    { name: '地図.png', title: '会場', type: 'png', size: 50, sha256: 'b'.repeat(64), use: 'image', alt: '駅からの道' }]);
  assert.deepEqual(definitionToState(d, '市民課').files.map((f) => f.use), ['download', 'image']);
  assert.deepEqual(checkState(s).filter((e) => e.path.startsWith('files')), []);
  s.files[0].use = 'image';          // a PDF cannot be shown on the page
  s.files[1].alt = '';               // an image needs its description
  s.files[1].title = '';
  assert.deepEqual(checkState(s).filter((e) => e.path.startsWith('files')).map((e) => e.path),
    ['files[0]', 'files[0]', 'files[1]', 'files[1]']);
});

test('the sanitizer policy is written only when chosen, and read back', () => {
  const s = sampleState();
  assert.equal(stateToRequest(s).definition.sanitizer, undefined, 'none chosen: the service defaults');
  s.sanitizer.allow_archives = true;
  const d = stateToRequest(s).definition;
  assert.deepEqual(d.sanitizer, { allow_archives: true, keep_ooxml: false });
  const back = definitionToState(d, '市民課', [], []);
  assert.deepEqual(back.sanitizer, { allow_archives: true, keep_ooxml: false });
});
