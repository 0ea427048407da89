#!/bin/sh
# dev-run.sh — what `make run` does after building: create ./var on first use, then
# run the whole stack in the foreground until Ctrl-C.
#
#   SEKISHO_TLS=1 make run    first run only: the instance is created with HTTPS
#                              (self-signed certificates in var/*/keys/tls.crt)
set -eu
cd "$(dirname "$0")/.."
CTL=build/bin/sekishoctl

if [ ! -f var/etc/instance.conf ]; then
	if [ "${SEKISHO_TLS:-0}" = 1 ]; then
		"$CTL" init --dev --tls ./var
	else
		"$CTL" init --dev ./var
	fi
	# The sample procedures take the road staff's will: signed onto the downlink,
	# carried by the bridge, applied by portald.
	"$CTL" --instance ./var catalogue publish demo provisioning/catalogue/demo/*.json
	# 郵便番号 → 住所, from the Japan Post data install-deps cached (docs/postal.md).
	provisioning/postal/import-postal.sh --offline --out var/dmz/postal/postal.sqlite ||
		echo "dev-run: 郵便番号検索なしで起動します (postal look-up off)" >&2
	echo
fi
exec "$CTL" --instance ./var run
