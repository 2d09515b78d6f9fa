#!/usr/bin/env bash
# Builds everything in release mode and runs the end-to-end throughput
# benchmarks with their baselines; writes bench/RESULTS.md. Needs root
# (hugepages). Options: see `bench/run.py --help`.
set -euo pipefail
source "$(dirname "$0")/../scripts/lib.sh"
cd "$SOFTWIRE_ROOT"
ensure_packages dpdk-doc
build_release >/dev/null
if [ -x bench/secgw/build.sh ]; then bench/secgw/build.sh >/dev/null; fi
exec /usr/bin/python3 bench/run.py "$@"
