"""The dev stack as `make run` runs it: every daemon healthy through its zone's
lighttpd, a killed daemon brought back by the supervisor, a clean stop."""
import os
import re
import signal
import socket
import stat
import subprocess
import time

import pytest

from conftest import BIN, ctl, processes_under

INTERNET_DAEMONS = {
    "/api/healthz": "sekisho-portald",
    "/api/_health/sanitized": "sekisho-sanitized",
    "/api/_health/bridge-uplink-tx": "sekisho-bridge-tx",
    "/api/_health/bridge-downlink-rx": "sekisho-bridge-rx",
}
LGWAN_DAEMONS = {
    "/api/healthz": "sekisho-officed",
    "/api/_health/bridge-uplink-rx": "sekisho-bridge-rx",
    "/api/_health/bridge-downlink-tx": "sekisho-bridge-tx",
}


def test_every_daemon_answers_health_through_its_zone(stack):
    for base, daemons in ((stack.internet, INTERNET_DAEMONS), (stack.lgwan, LGWAN_DAEMONS)):
        for path, component in daemons.items():
            h = stack.wait_healthy(base + path)
            assert h["component"] == component, (path, h)
            assert h["status"] == "ok"
            assert h["version"]
            assert all(c["ok"] for c in h["checks"].values()), h
    portal = stack.get(stack.internet + "/api/healthz").json()
    assert {"database", "spool.intake", "sanitizer"} <= portal["checks"].keys()
    assert "1 tenant databases open" in portal["checks"]["database"]["detail"]
    link = stack.get(stack.lgwan + "/api/_health/bridge-uplink-rx").json()
    assert link["link"] == "uplink"


def test_zones_serve_their_own_front_ends_only(stack):
    stack.wait_healthy(stack.internet + "/api/healthz")
    stack.wait_healthy(stack.lgwan + "/api/healthz")
    citizen = stack.get(stack.internet + "/")
    assert citizen.status_code == 200 and "電子申請サービス" in citizen.text
    assert citizen.headers["X-Frame-Options"] == "DENY"
    assert "default-src 'self'" in citizen.headers["Content-Security-Policy"]
    staff = stack.get(stack.lgwan + "/")
    assert staff.status_code == 200 and "職員用画面" in staff.text
    counter = stack.get(stack.lgwan + "/counter/")
    assert counter.status_code == 200 and "書かない窓口" in counter.text
    # The internet zone has no counter and no officed behind it.
    assert stack.get(stack.internet + "/counter/").status_code == 404
    # An LGWAN daemon's health path on the internet zone reaches portald, which has no
    # such route: nothing of LGWAN is addressable from the internet side.
    assert stack.get(stack.internet + "/api/_health/bridge-uplink-rx").status_code == 404


def test_unknown_api_path_gets_japanese_json_error(stack):
    stack.wait_healthy(stack.internet + "/api/healthz")
    r = stack.get(stack.internet + "/api/no-such-thing")
    assert r.status_code == 404
    body = r.json()
    assert body["error"]["code"]
    assert any(ord(ch) > 0x3000 for ch in body["error"]["message"])  # Japanese text
    assert r.headers["X-Request-Id"] == body["request_id"]


def test_supervisor_restarts_a_killed_daemon(stack):
    before = stack.wait_healthy(stack.internet + "/api/_health/sanitized")
    os.kill(before["pid"], signal.SIGKILL)
    after = stack.wait_healthy(stack.internet + "/api/_health/sanitized", not_pid=before["pid"])
    assert after["pid"] != before["pid"]
    assert after["status"] == "ok"
    assert "sanitized" in stack.output() and "killed by signal 9" in stack.output()

    office = stack.wait_healthy(stack.lgwan + "/api/healthz")
    os.kill(office["pid"], signal.SIGKILL)
    stack.wait_healthy(stack.lgwan + "/api/healthz", not_pid=office["pid"])


def test_ctrl_c_stops_every_process_cleanly(stack):
    stack.wait_healthy(stack.internet + "/api/healthz")
    stack.wait_healthy(stack.lgwan + "/api/healthz")
    assert len(processes_under(stack.instance)) >= 10  # supervisor + 9 children
    assert stack.stop(signal.SIGINT) == 0
    time.sleep(0.2)
    assert processes_under(stack.instance) == []
    # Every daemon removed its socket on the way out.
    assert [p for p in (stack.instance / "run").iterdir() if p.suffix == ".sock"] == []


def test_status_command_reports_every_daemon(stack):
    stack.wait_healthy(stack.internet + "/api/healthz")
    stack.wait_healthy(stack.lgwan + "/api/_health/bridge-downlink-tx")
    stack.wait_healthy(stack.internet + "/api/_health/bridge-downlink-rx")
    r = ctl(stack.instance, "status")
    assert r.returncode == 0, r.stdout + r.stderr
    assert len(re.findall(r"^\S+\s+正常 \(ok\)", r.stdout, re.M)) == 7, r.stdout


