// helpers.js — what the browser tests share: addresses on the running stack, axe
// at both widths, test files made on the spot (PDF from tests/corpus, a PNG photo,
// EICAR inside a PDF-looking file), and the mail the stack's SMTP capture received.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync, crc32 } from 'node:zlib';
import AxeBuilder from '@axe-core/playwright';
import { expect } from '@playwright/test';
import { ROOT } from './stack.mjs';

export const url = (path) => `${process.env.SEKISHO_BASE}${path}`;
// The staff pages: the LGWAN zone's lighttpd of the same stack.
export const lgwan = (path) => `${process.env.SEKISHO_LGWAN}${path}`;

// sekishoctl on the stack's instance, as its operator would run it: its stdout.
export function sekishoctl(...args) {
  const bin = process.env.SEKISHO_BIN || join(ROOT, 'build', 'bin');
  return execFileSync(join(bin, 'sekishoctl'), ['--instance', process.env.SEKISHO_INSTANCE, ...args])
    .toString();
}

// GET with the retry a browser makes: Playwright's request context reuses a kept-alive
// connection, and one lighttpd has just closed as idle (its 5 s keep-alive limit, easily
// passed during an axe check) answers the next request with a reset. A GET is
// idempotent, so it is sent once more on a fresh connection; anything else fails.
export async function getRetrying(request, target) {
  try {
    return await request.get(target);
  } catch (e) {
    if (!/ECONNRESET|socket hang up/.test(String(e))) throw e;
    return request.get(target);
  }
}

// POST with the retry Chromium makes (HttpNetworkTransaction::ShouldResendRequest):
// a request written on a reused connection that the server had already closed as
// idle gets a reset before any byte of an answer, and was never read, so it is sent
// once more on a fresh connection whatever its method. For a POST after a pause
// longer than lighttpd's 5 s (a staff page's steps between two API calls).
export async function postRetrying(request, target, options) {
  try {
    return await request.post(target, options);
  } catch (e) {
    if (!/ECONNRESET|socket hang up/.test(String(e))) throw e;
    return request.post(target, options);
  }
}

// For expect.poll, which gives up at the first exception: a connection the server
// dropped between two polls is one more poll, not a failure.
export const orNull = (fn) => async () => {
  try { return await fn(); } catch (e) { return null; }
};

// The one-time initial password that `staff add` or `staff passwd` printed.
export const initialPassword = (out) => out.split('初期パスワード:')[1].trim().split(/\s/)[0];

// First login with a temporary password: the home page asks for a new one first.
export async function staffFirstLogin(page, login, initial, password) {
  await page.goto(lgwan('/index.html'));
  await page.getByLabel('自治体コード').fill('demo');
  await page.getByLabel('ログイン ID').fill(login);
  await page.getByLabel('パスワード', { exact: true }).fill(initial);
  await page.getByRole('button', { name: 'ログイン' }).click();
  await expect(page.getByRole('heading', { name: 'パスワードの変更' })).toBeVisible();
  await page.getByLabel('現在のパスワード').fill(initial);
  await page.getByLabel(/新しいパスワード（12/).fill(password);
  await page.getByLabel('新しいパスワード（確認のためもう一度）').fill(password);
  await page.getByRole('button', { name: '変更する' }).click();
  await expect(page.getByText('パスワードを変更しました。')).toBeVisible();
}

export const PHONE = { width: 375, height: 812 };
export const DESKTOP = { width: 1280, height: 800 };

