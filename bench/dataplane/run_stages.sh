#!/usr/bin/env bash
# Builds the pipeline stage benchmark (release), runs it with 3 repetitions
# (medians) and writes the "Pipeline stages" section of bench/RESULTS.md
# (between <!-- stages:begin --> and <!-- stages:end -->; other sections are
# left alone). Extra arguments go to the benchmark, e.g. a --benchmark_filter
# (the section then holds only what ran).
#
#   bench/dataplane/run_stages.sh
#   MIN_TIME=0.05 bench/dataplane/run_stages.sh --benchmark_filter='sessions:1/'
#
# Environment:
#   SRC_REV     what to measure: a git revision (default HEAD), exported with
#               git archive into <build dir>.src so that uncommitted work in
#               the tree (colleagues' half-done files) is neither measured
#               nor able to break the build; SRC_REV=worktree measures the
#               working tree as it is
#   BUILD_DIR   default build-stagebench-rev (a revision) or build-stagebench
#               (worktree)
#   MIN_TIME    seconds of measured stage time per run, default 0.1
#   SOFTWIRE_BENCH_HUGE=1      EAL on hugepages instead of --no-huge
#   SOFTWIRE_BENCH_SESSIONS    the large session count, default 1000000
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
rev=${SRC_REV:-HEAD}
min_time=${MIN_TIME:-0.1}
out_dir=$root/bench/out
mkdir -p "$out_dir"
json=$out_dir/stages_bench.json

if [ "$rev" = worktree ]; then
  build=${BUILD_DIR:-build-stagebench}
  src=$root
  dirty=$(git status --porcelain -- config crypto dataplane bench/dataplane | wc -l)
  source_desc="working tree at $(git rev-parse --short=12 HEAD), $dirty uncommitted code file(s)"
else
  build=${BUILD_DIR:-build-stagebench-rev}
  sha=$(git rev-parse --verify "$rev^{commit}")
  src=$root/${build%/}.src
  if [ "$(cat "$src/.softwire-rev" 2> /dev/null || true)" != "$sha" ]; then
    rm -rf -- "${src:?}"
    mkdir -p "$src"
    git archive "$sha" | tar -x -C "$src"
    echo "$sha" > "$src/.softwire-rev"
  fi
  source_desc="commit ${sha:0:12} (git archive; uncommitted changes excluded)"
fi

if [ ! -f "$build/build.ninja" ]; then
  meson setup "$build" "$src" -Dbuildtype=release -Db_ndebug=if-release -Dtests=false
elif ! meson introspect --buildoptions "$build" | grep -q '"name": "buildtype", "value": "release"'; then
  meson configure "$build" -Dbuildtype=release -Db_ndebug=if-release
fi
ninja -C "$build" bench/dataplane/stages_bench

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
started=$(date -u '+%Y-%m-%d %H:%M UTC')
cmd=("$build/bench/dataplane/stages_bench" --benchmark_repetitions=3
  --benchmark_report_aggregates_only=true "--benchmark_min_time=$min_time"
  --benchmark_format=console "--benchmark_out=$json" --benchmark_out_format=json "$@")
echo "+ ${cmd[*]}"
"${cmd[@]}"
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

cpu_model=$(lscpu | sed -n 's/^Model name: *//p' | head -1)
cpu_count=$(nproc)

/usr/bin/python3 - "$json" "$root/bench/RESULTS.md" "bench/dataplane/run_stages.sh $*" \
  "${cmd[*]}" "$started" "$cpu_model" "$cpu_count" "$load_before" "$load_after" \
  "$source_desc" <<'PY'
import json
import re
import sys

(json_path, results_path, script_cmd, bench_cmd, started, cpu_model, cpu_count, load_before,
 load_after, source_desc) = sys.argv[1:]
with open(json_path) as f:
    data = json.load(f)
ctx = data["context"]
tsc_hz = float(ctx.get("tsc_hz", 0))

NAME = re.compile(r"stage:(?P<stage>[^/]+)/key:(?P<key>[^/]+)/sessions:(?P<sessions>\d+)"
                  r"/bytes:(?P<bytes>\d+)")
runs = {}  # (stage, key, sessions, bytes) -> {aggregate: row}
errors = []
for b in data["benchmarks"]:
    m = NAME.match(b["name"])
    if not m:
        continue
    k = (m["stage"], m["key"], int(m["sessions"]), int(m["bytes"]))
    if b.get("error_occurred"):
        errors.append("%s: %s" % (b["name"], b.get("error_message", "")))
        continue
    if b.get("run_type") != "aggregate":
        continue
    runs.setdefault(k, {})[b["aggregate_name"]] = b

