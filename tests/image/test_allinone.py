"""The image provisioned on its first boot as the operator would (operator guide:
`sekishoctl init --role all-in-one`), then every Sekisho daemon healthy.

A copy of the raw disk gets a self-test unit and script written into it with debugfs
(nothing of it is in the image itself), plus the repository's small test signature
database in place of freshclam's download (the guest has no internet). The unit is
Type=simple (a oneshot ordered on the boot would deadlock it), provisions, starts the
role's units and reports on the second serial port, which the test reads. qemu runs in
software emulation, bounded by STACK_TIMEOUT_S; the test prints how far it got.
"""
import os
import re
import shutil
import subprocess
import time

from conftest import REPO

STACK_TIMEOUT_S = 900
DAEMONS = ("portald", "sanitized", "bridge-uplink-tx", "bridge-downlink-rx", "officed",
           "bridge-uplink-rx", "bridge-downlink-tx")
UNITS = ("netns-sekisho", "sekisho-sanitized", "sekisho-portald", "sekisho-officed",
         "sekisho-bridge-uplink-tx", "sekisho-bridge-uplink-rx", "sekisho-bridge-downlink-tx",
         "sekisho-bridge-downlink-rx", "sekisho-lighttpd-internet", "sekisho-lighttpd-lgwan")

