"""Production provisioning by role (sekishoctl init --role): each host gets its own
zone's directories and keys only, each file with the owner and mode of the service
that uses it, and the keys the other host needs travel in a bundle that refuses
tampering.

The service users come from a throw-away system root made with the repository's
sysusers.d file (--system-root), so the test host's own user database is untouched.
"""
import io
import os
import re
import shutil
import subprocess
import tarfile
import time

import pytest

from conftest import CTL, ROOT

SYSTEMD = os.path.join(ROOT, "provisioning", "systemd")
pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or not shutil.which("systemd-sysusers"),
    reason="needs root (chown to the service users) and systemd-sysusers")

# Private keys and the zone that alone may hold each.
PRIVATE = {
    "sanitizer-signing.key": "dmz",
    "office-signing.key": "lgwan",
    "counter-qr.key": "lgwan",
    "docsign.key": "lgwan",
    "dmz-receipt.key": "dmz",
}
OWNERS = {
    "sanitizer-signing.key": "sekisho-sanitized",
    "office-signing.key": "sekisho-officed",
    "counter-qr.key": "sekisho-officed",
    "docsign.key": "sekisho-officed",
    "uplink.key": "sekisho-bridge",
    "downlink.key": "sekisho-bridge",
    "tls.key": "sekisho-web",
    "dmz-receipt.key": "sekisho-bridge",
}


@pytest.fixture(scope="module")
def sysroot(tmp_path_factory):
    r = tmp_path_factory.mktemp("sysroot")
    (r / "etc").mkdir()
    for f in ("passwd", "group"):
        shutil.copy(f"/etc/{f}", r / "etc" / f)
    subprocess.run(["systemd-sysusers", f"--root={r}", os.path.join(SYSTEMD, "sekisho.sysusers")],
                   check=True, capture_output=True)
    users = {l.split(":")[0]: int(l.split(":")[2]) for l in open(r / "etc/passwd")}
    groups = {l.split(":")[0]: int(l.split(":")[2]) for l in open(r / "etc/group")}
    return r, users, groups


def init(tmp_path, sysroot, role, *extra, check=True):
    r, _, _ = sysroot
    sys_r = tmp_path / f"sys-{role}"
    shutil.copytree(r, sys_r, dirs_exist_ok=True)
    inst = tmp_path / role
    out = subprocess.run([CTL, "init", "--role", role, "--peer", "192.0.2.7", "--tenant",
                          "demo", "--system-root", str(sys_r), *extra, str(inst)],
                         capture_output=True, text=True, timeout=60)
    if check:
        assert out.returncode == 0, out.stderr
    return inst, sys_r, out


def keys_of(inst):
    found = {}
    for zone in ("dmz", "lgwan"):
        d = inst / zone / "keys"
        if d.is_dir():
            for f in d.iterdir():
                found[f"{zone}/keys/{f.name}"] = f.stat()
    return found


@pytest.mark.parametrize("role", ["dmz", "lgwan", "all-in-one"])
def test_private_keys_only_in_the_zone_that_uses_them_with_their_owner(tmp_path, sysroot, role):
    _, users, _ = sysroot
    inst, _, out = init(tmp_path, sysroot, role)
    keys = keys_of(inst)
    zones = {"dmz": {"dmz"}, "lgwan": {"lgwan"}, "all-in-one": {"dmz", "lgwan"}}[role]
    for name, zone in PRIVATE.items():
        where = {k.split("/")[0] for k in keys if k.endswith("/" + name)}
        assert where == ({zone} & zones), (role, name, where)
    for path, st in keys.items():
        name = path.split("/")[-1]
        if name.endswith(".key"):
            assert st.st_mode & 0o777 == 0o600, (path, oct(st.st_mode))
            assert st.st_uid == users[OWNERS[name]], (path, st.st_uid)
        else:
            assert st.st_mode & 0o777 == 0o644 and st.st_uid == 0, path
    # The other zone's directory does not exist at all on a one-zone host.
    for zone in ("dmz", "lgwan"):
        assert (inst / zone).is_dir() == (zone in zones), (role, zone)
    assert "次の手順" in out.stdout


