#!/bin/bash
# check.sh — run every test suite and end with one summary line.
#
#   scripts/check.sh                 unit (under valgrind), unit (ASan+UBSan build),
#                                    fuzz targets on their seed corpora, integration,
#                                    browser, the appliance image
#   scripts/check.sh --quick         unit (plain) + integration + browser
#   scripts/check.sh --unit-only | --integration-only | --browser-only | --image-only
#
# Browser tests (Playwright in Debian's chromium) run after integration; the image
# suite (build, inspect, rebuild, boot, audit: root) runs last.
#
# Every suite runs even when an earlier one fails, so one run shows everything that
# is broken; the exit status is non-zero if anything failed.
set -u
cd "$(dirname "$0")/.."

MODE=${1:-full}
PASSED=0
FAILED=0
SKIPPED=0
FAILURES=()
LOGDIR=$(mktemp -d "${TMPDIR:-/tmp}/sekisho-check.XXXXXX")
trap 'rm -rf "$LOGDIR"' EXIT

# The unit passes run JOBS binaries at a time (default: one per core). Each binary
# is single-process and most are CPU-bound, valgrind's above all, so two at once on
# two cores nearly halve the pass; every test picks its own temp directories and
# ephemeral ports, so concurrent binaries do not meet. Results are tallied in order
# after the pass, so the output reads the same as a sequential run.
JOBS=${JOBS:-$(nproc)}

# Start one job in the background (at most JOBS at once): its output goes to LOG,
# its exit status to LOG.rc.
spawn() {	# log command...
	local log=$1; shift
	while [ "$(jobs -rp | wc -l)" -ge "$JOBS" ]; do wait -n; done
	( "$@" >"$log" 2>&1; echo $? >"$log.rc" ) &
}

# Count one cmocka binary's TAP results from its log.
tally_cmocka() {	# label binary log
	local label=$1 bin=$2 log=$3 ok notok skip rc
	rc=$(cat "$log.rc" 2>/dev/null || echo 1)
	# cmocka reports a skipped test as "not ok N # SKIP": a skip, not a failure.
	skip=$(grep -c '^\(not \)\?ok [0-9]* *# SKIP' "$log")
	ok=$(grep '^ok ' "$log" | grep -vc '# SKIP')
	notok=$(grep '^not ok ' "$log" | grep -vc '# SKIP')
	PASSED=$((PASSED + ok))
	SKIPPED=$((SKIPPED + skip))
	if [ "$rc" -ne 0 ] && [ "$notok" -eq 0 ]; then
		notok=1	# crashed, or valgrind/sanitizer found an error after the tests
	fi
	FAILED=$((FAILED + notok))
	if [ "$notok" -ne 0 ]; then
		FAILURES+=("$label $(basename "$bin")")
		echo "---- $label $(basename "$bin") FAILED (exit $rc) ----"
		tail -n 60 "$log"
	fi
	printf '%-10s %-28s %3d passed, %d failed, %d skipped\n' "$label" "$(basename "$bin")" \
		"$ok" "$notok" "$skip"
}

# Run every cmocka binary of a directory with TAP output, JOBS at a time.
run_cmocka_all() {	# label dir [wrapper...]
	local label=$1 dir=$2 t; shift 2
	for t in "$dir"/test_*; do
		spawn "$LOGDIR/$(basename "$t").$label.log" env CMOCKA_MESSAGE_OUTPUT=TAP "$@" "$t"
	done
	wait
	for t in "$dir"/test_*; do
		tally_cmocka "$label" "$t" "$LOGDIR/$(basename "$t").$label.log"
	done
}

unit_plain() {
	run_cmocka_all unit build/tests
}

unit_valgrind() {
	run_cmocka_all valgrind build/tests valgrind -q --leak-check=full \
		--errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect \
		--error-exitcode=99 --track-fds=no
}

unit_asan() {
	run_cmocka_all asan build-asan/tests env ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
}

