#!/bin/bash
# build-image.sh — the Sekisho appliance: a bootable Debian 12 disk built from Debian
# packages and this repository alone.
#
#   image/build-image.sh [OUTDIR]          (make image; root only: mmdebstrap, loop mount)
#
# Output in OUTDIR (default build/image): root/ (the tree, kept for make check-image),
# sekisho.raw (GPT, one ext4 root partition, extlinux), sekisho.qcow2, manifest.txt
# (every path with its mode, owner, size and sha256) and SHA256SUMS.
#
# Reproducible: every time in the result comes from SOURCE_DATE_EPOCH (the last
# commit's date unless set), every identifier (filesystem UUID, hash seed, GPT GUIDs)
# is derived from it, and nothing is downloaded but Debian packages. Two builds against
# the same mirror state give the same manifest, root tar and disk (tests/image).
#
# Environment: MIRROR (Debian mirror, default the one this host's apt uses),
# IMAGE_SIZE_MB (default 2048; the root partition fills it), SSH_AUTHORIZED_KEYS (a
# file of public keys for root: installs it and enables sshd, which is otherwise off).
set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
OUT=$(realpath -m "${1:-$REPO/build/image}")
BIN=${BIN:-$REPO/build/bin}
IMAGE_SIZE_MB=${IMAGE_SIZE_MB:-2048}
SUITE=bookworm
PROGRAMS="sekisho-portald sekisho-officed sekisho-sanitized sekisho-bridge-tx
 sekisho-bridge-rx sekisho-officewarm sekisho-scanner sekishoctl"