def test_dmz_makes_the_uplink_key_and_lgwan_the_downlink_key(tmp_path, sysroot):
    dmz, _, _ = init(tmp_path, sysroot, "dmz")
    lgwan, _, _ = init(tmp_path, sysroot, "lgwan")
    assert set(keys_of(dmz)) == {"dmz/keys/sanitizer-signing.key", "dmz/keys/sanitizer-signing.pub",
                                 "dmz/keys/uplink.key", "dmz/keys/tls.key", "dmz/keys/tls.crt",
                                 "dmz/keys/dmz-receipt.key", "dmz/keys/dmz-receipt.pub"}
    assert "lgwan/keys/downlink.key" in keys_of(lgwan)
    assert "lgwan/keys/uplink.key" not in keys_of(lgwan)


def _tmpfiles_lines(zones):
    lines = {}
    for line in open(os.path.join(SYSTEMD, "sekisho.tmpfiles")):
        f = line.split()
        if not f or f[0] != "d":
            continue
        rel = f[1][len("/var/lib/sekisho"):].lstrip("/")
        zone = rel.split("/")[0]
        if zone in ("dmz", "lgwan") and zone not in zones:
            continue
        lines[rel] = (int(f[2], 8), f[3], f[4])
    return lines


@pytest.mark.parametrize("role,zones", [("dmz", {"dmz"}), ("lgwan", {"lgwan"}),
                                        ("all-in-one", {"dmz", "lgwan"})])
def test_directories_are_those_of_tmpfiles_with_their_owners(tmp_path, sysroot, role, zones):
    _, users, groups = sysroot
    inst, sys_r, _ = init(tmp_path, sysroot, role)
    expected = _tmpfiles_lines(zones)
    made = {str(p.relative_to(inst)) for p in inst.rglob("*") if p.is_dir()} | {""}
    assert made == set(expected), made ^ set(expected)
    for rel, (mode, user, group) in expected.items():
        st = (inst / rel).stat()
        assert st.st_mode & 0o7777 == mode, (rel, oct(st.st_mode))
        assert st.st_uid == users[user] and st.st_gid == groups[group], rel
    # systemd keeps exactly these afterwards (and ages the quarantine).
    kept = (sys_r / "etc/tmpfiles.d/sekisho.conf").read_text()
    assert ("/var/lib/sekisho/lgwan " in kept) == ("lgwan" in zones)
    assert ("/var/lib/sekisho/dmz " in kept) == ("dmz" in zones)


def test_configuration_is_the_roles_own_with_tls_and_readable_by_the_services(tmp_path, sysroot):
    _, _, groups = sysroot
    inst, _, _ = init(tmp_path, sysroot, "dmz")
    confs = sorted(p.name for p in (inst / "etc").iterdir())
    assert confs == ["bridge-downlink-rx.conf", "bridge-uplink-tx.conf", "instance.conf",
                     "lighttpd-internet.conf", "portald.conf", "sanitized.conf"]
    for p in (inst / "etc").iterdir():
        st = p.stat()
        assert st.st_mode & 0o777 == 0o640 and st.st_uid == 0 and \
            st.st_gid == groups["sekisho"], p
    assert "tls.conf" in (inst / "etc/lighttpd-internet.conf").read_text()
    assert "peer_host = 192.0.2.7" in (inst / "etc/bridge-uplink-tx.conf").read_text()
    assert "role = dmz" in (inst / "etc/instance.conf").read_text()
    assert "clamav_db = /var/lib/clamav" in (inst / "etc/sanitized.conf").read_text()


