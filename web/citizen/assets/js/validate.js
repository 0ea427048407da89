// validate.js — the browser's copy of the server's rules (docs/form-schema.md,
// lib/form_validate.c), run when the citizen asks to go on, never while typing. The
// server stays the authority: whatever it says in a 422 is shown the same way.
import { realDate, wareki, seireki, todayJst } from './common.js';

export const DEFAULT_MAX = { text: 200, kana: 200, textarea: 4000 };

const ZEN = /[０-９Ａ-Ｚａ-ｚ＠．－＋＿]/g;
export function fold(s) {
  return s.replace(ZEN, (c) => String.fromCharCode(c.charCodeAt(0) - 0xFEE0))
    .replace(/[－ー‐−]/g, '-');
}
const foldDigits = (s) => s.replace(/[０-９]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xFEE0));

const trim = (s) => s.replace(/^[\s\u3000]+|[\s\u3000]+$/g, '');
const len = (s) => [...s].length;
// Control characters (other than newline and tab in a textarea), bidi overrides, line
// and paragraph separators: refused by the server in every text.
const BAD = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f\u202a-\u202e\u2066-\u2069\u2028\u2029]/;

// 半角カナ -> 全角 (ｶﾞ -> ガ), as the server normalises.
const HALF = 'ｦｧｨｩｪｫｬｭｮｯｰｱｲｳｴｵｶｷｸｹｺｻｼｽｾｿﾀﾁﾂﾃﾄﾅﾆﾇﾈﾉﾊﾋﾌﾍﾎﾏﾐﾑﾒﾓﾔﾕﾖﾗﾘﾙﾚﾛﾜﾝ';
const FULL = 'ヲァィゥェォャュョッーアイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワン';
export function kanaFull(s) {
  let out = '';
  for (const c of s.replace(/ﾞ/g, '\u3099').replace(/ﾟ/g, '\u309A').replace(/･/g, '・')) {
    const i = HALF.indexOf(c);
    out += i >= 0 ? FULL[i] : c;
  }
  return out.normalize('NFC');
}
const KATAKANA = /^[\u30A1-\u30FA\u30FC-\u30FE\u3000 ]+$/;