def test_init_makes_keys_private_and_prints_password_once(instance):
    inst, _, out = instance
    assert "admin" in out and "初期パスワード" in out
    password = out.split("初期パスワード:")[1].split()[0]
    assert len(password) >= 16
    for rel in ("dmz/keys/sanitizer-signing.key", "lgwan/keys/office-signing.key",
                "dmz/keys/uplink.key", "lgwan/keys/uplink.key", "lgwan/keys/counter-qr.key",
                "dmz/keys/tls.key", "lgwan/keys/docsign.key"):
        mode = stat.S_IMODE((inst / rel).stat().st_mode)
        assert mode == 0o600, (rel, oct(mode))
    # The sanitizer's private key exists in the internet zone only.
    assert not (inst / "lgwan/keys/sanitizer-signing.key").exists()
    assert not (inst / "dmz/keys/office-signing.key").exists()
    assert not (inst / "dmz/keys/counter-qr.key").exists()
    # The password is not written anywhere in the instance.
    for dirpath, _, files in os.walk(inst):
        for f in files:
            assert password.encode() not in open(os.path.join(dirpath, f), "rb").read()


def test_init_refuses_existing_instance(instance):
    inst, _, _ = instance
    r = ctl(inst, "init", "--dev", check=False)
    assert r.returncode == 1
    assert "既にインスタンス" in r.stderr


def test_staff_password_reset_prints_new_password(instance):
    inst, _, out = instance
    old = out.split("初期パスワード:")[1].split()[0]
    r = ctl(inst, "staff", "passwd", "demo", "admin")
    new = r.stdout.split("初期パスワード:")[1].split()[0]
    assert new != old
    r = ctl(inst, "staff", "passwd", "demo", "nobody", check=False)
    assert r.returncode == 1 and "no such account" in r.stderr


def test_tenant_add_and_list(instance):
    inst, _, _ = instance
    ctl(inst, "tenant", "add", "sample-city")
    assert sorted(ctl(inst, "tenant", "list").stdout.split()) == ["demo", "sample-city"]
    r = ctl(inst, "tenant", "add", "../evil", check=False)
    assert r.returncode == 1 and "invalid tenant name" in r.stderr
    r = ctl(inst, "tenant", "add", "demo", check=False)
    assert r.returncode == 1 and "already exists" in r.stderr


def test_tls_option_serves_both_zones_over_https_with_hsts(tmp_path):
    from conftest import Stack, free_port
    import requests
    ports = {"internet": free_port(), "lgwan": free_port(),
             "uplink": free_port(socket.SOCK_DGRAM), "downlink": free_port(socket.SOCK_DGRAM)}
    inst = tmp_path / "tls"
    ctl(inst, "init", "--dev", "--tls",
        "--internet-port", str(ports["internet"]), "--lgwan-port", str(ports["lgwan"]),
        "--uplink-port", str(ports["uplink"]), "--downlink-port", str(ports["downlink"]))
    s = Stack(inst, ports)
    s.internet = s.internet.replace("http:", "https:")
    s.lgwan = s.lgwan.replace("http:", "https:")
    session = requests.Session()
    s.get = lambda url, timeout=2: session.get(
        url, timeout=timeout,
        verify=str(inst / ("dmz" if str(ports["internet"]) in url else "lgwan") / "keys/tls.crt"))
    s.start()
    try:
        h = s.wait_healthy(s.internet + "/api/healthz")
        assert h["component"] == "sekisho-portald"
        r = s.get(s.lgwan + "/")
        assert r.status_code == 200
        assert r.headers["Strict-Transport-Security"].startswith("max-age=")
        # Plain HTTP on the TLS port is not served.
        with pytest.raises(requests.exceptions.RequestException):
            requests.get(f"http://127.0.0.1:{ports['internet']}/api/healthz", timeout=2)
        # The certificate of one zone does not vouch for the other.
        with pytest.raises(requests.exceptions.SSLError):
            requests.get(s.lgwan + "/", timeout=2, verify=str(inst / "dmz/keys/tls.crt"))
        assert s.stop() == 0
    finally:
        s.kill_everything()


def test_daemon_refuses_bad_configuration_naming_file_line_and_key(instance):
    inst, _, _ = instance
    conf = inst / "etc/portald.conf"
    conf.write_text(conf.read_text() + "uplaod_dir = /tmp\n")
    lines = conf.read_text().count("\n")
    r = subprocess.run([os.path.join(BIN, "sekisho-portald"), "--config", str(conf)],
                       capture_output=True, text=True, timeout=10)
    assert r.returncode == 1
    assert f"{conf}:{lines}" in r.stderr and "uplaod_dir" in r.stderr, r.stderr


def test_daemon_refuses_private_key_readable_by_others(instance):
    inst, _, _ = instance
    key = inst / "dmz/keys/sanitizer-signing.key"
    key.chmod(0o644)
    r = subprocess.run([os.path.join(BIN, "sekisho-sanitized"), "--config",
                        str(inst / "etc/sanitized.conf")],
                       capture_output=True, text=True, timeout=10)
    assert r.returncode == 1
    assert "sanitizer-signing.key" in r.stderr and "cannot start" in r.stderr, r.stderr