def test_units_enabled_for_the_role_and_all_in_one_joins_namespaces(tmp_path, sysroot):
    _, sys_r, _ = init(tmp_path, sysroot, "lgwan")
    wants = {p.name for p in (sys_r / "etc/systemd/system/multi-user.target.wants").iterdir()}
    assert wants == {"sekisho-officed.service", "sekisho-bridge-uplink-rx.service",
                     "sekisho-bridge-downlink-tx.service", "sekisho-lighttpd-lgwan.service"}
    link = sys_r / "etc/systemd/system/multi-user.target.wants/sekisho-officed.service"
    assert os.readlink(link) == "/usr/lib/systemd/system/sekisho-officed.service"
    nft = (sys_r / "etc/nftables.d/50-sekisho-role.nft").read_text()
    assert "ip saddr 192.0.2.7 udp dport 9510 accept" in nft
    r = subprocess.run(["nft", "-c", "-f", "-"], input="table inet sekisho_host {\n"
                       "chain input { type filter hook input priority filter; }\n}\n" + nft,
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr

    _, sys_a, _ = init(tmp_path, sysroot, "all-in-one")
    wants = {p.name for p in (sys_a / "etc/systemd/system/multi-user.target.wants").iterdir()}
    assert "netns-sekisho.service" in wants and len(wants) == 11
    for unit, ns in (("sekisho-bridge-uplink-tx", "sekisho-dmz"),
                     ("sekisho-bridge-downlink-rx", "sekisho-dmz"),
                     ("sekisho-bridge-uplink-rx", "sekisho-lgwan"),
                     ("sekisho-bridge-downlink-tx", "sekisho-lgwan")):
        dropin = (sys_a / f"etc/systemd/system/{unit}.service.d/50-sekisho-netns.conf").read_text()
        assert f"NetworkNamespacePath=/run/netns/{ns}" in dropin
        assert "Requires=netns-sekisho.service" in dropin


def test_two_hosts_need_a_peer_and_tls_files_come_in_pairs(tmp_path, sysroot):
    r, _, _ = sysroot
    out = subprocess.run([CTL, "init", "--role", "dmz", "--system-root", str(r),
                          str(tmp_path / "x")], capture_output=True, text=True)
    assert out.returncode == 1 and "--peer" in out.stderr
    out = subprocess.run([CTL, "init", "--role", "all-in-one", "--tls-cert", "/dev/null",
                          "--system-root", str(r), str(tmp_path / "y")],
                         capture_output=True, text=True)
    assert out.returncode == 1 and "--tls-key" in out.stderr
    out = subprocess.run([CTL, "init", str(tmp_path / "z")], capture_output=True, text=True)
    assert out.returncode == 2 and "--role" in out.stderr


def test_a_real_certificate_is_imported_after_checking_its_key(tmp_path, sysroot):
    crt, key, other = tmp_path / "c.pem", tmp_path / "k.pem", tmp_path / "o.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-subj", "/CN=apply.example.lg.jp",
                    "-days", "2", "-keyout", str(key), "-out", str(crt)],
                   check=True, capture_output=True)
    subprocess.run(["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-out", str(other)], check=True, capture_output=True)
    _, _, bad = init(tmp_path, sysroot, "dmz", "--tls-cert", str(crt), "--tls-key", str(other),
                     check=False)
    assert bad.returncode == 1 and "does not belong" in bad.stderr
    inst, _, out = init(tmp_path / "ok", sysroot, "dmz", "--tls-cert", str(crt), "--tls-key",
                        str(key))
    assert (inst / "dmz/keys/tls.crt").read_bytes() == crt.read_bytes()
    assert "取り込みました" in out.stdout


def _bundle(ctl_env, inst, zone, path):
    out = subprocess.run([CTL, "--instance", str(inst), "keys", "export-for", zone, str(path)],
                         capture_output=True, text=True, env=ctl_env)
    assert out.returncode == 0, out.stderr
    return re.search(r"指紋 \(SHA-256\): ([0-9a-f]{64})", out.stdout).group(1)


