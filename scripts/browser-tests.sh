#!/bin/sh
# browser-tests.sh — the citizen pages in Debian's chromium (tests/browser/): installs
# the pinned npm packages (npm ci, package-lock.json; no browser download), checks
# that web/citizen's generated files are current, then runs Playwright against a
# dev stack it starts itself (tests/browser/stack.mjs). Needs build/bin (make all).
#
#   scripts/browser-tests.sh [playwright options, e.g. -g keyboard]
set -eu
cd "$(dirname "$0")/.."
if [ ! -x /usr/bin/chromium ]; then
	echo "browser-tests: /usr/bin/chromium is missing (provisioning/install-deps.sh)" >&2
	exit 1
fi
if [ ! -x build/bin/sekishoctl ]; then
	echo "browser-tests: build/bin/sekishoctl is missing (make all)" >&2
	exit 1
fi
if ! command -v npm >/dev/null 2>&1; then
	echo "browser-tests: npm is missing (Debian: apt-get install npm)" >&2
	exit 1
fi
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
npm ci --no-audit --no-fund --loglevel=error
node web/citizen/tools/build.mjs --check
exec npx --no-install playwright test -c tests/browser/playwright.config.js "$@"
