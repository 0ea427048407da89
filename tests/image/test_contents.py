"""What the built appliance root contains, checked without booting it.

Each test states one property the image promises (issue 7): the units and their
hardening, no compiler, no login for service users or by password, key-only SSH,
journald limits, security-only unattended upgrades, and a working Sekisho layout.
"""
import re
import shutil
import subprocess

import pytest

from conftest import REPO, in_root, sekisho_units, unit_source

SECURITY_MAX = 2.0
# netns-sekisho (all-in-one only) makes network namespaces whose bind mounts under
# /run/netns the whole host must see, so it can have no mount namespace and none of
# the sandboxing built on one; it runs only iproute2 and nft, once, at boot.
SECURITY_EXCEPTIONS = {"netns-sekisho.service": 5.0}
COMPILERS = ("gcc", "cc", "c89", "c99", "c++", "g++", "clang", "tcc", "as", "ld", "make")
COMPILER_PACKAGES = re.compile(r"^(gcc(-\d+)?|g\+\+(-\d+)?|cpp(-\d+)?|clang(-\d+)?|"
                               r"binutils|build-essential|make|libc6-dev|tcc)$")


def test_every_unit_and_its_drop_in_is_installed_unchanged(root):
    units = sekisho_units() + sekisho_units("timer")
    assert len(units) >= 16
    system = root / "usr/lib/systemd/system"
    for name in units:
        shipped = unit_source(name).read_bytes()
        assert (system / name).read_bytes() == shipped, name
    drop_ins = sorted((REPO / "provisioning/systemd").glob("sekisho-*.service.d/*.conf"))
    assert any(p.match("sekisho-.service.d/10-hardening.conf") for p in drop_ins)
    for shipped in drop_ins:
        rel = shipped.relative_to(REPO / "provisioning/systemd")
        assert (system / rel).read_bytes() == shipped.read_bytes(), rel
        # systemd reads drop-ins in file-name order across directories: a unit's own
        # must come after the shared hardening, or that would undo what it adds.
        if rel.parent.name != "sekisho-.service.d":
            assert rel.name > "10-hardening.conf", rel
    assert (root / "usr/lib/sysusers.d/sekisho.conf").is_file()
    # The instance tree is the role's (sekishoctl init --role), not the image's.
    assert (root / "usr/share/sekisho/provisioning/systemd/sekisho.tmpfiles").is_file()
    assert not (root / "usr/lib/tmpfiles.d/sekisho.conf").exists()
    assert not (root / "var/lib/sekisho").exists()
    assert (root / "usr/lib/sekisho/sekisho-netns").stat().st_mode & 0o111


def test_every_unit_rates_at_most_2_0_in_systemd_analyze_security(root):
    scores = {}
    for name in sekisho_units():
        r = subprocess.run(["systemd-analyze", "security", "--offline=yes",
                            f"--root={root}", name],
                           capture_output=True, text=True, timeout=60)
        m = re.search(r"Overall exposure level for \S+: (\d+\.\d+)", r.stdout)
        assert m, f"{name}: no score in\n{r.stdout}{r.stderr}"
        scores[name] = float(m.group(1))
        print(f"{name} {scores[name]:.1f}")
    worst = {n: s for n, s in scores.items() if s > SECURITY_EXCEPTIONS.get(n, SECURITY_MAX)}
    assert not worst, f"units above {SECURITY_MAX}: {worst}"


def test_perl_is_gone_but_perl_base(root):
    installed = in_root(root, "dpkg-query", "-W", "-f=${Package}\n").stdout.split()
    perl = [p for p in installed if re.match(r"^(perl|perl-modules-.*|libperl.*|lib.*-perl)$", p)]
    assert perl == [], perl
    assert "perl-base" in installed  # essential: debconf needs it


def test_no_sekisho_unit_is_enabled_before_provisioning(root):
    # Which units run is the role's choice (sekishoctl init --role); an unprovisioned
    # host has no keys, and a daemon started without them would only fail.
    wants = list((root / "etc/systemd/system").glob("*.wants/sekisho-*"))
    assert wants == []