// Zero violations of WCAG 2.x A/AA (and axe's best practices) at both widths, and
// nothing lost when zoomed (zooms: ZOOMED, or fewer for staff pages); the viewport is
// put back to the phone's afterwards.
export async function axeBoth(page, what, zooms = ZOOMED) {
  for (const vp of [PHONE, DESKTOP]) {
    await page.setViewportSize(vp);
    const r = await new AxeBuilder({ page })
      .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'])
      .analyze();
    const found = r.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`);
    expect(found, `axe on ${what} at ${vp.width}px`).toEqual([]);
  }
  await noLossWhenZoomed(page, what, zooms);
  await page.setViewportSize(PHONE);
}

// The desktop page at 200% zoom (JIS X 8341-3 / WCAG 1.4.4) has 640 CSS pixels of
// width, and at 400% (1.4.10 reflow) 320: the page must fit without scrolling
// sideways, and no text may be cut off by its box.
export const ZOOMED = [{ width: 640, height: 400, zoom: '200%' }, { width: 320, height: 256, zoom: '400%' }];
// Staff work on desktop LGWAN terminals: 200% zoom must lose nothing; the 400%
// reflow to a phone's width is asked of the citizen pages only.
export const STAFF_ZOOM = ZOOMED.filter((z) => z.zoom === '200%');
export async function noLossWhenZoomed(page, what, zooms = ZOOMED) {
  for (const vp of zooms) {
    await page.setViewportSize({ width: vp.width, height: vp.height });
    const lost = await page.evaluate(() => {
      const out = [];
      const doc = document.documentElement;
      if (doc.scrollWidth > doc.clientWidth + 1) out.push(`page ${doc.scrollWidth}px wide`);
      for (const el of document.querySelectorAll('body *')) {
        const cs = getComputedStyle(el);
        if (cs.display === 'none' || cs.visibility === 'hidden' || el.closest('[hidden]')) continue;
        if (!/(hidden|clip)/.test(cs.overflowX) || !el.textContent.trim()) continue;
        // Visually hidden text (for screen readers) is clipped on purpose.
        if (el.clientWidth <= 1 || el.clientHeight <= 1) continue;
        if (el.scrollWidth > el.clientWidth + 1) out.push(`${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''}.${el.className} cut off`);
      }
      return out;
    });
    expect(lost, `${what} at ${vp.zoom} zoom (${vp.width}px)`).toEqual([]);
  }
}

let pdfDir;
export function samplePdf() {
  if (!pdfDir) {
    pdfDir = mkdtempSync(join(tmpdir(), 'sekisho-pdf-'));
    execFileSync('/usr/bin/python3', [join(ROOT, 'tests', 'corpus', 'make-pdf-samples.py'), pdfDir]);
  }
  return readFileSync(join(pdfDir, 'benign-text.pdf'));
}

// The standard 68-byte EICAR test string inside an otherwise good PDF.
export function eicarPdf() {
  const eicar = 'X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*';
  expect(eicar.length).toBe(68);
  const pdf = samplePdf().toString('latin1');
  return Buffer.from(pdf.replace('%%EOF', `${eicar}\n%%EOF`), 'latin1');
}

// A 96×64 photo-like PNG (a colour gradient), built here with zlib.
export function photoPng() {
  const w = 96, hgt = 64;
  const raw = Buffer.alloc((w * 3 + 1) * hgt);
  for (let y = 0; y < hgt; y++) {
    raw[y * (w * 3 + 1)] = 0;
    for (let x = 0; x < w; x++) {
      const o = y * (w * 3 + 1) + 1 + x * 3;
      raw[o] = (x * 255) / w; raw[o + 1] = (y * 255) / hgt; raw[o + 2] = 160;
    }
  }
  const chunk = (type, data) => {
    const len = Buffer.alloc(4); len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const crc = Buffer.alloc(4); crc.writeUInt32BE(crc32(td));
    return Buffer.concat([len, td, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0); ihdr.writeUInt32BE(hgt, 4);
  ihdr[8] = 8; ihdr[9] = 2; ihdr[10] = 0; ihdr[11] = 0; ihdr[12] = 0;
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

// Press Tab until the focused element satisfies test (keyboard-only journeys).
export async function tabTo(page, test, what, max = 60) {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    if (await page.evaluate(test)) return;
  }
  throw new Error(`Tab never reached ${what}`);
}

// The (seen+1)-th mail to `to` whose subject contains subjectPart, as the SMTP capture
// server (stack.mjs) stored it: {subject, text}, the body decoded from base64.
export async function readMail(to, subjectPart, seen = 0, timeoutMs = 30000) {
  const dir = process.env.SEKISHO_MAILBOX;
  const words = (s) => s.replace(/\r?\n[ \t]/g, ' ')
    .replace(/=\?UTF-8\?B\?([^?]*)\?=\s*/gi, (_, b) => Buffer.from(b, 'base64').toString('utf8'));
  const end = Date.now() + timeoutMs;
  for (;;) {
    const hits = [];
    for (const n of readdirSync(dir).filter((x) => !x.startsWith('.')).sort()) {
      const rec = JSON.parse(readFileSync(`${dir}/${n}`, 'utf8'));
      if (!rec.rcpt_tos.includes(to)) continue;
      const cut = rec.data.search(/\r?\n\r?\n/);
      const head = rec.data.slice(0, cut);
      const subject = words((/^Subject: (.*(?:\r?\n[ \t].*)*)/mi.exec(head) || ['', ''])[1]);
      if (!subject.includes(subjectPart)) continue;
      hits.push({ subject, text: Buffer.from(rec.data.slice(cut).replace(/\s+/g, ''), 'base64').toString('utf8') });
    }
    if (hits.length > seen) return hits[seen];
    if (Date.now() > end) throw new Error(`no mail "${subjectPart}" to ${to}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

// The path and fragment of the first link in text to one of our pages (the mail
// names public_base_url's host; the tests browse the same server by address).
export function linkPath(text, page) {
  const m = new RegExp(`https?://[^/\\s]+(/demo/account/${page}#token=[0-9a-f]{64})`).exec(text);
  expect(m, `a ${page} link in the mail`).not.toBeNull();
  return m[1];
}
