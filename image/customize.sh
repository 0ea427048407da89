#!/bin/sh
# customize.sh ROOT STAGE — mmdebstrap's customize hook: turns a fresh Debian root into
# the appliance. STAGE holds what build-image.sh gathered from the repository.
#
# Layout (what provisioning/systemd and sekishoctl expect):
#   /usr/lib/sekisho/          the programs (sekishoctl finds the daemons beside itself)
#   /usr/sbin/sekishoctl       link to it, for the operator's PATH
#   /usr/share/sekisho/        web/ and provisioning/{lighttpd,nftables} (the share dir)
#   /usr/lib/systemd/system/   one unit per daemon + the sekisho- prefix drop-in
#   /usr/lib/sysusers.d        the service users
#   /usr/share/sekisho/provisioning/systemd/sekisho.tmpfiles  the instance tree, by role
# Nothing of Sekisho is enabled: which units run is decided by `sekishoctl init --role`.
set -eu
ROOT=$1
STAGE=$2

install -d -m 0755 "$ROOT/usr/lib/sekisho" "$ROOT/usr/share/sekisho/provisioning"
for f in "$STAGE"/bin/*; do
	install -m 0755 "$f" "$ROOT/usr/lib/sekisho/"
done
ln -sf ../lib/sekisho/sekishoctl "$ROOT/usr/sbin/sekishoctl"
cp -R "$STAGE/web" "$ROOT/usr/share/sekisho/web"
cp -R "$STAGE/provisioning/lighttpd" "$STAGE/provisioning/nftables" \
	"$ROOT/usr/share/sekisho/provisioning/"
chmod -R u=rwX,go=rX "$ROOT/usr/share/sekisho"

SD=$STAGE/provisioning/systemd
for u in "$SD"/sekisho-*.service "$SD"/host/*.service "$SD"/host/*.timer; do
	install -m 0644 "$u" "$ROOT/usr/lib/systemd/system/"
done
install -m 0755 "$SD/host/sekisho-netns.sh" "$ROOT/usr/lib/sekisho/sekisho-netns"
# Drop-ins: the hardening every sekisho-* unit shares (a prefix drop-in), and what a
# unit adds after it (sekisho-sanitized: what it needs to cage its children).
for d in "$SD"/sekisho-*.service.d; do
	install -d -m 0755 "$ROOT/usr/lib/systemd/system/${d##*/}"
	install -m 0644 "$d"/*.conf "$ROOT/usr/lib/systemd/system/${d##*/}/"
done
install -m 0644 "$SD/sekisho.sysusers" "$ROOT/usr/lib/sysusers.d/sekisho.conf"
# The instance tree is the role's: sekishoctl init --role creates the directories of
# its zones from this file and writes those lines to /etc/tmpfiles.d/sekisho.conf.
install -d -m 0755 "$ROOT/usr/share/sekisho/provisioning/systemd"
install -m 0644 "$SD/sekisho.tmpfiles" "$ROOT/usr/share/sekisho/provisioning/systemd/"
install -d -m 0755 "$ROOT/etc/nftables.d"

# mmdebstrap merges /usr with usrmerge, which needs perl; the root is merged now and
# usr-is-merged keeps the promise, so both go (about 70 MB).
chroot "$ROOT" apt-get purge -y -qq --autoremove usrmerge >/dev/null
# Nothing the appliance runs is written in perl (debconf needs only perl-base, which
# is essential): the interpreter's full library goes (about 50 MB). The build stops
# if apt would take anything else with it.
PERL=$(chroot "$ROOT" dpkg-query -W -f '${Package}\n' |
	grep -E '^(perl|perl-modules-[0-9.]+|libperl[0-9.]+|lib.+-perl)$' || true)
if [ -n "$PERL" ]; then
	OTHERS=$(chroot "$ROOT" apt-get -s purge $PERL | sed -n 's/^Purg \([^ ]*\).*/\1/p' |
		grep -vE '^(perl|perl-modules-[0-9.]+|libperl[0-9.]+|lib.+-perl)$' || true)
	if [ -n "$OTHERS" ]; then
		echo "customize: removing perl would remove: $OTHERS" >&2
		exit 1
	fi
	chroot "$ROOT" apt-get purge -y -qq $PERL >/dev/null
	chroot "$ROOT" apt-get autoremove -y -qq --purge >/dev/null
fi

# Users now rather than at first boot, so their ids are fixed by the image and the
# files below can be owned by them.
systemd-sysusers --root="$ROOT" "$ROOT/usr/lib/sysusers.d/sekisho.conf"

# Configuration overlay (journald, apt, sshd, network, sysctl, firewall, modules,
# core dumps, banners, audit rules, AIDE, USBGuard, fail2ban, shell defaults).
cp -R "$STAGE/overlay/." "$ROOT/"
chmod 0644 "$ROOT/etc/hostname" "$ROOT/etc/hosts"
# usbguard refuses a configuration others can read; sshd's is root's alone (lynis
# FILE-7524).
chmod 0600 "$ROOT/etc/usbguard/usbguard-daemon.conf" "$ROOT/etc/usbguard/rules.conf" \
	"$ROOT/etc/ssh/sshd_config"
install -m 0644 "$STAGE/fstab" "$ROOT/etc/fstab"
install -d -m 0755 "$ROOT/boot/extlinux"
install -m 0644 "$STAGE/extlinux.conf" "$ROOT/boot/extlinux/extlinux.conf"