SELFTEST = r"""#!/bin/sh
# Test only: the operator's first-boot steps, reported on /dev/ttyS1.
exec >/dev/ttyS1 2>&1
say() { echo "SELFTEST $*"; }
say start $(cut -d' ' -f1 /proc/uptime)
sekishoctl init --role all-in-one --tenant demo --hostname sekisho.test || { say init-failed; exit 1; }
say init-done $(cut -d' ' -f1 /proc/uptime)
systemctl daemon-reload
systemctl start multi-user.target timers.target
say started $(cut -d' ' -f1 /proc/uptime)
for i in $(seq 1 45); do
	# 0 all well, 1 warnings only (e.g. old signatures): every daemon answers.
	sekishoctl status >/tmp/status 2>&1; [ $? -le 1 ] && break
	sleep 2
done
say status-after $(cut -d' ' -f1 /proc/uptime)
sed 's/^/STATUS /' /tmp/status
for u in UNITS; do echo "UNIT $u $(systemctl is-active $u)"; done
systemctl --failed --no-legend --plain | sed 's/^/FAILED /'
echo "USBGUARD $(systemctl is-active usbguard) $(systemctl show -p NRestarts usbguard)"
for u in $(systemctl --failed --no-legend --plain | awk '{print $1}'); do
	journalctl -b -o cat -n 15 --no-pager -u $u | sed "s/^/JOURNAL $u: /"
done
for u in UNITS; do
	systemctl -q is-active $u || journalctl -b -o cat -n 8 --no-pager -u $u | sed "s/^/JOURNAL $u: /"
done
journalctl -b -o cat --no-pager -u sekisho-sanitized.service | grep 'scanner started' |
	sed 's/^/SCANLOG /'
ls /run/netns | sed 's/^/NETNS /'
for z in "internet 443" "lgwan 8443"; do
	set -- $z
	echo "HTTPS $1 $(printf 'GET /api/healthz HTTP/1.0\r\n\r\n' | openssl s_client -quiet -connect 127.0.0.1:$2 2>/dev/null | head -1)"
done
sekishoctl backup >/tmp/backup 2>&1 && say backup-ok || say backup-failed
sed 's/^/BACKUP /' /tmp/backup
# A submission on the internet zone reaches the LGWAN zone's data-linking API over the
# in-image bridge: a procedure published on LGWAN comes down the downlink, a citizen's
# application goes up through the sanitizer and the uplink, officed imports it.
cat >/tmp/selftest-procedure.json <<'JSON'
{"id": "selftest", "version": 1, "title": "自己診断の申請", "visibility": "unlisted",
 "schema": {"fields": [{"name": "name", "type": "text", "label": "氏名", "required": true},
  {"name": "memo", "type": "file", "label": "添付", "accept": ["image"], "required": true}]}}
JSON
sekishoctl catalogue publish demo /tmp/selftest-procedure.json >/tmp/publish 2>&1 &&
	say published || { say publish-failed; sed 's/^/PUBLISH /' /tmp/publish; }
KEY=$(sekishoctl apikey create --tenant demo --name selftest --scope read 2>&1 | sed -n 's/^キー: //p')
KEY=$KEY python3 - <<'PY'
import json, os, ssl, time, urllib.request
ctx = ssl._create_unverified_context()	# the appliance's own self-signed certificate
def call(url, body=None, headers=None):
    req = urllib.request.Request(url, data=body, headers=headers or {})
    with urllib.request.urlopen(req, context=ctx, timeout=10) as r:
        return json.loads(r.read())
def until(what, fn, seconds=300):
    end = time.monotonic() + seconds
    while True:
        try:
            return fn()
        except Exception as e:
            if time.monotonic() > end:
                print(f"SUBMIT {what}-timeout {e}", flush=True)
                raise SystemExit(1)
            time.sleep(2)
portal = "https://127.0.0.1:443/api/v1/demo/procedures/selftest"
until("catalogue", lambda: call(portal))
# The upload crosses the most mounts: uploads/ -> intake spool -> sanitized -> outbox.
def png(w, h):
    import struct, zlib
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + \
            struct.pack(">I", zlib.crc32(kind + data))
    rows = b"".join(b"\0" + bytes(v for x in range(w) for v in (x * 8 % 256, y * 8 % 256, 128))
                    for y in range(h))
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)) + \
        chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")
memo = png(32, 24)
boundary = "selftest-boundary-7f3a"
form = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
        f"filename=\"memo.png\"\r\nContent-Type: image/png\r\n\r\n").encode() + memo + \
    f"\r\n--{boundary}--\r\n".encode()
base = "https://127.0.0.1:443/api/v1/demo"
up = call(base + "/uploads?procedure=selftest&field=memo", form,
          {"Content-Type": "multipart/form-data; boundary=" + boundary})
def verdict():
    v = call(base + "/uploads/" + up["upload_id"])
    if v["state"] == "pending":
        raise RuntimeError("pending")
    return v
v = until("sanitize", verdict)
print("UPLOAD", v["state"], v.get("reason", ""), flush=True)
sent = call(portal + "/applications",
            json.dumps({"answers": {"name": "自己 診断"},
                        "uploads": {"memo": [up["upload_id"]]},
                        "status_password": "selftest-status-1"}).encode(),
            {"Content-Type": "application/json", "Idempotency-Key": "selftest-1"})
print("SUBMIT receipt", sent["receipt_no"], flush=True)
app = until("import", lambda: call("https://127.0.0.1:8443/api/v1/demo/applications/"
                                   + sent["receipt_no"],
                                   headers={"Authorization": "Bearer " + os.environ["KEY"]}))
print("ARRIVED", app["receipt_no"], app["status"], app["answers"]["name"], flush=True)
req = urllib.request.Request("https://127.0.0.1:8443/api/v1/demo/applications/"
                             + sent["receipt_no"] + "/attachments/1",
                             headers={"Authorization": "Bearer " + os.environ["KEY"]})
with urllib.request.urlopen(req, context=ctx, timeout=10) as r:
    body = r.read()
    print("ATTACHMENT", len(app["attachments"]), app["attachments"][0]["type"],
          body[:8] == b"\x89PNG\r\n\x1a\n", flush=True)
PY
# What the links did, and the journals of the units that carry a submission.
sekishoctl status 2>&1 | sed -n '/回線/,/待ち行列/p' | sed 's/^/LINKS /'
for u in sekisho-bridge-downlink-tx sekisho-bridge-downlink-rx sekisho-bridge-uplink-tx \
	sekisho-bridge-uplink-rx sekisho-portald sekisho-sanitized sekisho-officed usbguard; do
	journalctl -b -o cat -n 12 --no-pager -u $u | grep -v ' /api/\(healthz\|metrics\|v1/demo/uploads/[0-9a-f]*\) 200$' |
		sed "s/^/JOURNAL $u: /"
done
sekishoctl status 2>&1 | sed -n '/待ち行列/,/ウイルス/p' | sed 's/^/QUEUES /'
find /var/lib/sekisho/dmz/sanitized /var/lib/sekisho/dmz/spool/intake -maxdepth 3 -printf 'FILE %M %u:%g %p\n' | head -40
say end $(cut -d' ' -f1 /proc/uptime)
"""

# Not named sekisho-*: the prefix drop-in's sandbox (read-only /dev, no privileges)
# would apply to it.
UNIT = """[Unit]
Description=Sekisho image self-test (tests/image only)
After=multi-user.target

[Service]
Type=simple
ExecStart=/usr/local/sbin/sekisho-selftest
StandardOutput=journal+console

[Install]
WantedBy=multi-user.target
"""


def _debugfs(part, cmds):
    r = subprocess.run(["debugfs", "-w", "-f", "-", part], input=cmds, capture_output=True,
                       text=True)
    assert r.returncode == 0, r.stderr