def test_no_compiler_or_toolchain_is_installed(root):
    for tool in COMPILERS:
        for d in ("usr/bin", "usr/sbin", "usr/local/bin"):
            p = root / d / tool
            assert not (p.exists() or p.is_symlink()), f"/{d}/{tool} is in the image"
    installed = in_root(root, "dpkg-query", "-W", "-f=${Package}\n").stdout.split()
    assert "systemd" in installed  # the query itself worked
    found = [p for p in installed if COMPILER_PACKAGES.match(p)]
    assert found == [], f"toolchain packages installed: {found}"


def _passwd(root):
    rows = {}
    for line in (root / "etc/passwd").read_text().splitlines():
        f = line.split(":")
        rows[f[0]] = f
    return rows


def test_service_users_have_no_shell_and_no_home(root):
    sysusers = (REPO / "provisioning/systemd/sekisho.sysusers").read_text()
    users = re.findall(r"^u\s+(\S+)", sysusers, re.M)
    assert len(users) >= 5
    passwd = _passwd(root)
    for user in users:
        assert user in passwd, f"{user} not created in the image"
        assert passwd[user][6] == "/usr/sbin/nologin", user
        assert passwd[user][5] == "/nonexistent", user
        assert int(passwd[user][2]) < 1000, f"{user} is not a system user"


def test_no_account_can_log_in_with_a_password(root):
    # Locked ("!..."), or no password at all ("*"): the console asks, and refuses.
    for line in (root / "etc/shadow").read_text().splitlines():
        name, pw = line.split(":")[:2]
        assert pw.startswith(("!", "*")), f"{name} has a usable password"
    # And only root has a login shell.
    shells = {u: f[6] for u, f in _passwd(root).items()
              if not f[6].endswith(("nologin", "/bin/false", "/bin/sync"))}
    assert shells == {"root": "/bin/bash"}


def _sshd_effective(root):
    """sshd's first-match rule: the first value of a keyword wins, with Include
    files read where the Include stands (Debian includes sshd_config.d first)."""
    values = {}

    def read(path):
        for raw in path.read_text().splitlines():
            line = raw.split("#", 1)[0].strip()
            if not line:
                continue
            key, _, value = line.partition(" ")
            key = key.lower()
            if key == "match":
                return
            if key == "include":
                for pattern in value.split():
                    rel = pattern.lstrip("/")
                    if not pattern.startswith("/"):
                        rel = "etc/ssh/" + pattern
                    for inc in sorted(root.glob(rel)):
                        read(inc)
                continue
            values.setdefault(key, value.strip().lower())

    read(root / "etc/ssh/sshd_config")
    return values


def test_sshd_allows_keys_only(root):
    if not (root / "usr/sbin/sshd").exists():
        pytest.skip("no sshd in the image")
    cfg = _sshd_effective(root)
    assert cfg.get("passwordauthentication") == "no"
    assert cfg.get("kbdinteractiveauthentication") == "no"
    assert cfg.get("permitemptypasswords") == "no"
    assert cfg.get("permitrootlogin") in ("prohibit-password", "without-password", "no")
    assert cfg.get("authenticationmethods") == "publickey"
    # No host keys are shipped: every appliance makes its own on the first start.
    assert list((root / "etc/ssh").glob("ssh_host_*")) == []


def test_sshd_runs_only_when_a_key_was_given(root):
    enabled = (root / "etc/systemd/system/multi-user.target.wants/ssh.service").exists()
    has_key = (root / "root/.ssh/authorized_keys").exists()
    assert enabled == has_key


def test_journal_is_persistent_and_bounded(root):
    text = "\n".join(p.read_text() for p in
                     sorted((root / "etc/systemd/journald.conf.d").glob("*.conf")))
    settings = dict(re.findall(r"^(\w+)=(\S+)", text, re.M))
    assert settings.get("Storage") == "persistent"
    assert re.fullmatch(r"\d+[KMG]", settings.get("SystemMaxUse", "")), settings
    assert "SystemKeepFree" in settings


def test_unattended_upgrades_apply_the_security_archive_only(root):
    assert (root / "usr/bin/unattended-upgrade").exists()
    auto = in_root(root, "apt-config", "dump", "APT::Periodic").stdout
    assert 'APT::Periodic::Unattended-Upgrade "1";' in auto
    assert 'APT::Periodic::Update-Package-Lists "1";' in auto
    dump = in_root(root, "apt-config", "dump", "Unattended-Upgrade::Origins-Pattern").stdout
    origins = re.findall(r'Origins-Pattern:: "([^"]+)"', dump)
    assert origins == ["origin=Debian,codename=${distro_codename}-security,label=Debian-Security"]
    sources = "\n".join(p.read_text() for p in
                        [root / "etc/apt/sources.list", *(root / "etc/apt/sources.list.d").glob("*")]
                        if p.is_file())
    assert "bookworm-security" in sources


