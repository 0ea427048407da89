#!/bin/sh
# install-deps.sh — install exactly the Debian 12 packages Sekisho needs to build, run
# and test. Non-interactive and idempotent: when everything is present it only asks
# dpkg, and returns in well under a second.
#
#   provisioning/install-deps.sh              build + run + test (with the image's tools:
#                                             make check builds and tests the image)
#   provisioning/install-deps.sh --list       print the package list and exit
#   provisioning/install-deps.sh --list-run   print the runtime list only (the image's)
#   provisioning/install-deps.sh --image      the same as without (make image asks so)
set -eu

# Build: compiler, pkg-config and the -dev packages the Makefile asks pkg-config for.
BUILD_PKGS="build-essential pkg-config libssl-dev libsqlite3-dev libjansson-dev
 libsystemd-dev libmicrohttpd-dev libargon2-dev libseccomp-dev libcurl4-openssl-dev
 libarchive-dev libisal-dev libclamav-dev
 libmupdf-dev libharfbuzz-dev libfreetype-dev libjbig2dec0-dev libopenjp2-7-dev libgumbo-dev
 libmujs-dev libjpeg-dev libpng-dev libqrencode-dev libtesseract-dev libleptonica-dev libwebp-dev libheif-dev
 libcairo2-dev libpango1.0-dev libreofficekit-dev libdeflate-dev"
# (libdeflate-dev: the rebuilt PDF's page images are deflated with libdeflate, 2-3x
# zlib's speed at the same level and size.)
# (libreofficekit-dev: the LibreOfficeKit headers of the warm Office converter, which
# dlopens LibreOffice itself. Without --no-install-recommends it would pull in
# libreoffice-core, the desktop build, which replaces libreoffice-core-nogui.)
# Run: the zones' web servers, the openssl CLI for operators, sqlite3 for inspection;
# libqrencode4 for procedures' QR codes; python3 for provisioning/postal/ (builds the
# postal code database, stdlib only); Tesseract and its Japanese (across and, for
# pages written vertically, 縦書き, down) and English models for the sanitizer's OCR
# text layer; libwebp and libheif (HEVC through libde265) for
# phone photos; headless LibreOffice (no X11/GTK) and a Japanese font to turn Office
# and OpenDocument files into PDF; cairo and Pango with the IPAmj明朝 and IPAex fonts
# to draw issued documents (交付文書) from their templates.
RUN_PKGS="lighttpd lighttpd-mod-openssl openssl sqlite3 ca-certificates libqrencode4 python3
 libtesseract5 tesseract-ocr-jpn tesseract-ocr-jpn-vert tesseract-ocr-eng libwebp7 libheif1 libde265-0
 libreoffice-core-nogui libreoffice-writer-nogui libreoffice-calc-nogui
 libreoffice-impress-nogui fonts-ipafont-gothic
 libcairo2 libpangocairo-1.0-0 fonts-ipamj-mincho fonts-ipaexfont"
# Test: cmocka, libcurl (HTTP client in C tests), pytest with requests, valgrind,
# clang with its runtime for libFuzzer, iproute2 for test network namespaces (and
# ethtool, to turn a veth's UDP segmentation offload off for loss), qpdf to
# check the sanitizer's PDFs with a tool independent of the one that wrote them
# (poppler's pdftotext reads their OCR text layer); a Japanese font (IPA Gothic) to
# draw the OCR test page; heif-enc (libheif-examples) to make the HEIC test photos;
# tiffcp (libtiff-tools) to code the fax test pages in CCITT G3 and G4;
# zbar-tools to read back the QR codes we draw; aiosmtpd for
# a real SMTP server on loopback that the mail outbox delivers to; wrk for the portal
# benchmark; chromium and Node.js for the citizen pages' Playwright tests
# (scripts/browser-tests.sh; npm comes with NodeSource's nodejs, or Debian's npm
# package beside Debian's nodejs; the npm packages are pinned in package-lock.json and
# Playwright drives this chromium, it downloads no browser).
TEST_PKGS="libcmocka-dev python3 python3-pytest python3-requests
 valgrind clang libclang-rt-14-dev iproute2 ethtool procps nftables qpdf poppler-utils wrk zbar-tools
 python3-aiosmtpd fonts-ipafont-gothic chromium nodejs libheif-examples libtiff-tools"

# Image: what `make image` and the image suite of `make check` run on the build host —
# the root (mmdebstrap), the disk (e2fsprogs, gdisk, extlinux's boot code, qemu-img)
# and the boot test (qemu), the audit of the booted root (lynis, run in systemd-nspawn
# with the host's copy bind-mounted: the appliance carries no audit tool).
IMAGE_PKGS="mmdebstrap extlinux syslinux-common e2fsprogs gdisk fdisk util-linux
 qemu-utils qemu-system-x86 systemd-container lynis"

ALL="$BUILD_PKGS $RUN_PKGS $TEST_PKGS $IMAGE_PKGS"

case "${1:-}" in
--list)
	for p in $ALL; do echo "$p"; done
	exit 0 ;;
--list-run)
	for p in $RUN_PKGS; do echo "$p"; done
	exit 0 ;;
--image)
	;;
esac

# Postal code data for the dev stack (npm registry, pinned and checked, cached in
# provisioning/cache/): fetched here so that nothing downloads at test or run time.
# Not fatal: only the dev stack's address lookup needs it, and tests use fixtures.
postal_fetch() {
	"$(dirname "$0")/postal/import-postal.sh" --fetch-only >/dev/null ||
		echo "install-deps: postal data not fetched; the dev stack's 郵便番号 lookup" \
			"will be off (provisioning/postal/import-postal.sh --fetch-only)" >&2
}

missing=""
for p in $ALL; do
	st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	[ "$st" = "installed" ] || missing="$missing $p"
done
if [ -z "$missing" ]; then
	postal_fetch
	exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: these packages are missing:$missing" >&2
	echo "install-deps: run as root (or: sudo $0)" >&2
	exit 1
fi

echo "install-deps: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing
# lighttpd's package starts a system instance on port 80; Sekisho runs its own.
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet lighttpd 2>/dev/null; then
	systemctl disable --now lighttpd >/dev/null 2>&1 || true
fi
postal_fetch