def _prepare(image_dir, tmp_path):
    disk = tmp_path / "allinone.raw"
    subprocess.run(["cp", "--sparse=always", str(image_dir / "sekisho.raw"), str(disk)],
                   check=True)
    script = tmp_path / "selftest.sh"
    script.write_text(SELFTEST.replace("UNITS", " ".join(UNITS)))
    unit = tmp_path / "selftest.service"
    unit.write_text(UNIT)
    loop = subprocess.run(["losetup", "-f", "--show", "-P", str(disk)], capture_output=True,
                          text=True, check=True).stdout.strip()
    try:
        part = loop + "p1"
        if not os.path.exists(part):
            subprocess.run(["partx", "-a", loop], capture_output=True)
        for _ in range(10):
            if os.path.exists(part):
                break
            time.sleep(0.2)
        cmds = [f"write {script} /usr/local/sbin/sekisho-selftest",
                "sif /usr/local/sbin/sekisho-selftest mode 0100755",
                f"write {unit} /etc/systemd/system/selftest-sekisho.service",
                "symlink /etc/systemd/system/multi-user.target.wants/selftest-sekisho.service "
                "/etc/systemd/system/selftest-sekisho.service"]
        for f in ("sekisho-test.hdb", "sekisho-test.ndb"):
            cmds.append(f"write {REPO / 'tests/clamav' / f} /var/lib/clamav/{f}")
        _debugfs(part, "\n".join(cmds) + "\n")
        r = subprocess.run(["e2fsck", "-fn", part], capture_output=True, text=True)
        assert r.returncode == 0, r.stdout + r.stderr
    finally:
        subprocess.run(["partx", "-d", loop], capture_output=True)
        subprocess.run(["losetup", "-d", loop], check=True)
    return disk


def test_first_boot_provisions_all_in_one_and_every_daemon_is_healthy(image_dir, tmp_path):
    disk = _prepare(image_dir, tmp_path)
    console, report = tmp_path / "console.log", tmp_path / "selftest.log"
    accel = ["-accel", "kvm", "-cpu", "host"] if os.environ.get("SEKISHO_KVM") == "1" \
        else ["-accel", "tcg,thread=multi", "-cpu", "max"]
    argv = ["qemu-system-x86_64", *accel, "-m", "2048", "-smp", "2",
            "-nodefaults", "-nographic", "-no-reboot",
            "-drive", f"file={disk},if=virtio,format=raw",
            "-nic", "user,model=virtio-net-pci",
            "-serial", f"file:{console}", "-serial", f"file:{report}", "-monitor", "none"]
    start = time.monotonic()
    qemu = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    text = ""
    try:
        while time.monotonic() - start < STACK_TIMEOUT_S and qemu.poll() is None:
            text = report.read_text(errors="replace") if report.exists() else ""
            if "SELFTEST end" in text or "SELFTEST init-failed" in text:
                break
            time.sleep(2)
        elapsed = time.monotonic() - start
    finally:
        qemu.kill()
        qemu.wait()
    shutil.copy(report, image_dir / "allinone-selftest.log")
    shutil.copy(console, image_dir / "allinone-console.log")
    marks = re.findall(r"^SELFTEST (\S+) ?(\S*)", text, re.M)
    print(f"all-in-one self-test: {elapsed:.0f} s of qemu TCG; guest uptime at each step: "
          + ", ".join(f"{m} {t} s" for m, t in marks))
    print(text)
    assert "SELFTEST init-done" in text, text or "no report: see allinone-console.log"
    assert "SELFTEST end" in text, f"did not finish within {STACK_TIMEOUT_S} s:\n{text}"
    for unit in UNITS:
        assert re.search(rf"^UNIT {unit} active$", text, re.M), f"{unit} not active\n{text}"
    assert not re.search(r"^FAILED ", text, re.M), text
    # No USB bus in this virtual machine: usbguard is skipped, never crash-looping.
    assert re.search(r"^USBGUARD (inactive|active) NRestarts=0$", text, re.M), text
    for d in DAEMONS:
        assert re.search(rf"^STATUS {re.escape(d)}\s+正常", text, re.M), f"{d} unhealthy\n{text}"
    # Debian 12's kernel: libclamav's process shut itself in with Landlock (ABI 2 on 6.1).
    assert re.search(r"^SCANLOG scanner started: sekisho-scanner, pid \d+, Landlock ABI [1-9]",
                     text, re.M), text
    assert re.search(r"^NETNS sekisho-dmz", text, re.M) and re.search(r"^NETNS sekisho-lgwan", text, re.M)
    for zone in ("internet", "lgwan"):
        assert re.search(rf"^HTTPS {zone} HTTP/1\.[01] 200", text, re.M), f"{zone}\n{text}"
    # The submission crossed: the same receipt number through the LGWAN-zone API.
    sent = re.search(r"^SUBMIT receipt (\d{8}-\d{6})$", text, re.M)
    assert sent, text
    assert re.search(r"^UPLOAD clean\s*$", text, re.M), text
    assert re.search(rf"^ARRIVED {sent.group(1)} arrived 自己 診断$", text, re.M), text
    # Its file too: the image rebuilt from its pixels, a PNG again.
    assert re.search(r"^ATTACHMENT 1 png True$", text, re.M), text
    assert "SELFTEST backup-ok" in text, text