def test_time_sync_network_and_firewall_start_at_boot(root):
    etc = root / "etc/systemd/system"
    assert (etc / "sysinit.target.wants/systemd-timesyncd.service").exists()
    assert (etc / "multi-user.target.wants/systemd-networkd.service").exists()
    assert (etc / "sysinit.target.wants/nftables.service").exists()
    r = subprocess.run(["nft", "-c", "-f", str(root / "etc/nftables.conf")],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


def test_each_appliance_gets_its_own_identity_on_first_boot(root):
    assert (root / "etc/machine-id").read_text().strip() in ("", "uninitialized")
    assert not (root / "var/lib/systemd/random-seed").exists()
    assert not (root / "var/lib/dbus/machine-id").exists()


def test_every_program_finds_its_libraries_in_the_image(root):
    programs = sorted((root / "usr/lib/sekisho").iterdir())
    assert {p.name for p in programs} >= {"sekisho-portald", "sekisho-officed",
                                          "sekisho-sanitized", "sekisho-bridge-tx",
                                          "sekisho-bridge-rx", "sekisho-officewarm", "sekisho-scanner",
                                          "sekishoctl"}
    for p in programs:
        if p.name == "sekisho-netns":
            continue  # a shell script (all-in-one namespaces)
        r = in_root(root, "/lib64/ld-linux-x86-64.so.2", "--list", f"/usr/lib/sekisho/{p.name}")
        assert "not found" not in r.stdout, f"{p.name}:\n{r.stdout}"


def test_sekishoctl_makes_an_instance_lighttpd_accepts_in_the_image(root):
    # The share directory, the lighttpd configs and the web assets are where the
    # generated instance looks for them: lighttpd of the image parses both zones.
    inst = root / "tmp/sekisho-image-test"
    shutil.rmtree(inst, ignore_errors=True)
    try:
        in_root(root, "/usr/sbin/sekishoctl", "init", "--dev", "/tmp/sekisho-image-test")
        for zone in ("internet", "lgwan"):
            conf = (inst / f"etc/lighttpd-{zone}.conf").read_text()
            assert 'var.share = "/usr/share/sekisho"' in conf
            r = in_root(root, "/usr/sbin/lighttpd", "-tt", "-f",
                        f"/tmp/sekisho-image-test/etc/lighttpd-{zone}.conf", check=False)
            assert r.returncode == 0, f"{zone}: {r.stdout}{r.stderr}"
        # Every page and asset of the three front ends, as in the repository.
        pages = [p for p in (REPO / "web").rglob("*") if p.is_file()]
        assert any(p.name == "list.html" for p in pages)
        for page in pages:
            rel = page.relative_to(REPO)
            assert (root / "usr/share/sekisho" / rel).read_bytes() == page.read_bytes(), rel
    finally:
        shutil.rmtree(inst, ignore_errors=True)


def test_image_sizes(image_dir, build_info):
    raw_used = int(build_info["raw_used_kib"]) // 1024
    qcow2 = int(build_info["qcow2_kib"]) // 1024
    tree = int(build_info["root_tree_kib"]) // 1024
    print(f"root tree {tree} MiB, raw {build_info['raw_size_mib']} MiB "
          f"({raw_used} MiB used), qcow2 {qcow2} MiB; "
          f"build: root {build_info['root_seconds']} s, disk {build_info['disk_seconds']} s")
    assert raw_used < 1024
    assert qcow2 < 512


def test_unneeded_kernel_modules_cannot_be_loaded(root):
    # Protocols nobody speaks, removable storage, filesystems of removable media.
    text = "\n".join(p.read_text() for p in sorted((root / "etc/modprobe.d").glob("*.conf")))
    for mod in ("dccp", "sctp", "rds", "tipc", "usb-storage", "uas", "firewire-core",
                "firewire-ohci", "cramfs", "freevxfs", "jffs2", "hfs", "hfsplus", "udf",
                "squashfs"):
        assert re.search(rf"^install {re.escape(mod)} /bin/true$", text, re.M), mod
    r = in_root(root, "modprobe", "-n", "-v", "dccp", check=False)
    assert "install /bin/true" in r.stdout, r.stdout + r.stderr


def test_no_core_dumps_and_accounts_are_hardened(root):
    limits = (root / "etc/security/limits.d/50-sekisho.conf").read_text()
    assert re.search(r"^\*\s+hard\s+core\s+0$", limits, re.M)
    coredump = (root / "etc/systemd/coredump.conf.d/50-sekisho.conf").read_text()
    assert "Storage=none" in coredump and "ProcessSizeMax=0" in coredump
    defs = dict(re.findall(r"^([A-Z_]+)\s+(\S+)", (root / "etc/login.defs").read_text(), re.M))
    assert defs["UMASK"] == "027" and int(defs["PASS_MAX_DAYS"]) <= 365
    assert int(defs["SHA_CRYPT_MIN_ROUNDS"]) >= 5000
    assert "pam_pwquality.so" in (root / "etc/pam.d/common-password").read_text()
    for f in ("etc/profile", "etc/bash.bashrc"):
        assert re.search(r"^umask 027$", (root / f).read_text(), re.M), f
    for f in ("etc/issue", "etc/issue.net"):
        assert "Authorized" in (root / f).read_text(), f
    fstab = (root / "etc/fstab").read_text()
    tmp = re.search(r"^tmpfs\s+/tmp\s+tmpfs\s+(\S+)", fstab, re.M)
    assert tmp and {"nosuid", "nodev", "noexec"} <= set(tmp.group(1).split(","))


def test_audit_accounting_and_activity_history_start_at_boot(root):
    wants = root / "etc/systemd/system/multi-user.target.wants"
    for unit in ("auditd.service", "acct.service", "sysstat.service", "fail2ban.service"):
        assert (wants / unit).is_symlink(), unit  # (absolute links: into the image)
    assert (root / "etc/systemd/system/basic.target.wants/usbguard.service").is_symlink()
    text = (root / "etc/audit/rules.d/50-sekisho.rules").read_text()
    for path in re.findall(r"^-w (\S+) ", text, re.M):
        assert (root / path.lstrip("/")).exists(), f"audit watch on missing {path}"
    assert (root / "var/log/account/pacct").exists()


def test_file_integrity_database_matches_the_tree(root):
    # Built at image build from the finished tree, with content hashes; the tree it
    # was made from checks clean against it.
    db = (root / "var/lib/aide/aide.db").read_text()
    assert "/usr/lib/sekisho/sekishoctl " in db
    assert "Time generated" not in db  # no build time in it: reproducible
    r = in_root(root, "aide", "--config=/etc/aide/aide.conf", "--check", check=False)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-1000:]


