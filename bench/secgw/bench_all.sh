#!/usr/bin/env bash
# Full ipsec-secgw baseline: build, generate the test pcaps, verify every
# crypto path decrypts and forwards, then measure
#   modes {cpu-crypto, lookaside, legacy} x SAs {1, 1024} x inner sizes
#   {64, 512, 1400} x REPS repetitions
# (repetition loop outermost, so load changes spread over all cells), and
# print the medians as a markdown table (summarize.py).
#
# Env: BUILD_DIR (default build/secgw), REPS (3), WARMUP (2), WINDOW (3),
#      MODES, SAS, SIZES (space-separated lists), KEY (16-byte hex), SALT.
# Results: $BUILD_DIR/results/results.jsonl (one JSON line per run, appended
# fresh each invocation), logs and configs next to it.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
export BUILD_DIR="${BUILD_DIR:-$repo/build/secgw}"
REPS="${REPS:-3}"
WARMUP="${WARMUP:-2}"
WINDOW="${WINDOW:-3}"
MODES="${MODES:-cpu-crypto lookaside legacy}"
SAS="${SAS:-1 1024}"
SIZES="${SIZES:-64 512 1400}"
KEY="${KEY:-000102030405060708090a0b0c0d0e0f}"
SALT="${SALT:-deadbeef}"
PY=/usr/bin/python3

bin="$("$here/build.sh" | tail -n1)"
res="$BUILD_DIR/results"
pcaps="$BUILD_DIR/pcaps"
mkdir -p "$res" "$pcaps"
out="$res/results.jsonl"
: > "$out"

for n in $SAS; do
	for sz in $SIZES; do
		f="$pcaps/esp-${n}sa-${sz}.pcap"
		[[ -s "$f" ]] || "$PY" "$here/make_esp_pcap.py" -o "$f" --key "$KEY" \
			--salt "$SALT" --sas "$n" --packets 4096 --size "$sz"
	done
done

# Functional check first: every packet replayed once must come out decrypted.
for m in $MODES; do
	for n in $SAS; do
		"$PY" "$here/run.py" --bin "$bin" --verify --mode "$m" --sas "$n" \
			--key "$KEY" --salt "$SALT" --workdir "$res/verify" \
			--pcap "$pcaps/esp-${n}sa-64.pcap" | tee -a "$res/verify.jsonl"
	done
done

for r in $(seq 1 "$REPS"); do
	for n in $SAS; do
		for sz in $SIZES; do
			for m in $MODES; do
				"$PY" "$here/run.py" --bin "$bin" --mode "$m" --sas "$n" \
					--key "$KEY" --salt "$SALT" --workdir "$res/run" \
					--warmup "$WARMUP" --window "$WINDOW" --label "$sz" \
					--pcap "$pcaps/esp-${n}sa-${sz}.pcap" | tee -a "$out"
			done
		done
	done
done

"$PY" "$here/summarize.py" "$out"