# Accounts (lynis AUTH-9230, 9286, 9328): new files private to their group, passwords
# (none is set by default) aged and hashed slowly, and checked by pam_pwquality.
sed -i -e 's/^UMASK[[:space:]].*/UMASK\t\t027/' \
	-e 's/^PASS_MAX_DAYS[[:space:]].*/PASS_MAX_DAYS\t365/' \
	-e 's/^PASS_MIN_DAYS[[:space:]].*/PASS_MIN_DAYS\t1/' \
	-e 's/^#[[:space:]]*SHA_CRYPT_MIN_ROUNDS.*/SHA_CRYPT_MIN_ROUNDS 500000/' \
	-e 's/^#[[:space:]]*SHA_CRYPT_MAX_ROUNDS.*/SHA_CRYPT_MAX_ROUNDS 1000000/' \
	"$ROOT/etc/login.defs"
for want in 'UMASK		027' 'PASS_MAX_DAYS	365' 'PASS_MIN_DAYS	1' 'SHA_CRYPT_MIN_ROUNDS 500000'; do
	grep -qx "$want" "$ROOT/etc/login.defs" || { echo "customize: login.defs: no '$want'" >&2; exit 1; }
done
grep -q 'pam_pwquality' "$ROOT/etc/pam.d/common-password" ||
	{ echo "customize: pam_pwquality is not in common-password" >&2; exit 1; }
sed -i -e 's/^# *minlen = .*/minlen = 14/' -e 's/^# *minclass = .*/minclass = 3/' \
	-e 's/^# *enforce_for_root.*/enforce_for_root/' "$ROOT/etc/security/pwquality.conf"
# Every watched path must exist, or auditctl stops loading the rules at the first one.
sed -n 's/^-w \([^ ]*\) .*/\1/p' "$ROOT/etc/audit/rules.d/50-sekisho.rules" | while read -r p; do
	[ -e "$ROOT$p" ] || { echo "customize: audit rule on missing $p" >&2; exit 1; }
done
# Shells started without login.defs (lynis SHLL-6230 reads these two files).
for f in "$ROOT/etc/profile" "$ROOT/etc/bash.bashrc"; do
	printf '\n# Sekisho: files are not readable by others unless made so.\numask 027\n' >>"$f"
done
# No cron here (timers run what is periodic), but packages leave their cron
# directories: root's alone (lynis FILE-7524). debsecan's entry, at a minute its
# postinst draws at random, would make every build differ: the operator runs
# debsecan by hand (docs/operator-guide.md).
rm -f "$ROOT/etc/cron.d/debsecan"
for d in "$ROOT"/etc/cron.d "$ROOT"/etc/cron.hourly "$ROOT"/etc/cron.daily \
	"$ROOT"/etc/cron.weekly "$ROOT"/etc/cron.monthly "$ROOT"/etc/cron.yearly; do
	[ ! -d "$d" ] || chmod 0700 "$d"
done
# Process accounting's file exists from the start (acct.service appends to it).
install -d -m 0755 "$ROOT/var/log/account"
[ -e "$ROOT/var/log/account/pacct" ] || install -m 0640 /dev/null "$ROOT/var/log/account/pacct"
chroot "$ROOT" systemctl enable auditd.service acct.service sysstat.service usbguard.service \
	fail2ban.service >/dev/null 2>&1

# No password logins: root's password is locked, every other account has none.
chroot "$ROOT" usermod -p '!' root
# Each appliance makes its own identity on first boot: machine id, host keys, seed.
printf 'uninitialized\n' >"$ROOT/etc/machine-id"
rm -f "$ROOT/var/lib/dbus/machine-id" "$ROOT/var/lib/systemd/random-seed" \
	"$ROOT"/etc/ssh/ssh_host_*

# Services: time, network, firewall on; sshd only with a key; freshclam by role.
chroot "$ROOT" systemctl enable systemd-networkd.service systemd-resolved.service \
	systemd-timesyncd.service nftables.service >/dev/null 2>&1
chroot "$ROOT" systemctl disable clamav-freshclam.service >/dev/null 2>&1 || true
if [ -f "$STAGE/authorized_keys" ]; then
	install -d -m 0700 "$ROOT/root/.ssh"
	install -m 0600 "$STAGE/authorized_keys" "$ROOT/root/.ssh/authorized_keys"
	chroot "$ROOT" systemctl enable ssh.service >/dev/null 2>&1
else
	chroot "$ROOT" systemctl disable ssh.service >/dev/null 2>&1 || true
fi
# lighttpd's own instance on port 80 is not Sekisho's (one per zone, as sekisho-*).
chroot "$ROOT" systemctl disable lighttpd.service >/dev/null 2>&1 || true
chroot "$ROOT" systemctl mask lighttpd.service >/dev/null 2>&1 || true
# systemd-resolved's stub for the host's resolver.
ln -sf ../run/systemd/resolve/stub-resolv.conf "$ROOT/etc/resolv.conf"

# Build leftovers that differ from one build to the next.
rm -rf "$ROOT"/var/log/apt/* "$ROOT"/var/log/dpkg.log "$ROOT"/var/log/alternatives.log \
	"$ROOT"/var/cache/debconf/*-old "$ROOT"/var/lib/dpkg/*-old \
	"$ROOT"/var/cache/ldconfig/aux-cache "$ROOT"/var/log/bootstrap.log
