// documents.js — 交付文書 on the status page: the documents issued for an application,
// each a download of the signed PDF. The 照会用パスワード travels in a header, never in
// a URL: addresses end up in logs and in the browser's history.
import { apiBase, ApiError, NETWORK_MESSAGE, api, formatBytes, h, jstTime } from './common.js';

function headers(password) {
  return password ? { 'X-Status-Password': password } : {};
}

// Fetch the PDF and hand it to the browser as a download named as it was issued.
async function download(no, doc, password, status) {
  status.textContent = 'ダウンロードしています…';
  let r;
  try {
    r = await fetch(`${apiBase}/applications/${encodeURIComponent(no)}/documents/${doc.n}`,
      { headers: headers(password) });
  } catch (e) {
    status.textContent = NETWORK_MESSAGE;
    return;
  }
  if (!r.ok) {
    status.textContent = `ダウンロードできませんでした（${r.status}）。しばらくしてから、もう一度お試しください。`;
    return;
  }
  const url = URL.createObjectURL(await r.blob());
  const a = h('a', { href: url, download: doc.file_name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60000);
  status.textContent = `「${doc.title}」をダウンロードしました。`;
}

// The 交付文書 section for application no, or null when it has none.
export async function documentsSection(no, password) {
  let list;
  try {
    list = await api(`/applications/${encodeURIComponent(no)}/documents`, { headers: headers(password) });
  } catch (e) {
    if (e instanceof ApiError) return null;
    throw e;
  }
  if (!list.documents || list.documents.length === 0) return null;
  const status = h('p', { class: 'help', role: 'status', 'aria-live': 'polite' });
  return h('section', { class: 'documents', 'aria-labelledby': 'documents-title' },
    h('h3', { id: 'documents-title' }, '交付文書'),
    h('p', {}, '市区町村から交付された文書です。電子署名付きの PDF ファイルです。'),
    h('ul', { class: 'document-list' }, list.documents.map((doc) => h('li', {},
      h('p', {}, h('strong', {}, doc.title), ` （${jstTime(doc.issued_at)} 交付、PDF ${formatBytes(doc.size)}）`),
      h('button', { type: 'button', class: 'button', onclick: () => download(no, doc, password, status) },
        `「${doc.title}」をダウンロード`)))),
    status);
}