def test_usb_devices_are_blocked_but_hubs_and_keyboards_and_cron_dirs_are_root_s(root):
    conf = dict(re.findall(r"^(\w+)=(.*)$",
                           (root / "etc/usbguard/usbguard-daemon.conf").read_text(), re.M))
    assert conf["ImplicitPolicyTarget"] == "block"
    assert conf["PresentDevicePolicy"] == conf["InsertedDevicePolicy"] == "apply-policy"
    rules = (root / "etc/usbguard/rules.conf").read_text().split("\n")
    assert [r for r in rules if r.startswith("allow")] == [
        "allow with-interface equals { 09:00:* }", "allow with-interface equals { 03:*:* }"]
    assert (root / "etc/usbguard/rules.conf").stat().st_mode & 0o077 == 0
    # Skipped, not failed and restarted, on a host with no USB bus (the cloud kernel).
    dropin = (root / "etc/systemd/system/usbguard.service.d/50-sekisho.conf").read_text()
    assert re.search(r"^ExecCondition=\+/bin/sh -c '/usr/sbin/modprobe -q usbcore; "
                     r"test -d /sys/bus/usb/devices'$", dropin, re.M)
    assert not re.search(r"^(StartLimit|Restart)", dropin, re.M)  # no crash loop to mask
    jail = (root / "etc/fail2ban/jail.local").read_text()
    assert "backend = systemd" in jail and "banaction = nftables-multiport" in jail
    for d in root.glob("etc/cron.*"):
        if d.is_dir():
            assert d.stat().st_mode & 0o077 == 0, d
