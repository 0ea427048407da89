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
	echo
fi
exec "$CTL" --instance ./var run
