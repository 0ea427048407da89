"""The sanitizer as the image runs it: the real sekisho-sanitized unit, with every
hardening setting of its drop-ins, rebuilding an image, a PDF, a Word document and a
Shift_JIS CSV, and refusing EICAR into quarantine.

The unit tests run the sandbox as a plain process, where nothing stops it from making
its cages; under systemd the shared hardening forbids seccomp(2), mounts and
namespaces, and did so unnoticed until a submission was first made in the booted image
(every file came back 内部エラー: Operation not permitted). The image root is booted in
systemd-nspawn (read-only, a throw-away overlay, no network: a second or two), a unit
provisions the all-in-one role (as the operator would; only the sanitizer is started) and puts the files into the intake spool as portald would,
and the results are read back from a bind-mounted directory.
"""
import ctypes
import json
import re
import shutil
import subprocess

import pytest

from conftest import REPO

TIMEOUT_S = 420

# Runs inside the container as root. The files are items of the intake spool, written
# to its tmp/ and renamed into new/ as portald's spool_adopt does.
PROBE = r"""#!/bin/sh
exec >/var/tmp/out/report.txt 2>&1
sekishoctl init --role all-in-one --tenant demo --hostname sekisho.test >/var/tmp/out/init.txt 2>&1 ||
	{ echo INIT-FAILED; systemctl poweroff; exit 1; }
systemctl daemon-reload
systemctl start sekisho-sanitized.service
echo "UNIT $(systemctl is-active sekisho-sanitized.service)"
SPOOL=/var/lib/sekisho/dmz/spool/intake
for f in /var/tmp/in/*; do
	id=$(basename "$f")
	cp "$f" "$SPOOL/tmp/$id" && chown sekisho-portald:sekisho "$SPOOL/tmp/$id" &&
		chmod 0640 "$SPOOL/tmp/$id" && mv "$SPOOL/tmp/$id" "$SPOOL/new/$id"
done
# At most 240 s for all of them (LibreOffice's first start is the slow one).
for i in $(seq 1 240); do
	n=0
	for id in $(ls /var/tmp/in); do
		[ -f /var/lib/sekisho/dmz/sanitized/$id/result.json ] && n=$((n + 1))
	done
	[ $n -eq $(ls /var/tmp/in | wc -l) ] && break
	sleep 1
done
echo "WAITED $i s"
for id in $(ls /var/tmp/in); do
	echo "RESULT $id $(tr -d '\n' < /var/lib/sekisho/dmz/sanitized/$id/result.json 2>/dev/null)"
done
ls /var/lib/sekisho/dmz/quarantine | sed 's/^/QUARANTINE /'
echo "NRESTARTS $(systemctl show -p NRestarts --value sekisho-sanitized.service)"
# libclamav's own process, as the unit lets it confine itself.
for p in /proc/[0-9]*; do
	[ "$(cat $p/comm 2>/dev/null)" = sekisho-scanner ] &&
		echo "SCANNER $(grep -E '^(NoNewPrivs|Seccomp):' $p/status | tr -s '\t\n' '  ')"
done
journalctl -b -o cat --no-pager -u sekisho-sanitized.service | grep 'scanner started' |
	sed 's/^/SCANLOG /'
journalctl -b -o cat --no-pager -u sekisho-sanitized.service | grep -v ' 200$' |
	tail -n 40 | sed 's/^/JOURNAL /'
systemctl poweroff
"""

UNIT = """[Unit]
Description=sanitizer unit probe (tests/image only)
After=multi-user.target

[Service]
Type=simple
ExecStart=/bin/sh /var/tmp/probe.sh
"""