// "today-15y" -> "YYYY-MM-DD" (years and months first, clamped to the month's end).
export function resolveDate(bound) {
  if (!bound) return null;
  if (/^\d{4}-\d{2}-\d{2}$/.test(bound)) return bound;
  const m = /^today(?:([+-])(\d{1,4})([ymd]))?$/.exec(bound);
  if (!m) return null;
  let [y, mo, d] = todayJst().split('-').map(Number);
  if (m[1]) {
    const n = Number(m[2]) * (m[1] === '-' ? -1 : 1);
    if (m[3] === 'd') {
      const t = new Date(Date.UTC(y, mo - 1, d + n));
      return t.toISOString().slice(0, 10);
    }
    const months = y * 12 + (mo - 1) + (m[3] === 'y' ? n * 12 : n);
    y = Math.floor(months / 12);
    mo = months % 12 + 1;
    while (!realDate(y, mo, d)) d--;
  }
  return `${String(y).padStart(4, '0')}-${String(mo).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
}

const both = (iso) => `${wareki(iso)}（${seireki(iso)}）`;

const EMAIL_LOCAL = /^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~.]{1,64}$/;
const EMAIL_DOMAIN = /^[A-Za-z0-9.-]+\.[A-Za-z0-9.-]+$/;

export function empty(v) {
  return v === undefined || v === null || (typeof v === 'string' && trim(v) === '') ||
    (Array.isArray(v) && v.length === 0) || v === false;
}

// The error message for one answered-or-not field, or null. label is already the
// item-qualified label (「お子さん（2件目）の生年月日」).
export function checkField(f, v, label) {
  const t = f.type;
  if (t === 'heading' || t === 'group') return null;
  if (empty(v)) {
    if (!f.required) return null;
    if (t === 'select' || t === 'radio' || t === 'checkbox') return `${label}を選択してください。`;
    if (t === 'file') return `${label}を添付してください。`;
    if (t === 'agreement') return `${label}に同意してください。`;
    return `${label}を入力してください。`;
  }
  if (t === 'text' || t === 'textarea' || t === 'kana') {
    let s = trim(String(v));
    if (BAD.test(s) || (t !== 'textarea' && /[\n\r\t]/.test(s))) return `${label}に使用できない文字が含まれています。`;
    if (t === 'kana') {
      s = kanaFull(s);
      if (!KATAKANA.test(s)) return `${label}は全角カタカナで入力してください。`;
    }
    const max = f.max_length || DEFAULT_MAX[t];
    if (len(s) > max) return `${label}は${max}文字以内で入力してください。`;
    if (f.min_length && len(s) < f.min_length) return `${label}は${f.min_length}文字以上で入力してください。`;
    return null;
  }
  if (t === 'number') {
    const s = trim(foldDigits(String(v))).replace(/[＋]/g, '+').replace(/[－ー−]/g, '-').replace(/．/g, '.');
    if (!/^[+-]?\d+(\.\d+)?$/.test(s) || Math.abs(Number(s)) > 1e15) return `${label}は数値で入力してください。`;
    const n = Number(s);
    if (f.integer && !Number.isInteger(n)) return `${label}は整数で入力してください。`;
    const lo = f.min !== undefined ? f.min : null, hi = f.max !== undefined ? f.max : null;
    if ((lo !== null && n < lo) || (hi !== null && n > hi)) {
      if (lo !== null && hi !== null) return `${label}は${lo}から${hi}までの数値で入力してください。`;
      return lo !== null ? `${label}は${lo}以上の数値で入力してください。` : `${label}は${hi}以下の数値で入力してください。`;
    }
    return null;
  }
  if (t === 'date') {
    const s = foldDigits(String(v).trim());
    const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
    if (!m || !realDate(+m[1], +m[2], +m[3]) || s < '1868-01-25') return `${label}は正しい日付を入力してください。`;
    const lo = resolveDate(f.min_date), hi = resolveDate(f.max_date);
    if ((lo && s < lo) || (hi && s > hi)) {
      if (lo && hi) return `${label}は${both(lo)}から${both(hi)}までの日付を入力してください。`;
      return lo ? `${label}は${both(lo)}以降の日付を入力してください。` : `${label}は${both(hi)}以前の日付を入力してください。`;
    }
    return null;
  }
  if (t === 'email') {
    const s = fold(trim(String(v)));
    const at = s.split('@');
    const ok = s.length <= 254 && at.length === 2 && EMAIL_LOCAL.test(at[0]) &&
      !/^\.|\.$|\.\./.test(at[0]) && EMAIL_DOMAIN.test(at[1]);
    return ok ? null : `${label}はメールアドレスの形式（例：taro@example.jp）で入力してください。`;
  }
  if (t === 'tel') {
    const s = fold(trim(String(v)));
    const digits = s.replace(/-/g, '');
    const ok = /^[0-9-]+$/.test(s) && /^0/.test(s) && !/^-|-$|--/.test(s) &&
      (digits.length === 10 || digits.length === 11);
    return ok ? null : `${label}は市外局番から10桁または11桁の番号で入力してください。`;
  }
  if (t === 'postal') {
    const s = fold(trim(String(v))).replace(/^〒\s*/, '');
    return /^\d{3}-?\d{4}$/.test(s) ? null : `${label}は7桁の郵便番号（例：123-4567）で入力してください。`;
  }
  if (t === 'select' || t === 'radio') {
    return f.options.some((o) => o.value === v) ? null : `${label}は選択肢から選択してください。`;
  }
  if (t === 'checkbox') {
    const max = f.max_choices || f.options.length;
    if (v.length > max) return `${label}は${max}個以内で選択してください。`;
    const min = f.min_choices || (f.required ? 1 : 0);
    if (v.length < min) return `${label}は${min}個以上選択してください。`;
    return null;
  }
  if (t === 'file') {
    const max = f.max_files || 1;
    if (v.length > max) return `${label}は${max}件まで添付できます。`;
    if (v.some((u) => u.state === 'rejected')) {
      return `${label}に受け付けられないファイルがあります。削除してから、別のファイルを添付してください。`;
    }
    if (v.some((u) => u.state === 'failed')) {
      return `${label}の添付ファイルを送信できませんでした。削除してから、もう一度添付してください。`;
    }
    if (v.some((u) => !u.upload_id)) return `${label}の送信が終わるまでお待ちください。`;
    return null;
  }
  return null;
}

export function checkGroup(f, items, label) {
  const n = items.length;
  const min = f.min_items !== undefined ? f.min_items : (f.required ? 1 : 0);
  const max = f.max_items || 1;
  if (n > max) return `${label}は${max}件まで入力できます。`;
  if (n < min) return `${label}は${min}件以上入力してください。`;
  return null;
}
