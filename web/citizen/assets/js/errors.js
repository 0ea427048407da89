// errors.js — the error summary at the top (role=alert, focused, each entry a link
// that moves focus to its field) and the message beside each field, from the
// browser's own checks or from the server's 422 alike: [{path, message}].
import { h } from './common.js';
import { pathId } from './schema.js';

export function errorSummary(list, hrefOf = (path) => `#${pathId(path)}`) {
  return h('div', { class: 'error-summary', role: 'alert', tabindex: '-1', 'aria-labelledby': 'error-summary-title' },
    h('h2', { id: 'error-summary-title' }, '入力内容に誤りがあります'),
    h('p', {}, '次の項目をご確認ください。'),
    h('ul', {}, list.map(({ path, message }) => {
      const href = hrefOf(path);
      return h('li', {}, href ? h('a', {
        href,
        onclick: (e) => {
          if (!href.startsWith('#')) return;
          const el = document.getElementById(href.slice(1));
          if (!el) return;
          e.preventDefault();
          (el.closest('.field') || el).scrollIntoView();
          if (!el.hasAttribute('tabindex') && el.tagName === 'FIELDSET') el.setAttribute('tabindex', '-1');
          el.focus();
        },
      }, message) : message);
    })));
}

export function clearFieldErrors(root) {
  for (const el of root.querySelectorAll('.error-message')) el.remove();
  for (const el of root.querySelectorAll('.field-error')) el.classList.remove('field-error');
  for (const el of root.querySelectorAll('[aria-invalid]')) {
    el.removeAttribute('aria-invalid');
    const d = (el.getAttribute('aria-describedby') || '').split(' ').filter((x) => x && !x.endsWith('-error'));
    if (d.length) el.setAttribute('aria-describedby', d.join(' ')); else el.removeAttribute('aria-describedby');
  }
}

// The message goes into the field's own error slot (after its label and help), and
// its controls say they are invalid and are described by it.
export function markFieldErrors(root, list) {
  for (const { path, message } of list) {
    const id = pathId(path);
    const wrapper = root.querySelector(`#w-${CSS.escape(id)}`);
    if (!wrapper) continue;
    wrapper.classList.add('field-error');
    const slot = wrapper.querySelector('.error-slot');
    const msg = h('p', { class: 'error-message', id: `${id}-error` },
      h('span', { class: 'visually-hidden' }, 'エラー：'), message);
    (slot || wrapper).append(msg);
    const controls = wrapper.querySelectorAll(`[name="${CSS.escape(id)}"], #${CSS.escape(id)}`);
    for (const c of new Set(controls)) {
      c.setAttribute('aria-invalid', 'true');
      const d = (c.getAttribute('aria-describedby') || '').split(' ').filter(Boolean);
      c.setAttribute('aria-describedby', [...d, `${id}-error`].join(' '));
    }
  }
}