EICAR = (b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*")


def _png(w, h):
    import struct
    import zlib

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    rows = b"".join(b"\0" + bytes(v for x in range(w) for v in (x * 8 % 256, y * 8 % 256, 128))
                    for y in range(h))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def test_the_sanitizer_unit_cages_its_children_under_its_own_hardening(image_dir, root, tmp_path):
    if not shutil.which("systemd-nspawn"):
        pytest.fail("needs systemd-nspawn on the build host (provisioning/install-deps.sh)")
    inputs, out = tmp_path / "in", tmp_path / "out"
    inputs.mkdir()
    out.mkdir()
    subprocess.run(["/usr/bin/python3", str(REPO / "tests/corpus/make-pdf-samples.py"),
                    str(tmp_path)], check=True, capture_output=True)
    # Item ids as portald makes them (32 hex digits), one per kind of rebuild.
    samples = {
        "a1" * 16: ("image-reencode", _png(40, 30)),
        "b2" * 16: ("pdf-render", (tmp_path / "benign-text.pdf").read_bytes()),
        "c3" * 16: ("office-pdf-render", (REPO / "tests/corpus/office/sample.docx").read_bytes()),
        "d4" * 16: (None, EICAR),
        # Shift_JIS as Excel writes it: decoded in a caged child like any other parser.
        "e5" * 16: ("text-reencode", "氏名,住所\r\n山田 太郎,東京都千代田区\r\n".encode("cp932")),
    }
    for item, (_, data) in samples.items():
        (inputs / item).write_bytes(data)
    probe, unit = tmp_path / "probe.sh", tmp_path / "probe.service"
    probe.write_text(PROBE)
    unit.write_text(UNIT)
    # nspawn's own filter refuses Landlock's calls to a container: allowed here, so
    # that what is checked is whether the unit allows them, as on the appliance.
    argv = ["systemd-nspawn", "--quiet", "--register=no", "--keep-unit", "--volatile=overlay",
            "--private-network", "-D", str(root),
            "--system-call-filter=landlock_create_ruleset landlock_add_rule landlock_restrict_self",
            f"--bind-ro={probe}:/var/tmp/probe.sh", f"--bind-ro={inputs}:/var/tmp/in",
            f"--bind={out}:/var/tmp/out",
            f"--bind-ro={unit}:/etc/systemd/system/probe-sanitizer.service"]
    # The repository's small signature database (EICAR and the project's own), in
    # place of freshclam's download: the container has no network.
    for f in ("sekisho-test.hdb", "sekisho-test.ndb"):
        argv.append(f"--bind-ro={REPO / 'tests/clamav' / f}:/var/lib/clamav/{f}")
    argv += ["-b", "--", "systemd.wants=probe-sanitizer.service",
             "systemd.mask=systemd-networkd-wait-online.service"]
    try:
        r = subprocess.run(argv, capture_output=True, text=True, timeout=TIMEOUT_S,
                           stdin=subprocess.DEVNULL)
        console = r.stdout[-3000:] + r.stderr[-2000:]
    except subprocess.TimeoutExpired:
        console = f"container still running after {TIMEOUT_S} s"
    report = out / "report.txt"
    assert report.exists(), f"no report:\n{console}"
    text = report.read_text(errors="replace")
    print(text)
    assert "INIT-FAILED" not in text, (out / "init.txt").read_text(errors="replace")
    assert re.search(r"^UNIT active$", text, re.M), text
    results = {m.group(1): json.loads(m.group(2))
               for m in re.finditer(r"^RESULT (\S+) (\{.*\})$", text, re.M)}
    for item, (method, _) in samples.items():
        res = results.get(item)
        assert res is not None, f"{item}: no result\n{text}"
        if method is None:
            assert res["status"] == "rejected" and res["reason"] == "malware", res
        else:
            assert res["status"] == "clean" and res["method"] == method, res
    # The refused original is kept, linked across the unit's separate mounts.
    assert re.search(rf"^QUARANTINE {'d4' * 16}$", text, re.M), text
    assert re.search(r"^NRESTARTS 0$", text, re.M), text
    # libclamav ran in its own process, with no new privileges and a seccomp filter,
    # and under Landlock wherever this kernel has it (the unit must allow its calls).
    assert re.search(r"^SCANNER NoNewPrivs: 1 Seccomp: 2", text, re.M), text
    abi = ctypes.CDLL(None, use_errno=True).syscall(444, None, 0, 1)  # landlock_create_ruleset
    if abi > 0:
        assert re.search(rf"^SCANLOG .*Landlock ABI {abi}\b", text, re.M), text
    assert "internal error" not in text, text
