#!/usr/bin/env bash
# Sets up, builds and runs every faultline test: the release build, then the unit tests
# again under AddressSanitizer + UBSan.
#   FAULTLINE_PROPERTY_SCHEDULES=100000 scripts/test.sh   # a longer property-test run
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)

scripts/setup.sh
echo "== tests (release build)"
ctest --test-dir build --output-on-failure -j "$jobs" --timeout 900 -LE root
# Real clusters run in real time: alone, so other tests' CPU load cannot starve their timers
# into elections of their own.
echo "== tests with real clusters, namespaces, nftables (root; they skip without it), one at a time"
ctest --test-dir build --output-on-failure --timeout 900 -L root

scripts/setup.sh --sanitize
echo "== unit tests under AddressSanitizer + UBSan"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan --output-on-failure -j "$jobs" --timeout 900 -LE 'slow|root'
