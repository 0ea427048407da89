// simpleform.js — the small fixed forms of the account pages (login, registration,
// reset, profile...): a labelled input with help and an error slot, and the error
// summary plus per-field messages for [{path, message}] from the browser's checks or
// from the server's 422. ids are the inputs' own; a server path maps to one by `ids`.
import { h, setTitle, focusEl } from './common.js';
import { errorSummary, clearFieldErrors } from './errors.js';

// {wrap, input} for one input. opts: type, help, required, autocomplete, value, cls.
export function field(id, label, opts = {}) {
  const input = h('input', {
    type: opts.type || 'text', id, name: id, class: opts.cls || null,
    autocomplete: opts.autocomplete || null, value: opts.value ?? '',
    inputmode: opts.inputmode || null, spellcheck: opts.type === 'email' ? 'false' : null,
    'aria-describedby': opts.help ? `${id}-help` : null,
  });
  const wrap = h('div', { class: 'field', id: `w-${id}` },
    h('label', { class: 'label', for: id }, label,
      opts.required ? [' ', h('span', { class: 'required' }, '必須')] : null),
    opts.help ? h('p', { class: 'help', id: `${id}-help` }, opts.help) : null,
    h('div', { class: 'error-slot' }), input);
  return { wrap, input };
}

// Show list in slot (the summary) and beside each field of root; title is the
// page's title, prefixed with エラー： while errors are shown.
export function showErrors(root, slot, list, title, ids = {}) {
  clearFieldErrors(root);
  const mapped = list.map(({ path, message }) => ({ path: ids[path] || path, message }));
  const s = errorSummary(mapped, (p) => (root.querySelector(`#${CSS.escape(p)}`) ? `#${p}` : null));
  for (const { path, message } of mapped) {
    const w = root.querySelector(`#w-${CSS.escape(path)}`);
    const input = root.querySelector(`#${CSS.escape(path)}`);
    if (!w || !input) continue;
    w.classList.add('field-error');
    w.querySelector('.error-slot').append(h('p', { class: 'error-message', id: `${path}-error` },
      h('span', { class: 'visually-hidden' }, 'エラー：'), message));
    input.setAttribute('aria-invalid', 'true');
    input.setAttribute('aria-describedby',
      [input.getAttribute('aria-describedby'), `${path}-error`].filter(Boolean).join(' '));
  }
  slot.replaceChildren(s);
  setTitle(`エラー：${title}`);
  focusEl(s);
}

export function clearErrors(root, slot, title) {
  clearFieldErrors(root);
  slot.replaceChildren();
  setTitle(title);
}

// The server's 422 as [{path, message}], or one message under fallbackPath.
export function serverErrors(err, fallbackPath) {
  if (err.status === 422 && err.body && Array.isArray(err.body.error_list)) return err.body.error_list;
  return [{ path: fallbackPath, message: err.message }];
}

// A message in a box that screen readers announce.
export function notice(kind, ...children) {
  return h('div', { class: `notice${kind ? ` notice-${kind}` : ''}`, role: 'status' }, ...children);
}

export const PASSWORD_HELP = '10文字以上で入力してください。ほかのサービスと同じパスワードは避けてください。';
export const EMAIL_RE = /^[^\s@,]+@[^\s@,]+\.[^\s@,]+$/;
