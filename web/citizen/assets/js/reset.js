// reset.js — パスワードの再設定: without a token, ask for the address (the reply is the
// same whether or not it has an account); with the mailed link's token, set a new
// password.
import { accountUrl, chrome, h, put, send, setTitle, takeToken, focusEl } from './common.js';
import { field, showErrors, clearErrors, serverErrors, notice, PASSWORD_HELP, EMAIL_RE } from './simpleform.js';

const main = chrome();
const token = takeToken();
const slot = h('div', {});

function requestForm() {
  const TITLE = 'パスワードの再設定';
  const email = field('email', '登録したメールアドレス', { type: 'email', required: true, autocomplete: 'email' });
  const form = h('form', {
    novalidate: true,
    onsubmit: async (e) => {
      e.preventDefault();
      if (!EMAIL_RE.test(email.input.value.trim())) {
        return showErrors(main, slot, [{ path: 'email', message: 'メールアドレスを正しい形式で入力してください (例: taro@example.jp)。' }], TITLE);
      }
      clearErrors(main, slot, TITLE);
      try {
        const r = await send('/account/password-reset', 'POST', { email: email.input.value.trim() });
        const done = h('h2', {}, 'メールをご確認ください');
        form.replaceWith(notice('', done, h('p', {}, r.message)));
        focusEl(done);
      } catch (err) {
        showErrors(main, slot, serverErrors(err, 'email'), TITLE);
      }
    },
  }, email.wrap, h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'button primary' }, '再設定のメールを送る')));
  setTitle(TITLE);
  put(main, h('h1', {}, TITLE), slot,
    h('p', {}, '登録したメールアドレスを入力してください。パスワードを再設定するためのリンクをお送りします。'), form,
    h('p', {}, h('a', { href: accountUrl('login') }, 'ログインへ戻る')));
}

function newPasswordForm() {
  const TITLE = '新しいパスワードの設定';
  const pw = field('new_password', '新しいパスワード', { type: 'password', required: true, autocomplete: 'new-password', help: PASSWORD_HELP });
  const pw2 = field('new_password2', '新しいパスワード（確認のため再入力）', { type: 'password', required: true, autocomplete: 'new-password' });
  const form = h('form', {
    novalidate: true,
    onsubmit: async (e) => {
      e.preventDefault();
      const list = [];
      if (pw.input.value.length < 10) list.push({ path: 'new_password', message: 'パスワードは10文字以上で入力してください。' });
      else if (pw.input.value !== pw2.input.value) list.push({ path: 'new_password2', message: '確認のため、同じパスワードをもう一度入力してください。' });
      if (list.length) return showErrors(main, slot, list, TITLE);
      clearErrors(main, slot, TITLE);
      try {
        const r = await send('/account/password-reset/confirm', 'POST', { token, new_password: pw.input.value });
        const done = h('h1', {}, 'パスワードを再設定しました');
        put(main, done, notice('', h('p', {}, r.message)),
          h('p', {}, h('a', { class: 'button primary', href: accountUrl('login') }, 'ログインする')));
        setTitle('パスワードを再設定しました');
        focusEl(done);
      } catch (err) {
        if (err.status === 422) return showErrors(main, slot, serverErrors(err, 'new_password'), TITLE);
        put(main, h('h1', {}, 'パスワードを再設定できませんでした'), notice('error', h('p', {}, err.message)),
          h('p', {}, h('a', { href: accountUrl('reset') }, 'もう一度再設定のメールを送る')));
        setTitle('パスワードを再設定できませんでした');
      }
    },
  }, pw.wrap, pw2.wrap, h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'button primary' }, '設定する')));
  setTitle(TITLE);
  put(main, h('h1', {}, TITLE), slot, form);
}

if (token) newPasswordForm(); else requestForm();
