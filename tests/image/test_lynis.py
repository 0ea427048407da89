"""lynis audits the appliance as it runs: the image root booted in systemd-nspawn
(read-only, changes in a throw-away overlay, no network), with the build host's lynis
bind-mounted in (the appliance itself does not carry an audit tool). A unit passed to
the container's systemd runs the audit once the system is up and powers it off.

The hardening index is printed; what lynis still suggests and why it is accepted is
in docs/operator-guide.md (「監査 (lynis)」). The threshold is the index this image
reached when the test was written, so a change that weakens the image fails here.
"""
import re
import shutil
import subprocess

import pytest

# 63 for the first image (a stock minimal Debian root: about 60); 86 with the
# hardening of issue 7 (its target: 85). What lynis still finds, and why it stays, is
# in the operator guide; most of the rest is the container (the host's kernel).
LYNIS_MIN_INDEX = 86
TIMEOUT_S = 600

RUN_UNIT = """[Unit]
Description=lynis audit (tests/image only)
After=multi-user.target

[Service]
Type=simple
ExecStart=/bin/sh -c 'cd /usr/share/lynis && lynis audit system --no-colors --quick \
 --report-file /var/tmp/lynis-out/report.dat --logfile /var/tmp/lynis-out/lynis.log \
 > /var/tmp/lynis-out/stdout.txt 2>&1; systemctl poweroff'
"""


def test_lynis_hardening_index(image_dir, root, tmp_path):
    if not shutil.which("lynis") or not shutil.which("systemd-nspawn"):
        pytest.fail("needs lynis and systemd-nspawn on the build host "
                    "(provisioning/install-deps.sh)")
    out = tmp_path / "lynis-out"
    out.mkdir()
    unit = tmp_path / "lynis-run.service"
    unit.write_text(RUN_UNIT)
    argv = ["systemd-nspawn", "--quiet", "--register=no", "--keep-unit", "--volatile=overlay",
            "--private-network", "-D", str(root),
            "--bind-ro=/usr/sbin/lynis", "--bind-ro=/usr/share/lynis", "--bind-ro=/etc/lynis",
            f"--bind={out}:/var/tmp/lynis-out",
            f"--bind-ro={unit}:/etc/systemd/system/lynis-run.service",
            "-b", "--", "systemd.wants=lynis-run.service"]
    r = subprocess.run(argv, capture_output=True, text=True, timeout=TIMEOUT_S,
                       stdin=subprocess.DEVNULL)
    report = out / "report.dat"
    assert report.exists(), f"no lynis report:\n{r.stdout[-3000:]}{r.stderr[-2000:]}"
    text = report.read_text(errors="replace")
    shutil.copy(report, image_dir / "lynis-report.dat")
    m = re.search(r"^hardening_index=(\d+)", text, re.M)
    assert m, text[-2000:]
    index = int(m.group(1))
    warnings = re.findall(r"^warning\[\]=(.*)$", text, re.M)
    suggestions = re.findall(r"^suggestion\[\]=([^|]*)\|([^|]*)", text, re.M)
    print(f"Hardening index: {index}")
    for w in warnings:
        print(f"warning: {w}")
    for test_id, what in suggestions:
        print(f"suggestion: {test_id} {what}")
    assert index >= LYNIS_MIN_INDEX, f"hardening index {index} < {LYNIS_MIN_INDEX}"