# Each fuzz target replays its seed corpus and then fuzzes briefly: proof that it
# builds, runs and has not regressed. `make fuzz` fuzzes for longer.
fuzz_smoke() {
	local f name
	for f in build-fuzz/fuzz/fuzz_*; do
		[ -x "$f" ] || continue
		name=$(basename "$f")
		mkdir -p "$LOGDIR/$name.corpus"
		spawn "$LOGDIR/$name.fuzz.log" "$f" -max_total_time=5 -timeout=10 \
			-rss_limit_mb=2048 "$LOGDIR/$name.corpus" "tests/fuzz/corpus/$name"
	done
	wait
	for f in build-fuzz/fuzz/fuzz_*; do
		[ -x "$f" ] || continue
		name=$(basename "$f")
		if [ "$(cat "$LOGDIR/$name.fuzz.log.rc" 2>/dev/null)" = 0 ]; then
			PASSED=$((PASSED + 1))
			printf '%-10s %-28s   1 passed, 0 failed\n' fuzz "$name"
		else
			FAILED=$((FAILED + 1))
			FAILURES+=("fuzz $name")
			echo "---- fuzz $name FAILED ----"
			tail -n 40 "$LOGDIR/$name.fuzz.log"
		fi
	done
}

# "passed failed skipped" from a pytest JUnit XML file (no file: one failure).
junit_counts() {
	/usr/bin/python3 - "$1" <<'PY'
import sys, xml.etree.ElementTree as ET
try:
    r = ET.parse(sys.argv[1]).getroot()
    s = r if r.tag == "testsuite" else r.find("testsuite")
    t, f, e, k = (int(s.get(a, 0)) for a in ("tests", "failures", "errors", "skipped"))
    print(t - f - e - k, f + e, k)
except Exception:
    print(0, 1, 0)
PY
}

integration() {
	local xml="$LOGDIR/pytest.xml"
	/usr/bin/python3 -m pytest -q -p no:cacheprovider --durations=15 --junitxml="$xml" tests/integration
	set -- $(junit_counts "$xml")
	PASSED=$((PASSED + $1))
	FAILED=$((FAILED + $2))
	SKIPPED=$((SKIPPED + $3))
	[ "$2" -eq 0 ] || FAILURES+=("integration ($2)")
}

# The citizen pages in Debian's chromium with Playwright (tests/browser/).
browser() {
	local log="$LOGDIR/browser.log" ok bad rc
	scripts/browser-tests.sh --reporter=list >"$log" 2>&1
	rc=$?
	ok=$(grep -Eo '^ *[0-9]+ passed' "$log" | tail -n 1 | grep -Eo '[0-9]+' || echo 0)
	bad=$(grep -Eo '^ *[0-9]+ (failed|flaky|did not run)' "$log" | grep -Eo '[0-9]+' |
	      awk '{ n += $1 } END { print n + 0 }')
	if [ "$rc" -ne 0 ] && [ "$bad" -eq 0 ]; then
		bad=1
	fi
	PASSED=$((PASSED + ok))
	FAILED=$((FAILED + bad))
	if [ "$bad" -ne 0 ]; then
		FAILURES+=("browser ($bad)")
		echo "---- browser tests FAILED (exit $rc) ----"
		tail -n 80 "$log"
	fi
	printf '%-10s %-28s %3d passed, %d failed\n' browser "tests/browser" "$ok" "$bad"
}

