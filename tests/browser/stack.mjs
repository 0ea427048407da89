// stack.mjs — Playwright's global setup: the real dev stack, as `make run` has it,
// in a temporary directory on free ports, with a real SMTP server on loopback
// (tests/tools/smtp_capture.py) that portald mails to. sekishoctl init --dev, the sample catalogue
// published over the downlink, the postal fixture imported, then `sekishoctl run`;
// ready when the internet zone lists the sample procedures. The returned function is
// the global teardown: it stops the stack and everything started under the instance.
import { spawn, execFileSync } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { createSocket } from 'node:dgram';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const BIN = process.env.SEKISHO_BIN || join(ROOT, 'build', 'bin');
const CTL = join(BIN, 'sekishoctl');
const SAMPLES = readdirSync(join(ROOT, 'provisioning', 'catalogue', 'demo'))
  .filter((n) => n.endsWith('.json')).sort()
  .map((n) => join(ROOT, 'provisioning', 'catalogue', 'demo', n));

function freePort(udp) {
  return new Promise((ok, fail) => {
    if (udp) {
      const s = createSocket('udp4');
      s.on('error', fail);
      s.bind(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => ok(p)); });
    } else {
      const s = createServer();
      s.on('error', fail);
      s.listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => ok(p)); });
    }
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// PIDs of processes whose command line names the instance (the daemons run runs).
function processesUnder(path) {
  const found = [];
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      if (readFileSync(`/proc/${pid}/cmdline`).includes(path)) found.push(Number(pid));
    } catch (e) { /* gone */ }
  }
  return found;
}

export default async function globalSetup() {
  const tmp = mkdtempSync(join(tmpdir(), 'sekisho-browser-'));
  const inst = join(tmp, 'inst');
  const ports = {
    internet: await freePort(false), lgwan: await freePort(false),
    uplink: await freePort(true), downlink: await freePort(true),
  };
  const ctl = (...args) => execFileSync(CTL, ['--instance', inst, ...args], { stdio: 'pipe', timeout: 60000 });
  ctl('init', '--dev', '--internet-port', String(ports.internet), '--lgwan-port', String(ports.lgwan),
    '--uplink-port', String(ports.uplink), '--downlink-port', String(ports.downlink));
  ctl('catalogue', 'publish', 'demo', ...SAMPLES);
  execFileSync(join(ROOT, 'provisioning', 'postal', 'import-postal.sh'),
    ['--ken-all', join(ROOT, 'tests', 'fixtures', 'postal', 'KEN_ALL.CSV'),
      '--out', join(inst, 'dmz', 'postal', 'postal.sqlite')], { stdio: 'pipe' });

  // Mail: the capture server prints its port first; portald is pointed at it.
  const mailbox = join(tmp, 'mailbox');
  mkdirSync(mailbox);
  const smtp = spawn('/usr/bin/python3', [join(ROOT, 'tests', 'tools', 'smtp_capture.py'), '--dir', mailbox],
    { stdio: ['ignore', 'pipe', 'inherit'] });
  const smtpPort = await new Promise((ok, fail) => {
    let buf = '';
    smtp.stdout.on('data', (d) => {
      buf += d;
      const m = /^(\d+)\n/.exec(buf);
      if (m) ok(Number(m[1]));
    });
    smtp.on('exit', () => fail(new Error('smtp_capture.py exited')));
  });
  appendFileSync(join(inst, 'etc', 'portald.conf'),
    `smtp_url = smtp://127.0.0.1:${smtpPort}\nmail_from = noreply@city.example.lg.jp\nmail_domain = city.example.lg.jp\n`);

  const logPath = join(tmp, 'stack.log');
  const log = openSync(logPath, 'w');
  const child = spawn(CTL, ['--instance', inst, 'run'], { detached: true, stdio: ['ignore', log, log] });
  const base = `http://127.0.0.1:${ports.internet}`;

  const stop = async () => {
    try { smtp.kill('SIGTERM'); } catch (e) { /* gone */ }
    try { process.kill(-child.pid, 'SIGINT'); } catch (e) { /* already gone */ }
    for (let i = 0; i < 100 && child.exitCode === null && child.signalCode === null; i++) await sleep(100);
    try { process.kill(-child.pid, 'SIGKILL'); } catch (e) { /* gone */ }
    for (const pid of processesUnder(inst)) {
      try { process.kill(pid, 'SIGKILL'); } catch (e) { /* gone */ }
    }
    if (process.env.SEKISHO_KEEP) console.log(`stack kept in ${tmp}`);
    else rmSync(tmp, { recursive: true, force: true });
  };

  const deadline = Date.now() + 90000;
  for (;;) {
    try {
      const r = await fetch(`${base}/api/v1/demo/procedures`);
      if (r.ok && (await r.json()).procedures.length === SAMPLES.length) break;
    } catch (e) { /* not yet */ }
    if (Date.now() > deadline || child.exitCode !== null) {
      const out = readFileSync(logPath, 'utf8');
      await stop();
      throw new Error(`the dev stack did not list the sample procedures in time\n${out.slice(-4000)}`);
    }
    await sleep(250);
  }
  process.env.SEKISHO_BASE = base;
  process.env.SEKISHO_LGWAN = `http://127.0.0.1:${ports.lgwan}`;
  process.env.SEKISHO_INSTANCE = inst;
  process.env.SEKISHO_MAILBOX = mailbox;
  return stop;
}

// Run by hand: start the stack and keep it until Ctrl-C (for manual checks).
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const stop = await globalSetup();
  console.log(`stack up: ${process.env.SEKISHO_BASE}/demo/`);
  process.on('SIGINT', async () => { await stop(); process.exit(0); });
  process.on('SIGTERM', async () => { await stop(); process.exit(0); });
}
