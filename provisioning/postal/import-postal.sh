#!/bin/sh
# import-postal.sh — build postal.sqlite (郵便番号 → 住所) from Japan Post's data.
#
# What reaches the database is checked: the npm package is pinned by version AND by its
# sha512 integrity, so a registry that serves other bytes under the same name is
# refused; an operator's own KEN_ALL file is trusted as given. The database is written
# to a temporary file beside the target and renamed (postal_import.py), so the portal
# never sees a half-written one.
#
#   import-postal.sh --fetch-only                 fetch the pinned package into the
#                                                 cache (install-deps time; no-op if
#                                                 cached and intact)
#   import-postal.sh --out FILE                   build FILE from the cached package
#                                                 (fetching it first if missing)
#   import-postal.sh --out FILE --offline         the same, but never fetch: fail if
#                                                 the cache is empty (dev run, CI)
#   import-postal.sh --out FILE --tarball TGZ     from a tarball already at hand
#                                                 (checked against the pin)
#   import-postal.sh --out FILE --ken-all CSV     from Japan Post's KEN_ALL.CSV
#                                                 (CP932), utf_ken_all.csv, or the zip
#   import-postal.sh --out FILE --jpostal-dir DIR from an unpacked package (tests)
#
# The cache is $SEKISHO_CACHE_DIR, default provisioning/cache/ (not in git).
set -eu

# The data package: the jQuery plugin's JSON files are Japan Post's KEN_ALL (and
# JIGYOSYO) split by the first three digits, with kana. Data of 2025-09-30.
PKG_NAME=jquery-jpostal-ja
PKG_VERSION=2.14.73
PKG_INTEGRITY="sha512-yuys0Np34p7WsmvVMcwQbkum6njYXdM8Ta22LGpa8xdjMpa/zxmda2Jtowk0T0uuuQSUXfaICACNAOd8dxCM7g=="
PKG_FILE="$PKG_NAME-$PKG_VERSION.tgz"

HERE=$(cd "$(dirname "$0")" && pwd)
CACHE=${SEKISHO_CACHE_DIR:-$(cd "$HERE/.." && pwd)/cache}
PY=/usr/bin/python3	# Debian's, with sqlite3; not a pyenv shim

die() { echo "import-postal: $*" >&2; exit 1; }

usage() {
	sed -n '2,23p' "$0" | sed 's/^# \{0,1\}//'
	exit 2
}

integrity_of() {	# file -> "sha512-BASE64", as npm writes it
	printf 'sha512-%s' "$(openssl dgst -sha512 -binary "$1" | base64 -w0)"
}

verify() {	# file
	got=$(integrity_of "$1")
	[ "$got" = "$PKG_INTEGRITY" ] ||
		die "$1: integrity $got, expected $PKG_INTEGRITY for $PKG_NAME@$PKG_VERSION"
}

# Fetch into the cache once; a cached file is re-checked on every use.
fetch() {
	if [ -f "$CACHE/$PKG_FILE" ]; then
		verify "$CACHE/$PKG_FILE"
		return 0
	fi
	[ "$OFFLINE" = 0 ] || die "$CACHE/$PKG_FILE is not cached (--offline): run" \
		"provisioning/install-deps.sh or $0 --fetch-only"
	command -v npm >/dev/null 2>&1 || die "npm is not installed: cannot fetch $PKG_NAME"
	mkdir -p "$CACHE"
	tmp=$(mktemp -d "$CACHE/.fetch.XXXXXX")
	# --ignore-scripts: nothing from the registry runs here; we only want the bytes.
	if ! (cd "$tmp" && npm pack --silent --ignore-scripts "$PKG_NAME@$PKG_VERSION" \
	    >/dev/null 2>"$tmp/npm.log"); then
		cat "$tmp/npm.log" >&2
		rm -rf "$tmp"
		die "npm pack $PKG_NAME@$PKG_VERSION failed"
	fi
	[ -f "$tmp/$PKG_FILE" ] || { rm -rf "$tmp"; die "npm pack did not write $PKG_FILE"; }
	if ! (verify "$tmp/$PKG_FILE"); then
		rm -rf "$tmp"
		exit 1
	fi
	mv "$tmp/$PKG_FILE" "$CACHE/$PKG_FILE"
	rm -rf "$tmp"
	echo "import-postal: fetched $PKG_NAME@$PKG_VERSION into $CACHE"
}

OUT="" SRC="" KIND="" FETCH_ONLY=0 OFFLINE=0
while [ $# -gt 0 ]; do
	case "$1" in
	--out) [ $# -ge 2 ] || usage; OUT=$2; shift 2 ;;
	--tarball) [ $# -ge 2 ] || usage; KIND=tarball; SRC=$2; shift 2 ;;
	--ken-all) [ $# -ge 2 ] || usage; KIND=ken-all; SRC=$2; shift 2 ;;
	--jpostal-dir) [ $# -ge 2 ] || usage; KIND=jpostal-dir; SRC=$2; shift 2 ;;
	--fetch-only) FETCH_ONLY=1; shift ;;
	--offline) OFFLINE=1; shift ;;
	-h|--help) usage ;;
	*) usage ;;
	esac
done

if [ "$FETCH_ONLY" = 1 ]; then
	fetch
	exit 0
fi
[ -n "$OUT" ] || usage
[ -d "$(dirname "$OUT")" ] || die "$(dirname "$OUT"): no such directory"

case "$KIND" in
"")
	fetch
	exec "$PY" "$HERE/postal_import.py" --full --jpostal-tar "$CACHE/$PKG_FILE" \
		--source-label "npm:$PKG_NAME@$PKG_VERSION $PKG_INTEGRITY" --out "$OUT" ;;
tarball)
	verify "$SRC"
	exec "$PY" "$HERE/postal_import.py" --full --jpostal-tar "$SRC" \
		--source-label "npm:$PKG_NAME@$PKG_VERSION $PKG_INTEGRITY" --out "$OUT" ;;
ken-all)
	exec "$PY" "$HERE/postal_import.py" --ken-all "$SRC" --out "$OUT" ;;
jpostal-dir)
	exec "$PY" "$HERE/postal_import.py" --jpostal-dir "$SRC" --out "$OUT" ;;
esac