ORDER = ["up.access_input", "up.sa_lookup", "up.esp_decrypt", "up.aead_decrypt", "up.l2tp_input",
         "up.ingress_filter", "up.core_output", "up.chain_rx", "up.chain_owned",
         "down.core_input", "down.l2tp_encap", "down.esp_encrypt", "down.aead_encrypt",
         "down.access_output", "down.chain_rx", "down.chain_owned",
         "diag.l2tp_input_warm_session", "diag.esp_encrypt_warm_counters"]


def ns(stage, key, sessions, size):
    """Median ns/pkt; stages that do not depend on the key were run with AES-128 only."""
    for k in (key, "aes128"):
        r = runs.get((stage, k, sessions, size))
        if r and "median" in r:
            return r["median"]["ns_per_pkt"]
    return None


def fmt(v, digits=1):
    return "-" if v is None else ("%.*f" % (digits, v))


session_counts = sorted({k[2] for k in runs})
keys = sorted({k[1] for k in runs})
sizes = sorted({k[3] for k in runs})

out = ["<!-- stages:begin -->", "## Pipeline stages", ""]
out.append("""ns per packet of each data-plane stage on a burst of 32 real packets
(`bench/dataplane/stages_bench.cpp`), so that the cost of a packet through the
whole chain can be explained stage by stage. One SA pair (AES-GCM, transport
mode, IPv4 outer, no ESN, no NAT-T) and N sessions bound to it, one IPv4 /30
each; every packet of every burst belongs to a session drawn at random out of
the N (2048 different bursts, cycled). `bytes` is the inner IP packet
(IPv4/UDP). `up.aead_decrypt` / `down.aead_encrypt` are the raw
`AeadEngine::decrypt/encrypt` call on the same burst the ESP stage gets, so the
ESP stage's own (non-crypto) cost is the difference. `chain_rx` is
`upstream_rx` / `downstream_rx` (every stage), `chain_owned` is
`upstream_owned` / `downstream_owned` (after the SA lookup / the route lookup).
Stages that do not depend on the key were run with AES-128 only. The `diag.*`
rows (AES-128, 64 bytes) run `l2tp_input` / `esp_encrypt` after reading,
outside the timed region, the session cache line the stage reads first
(`SessionState::sa_in`, resp. the `down_packets` line): the difference to the
plain stage is what that one cold line costs the stage.

Method: stages consume and rewrite their packets, so each iteration restores
one burst from a pristine snapshot (memcpy of the bytes, data_off/len, the
mbuf metadata; the inbound replay window is reset when the 2048 bursts wrap)
and only the stage call is timed (lfence/rdtsc, minus the calibrated cost of
an empty timed region; Google Benchmark's manual time), because
PauseTiming/ResumeTiming would cost more than the stage. `ns/pkt` is the
median over the 3 repetitions of each run's median burst / 32; the median
burst is robust to the preemptions of a shared host, the mean (also in the
JSON, `ns_per_pkt_mean`) is not. `cycles/pkt` uses the TSC rate. `spread` is
the standard deviation of ns/pkt over the repetitions and its ratio to the
mean. The restore leaves the burst's packet bytes hot in L1/L2; the tables,
session and SA state are not warmed. A stage's input is what the stages before
it made of the burst, so the lines that a previous stage would have pulled in
(for example the session state) are cold in a single-stage run, and the
chain pays some of those misses only once: the sum of the stages can exceed
the chain.""")
out.append("")
out.append("- command: `%s` → `%s`" % (script_cmd.strip(), bench_cmd))
out.append("- date: %s; code measured: %s" % (started, source_desc))
out.append("- CPU: %s (%s CPUs), TSC %.0f MHz; EAL %s, main lcore 0" %
           (cpu_model, cpu_count, tsc_hz / 1e6, ctx.get("eal_memory", "?")))
out.append("- load average before / after the run: %s / %s (2 CPUs shared with colleagues' "
           "builds: read the spread column)" % (load_before, load_after))
out.append("- timer overhead subtracted: %s cycles per timed burst" %
           ctx.get("timer_overhead_cycles", "?"))
out.append("- Google Benchmark library build type: %s" % ctx.get("library_build_type", "?"))
if errors:
    out.append("- errors: " + "; ".join(sorted(set(errors))))
out.append("")

