// reply.js — 補正・お問い合わせへの回答, on the status page: the text and new
// attachments, each sanitized on upload like any other; only clean files can be
// sent. Kept apart from status.js so the status page stays one list of sections.
import { h, send, focusEl } from './common.js';
import { newRecord, upload, statusContent, acceptAttr, acceptWords, isPending, isBad } from './uploads.js';
import { errorSummary, clearFieldErrors } from './errors.js';

const newKey = () => (crypto.randomUUID ? crypto.randomUUID()
  : `${Date.now().toString(36)}${Math.random().toString(36).slice(2)}`);

// The section for status st (from the status API), or null when no reply is asked
// for. password: the 照会用パスワード the status was looked up with ('' when signed in);
// onSent(): look the status up again.
export function replySection(st, password, onSent) {
  if (!st.can_reply) return null;
  const limits = st.reply_limits || { text_max: 2000, files_max: 10 };
  const files = [];
  const key = newKey();	// one per form: a resend after a lost answer is the same reply
  const summary = h('div', {});
  const text = h('textarea', { id: 'reply-text', name: 'reply-text', rows: '6', 'aria-describedby': 'reply-text-help' });
  const list = h('ul', { class: 'file-list', id: 'reply-files' });
  const picker = h('input', { type: 'file', id: 'reply-file', accept: acceptAttr({}), 'aria-describedby': 'reply-file-help' });
  const status = h('p', { class: 'visually-hidden', role: 'status' });

  function render() {
    list.replaceChildren(...files.map((r, i) => h('li', { class: 'file-item' },
      h('span', { class: 'file-name' }, r.display_name),
      h('span', { role: 'status' }, statusContent(r)),
      h('button', { type: 'button', class: 'button', onclick: () => { files.splice(i, 1); render(); } },
        h('span', {}, '削除'), h('span', { class: 'visually-hidden' }, `（${r.display_name}）`)))));
    picker.disabled = files.length >= limits.files_max;
  }
  picker.addEventListener('change', () => {
    for (const f of picker.files) {
      if (files.length >= limits.files_max) break;
      const r = newRecord(f);
      files.push(r);
      upload(st.procedure.id, '', f, r, () => render());
    }
    picker.value = '';
    render();
  });

  function fail(list_) {
    const s = errorSummary(list_, (p) => `#${p}`);
    summary.replaceChildren(s);
    focusEl(s);
  }

  async function submit(e) {
    e.preventDefault();
    clearFieldErrors(form);
    const problems = [];
    const t = text.value.replace(/\r\n?/g, '\n');
    if (!t.trim()) problems.push({ path: 'reply-text', message: '回答の内容を入力してください。' });
    else if ([...t].length > limits.text_max) problems.push({ path: 'reply-text', message: `回答の内容は ${limits.text_max} 文字以内で入力してください。` });
    if (files.some(isPending)) problems.push({ path: 'reply-file', message: '添付ファイルの無害化処理が終わるまでお待ちください。' });
    if (files.some(isBad)) problems.push({ path: 'reply-file', message: '受け付けられないファイルを削除してから送信してください。' });
    if (problems.length) return fail(problems);
    const body = { text: t, uploads: files.map((r) => r.upload_id) };
    if (password) body.status_password = password;
    try {
      await send(`/applications/${encodeURIComponent(st.receipt_no)}/replies`, 'POST', body,
        { 'Idempotency-Key': key });
    } catch (err) {
      const errs = err.body && err.body.errors ? Object.entries(err.body.errors).map(([k, m]) => ({
        path: k === 'text' ? 'reply-text' : 'reply-file', message: m,
      })) : [{ path: 'reply-text', message: err.message }];
      return fail(errs);
    }
    status.textContent = '回答を送信しました。';
    onSent();
  }

  const form = h('form', { novalidate: true, onsubmit: submit },
    h('div', { class: 'field', id: 'w-reply-text' },
      h('label', { class: 'label', for: 'reply-text' }, '回答の内容 ', h('span', { class: 'required' }, '必須')),
      h('p', { class: 'help', id: 'reply-text-help' }, `${limits.text_max} 文字まで入力できます。`),
      h('div', { class: 'error-slot' }), text),
    h('div', { class: 'field', id: 'w-reply-file' },
      h('label', { class: 'label', for: 'reply-file' }, '添付ファイル（任意）'),
      h('p', { class: 'help', id: 'reply-file-help' },
        `${acceptWords({})}を ${limits.files_max} 個まで添付できます。添付したファイルは無害化処理をしてから送られます。`),
      h('div', { class: 'error-slot' }), list, picker),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'button primary' }, '回答を送信する')));
  return h('section', { class: 'reply', 'aria-labelledby': 'reply-title' },
    h('h3', { id: 'reply-title' }, '回答の送信'),
    h('p', {}, st.status === 'correction'
      ? '担当者から補正のお願いがあります。内容をご確認のうえ、回答と必要な書類をお送りください。'
      : '担当者からのお問い合わせに回答してください。'),
    summary, status, form);
}