say() { printf 'image: %s\n' "$*" >&2; }
die() { printf 'image: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "must run as root (mmdebstrap --mode=root, loop devices)"
for tool in mmdebstrap mkfs.ext4 debugfs tune2fs sgdisk extlinux losetup partx qemu-img readelf; do
	command -v "$tool" >/dev/null || die "$tool missing: run provisioning/install-deps.sh --image"
done
for p in $PROGRAMS; do
	[ -x "$BIN/$p" ] || die "$BIN/$p missing: run make all first"
done

if [ -z "${SOURCE_DATE_EPOCH:-}" ]; then
	SOURCE_DATE_EPOCH=$(git -C "$REPO" log -1 --format=%ct)
fi
export SOURCE_DATE_EPOCH
# mke2fs's own clock (superblock and crtime fields).
export E2FSPROGS_FAKE_TIME=$SOURCE_DATE_EPOCH
export LC_ALL=C.UTF-8 TZ=UTC

# The mirror this host's apt uses, so the image sees the same archive state.
default_mirror() {
	local uri
	uri=$(grep -hs -m1 -E '^URIs:.*/debian/?$' /etc/apt/sources.list.d/*.sources | awk '{print $2}')
	[ -n "$uri" ] || uri=$(grep -hs -m1 -E '^deb +[^ ]+/debian/? ' /etc/apt/sources.list | awk '{print $2}')
	echo "${uri:-http://deb.debian.org/debian}"
}
MIRROR=${MIRROR:-$(default_mirror)}
MIRROR=${MIRROR%/}
SECURITY=${SECURITY_MIRROR:-${MIRROR%/debian}/debian-security}

# A UUID derived from the epoch and a label: stable across rebuilds, distinct per use.
derived_uuid() {
	local h
	h=$(printf 'sekisho-image:%s:%s' "$SOURCE_DATE_EPOCH" "$1" | sha256sum)
	printf '%s-%s-4%s-8%s-%s\n' "${h:0:8}" "${h:8:4}" "${h:13:3}" "${h:17:3}" "${h:20:12}"
}
FS_UUID=$(derived_uuid rootfs)
HASH_SEED=$(derived_uuid hashseed)
DISK_GUID=$(derived_uuid disk)
PART_GUID=$(derived_uuid rootpart)

# Packages: the base list, the project's runtime list, and the packages that hold the
# shared libraries the programs need (one source of truth each).
strip_comments() { sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$1"; }
lib_packages() {
	local soname path pkg
	for p in $PROGRAMS; do
		readelf -d "$BIN/$p" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'
	done | sort -u | while read -r soname; do
		path=$(ldconfig -p | awk -v s="$soname" '$1 == s && /x86-64/ {print $NF; exit}')
		[ -n "$path" ] || die "$soname: not found by ldconfig"
		pkg=$(dpkg -S "$path" 2>/dev/null || dpkg -S "$(realpath "$path")" 2>/dev/null ||
		      dpkg -S "/usr$path" 2>/dev/null || dpkg -S "${path#/usr}" 2>/dev/null) ||
			die "$soname ($path): no Debian package owns it"
		echo "${pkg%%:*}"
	done | sort -u
}
PACKAGES=$( { strip_comments "$REPO/image/packages"
	"$REPO/provisioning/install-deps.sh" --list-run
	lib_packages; } | sort -u)
say "packages: $(echo $PACKAGES)"

DPKG_OPTS=()
while read -r line; do
	DPKG_OPTS+=("--dpkgopt=$line")
done < <(strip_comments "$REPO/image/dpkg-excludes")

ROOT=$OUT/root
STAGE=$OUT/stage
mkdir -p "$OUT"
rm -rf "$ROOT" "$STAGE"
mkdir -p "$STAGE"
# The files the customize hook installs, gathered in one place first so the hook
# needs nothing but this directory.
install -d "$STAGE/bin"
for p in $PROGRAMS; do
	# Debug info stays in the build tree; the image gets the same code without it.
	objcopy --strip-debug "$BIN/$p" "$STAGE/bin/$p"
done
cp -a "$REPO/web" "$STAGE/web"
mkdir -p "$STAGE/provisioning"
cp -a "$REPO/provisioning/lighttpd" "$REPO/provisioning/nftables" "$REPO/provisioning/systemd" \
	"$STAGE/provisioning/"
cp -a "$REPO/image/overlay" "$STAGE/overlay"
if [ -n "${SSH_AUTHORIZED_KEYS:-}" ]; then
	install -m 0600 "$SSH_AUTHORIZED_KEYS" "$STAGE/authorized_keys"
fi
cat >"$STAGE/fstab" <<EOF
# The root filesystem; every zone's state is under /var/lib/sekisho on it.
UUID=$FS_UUID / ext4 defaults,errors=remount-ro 0 1
# /tmp in memory, nothing on it runs or is a device (the daemons have their own,
# PrivateTmp=yes, beneath it). systemd's own tmp.mount sizes, plus noexec.
tmpfs /tmp tmpfs mode=1777,strictatime,nosuid,nodev,noexec,size=50%,nr_inodes=1m 0 0
tmpfs /dev/shm tmpfs nosuid,nodev,noexec 0 0
EOF
cat >"$STAGE/extlinux.conf" <<EOF
# extlinux reads the kernel through the /vmlinuz and /initrd.img links, which the
# kernel package moves on every upgrade: no bootloader step after an update.
DEFAULT sekisho
PROMPT 0
TIMEOUT 10
SERIAL 0 115200
LABEL sekisho
	LINUX /vmlinuz
	INITRD /initrd.img
	APPEND root=UUID=$FS_UUID ro console=tty0 console=ttyS0,115200n8 systemd.status_unit_format=name
LABEL sekisho-previous
	LINUX /vmlinuz.old
	INITRD /initrd.img.old
	APPEND root=UUID=$FS_UUID ro console=tty0 console=ttyS0,115200n8 systemd.status_unit_format=name
EOF

# Downloaded packages are kept in APT_CACHE (default build/apt-cache) and offered to
# the next build: the reproducibility test's rebuild, or a developer's next `make
# image`, installs the same .deb files without fetching them again. apt checks each
# cached file against the archive's signed index, so a stale or altered one is fetched
# anew, never installed; the image itself never holds them (mmdebstrap's cleanup).
APT_CACHE=$(realpath -m "${APT_CACHE:-$REPO/build/apt-cache}")
mkdir -p "$APT_CACHE"

T0=$(date +%s)
say "mmdebstrap $SUITE from $MIRROR (SOURCE_DATE_EPOCH=$SOURCE_DATE_EPOCH)"
mmdebstrap --mode=root --variant=apt --format=directory \
	--include="$(echo $PACKAGES | tr ' ' ',')" \
	"${DPKG_OPTS[@]}" \
	--aptopt='Acquire::Languages "none"' \
	--aptopt='APT::Install-Recommends "false"' \
	--skip=essential/unlink \
	--setup-hook='mkdir -p "$1"/var/cache/apt/archives/' \
	--setup-hook="sync-in $APT_CACHE /var/cache/apt/archives/" \
	--customize-hook="sync-out /var/cache/apt/archives $APT_CACHE" \
	--customize-hook="$REPO/image/customize.sh \"\$1\" $STAGE" \
	"$SUITE" "$ROOT" \
	"deb $MIRROR $SUITE main" \
	"deb $MIRROR $SUITE-updates main" \
	"deb $SECURITY $SUITE-security main" \
	>"$OUT/mmdebstrap.log" 2>&1 || { tail -30 "$OUT/mmdebstrap.log" >&2; die "mmdebstrap failed"; }
rm -rf "$STAGE"
T1=$(date +%s)

# Files made at build time (maintainer scripts, our hook) carry today's date: clamp.
find "$ROOT" -newermt "@$SOURCE_DATE_EPOCH" -print0 | xargs -0r touch -h -d "@$SOURCE_DATE_EPOCH"

# The file integrity database, from the finished tree (times clamped): aide.conf
# records only what the disk keeps of it, so two builds give the same database.
# Written out first: a file whose block count the host's delayed allocation changes
# while aide reads it would be recorded without its hash.
T_AIDE=$(date +%s)
sync
chroot "$ROOT" aide --config=/etc/aide/aide.conf --init >"$OUT/aide.log" 2>&1 ||
	{ tail -5 "$OUT/aide.log" >&2; die "aide --init failed"; }
! grep -q 'hash could not be calculated' "$OUT/aide.log" ||
	die "aide: $(grep -m1 'hash could not be calculated' "$OUT/aide.log")"
# aide keeps each file's inode number whatever the rules say (to tell a move from a
# removal and an addition); they are the build tree's, not the disk's: zeroed.
awk '/^@@db_spec/ { for (i = 2; i <= NF; i++) if ($i == "inode") col = i - 1 }
     col && /^\// { $col = 0 } { print }' "$ROOT/var/lib/aide/aide.db.new" >"$ROOT/var/lib/aide/aide.db"
rm "$ROOT/var/lib/aide/aide.db.new"
chmod 0600 "$ROOT/var/lib/aide/aide.db"
touch -h -d "@$SOURCE_DATE_EPOCH" "$ROOT/var/lib/aide/aide.db" "$ROOT/var/lib/aide"
say "aide database in $(($(date +%s) - T_AIDE)) s"

# The manifest: what an auditor compares between two builds or with a running host.
(cd "$ROOT" && find . -mindepth 1 -printf '%P\t%M\t%U:%G\t%s\t%l\n' | sort) >"$OUT/files.tmp"
(cd "$ROOT" && find . -type f -print0 | sort -z | xargs -0r sha256sum) |
	sed 's#  \./#\t#' | awk -F'\t' '{print $2 "\t" $1}' >"$OUT/hashes.tmp"
join -t "$(printf '\t')" -a1 "$OUT/files.tmp" "$OUT/hashes.tmp" >"$OUT/manifest.txt"
rm -f "$OUT/files.tmp" "$OUT/hashes.tmp"
# The same tree as a tar stream, only its hash kept.
ROOT_TAR_SHA=$(tar -C "$ROOT" --sort=name --numeric-owner --mtime="@$SOURCE_DATE_EPOCH" \
	--clamp-mtime --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime \
	--format=posix -cf - . | sha256sum | cut -d' ' -f1)

# --- the disk: GPT, one partition from 1 MiB to 1 MiB before the end -----------------
RAW=$OUT/sekisho.raw
FS_MB=$((IMAGE_SIZE_MB - 2))
rm -f "$RAW" "$OUT/sekisho.qcow2"
truncate -s "${IMAGE_SIZE_MB}M" "$RAW"
SECTORS=$((IMAGE_SIZE_MB * 2048))
sgdisk --clear --disk-guid="$DISK_GUID" \
	--new=1:2048:$((SECTORS - 2048 - 1)) --typecode=1:4f68bce3-e8cd-4db1-96e7-fbcaf984b709 \
	--partition-guid=1:"$PART_GUID" --change-name=1:sekisho-root --attributes=1:set:2 \
	"$RAW" >/dev/null
# gptmbr.bin chains to the partition marked "legacy BIOS bootable" (attribute 2).
dd if=/usr/lib/EXTLINUX/gptmbr.bin of="$RAW" bs=440 count=1 conv=notrunc status=none

# ext4 without 64bit (extlinux 6.04 reads it reliably without); filled from the tree
# with no mount. The itable is zeroed now so the kernel writes nothing in the
# background while extlinux is installed. No journal yet: the one mount would fill it
# with that mount's transactions (different on every build); it is added, empty, after.
FS=$OUT/root.ext4
rm -f "$FS"
truncate -s "${FS_MB}M" "$FS"
mkfs.ext4 -q -F -d "$ROOT" -L sekisho-root -U "$FS_UUID" -T default -O ^64bit,^has_journal \
	-E hash_seed="$HASH_SEED",lazy_itable_init=0,root_owner=0:0 "$FS"
dd if="$FS" of="$RAW" bs=1M seek=1 conv=notrunc,sparse status=none
rm -f "$FS"

LOOP=
MNT=$(mktemp -d)
cleanup() {
	mountpoint -q "$MNT" && umount "$MNT"
	[ -n "$LOOP" ] && { partx -d "$LOOP" 2>/dev/null || true; losetup -d "$LOOP"; }
	rmdir "$MNT" 2>/dev/null || true
}
trap cleanup EXIT
LOOP=$(losetup -f --show -P "$RAW")
PART=${LOOP}p1
# Inside a container the partition node may not appear by itself.
[ -b "$PART" ] || partx -a "$LOOP" 2>/dev/null || true
for _ in 1 2 3 4 5; do [ -b "$PART" ] && break; sleep 0.2; done
[ -b "$PART" ] || die "$PART: loop partition did not appear"

# mke2fs -d copies each file's ctime and atime from the build tree; they are set to the
# epoch here, with mtime already clamped, so the filesystem does not record the build.
(cd "$ROOT" && find . -mindepth 0 -printf '%P\n') | while IFS= read -r p; do
	case $p in *'"'*) die "$p: a quote in a path name" ;; esac
	printf 'sif "/%s" ctime @%s\nsif "/%s" atime @%s\n' "$p" "$SOURCE_DATE_EPOCH" "$p" "$SOURCE_DATE_EPOCH"
	# The nanoseconds live in separate fields that "@seconds" leaves alone.
	printf 'sif "/%s" ctime_extra 0\nsif "/%s" atime_extra 0\nsif "/%s" mtime_extra 0\n' "$p" "$p" "$p"
done >"$OUT/debugfs.cmds"
debugfs -w -f "$OUT/debugfs.cmds" "$PART" >/dev/null 2>"$OUT/debugfs.log" ||
	die "debugfs: $(tail -1 "$OUT/debugfs.log")"

mount -t ext4 -o noatime,nodiratime,noinit_itable "$PART" "$MNT"
extlinux --install "$MNT/boot/extlinux" >/dev/null 2>&1 || die "extlinux --install failed"
umount "$MNT"
# The superblock remembers where it was mounted (the temporary directory's random
# name), beyond the terminating NUL that "ssv last_mounted" writes: zero the whole
# field. Its checksum is wrong until debugfs writes the superblock again below, hence
# debugfs -n (no checksum verification) for that one session.
dd if=/dev/zero of="$PART" bs=1 seek=$((1024 + 0x88)) count=64 conv=notrunc status=none

# The mount and extlinux left today's date (with nanoseconds), random inode
# generations and a mount count behind: reset them.
{
	for f in / /boot /boot/extlinux /boot/extlinux/ldlinux.sys /boot/extlinux/ldlinux.c32; do
		for t in atime ctime mtime crtime; do
			printf 'sif "%s" %s @%s\nsif "%s" %s_extra 0\n' "$f" "$t" "$SOURCE_DATE_EPOCH" "$f" "$t"
		done
	done
	# ... and inode versions (i_version): how many times the mount changed each of
	# them, which depends on how extlinux's writes were flushed (seen: 4 or 5).
	for f in /boot/extlinux/ldlinux.sys /boot/extlinux/ldlinux.c32; do
		printf 'sif "%s" generation 0\n' "$f"
	done
	for f in / /boot /boot/extlinux /boot/extlinux/ldlinux.sys /boot/extlinux/ldlinux.c32; do
		printf 'sif "%s" version 0\n' "$f"
	done
	for t in mtime wtime lastcheck; do
		printf 'ssv %s @%s\n' "$t" "$SOURCE_DATE_EPOCH"
	done
	printf 'ssv mnt_count 0\nssv kbytes_written 0\n'
} >"$OUT/debugfs.cmds"
debugfs -w -n -f "$OUT/debugfs.cmds" "$PART" >/dev/null 2>"$OUT/debugfs.log" ||
	die "debugfs: $(tail -1 "$OUT/debugfs.log")"
# The journal now, never written to: its blocks are zero and its superblock is made
# from the fixed clock (E2FSPROGS_FAKE_TIME) and the filesystem's UUID.
tune2fs -O has_journal "$PART" >/dev/null
e2fsck -fn "$PART" >"$OUT/e2fsck.log" 2>&1 || die "e2fsck: $(tail -3 "$OUT/e2fsck.log")"
rm -f "$OUT/debugfs.cmds" "$OUT/debugfs.log"
cleanup
trap - EXIT

qemu-img convert -q -c -f raw -O qcow2 "$RAW" "$OUT/sekisho.qcow2"
T2=$(date +%s)

(cd "$OUT" && sha256sum sekisho.raw sekisho.qcow2 manifest.txt && echo "$ROOT_TAR_SHA  root.tar") >"$OUT/SHA256SUMS"
USED_KB=$(du -sk "$RAW" | cut -f1)
QCOW_KB=$(du -sk "$OUT/sekisho.qcow2" | cut -f1)
ROOT_KB=$(du -sk "$ROOT" | cut -f1)
{
	echo "source_date_epoch=$SOURCE_DATE_EPOCH"
	echo "mirror=$MIRROR"
	echo "root_seconds=$((T1 - T0))"
	echo "disk_seconds=$((T2 - T1))"
	echo "root_tree_kib=$ROOT_KB"
	echo "raw_size_mib=$IMAGE_SIZE_MB"
	echo "raw_used_kib=$USED_KB"
	echo "qcow2_kib=$QCOW_KB"
	echo "fs_uuid=$FS_UUID"
} >"$OUT/build-info.txt"
say "root in $((T1 - T0)) s, disk in $((T2 - T1)) s; tree $((ROOT_KB / 1024)) MiB," \
	"raw ${IMAGE_SIZE_MB} MiB ($((USED_KB / 1024)) MiB used), qcow2 $((QCOW_KB / 1024)) MiB"
say "$OUT/sekisho.raw, $OUT/sekisho.qcow2"