def _import(ctl_env, inst, path, *extra):
    return subprocess.run([CTL, "--instance", str(inst), "keys", "import", *extra, str(path)],
                          capture_output=True, text=True, env=ctl_env)


def test_key_bundles_round_trip_between_the_two_hosts(tmp_path, sysroot):
    _, users, _ = sysroot
    dmz, sys_d, _ = init(tmp_path, sysroot, "dmz")
    lgwan, sys_l, _ = init(tmp_path, sysroot, "lgwan")
    env_d = dict(os.environ, SEKISHO_SYSTEM_ROOT=str(sys_d))
    env_l = dict(os.environ, SEKISHO_SYSTEM_ROOT=str(sys_l))
    for_lgwan, for_dmz = tmp_path / "for-lgwan.tar", tmp_path / "for-dmz.tar"
    fpr = _bundle(env_d, dmz, "lgwan", for_lgwan)
    assert for_lgwan.stat().st_mode & 0o777 == 0o600
    with tarfile.open(for_lgwan) as t:
        names = t.getnames()
    # Exactly what LGWAN needs: no private signing key travels.
    assert names == ["MANIFEST", "lgwan/keys/sanitizer-signing.pub", "lgwan/keys/uplink.key",
                     "lgwan/keys/dmz-receipt.pub"]
    r = _import(env_l, lgwan, for_lgwan, "--expect", fpr)
    assert r.returncode == 0, r.stderr
    assert (lgwan / "lgwan/keys/uplink.key").read_bytes() == \
        (dmz / "dmz/keys/uplink.key").read_bytes()
    st = (lgwan / "lgwan/keys/uplink.key").stat()
    assert st.st_uid == users["sekisho-bridge"] and st.st_mode & 0o777 == 0o600

    fpr = _bundle(env_l, lgwan, "dmz", for_dmz)
    with tarfile.open(for_dmz) as t:
        assert sorted(t.getnames()) == ["MANIFEST", "dmz/keys/counter-qr.pub",
                                        "dmz/keys/downlink.key", "dmz/keys/office-signing.pub"]
    r = _import(env_d, dmz, for_dmz, "--expect", fpr)
    assert r.returncode == 0, r.stderr
    for name in ("office-signing.pub", "counter-qr.pub", "downlink.key"):
        assert (dmz / "dmz/keys" / name).read_bytes() == (lgwan / "lgwan/keys" / name).read_bytes()
    # Importing the same bundle again changes nothing; a bundle for the other zone is refused.
    assert _import(env_d, dmz, for_dmz).returncode == 0
    r = _import(env_d, dmz, for_lgwan)
    assert r.returncode == 1 and "does not have" in r.stderr
    for name in PRIVATE:
        assert not (dmz / "dmz/keys" / name).exists() or PRIVATE[name] == "dmz"


def _rewrite(src, dst, change):
    """Copy a bundle, with change(name, bytes) -> bytes applied to each member."""
    with tarfile.open(src) as t, tarfile.open(dst, "w", format=tarfile.USTAR_FORMAT) as o:
        for m in t.getmembers():
            data = change(m.name, t.extractfile(m).read())
            m.size = len(data)
            o.addfile(m, io.BytesIO(data))


