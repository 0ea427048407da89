#!/bin/sh
# fuzz.sh DIR SECONDS — fuzz each libFuzzer target in DIR for SECONDS, growing its
# corpus in build-fuzz/corpus/NAME (the seeds in tests/fuzz/corpus/NAME stay as they
# are). Crashes are written to build-fuzz/crashes/ and fail the run.
set -eu
dir=$1; secs=$2; status=0
mkdir -p build-fuzz/crashes
for f in "$dir"/fuzz_*; do
	[ -x "$f" ] || continue
	name=$(basename "$f")
	mkdir -p "build-fuzz/corpus/$name"
	echo "== $name: ${secs}s"
	if ! "$f" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
		-artifact_prefix="build-fuzz/crashes/$name-" \
		"build-fuzz/corpus/$name" "tests/fuzz/corpus/$name" 2>&1 | tail -n 3; then
		status=1
	fi
done
ls build-fuzz/crashes/* >/dev/null 2>&1 && { echo "crashes in build-fuzz/crashes/"; status=1; }
exit $status
