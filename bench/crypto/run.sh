#!/usr/bin/env bash
# Builds the crypto benchmark (release), runs it with 3 repetitions and
# writes the "Crypto engine" section of bench/RESULTS.md (replacing the old
# one). Extra arguments go to the benchmark, e.g. a --benchmark_filter.
#
#   bench/crypto/run.sh
#   MIN_TIME=0.05 bench/crypto/run.sh --benchmark_filter='^(engine|single)/enc/aes128/.*'
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
build=${BUILD_DIR:-build-crypto}
min_time=${MIN_TIME:-0.1}
out_dir=$root/bench/out
mkdir -p "$out_dir"
json=$out_dir/crypto_bench.json

if [ ! -f "$build/build.ninja" ]; then
  meson setup "$build" -Dbuildtype=release
fi
ninja -C "$build" bench/crypto/crypto_bench

cmd=("$build/bench/crypto/crypto_bench" --benchmark_repetitions=3
  "--benchmark_min_time=$min_time" --benchmark_format=console
  "--benchmark_out=$json" --benchmark_out_format=json "$@")
echo "+ ${cmd[*]}"
# Pin to one CPU when possible: less migration noise, stable TSC reading.
if command -v taskset > /dev/null; then
  taskset -c "${BENCH_CPU:-1}" "${cmd[@]}"
else
  "${cmd[@]}"
fi

/usr/bin/python3 "$root/bench/crypto/report.py" "$json" "$root/bench/RESULTS.md" \
  "bench/crypto/run.sh $*" "${cmd[*]}"
echo "updated bench/RESULTS.md"
