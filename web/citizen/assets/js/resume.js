// resume.js — the landing page of a mailed resume link (一時保存, without an account):
// the draft is fetched once (the link is then spent), kept in this tab like any
// form being filled, and the form opens with it.
import { chrome, h, home, procUrl, put, send, setTitle, takeToken } from './common.js';
import { saveDraft } from './store.js';
import { notice } from './simpleform.js';

const main = chrome();
const token = takeToken();
setTitle('一時保存した申請の再開');

async function start() {
  try {
    if (!token) throw new Error('このリンクは正しくありません。メールに記載されたリンクをそのまま開いてください。');
    const r = await send('/drafts/resume', 'POST', { token });
    saveDraft(r.procedure, { version: r.version, answers: r.answers, resumed: true });
    location.replace(procUrl(r.procedure, 'apply'));
  } catch (err) {
    put(main, h('h1', {}, '一時保存した申請を開けませんでした'),
      notice('error', h('p', {}, err.message)),
      h('p', {}, 'リンクは一度だけ使えます。もう一度一時保存すると、新しいリンクをお送りします。'),
      h('p', {}, h('a', { href: home }, '手続の一覧へ')));
    setTitle('一時保存した申請を開けませんでした');
  }
}
start();