for sessions in session_counts:
    out.append("### %s session%s" % ("{:,}".format(sessions), "" if sessions == 1 else "s"))
    out.append("")
    out.append("| stage | key | bytes | ns/pkt | cycles/pkt | spread | restore ns/pkt (not counted) |")
    out.append("|---|---|---:|---:|---:|---|---:|")
    for stage in ORDER:
        for key in keys:
            for size in sizes:
                r = runs.get((stage, key, sessions, size))
                if not r or "median" not in r:
                    continue
                med = r["median"]
                sd = r.get("stddev", {}).get("ns_per_pkt")
                mean = r.get("mean", {}).get("ns_per_pkt")
                spread = "-" if sd is None else "±%.1f (%.0f%%)" % (
                    sd, 100.0 * sd / mean if mean else 0.0)
                out.append("| %s | %s | %d | %.1f | %.0f | %s | %.0f |" % (
                    stage, key, size, med["ns_per_pkt"], med["cycles_per_pkt"], spread,
                    med.get("restore_ns_per_pkt", 0.0)))
    out.append("")

# Stage sums against the chains.
out.append("### Sum of the stages against the whole chain (ns/pkt)")
out.append("")
out.append("| sessions | key | bytes | up: sum of 6 stages | up.chain_rx | up: sum esp_decrypt.."
           "core_output | up.chain_owned | down: sum of 4 stages | down.chain_rx | down: sum "
           "l2tp_encap..access_output | down.chain_owned | ESP stage minus raw AEAD (dec / enc) | "
           "raw AEAD share of chain_rx (up / down) |")
out.append("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|")
UP = ["up.access_input", "up.sa_lookup", "up.esp_decrypt", "up.l2tp_input", "up.ingress_filter",
      "up.core_output"]
DOWN = ["down.core_input", "down.l2tp_encap", "down.esp_encrypt", "down.access_output"]
sums = []
for sessions in session_counts:
    for key in keys:
        for size in sizes:
            def total(stages):
                vals = [ns(s, key, sessions, size) for s in stages]
                return None if None in vals else sum(vals)
            row = [total(UP), ns("up.chain_rx", key, sessions, size), total(UP[2:]),
                   ns("up.chain_owned", key, sessions, size), total(DOWN),
                   ns("down.chain_rx", key, sessions, size), total(DOWN[1:]),
                   ns("down.chain_owned", key, sessions, size)]
            if all(v is None for v in row):
                continue
            dec = ns("up.esp_decrypt", key, sessions, size)
            raw_dec = ns("up.aead_decrypt", key, sessions, size)
            enc = ns("down.esp_encrypt", key, sessions, size)
            raw_enc = ns("down.aead_encrypt", key, sessions, size)
            diff = "%s / %s" % (fmt(None if None in (dec, raw_dec) else dec - raw_dec),
                                fmt(None if None in (enc, raw_enc) else enc - raw_enc))
            def share(raw, chain):
                return "-" if None in (raw, chain) or not chain else "%.0f%%" % (100 * raw / chain)
            shares = "%s / %s" % (share(raw_dec, row[1]), share(raw_enc, row[5]))
            out.append("| %s | %s | %d | %s | %s | %s |" % (
                "{:,}".format(sessions), key, size, " | ".join(fmt(v) for v in row), diff, shares))
            for a, b in ((row[0], row[1]), (row[4], row[5])):
                if a is not None and b:
                    sums.append(a / b)
out.append("")
if sums:
    out.append("Reading: the sum of the separately measured stages is %.2f..%.2f times the "
               "whole-chain figure (median %.2f). Above 1 means the stages cost more alone "
               "than in the chain: each single-stage run starts with the lines the previous "
               "stage would have left in the cache (packet headers, session and SA state) "
               "cold and pays the per-call fixed costs (prefetch warm-up, burst setup) each "
               "time; below 1 means the chain pays something the isolated stages do not "
               "(cache pressure of the whole working set). The last column is the share of "
               "the chain that the cipher itself takes."
               % (min(sums), max(sums), sorted(sums)[len(sums) // 2]))
    out.append("")
out.append("<!-- stages:end -->")
section = "\n".join(out) + "\n"

try:
    with open(results_path) as f:
        text = f.read()
except FileNotFoundError:
    text = "# Benchmark results\n"
begin, end = "<!-- stages:begin -->", "<!-- stages:end -->"
if begin in text and end in text:
    head = text[:text.index(begin)]
    tail = text[text.index(end) + len(end):].lstrip("\n")
    text = head + section + ("\n" + tail if tail else "")
else:
    text = text.rstrip("\n") + "\n\n" + section
with open(results_path, "w") as f:
    f.write(text)
PY
echo "updated bench/RESULTS.md"
