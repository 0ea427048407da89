#!/bin/sh
# bench.sh BIN... — run each benchmark and print its figures under its name.
set -eu
for b in "$@"; do
	echo "== $(basename "$b")"
	"$b"
done