# Pure JavaScript modules of the front ends (node's own test runner).
js_unit() {
	local log="$LOGDIR/node.log" ok bad
	node --test tests/browser/*.test.mjs >"$log" 2>&1
	ok=$(grep -Eo '^# pass [0-9]+' "$log" | grep -Eo '[0-9]+' || echo 0)
	bad=$(grep -Eo '^# fail [0-9]+' "$log" | grep -Eo '[0-9]+' || echo 1)
	PASSED=$((PASSED + ok))
	FAILED=$((FAILED + bad))
	if [ "$bad" -ne 0 ]; then
		FAILURES+=("node ($bad)")
		echo "---- node tests FAILED ----"
		tail -n 40 "$log"
	fi
	printf '%-10s %-28s %3d passed, %d failed\n' node "tests/browser/*.test.mjs" "$ok" "$bad"
}

# The appliance image (image/, tests/image): built into build/image as `make image`
# does, then inspected, rebuilt for reproducibility, booted in qemu and audited with
# lynis. What it needs is the build host's: root, loop devices, the tools of
# install-deps.sh's image list. A missing one is a failure that says so, never a skip.
image_suite() {
	local log="$LOGDIR/image.log" xml="$LOGDIR/image.xml" dir=build/image missing="" t0 t1
	t0=$(date +%s)
	[ "$(id -u)" -eq 0 ] || missing="$missing root"
	[ -e /dev/loop-control ] || missing="$missing /dev/loop-control"
	for tool in mmdebstrap systemd-nspawn qemu-system-x86_64 qemu-img lynis losetup extlinux; do
		command -v "$tool" >/dev/null 2>&1 || missing="$missing $tool"
	done
	if [ -n "$missing" ]; then
		FAILED=$((FAILED + 1))
		FAILURES+=("image (prerequisites)")
		echo "---- image FAILED: missing:$missing (run as root on a Debian 12 host with" \
			"loop devices, after provisioning/install-deps.sh) ----"
		printf '%-10s %-28s %3d passed, %d failed\n' image "tests/image" 0 1
		return
	fi
	# The image and its reproducibility rebuild side by side: each is mostly one dpkg
	# process, so the pair takes about the time of one build on two cores. Both get the
	# same SOURCE_DATE_EPOCH and mirror, as the test then checks.
	local rebuild=$dir-rebuild rc1 rc2 rebuild_env=()
	export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct)}
	rm -rf "$rebuild"
	image/build-image.sh "$dir" >"$log" 2>&1 &
	local p1=$!
	image/build-image.sh "$rebuild" >"$log.rebuild" 2>&1 &
	local p2=$!
	wait "$p1"; rc1=$?
	wait "$p2"; rc2=$?
	if [ "$rc1" -ne 0 ]; then
		FAILED=$((FAILED + 1))
		FAILURES+=("image (build)")
		echo "---- image build FAILED ----"
		tail -n 60 "$log"
		printf '%-10s %-28s %3d passed, %d failed\n' image "image/build-image.sh" 0 1
		return
	fi
	PASSED=$((PASSED + 1))
	if [ "$rc2" -eq 0 ]; then
		rebuild_env=(IMAGE_REBUILD_DIR="$(pwd)/$rebuild")
	else	# the test rebuilds on its own and shows why it fails
		echo "---- image rebuild (side by side) FAILED; the test rebuilds alone ----"
		tail -n 20 "$log.rebuild"
	fi
	env "${rebuild_env[@]}" IMAGE_DIR=$(pwd)/$dir /usr/bin/python3 -m pytest -q -s -p no:cacheprovider --durations=0 \
		--junitxml="$xml" tests/image >>"$log" 2>&1
	set -- $(junit_counts "$xml")
	PASSED=$((PASSED + $1))
	FAILED=$((FAILED + $2))
	SKIPPED=$((SKIPPED + $3))
	t1=$(date +%s)
	grep -Eo 'Hardening index: [0-9]+' "$log" || true
	grep -E '^image: (root|aide)' "$log" || true	# the build's own timings
	sed -n '/slowest durations/,/^$/p' "$log" | head -n 16
	if [ "$2" -ne 0 ]; then
		FAILURES+=("image ($2)")
		echo "---- image tests FAILED ----"
		tail -n 80 "$log"
	fi
	cp "$log" "$dir/check.log" 2>/dev/null || true
	printf '%-10s %-28s %3d passed, %d failed, %d skipped (%d s)\n' image "tests/image" \
		"$(($1 + 1))" "$2" "$3" "$((t1 - t0))"
}

case "$MODE" in
--quick)            unit_plain; js_unit; integration; browser ;;
--unit-only)        unit_plain ;;
--integration-only) integration ;;
--browser-only)     browser ;;
--image-only)       image_suite ;;
full)               unit_valgrind; unit_asan; fuzz_smoke; js_unit; integration; browser
                    image_suite ;;
*) echo "usage: $0 [--quick|--unit-only|--integration-only|--browser-only|--image-only]" >&2
   exit 2 ;;
esac

if [ ${#FAILURES[@]} -gt 0 ]; then
	echo "failed: ${FAILURES[*]}"
fi
echo "check: $PASSED passed, $FAILED failed, $SKIPPED skipped"
[ "$FAILED" -eq 0 ]
