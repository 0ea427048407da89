// uploads.js — a chosen file goes to portald at once (with a progress bar), then the
// sanitizer takes it: we ask for its verdict every second until it is final. The
// record objects live in the form's answers, so a re-render or the check page shows
// the same state; only upload ids ever reach the submission.
import { apiBase, api, h, formatBytes, NETWORK_MESSAGE } from './common.js';

const POLL_MS = 1000;
const polling = new Set();

const TYPES = { pdf: 'PDF', image: '画像', office: 'Office 文書', text: 'テキスト' };
export const ACCEPT = {
  pdf: ['.pdf', 'application/pdf'],
  image: ['image/jpeg', 'image/png', 'image/gif', 'image/webp', 'image/tiff', '.jpg', '.jpeg', '.png', '.heic'],
  office: ['.doc', '.docx', '.xls', '.xlsx', '.ppt', '.pptx', '.odt', '.ods', '.odp'],
  text: ['.txt', '.csv', 'text/plain'],
};
export const acceptAttr = (f) => (f.accept || ['pdf', 'image']).flatMap((k) => ACCEPT[k] || []).join(',');
export const acceptWords = (f) => (f.accept || ['pdf', 'image']).map((k) => TYPES[k] || k).join('、');

let seq = 0;
export function newRecord(file) {
  seq += 1;
  return {
    local: `${Date.now().toString(36)}${seq}`, display_name: file.name, size: file.size,
    state: 'uploading', progress: 0,
  };
}

// Send file for field of procedure proc; onChange(record) after every step.
export function upload(proc, field, file, record, onChange) {
  const xhr = new XMLHttpRequest();
  const q = new URLSearchParams({ procedure: proc, field });
  xhr.open('POST', `${apiBase}/uploads?${q}`);
  xhr.setRequestHeader('Accept', 'application/json');
  xhr.upload.addEventListener('progress', (e) => {
    if (!e.lengthComputable) return;
    record.progress = Math.round((e.loaded / e.total) * 100);
    onChange(record, 'progress');
  });
  xhr.addEventListener('load', () => {
    let body = null;
    try { body = JSON.parse(xhr.responseText); } catch (e) { body = null; }
    if (xhr.status === 202 && body && body.upload_id) {
      Object.assign(record, { upload_id: body.upload_id, state: body.state || 'pending', progress: 100 });
      if (body.display_name) record.display_name = body.display_name;
      onChange(record);
      poll(record, onChange);
    } else {
      record.state = 'failed';
      record.message = body && body.error ? body.error.message
        : `送信できませんでした（${xhr.status}）。もう一度お試しください。`;
      onChange(record);
    }
  });
  xhr.addEventListener('error', () => {
    record.state = 'failed';
    record.message = NETWORK_MESSAGE;
    onChange(record);
  });
  const fd = new FormData();
  fd.append('file', file, file.name);
  xhr.send(fd);
}

// Ask for the verdict every second until it is "clean" or "rejected".
export function poll(record, onChange) {
  if (!record.upload_id || record.state !== 'pending' || polling.has(record.upload_id)) return;
  polling.add(record.upload_id);
  const tick = async () => {
    try {
      const v = await api(`/uploads/${encodeURIComponent(record.upload_id)}`);
      for (const k of ['state', 'display_name', 'size', 'type', 'pages', 'preview_url', 'reason', 'message', 'members']) {
        if (v[k] !== undefined) record[k] = v[k];
      }
      if (record.state !== 'pending') {
        polling.delete(record.upload_id);
        onChange(record);
        return;
      }
    } catch (e) {
      if (e.status === 404) {
        record.state = 'failed';
        record.message = 'ファイルが見つかりません。削除してから、もう一度添付してください。';
        polling.delete(record.upload_id);
        onChange(record);
        return;
      }
    }
    setTimeout(tick, POLL_MS);
  };
  setTimeout(tick, POLL_MS);
}

// What the citizen sees about one file, inside its persistent role=status element.
export function statusContent(r) {
  const kind = r.type === 'pdf' ? 'PDF' : r.type === 'image' ? '画像' : r.type === 'text' ? 'テキスト' : r.type || '';
  switch (r.state) {
    case 'uploading':
      return [
        h('span', { class: 'file-state' }, `送信中です（${r.progress || 0}%）`),
        h('progress', { max: '100', value: String(r.progress || 0), 'aria-label': `${r.display_name} の送信状況` }),
      ];
    case 'pending':
      return [h('span', { class: 'file-state file-pending' }, '無害化処理中です。しばらくお待ちください。')];
    case 'clean': {
      if (r.members) {
        return [
          h('span', { class: 'file-state file-clean' },
            `無害化処理が終わりました（zip ファイル、${r.members.length}件、${formatBytes(r.size)}）。中のファイルはそれぞれ無害化して送られます。`),
          memberList(r),
        ];
      }
      const parts = [kind, r.pages ? `${r.pages}ページ` : '', formatBytes(r.size)].filter(Boolean).join('、');
      return [
        r.preview_url ? preview(r) : null,
        h('span', { class: 'file-state file-clean' }, `無害化処理が終わりました（${parts}）。`),
      ];
    }
    case 'rejected':
      return [h('span', { class: 'file-state file-rejected' },
        h('strong', {}, 'このファイルは受け付けられません。'), ' ', r.message || r.reason || ''),
        r.members ? memberList(r) : null];
    default:
      return [h('span', { class: 'file-state file-rejected' },
        h('strong', {}, '送信できませんでした。'), ' ', r.message || '')];
  }
}

// An allowed zip: each file in it, by its path in the zip, with its own first page
// when clean, or why it was refused (the whole zip is refused if one member is).
function memberList(r) {
  return h('ul', { class: 'file-members', 'aria-label': `${r.display_name} の中のファイル` },
    r.members.map((m) => h('li', {},
      m.preview_url ? preview({ preview_url: m.preview_url, display_name: m.name }) : null,
      h('span', { class: 'file-member-name' }, m.name), ' ',
      m.status === 'clean'
        ? h('span', { class: 'file-state file-clean' }, '無害化しました。')
        : h('span', { class: 'file-state file-rejected' }, m.message || m.reason || '受け付けられません。'))));
}

// The first page as the sanitizer rebuilt it; left out quietly if it cannot be had.
function preview(r) {
  const img = h('img', { class: 'file-preview', src: r.preview_url, alt: `${r.display_name} の1ページ目（縮小画像）` });
  img.addEventListener('error', () => img.remove());
  return img;
}

export const isPending = (r) => r.state === 'uploading' || r.state === 'pending';
export const isBad = (r) => r.state === 'rejected' || r.state === 'failed';
