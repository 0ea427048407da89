// builder-sample.mjs — an editor state with every field type of docs/form-schema.md
// and show_if at the form level and inside a group, built with the builder's own
// functions. builder-model.test.mjs checks its definition; the integration test
// (tests/integration/test_office_builder.py) runs this file under node and sends the
// printed request to officed exactly as the page would.
import { fileURLToPath } from 'node:url';
import { newField, newState, stateToRequest } from '../../web/staff/builder-model.js';

export function sampleState(id = 'builder-all-types') {
  const s = newState();
  Object.assign(s, {
    id, title: 'すべての項目の試験手続', summary: '手続ビルダーで作った試験用の手続です。',
    category: 'くらし・手続', life_events: '引っ越し\n結婚', keywords: '試験, ビルダー',
    visibility: 'public', identity: 'none', department: '市民課', duplicate_rule: 'none',
  });
  s.info = { description: '窓口でも受け付けています。', bring: '本人確認書類\n印鑑', contact: '市民課 内線 123' };
  s.reception = { opens_at: '2020-04-01T09:00', closes_at: '2099-03-31T17:00' };
  s.attachments = { max_files: '5', max_total_mib: '20' };
  s.proxy = { allowed: true, attorney_required: true };
  s.notify = { email_field: 'email', events: ['arrival', 'completed'],
    templates: { completed: { subject: '【完了】{{title}}（{{receipt_no}}）', lead: '「{{title}}」の手続が完了しました。' } } };
  const f = (type, name, label, extra = {}) => Object.assign(newField(type, []), { name, label }, extra);
  s.fields = [
    f('heading', 'h_applicant', '申請者'),
    f('text', 'name', 'お名前', { required: true, max_length: '50', help: '戸籍上のお名前を入力してください。' }),
    f('kana', 'name_kana', 'フリガナ', { required: true, min_length: '1', max_length: '100' }),
    f('textarea', 'note', '備考', { max_length: '2000', placeholder: '自由にお書きください' }),
    f('number', 'people', '人数', { min: '1', max: '10', integer: true }),
    f('date', 'birth', '生年月日', { min_date: '1900-01-01', max_date: 'today-18y' }),
    f('email', 'email', 'メールアドレス'),
    f('tel', 'tel', '電話番号'),
    f('postal', 'zip', '郵便番号', { address_field: 'address' }),
    f('text', 'address', '住所'),
    f('select', 'ward', '地区', { options: [{ value: 'north', label: '北地区', quota: '' }, { value: 'south', label: '南地区', quota: '' }] }),
    f('radio', 'course', '参加コース', { required: true, options: [{ value: 'am', label: '午前の部', quota: '30' }, { value: 'pm', label: '午後の部', quota: '30' }] }),
    f('checkbox', 'topics', '関心のある分野', { min_choices: '1', max_choices: '2', options: [{ value: 'a', label: '子育て', quota: '' }, { value: 'b', label: '福祉', quota: '' }, { value: 'c', label: '防災', quota: '' }] }),
    f('radio', 'has_children', 'お子さまの有無', { options: [{ value: 'yes', label: 'いる', quota: '' }, { value: 'no', label: 'いない', quota: '' }] }),
    f('group', 'children', 'お子さま', { min_items: '1', max_items: '5', show_if: { field: 'has_children', op: 'equals', value: 'yes' },
      fields: [
        f('text', 'child_name', '氏名', { required: true }),
        f('radio', 'school', '就学', { options: [{ value: 'none', label: '未就学', quota: '' }, { value: 'es', label: '小学生', quota: '' }] }),
        f('text', 'school_name', '学校名', { show_if: { field: 'school', op: 'equals', value: 'es' } }),
        f('text', 'am_note', '午前の部の連絡事項', { show_if: { field: 'course', op: 'in', value: 'am' } }),
      ] }),
    f('text', 'welfare_note', '福祉についてのご意見', { show_if: { field: 'topics', op: 'checked', value: 'b' } }),
    f('number', 'big_family', '大家族の人数', { show_if: { field: 'people', op: 'equals', value: '10' } }),
    f('file', 'id_doc', '本人確認書類', { required: true, accept: ['pdf', 'image'], max_files: '2', max_file_mib: '10' }),
    f('agreement', 'agree', '利用規約', { required: true, terms: '本サービスの利用規約です。\n第1条 …' }),
    f('text', 'agreed_note', '同意後の確認', { show_if: { field: 'agree', op: 'equals', value: '' } }),
  ];
  // 北地区 goes to the 税務課 (both departments exist in the integration test's office).
  s.routing = [{ field: 'ward', value: 'north', department: '税務課' }];
  s.staff_notify = 'shimin@city.example.lg.jp';
  s.fee = { items: [{ label: '参加費', amount: '500', quantity_field: 'people' }, { label: '資料代', amount: '200', quantity_field: '' }], note: '当日受付でお支払いください。' };
  return s;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  process.stdout.write(JSON.stringify(stateToRequest(sampleState(process.argv[2]))));
}
