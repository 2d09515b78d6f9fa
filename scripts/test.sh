#!/usr/bin/env bash
# Runs every test: the release build's suites, then the same suites built with
# clang under ASan and UBSan, plus each libFuzzer harness for a bounded time.
# The last line is the summary CI reads: "N passed, N failed".
set -uo pipefail
source "$(dirname "$0")/lib.sh"
cd "$SOFTWIRE_ROOT"

ensure_packages || exit 1

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:strict_string_checks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

rm -f build/meson-logs/testlog.json build-san/meson-logs/testlog.json
status=0
echo "== release build"
build_release || status=1
if [ $status -eq 0 ]; then
  echo "== tests (release)"
  meson test -C build --print-errorlogs --num-processes 2 || status=1
fi

echo "== sanitizer build (clang, ASan + UBSan, libFuzzer)"
if build_sanitized; then
  echo "== tests (ASan + UBSan, fuzzers)"
  meson test -C build-san --print-errorlogs --num-processes 2 --timeout-multiplier 3 || status=1
else
  status=1
fi

# One summary over both builds, from meson's machine-readable logs.
/usr/bin/python3 - "$status" <<'PY'
import json, os, sys
passed = failed = 0
for d in ("build", "build-san"):
    path = os.path.join(d, "meson-logs", "testlog.json")
    if not os.path.exists(path):
        continue
    for line in open(path):
        r = json.loads(line).get("result")
        if r in ("OK", "EXPECTEDFAIL"):
            passed += 1
        else:  # FAIL, TIMEOUT, UNEXPECTEDPASS, SKIP (no skipped test is left behind), ERROR
            failed += 1

if int(sys.argv[1]) != 0 and failed == 0:
    failed = 1  # a build failed before any test could run
print(f"{passed} passed, {failed} failed")
PY
[ $status -eq 0 ]
