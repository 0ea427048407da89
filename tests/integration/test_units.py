"""The systemd units the appliance runs: every Sekisho unit rated at most 2.0 by
`systemd-analyze security --offline`, each process its own user, keys only as
credentials, and environment overrides that name real configuration keys."""
import configparser
import os
import re
import shutil
import subprocess

import pytest

from conftest import ROOT

UNITS = os.path.join(ROOT, "provisioning", "systemd")
pytestmark = pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="no systemd-analyze")


def unit_files():
    return sorted(f for f in os.listdir(UNITS) if f.endswith(".service"))


def parse(name):
    """Multi-valued settings kept as lists."""
    values = {}
    for line in open(os.path.join(UNITS, name)):
        m = re.match(r"^([A-Za-z]+)=(.*)$", line.strip())
        if m:
            values.setdefault(m.group(1), []).append(m.group(2))
    return values


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    r = tmp_path_factory.mktemp("root")
    dest = r / "etc/systemd/system"
    dest.mkdir(parents=True)
    for f in unit_files():
        shutil.copy(os.path.join(UNITS, f), dest)
    for d in os.listdir(UNITS):
        if d.startswith("sekisho-") and d.endswith(".service.d"):
            shutil.copytree(os.path.join(UNITS, d), dest / d)
    return r


def test_every_unit_is_rated_at_most_2_0(root):
    scores = {}
    for unit in unit_files():
        out = subprocess.run(["systemd-analyze", "security", "--offline=yes", f"--root={root}",
                              "--no-pager", unit], capture_output=True, text=True).stdout
        m = re.search(r"Overall exposure level for \S+: ([0-9.]+)", out)
        assert m, out
        scores[unit] = float(m.group(1))
        print(f"{unit} {scores[unit]}")
    assert len(scores) == 9
    assert all(s <= 2.0 for s in scores.values()), scores


def test_only_the_sanitizer_may_build_cages_and_after_the_shared_hardening(root):
    """The shared drop-in forbids seccomp(2), mounts and namespaces; sekisho-sanitized
    alone gets them back, to cage its children (its own drop-in, read after the
    shared one). Every other daemon keeps them forbidden."""
    def show(unit):
        r = subprocess.run(["systemd-analyze", "security", "--offline=yes", f"--root={root}",
                            "--no-pager", unit], capture_output=True, text=True)
        return r.stdout
    sanitized = show("sekisho-sanitized.service")
    # systemd-analyze's own words: ✗ is an exposure, ✓ a setting that holds.
    assert re.search(r"✗ RestrictNamespaces=~user", sanitized), sanitized
    assert re.search(r"✗ SystemCallFilter=~@mount", sanitized), sanitized
    assert re.search(r"✓ RestrictNamespaces=~cgroup", sanitized), sanitized
    for unit in unit_files():
        if unit != "sekisho-sanitized.service":
            out = show(unit)
            assert re.search(r"✓ RestrictNamespaces=~user", out), unit
            assert re.search(r"✓ SystemCallFilter=~@mount", out), unit


def test_each_daemon_runs_as_its_own_user_without_a_shell():
    users = {u: parse(u)["User"][0] for u in unit_files()}
    assert users["sekisho-sanitized.service"] == "sekisho-sanitized"
    assert len({users[u] for u in ("sekisho-portald.service", "sekisho-sanitized.service",
                                    "sekisho-officed.service")}) == 3
    sysusers = open(os.path.join(UNITS, "sekisho.sysusers")).read()
    for user in set(users.values()):
        assert re.search(rf"^u {user} .*/usr/sbin/nologin$", sysusers, re.M), user


def test_sanitizer_has_no_network_and_holds_its_key_as_a_credential():
    s = parse("sekisho-sanitized.service")
    assert s["PrivateNetwork"] == ["yes"]
    assert s["RestrictAddressFamilies"] == ["AF_UNIX"]
    assert any("sanitizer-signing.key" in c for c in s["LoadCredential"])
    for other in unit_files():
        if other != "sekisho-sanitized.service":
            assert "sanitizer-signing.key" not in open(os.path.join(UNITS, other)).read(), other


def test_environment_overrides_name_keys_the_daemons_have(instance):
    inst, _, _ = instance
    for unit in unit_files():
        conf = parse(unit)["ExecStart"][0].split()[-1].replace("/var/lib/sekisho", str(inst))
        text = open(conf).read() if conf.endswith(".conf") and "lighttpd" not in conf else ""
        for env in parse(unit).get("Environment", []):
            key = env.split("=", 1)[0].removeprefix("SEKISHO_").lower()
            assert re.search(rf"^{key} = ", text, re.M), (unit, key)


def test_units_name_only_paths_an_instance_has(instance):
    inst, _, _ = instance
    for unit in unit_files():
        for setting in ("ReadWritePaths", "LoadCredential"):
            for value in parse(unit).get(setting, []):
                for path in re.findall(r"/var/lib/sekisho/\S+", value):
                    local = path.replace("/var/lib/sekisho", str(inst))
                    spooldir = re.sub(r"/spool/[^/]+$", "/spool", local)
                    assert os.path.exists(local) or os.path.isdir(spooldir), (unit, path)


@pytest.fixture(scope="module")
def provisioned(tmp_path_factory):
    """A root with the units' users (sysusers.d) and directories (tmpfiles.d)."""
    if os.geteuid() != 0 or not shutil.which("systemd-tmpfiles"):
        pytest.skip("needs root and systemd-tmpfiles")
    r = tmp_path_factory.mktemp("prov")
    (r / "etc").mkdir()
    for f in ("passwd", "group"):
        shutil.copy(f"/etc/{f}", r / "etc" / f)
    subprocess.run(["systemd-sysusers", f"--root={r}", os.path.join(UNITS, "sekisho.sysusers")],
                   check=True, capture_output=True)
    subprocess.run(["systemd-tmpfiles", "--create", f"--root={r}",
                    os.path.join(UNITS, "sekisho.tmpfiles")], check=True, capture_output=True)
    users = {l.split(":")[0]: int(l.split(":")[2]) for l in open(r / "etc/passwd")}
    groups = {l.split(":")[0]: int(l.split(":")[2]) for l in open(r / "etc/group")}
    return r, users, groups


def test_every_writable_path_of_a_unit_is_writable_by_that_unit(provisioned):
    r, users, groups = provisioned
    for unit in unit_files():
        u = parse(unit)
        uid, gid = users[u["User"][0]], groups[u["Group"][0]]
        for value in u.get("ReadWritePaths", []):
            for path in value.split():
                st = os.stat(str(r) + path)
                writable = (st.st_uid == uid and st.st_mode & 0o200) or \
                           (st.st_gid == gid and st.st_mode & 0o020)
                assert writable, (unit, path, oct(st.st_mode), st.st_uid, st.st_gid)


def test_each_database_belongs_to_its_daemon_alone(provisioned):
    r, users, _ = provisioned
    for path, owner in (("dmz/db", "sekisho-portald"), ("lgwan/db", "sekisho-officed")):
        st = os.stat(r / "var/lib/sekisho" / path)
        assert st.st_uid == users[owner] and st.st_mode & 0o777 == 0o700, path