def test_a_tampered_or_foreign_bundle_installs_nothing(tmp_path, sysroot):
    dmz, sys_d, _ = init(tmp_path, sysroot, "dmz")
    lgwan, sys_l, _ = init(tmp_path, sysroot, "lgwan")
    env_l = dict(os.environ, SEKISHO_SYSTEM_ROOT=str(sys_l))
    good = tmp_path / "good.tar"
    fpr = _bundle(dict(os.environ, SEKISHO_SYSTEM_ROOT=str(sys_d)), dmz, "lgwan", good)

    flipped = tmp_path / "flipped.tar"
    _rewrite(good, flipped, lambda n, b: bytes([b[0] ^ 1]) + b[1:] if n.endswith("uplink.key") else b)
    r = _import(env_l, lgwan, flipped)
    assert r.returncode == 1 and "SHA-256 differs" in r.stderr

    # A consistent forgery (manifest rewritten too) has another fingerprint.
    forged = tmp_path / "forged.tar"
    _rewrite(good, forged, lambda n, b: b + b"\n" if n == "MANIFEST" else b)
    r = _import(env_l, lgwan, forged, "--expect", fpr)
    assert r.returncode == 1 and "not the expected" in r.stderr

    escape = tmp_path / "escape.tar"
    _rewrite(good, escape, lambda n, b: b)
    with tarfile.open(escape, "a") as t:
        info = tarfile.TarInfo("../../etc/evil")
        info.size = 1
        t.addfile(info, io.BytesIO(b"x"))
    r = _import(env_l, lgwan, escape)
    assert r.returncode == 1 and "unexpected member" in r.stderr
    assert not (lgwan / "lgwan/keys/uplink.key").exists()
    assert not (tmp_path / "etc/evil").exists()


def _row_counts(path):
    import sqlite3
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        tables = [r[0] for r in con.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
        return {t: con.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}
    finally:
        con.close()


def test_backup_keeps_generations_and_restore_brings_every_row_back(tmp_path):
    inst = tmp_path / "inst"
    subprocess.run([CTL, "init", "--dev", str(inst)], check=True, capture_output=True)
    for login in ("clerk1", "clerk2", "clerk3"):
        subprocess.run([CTL, "--instance", str(inst), "staff", "add", "demo", login, "clerk"],
                       check=True, capture_output=True)
    office = inst / "lgwan/db/demo.sqlite"
    before = _row_counts(office)
    assert before["staff"] == 4
    portal_before = _row_counts(inst / "dmz/db/demo.sqlite")
    for _ in range(9):
        r = subprocess.run([CTL, "--instance", str(inst), "backup", "--keep", "7"],
                           capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
    gens = sorted(p.name for p in (inst / "lgwan/backup").iterdir())
    assert len(gens) == 7 and len(list((inst / "dmz/backup").iterdir())) == 7
    # The wipe: the tenant's databases are gone (and a staff row added after the
    # backup must not survive the restore either).
    subprocess.run([CTL, "--instance", str(inst), "staff", "add", "demo", "late", "clerk"],
                   check=True, capture_output=True)
    for p in list((inst / "lgwan/db").iterdir()) + list((inst / "dmz/db").iterdir()):
        p.unlink()
    r = subprocess.run([CTL, "--instance", str(inst), "restore", gens[-1]],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert _row_counts(office) == before
    assert _row_counts(inst / "dmz/db/demo.sqlite") == portal_before
    r = subprocess.run([CTL, "--instance", str(inst), "restore", "../../etc"],
                       capture_output=True, text=True)
    assert r.returncode == 1


def test_signature_check_warns_about_an_old_database(tmp_path):
    db = tmp_path / "clamav"
    db.mkdir()
    r = subprocess.run([CTL, "sigcheck", "--db", str(db)], capture_output=True, text=True)
    assert r.returncode == 1 and "ありません" in r.stderr
    (db / "daily.cld").write_bytes(b"x")
    r = subprocess.run([CTL, "sigcheck", "--db", str(db)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    old = time.time() - 5 * 86400
    os.utime(db / "daily.cld", (old, old))
    r = subprocess.run([CTL, "sigcheck", "--db", str(db), "--max-age-days", "3"],
                       capture_output=True, text=True)
    assert r.returncode == 1 and "5.0 日前" in r.stderr
    r = subprocess.run([CTL, "sigcheck", "--db", str(db), "--max-age-days", "7"],
                       capture_output=True, text=True)
    assert r.returncode == 0
