// store.js — a filled form lives in sessionStorage between the form, the check page
// and the 到達 page: it survives a reload or a lost connection, but not the closing of
// the tab, and it is deleted the moment the application has arrived.
import { tenant } from './common.js';

const key = (proc, what) => `sekisho:${tenant}:${proc}:${what}`;

function read(k) {
  try { return JSON.parse(sessionStorage.getItem(k) || 'null'); } catch (e) { return null; }
}
function write(k, v) {
  try { sessionStorage.setItem(k, JSON.stringify(v)); } catch (e) { /* private mode: in memory only */ }
}

// {version, answers, serverErrors} of procedure proc, or null.
export const loadDraft = (proc) => read(key(proc, 'draft'));
export const saveDraft = (proc, draft) => write(key(proc, 'draft'), draft);

// Idempotency-Key: made once per filled form and kept with a fingerprint of what it
// was used for, so a retry after a network error sends the same key (the server then
// returns the first 到達番号 instead of a second application), while an answer changed
// afterwards gets a key of its own.
// crypto.randomUUID needs a secure context; plain http on a LAN address is not one.
function uuid() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const x = [...b].map((v) => v.toString(16).padStart(2, '0')).join('');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

export function idempotencyKey(proc, fingerprint) {
  const k = key(proc, 'idem');
  const cur = read(k);
  if (cur && cur.fingerprint === fingerprint) return cur.key;
  const fresh = uuid();
  write(k, { key: fresh, fingerprint });
  return fresh;
}

export function arrived(proc, receipt) {
  sessionStorage.removeItem(key(proc, 'draft'));
  sessionStorage.removeItem(key(proc, 'idem'));
  write(key(proc, 'receipt'), receipt);
}
export const loadReceipt = (proc) => read(key(proc, 'receipt'));
