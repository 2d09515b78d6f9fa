#!/usr/bin/python3
"""End-to-end throughput harness for softwire-dp (bench/run.sh wraps it).

For every case it generates traffic with softwire-trafgen (a C++ generator
that shares no encapsulation code with the data plane), runs softwire-dp with
one worker lcore and one main lcore, net_pcap (infinite_rx=1) in and net_null
out, on hugepages, and reads the rates softwire-dp measured from its port
counters over a fixed window after a warm-up (--warmup). Each case runs
--runs times; the table shows the median and the spread (min..max).

Baselines, measured in the same run on the same machine:
  * raw intel-ipsec-mb AES-GCM (bench/crypto's `direct/` benchmarks: one
    IMB_AESxxx_GCM_ENC/DEC call per packet, the library's fastest single-packet
    path, one core);
  * the I/O floor: dpdk-testpmd --forward-mode=io over the same PMD pair and
    the same pcap; the *limit* of a case is 1 / (1/io + 1/crypto);
  * DPDK's ipsec-secgw (bench/secgw), decrypting the same ESP transport-mode
    traffic with one worker (1 and 1,024 SAs).

The results replace the section between <!-- e2e:begin --> and
<!-- e2e:end --> in bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.path.join(ROOT, "build")
DP = os.path.join(BUILD, "dataplane", "softwire-dp")
TRAFGEN = os.path.join(BUILD, "bench", "trafgen", "softwire-trafgen")
CRYPTO_BENCH = os.path.join(BUILD, "bench", "crypto", "crypto_bench")
HUGEPAGES = "/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages"

# ESP payload = inner + PPP (4) + L2TP (6) + UDP (8), padded to 4: the
# crypto_bench size closest to it from below (a smaller size makes the crypto
# rate, and so the limit, slightly higher: the comparison stays conservative).
CRYPTO_SIZE_FOR_INNER = {64: 64, 512: 512, 1400: 1420}


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def cpu_model() -> str:
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor()


def package_version(name: str) -> str:
    r = subprocess.run(["dpkg-query", "-W", "-f=${Version}", name], capture_output=True, text=True)
    return r.stdout.strip() or "?"


class Hugepages:
    """Reserves 2 MiB hugepages for the run and restores the previous count."""

    def __init__(self, pages: int):
        self.pages = pages
        self.previous = None

    def __enter__(self):
        with open(HUGEPAGES) as f:
            self.previous = int(f.read())
        if self.previous < self.pages:
            with open(HUGEPAGES, "w") as f:
                f.write(str(self.pages))
        os.makedirs("/dev/hugepages", exist_ok=True)
        mounts = open("/proc/mounts").read()
        if "hugetlbfs" not in mounts:
            subprocess.run(["mount", "-t", "hugetlbfs", "nodev", "/dev/hugepages"], check=True)
        with open(HUGEPAGES) as f:
            got = int(f.read())
        if got < self.pages:
            log(f"warning: only {got} of {self.pages} hugepages could be reserved")
        return self

    def __exit__(self, *exc):
        with open(HUGEPAGES, "w") as f:
            f.write(str(self.previous))


def eal_args(prefix: str) -> list[str]:
    # One main lcore (0) and one worker (1); hugepages; no PCI scan.
    return ["-l", "0,1", "--file-prefix", prefix, "--no-pci", "--log-level=*:error",
            "--huge-dir", "/dev/hugepages"]


def set_mempool(config_path: str, mbufs: int) -> None:
    """net_pcap with infinite_rx keeps the whole pcap in mbufs: size the pool."""
    text = open(config_path).read()
    if "mempool_mbufs" in text:
        text = re.sub(r"mempool_mbufs\s*=\s*\d+\s*;", f"mempool_mbufs = {mbufs};", text)
    else:
        text = re.sub(r"(dataplane\s*=\s*\{)", rf"\1\n  mempool_mbufs = {mbufs};", text, count=1)
    open(config_path, "w").write(text)


def generate(work: str, direction: str, sessions: int, inner: int, proposal: str) -> tuple[str, int]:
    packets = max(sessions, 4096)
    pcap = os.path.join(work, f"{direction}.pcap")
    conf = os.path.join(work, "softwire.conf")
    subprocess.run([TRAFGEN, "--sessions", str(sessions), "--sas", "1", "--packets", str(packets),
                    "--inner-size", str(inner), "--proposal", proposal, "--direction", direction,
                    "--out-pcap", pcap, "--out-config", conf], check=True, cwd=work,
                   stdout=subprocess.DEVNULL)
    # Pool: the replayed packets, the RX/TX rings and per-lcore caches.
    set_mempool(conf, packets + 16384)
    return conf, packets


def run_dp(work: str, conf: str, warmup: float, window: float, prefix: str) -> dict:
    stats = os.path.join(work, "stats.json")
    cmd = [DP, "-c", conf, "--warmup", str(warmup), "--run-for", str(warmup + window),
           "--stats-json", stats, "--"] + eal_args(prefix)
    r = subprocess.run(cmd, cwd=work, capture_output=True, text=True, timeout=600)
    if r.returncode != 0:
        raise RuntimeError(f"softwire-dp failed ({r.returncode}): {r.stderr[-2000:]}")
    with open(stats) as f:
        return json.load(f)


def dp_case(args, direction: str, sessions: int, inner: int, proposal: str) -> dict:
    rates, drops = [], {}
    tsc_hz = 0
    with tempfile.TemporaryDirectory(prefix="swbench") as work:
        conf, packets = generate(work, direction, sessions, inner, proposal)
        out_port = "core" if direction == "up" else "access"
        for run in range(args.runs):
            s = run_dp(work, conf, args.warmup, args.window, f"swbench{os.getpid()}")
            w = s["window"]
            tsc_hz = w["tsc_hz"]
            rates.append(w["ports"][out_port]["tx_pps"])
            drops = {k: v for k, v in s["drops"].items() if v}
    return {"direction": direction, "sessions": sessions, "inner": inner, "proposal": proposal,
            "packets": packets, "pps": rates, "tsc_hz": tsc_hz, "drops": drops}


def testpmd_io(args, pcap: str, prefix: str) -> list[float]:
    """The I/O floor: the same PMD pair forwarding untouched packets."""
    rates = []
    for _ in range(args.runs):
        cmd = ["dpdk-testpmd"] + eal_args(prefix) + [
            "--vdev", f"net_pcap0,rx_pcap={pcap},infinite_rx=1", "--vdev", "net_null0", "--",
            "--forward-mode=io", "-a", "--stats-period", "1", "--total-num-mbufs=65536",
            "--nb-cores=1"]
        p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        samples = []
        deadline = time.time() + args.warmup + args.window + 1
        try:
            for line in p.stdout:
                m = re.search(r"Tx-pps:\s+(\d+)", line)
                if m:
                    samples.append(int(m.group(1)))
                if time.time() > deadline:
                    break
        finally:
            p.terminate()
            p.wait(timeout=30)
        # testpmd prints Tx-pps for both ports; the null port carries the load.
        per_second = [x for x in samples if x > 0][int(args.warmup):]
        if per_second:
            rates.append(statistics.median(per_second))
    return rates


def crypto_rates(args) -> dict:
    """Raw intel-ipsec-mb: one direct GCM call per packet, per size and key."""
    out = {}
    r = subprocess.run([CRYPTO_BENCH, "--benchmark_format=json", "--benchmark_min_time=0.2",
                        f"--benchmark_repetitions={args.runs}",
                        "--benchmark_report_aggregates_only=true",
                        "--benchmark_filter=^direct/(enc|dec)/aes(128|256)/(64|512|1420)$"],
                       capture_output=True, text=True, check=True)
    benchmarks = json.loads(r.stdout)["benchmarks"]
    # One repetition reports no aggregates: use the runs themselves then.
    wanted = "median" if any(b.get("aggregate_name") for b in benchmarks) else None
    for b in benchmarks:
        if b.get("aggregate_name") != wanted:
            continue
        name = b["run_name"]  # direct/enc/aes128/64
        _, op, key, size = name.split("/")
        out[(op, key, int(size))] = b["items_per_second"]
    return out


SECGW_KEY = "000102030405060708090a0b0c0d0e0f"
SECGW_SALT = "a0a1a2a3"


def secgw_rates(args, inner: int, sas: int) -> list[float] | None:
    """ipsec-secgw (legacy path, its fastest here) decrypting ESP transport-mode
    traffic of the same ESP payload size as softwire's upstream case: the
    decrypted packet is IPv4 + UDP 1701 + as many bytes as L2TP + PPP + inner
    take in softwire's traffic (inner + 38 bytes in all)."""
    secgw = os.path.join(ROOT, "bench", "secgw")
    if not os.path.exists(os.path.join(secgw, "run.sh")):
        return None
    rates = []
    with tempfile.TemporaryDirectory(prefix="swsecgw") as work:
        pcap = os.path.join(work, "esp.pcap")
        subprocess.run(["/usr/bin/python3", os.path.join(secgw, "make_esp_pcap.py"), "--out", pcap,
                        "--key", SECGW_KEY, "--salt", SECGW_SALT, "--sas", str(sas),
                        "--packets", str(max(4096, sas * 4)), "--size", str(inner + 38)],
                       check=True, stdout=subprocess.DEVNULL)
        for _ in range(args.runs):
            r = subprocess.run([os.path.join(secgw, "run.sh"), "--pcap", pcap, "--key", SECGW_KEY,
                                "--salt", SECGW_SALT, "--sas", str(sas), "--mode", "legacy",
                                "--warmup", str(args.warmup), "--window", str(args.window)],
                               capture_output=True, text=True)
            lines = [l for l in r.stdout.splitlines() if l.startswith("{")]
            if r.returncode != 0 or not lines:
                log(f"ipsec-secgw run failed: {r.stderr[-1000:]}")
                return None
            rates.append(json.loads(lines[-1])["tx_pps"])
    return rates


def fmt_rate(values: list[float]) -> str:
    if not values:
        return "n/a"
    med = statistics.median(values)
    return f"{med / 1e6:.2f} ({min(values) / 1e6:.2f}..{max(values) / 1e6:.2f})"


def write_results(text: str) -> None:
    path = os.path.join(ROOT, "bench", "RESULTS.md")
    old = open(path).read() if os.path.exists(path) else "# softwire benchmark results\n"
    begin, end = "<!-- e2e:begin -->", "<!-- e2e:end -->"
    block = f"{begin}\n{text}\n{end}"
    if begin in old:
        new = old[:old.index(begin)] + block + old[old.index(end) + len(end):]
    else:
        new = old.rstrip() + "\n\n" + block + "\n"
    open(path, "w").write(new)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--warmup", type=float, default=2.0)
    ap.add_argument("--window", type=float, default=4.0)
    ap.add_argument("--sizes", default="64,512,1400")
    ap.add_argument("--sessions", default="1,1000,65536,1000000")
    ap.add_argument("--full", action="store_true",
                    help="AES-256 for every session count too (default: 1 session)")
    ap.add_argument("--no-secgw", action="store_true")
    ap.add_argument("--hugepages", type=int, default=3072, help="2 MiB pages to reserve")
    args = ap.parse_args()
    sizes = [int(x) for x in args.sizes.split(",")]
    session_counts = [int(x) for x in args.sessions.split(",")]

    command = "bench/run.sh " + " ".join(sys.argv[1:])
    started = datetime.datetime.now(datetime.timezone.utc)
    results = []
    with Hugepages(args.hugepages):
        log("== raw intel-ipsec-mb")
        crypto = crypto_rates(args)
        io = {}
        secgw = {}
        for inner in sizes:
            for direction in ("up", "down"):
                for sessions in session_counts:
                    for proposal in ("aes128gcm16", "aes256gcm16"):
                        if proposal == "aes256gcm16" and sessions != 1 and not args.full:
                            continue
                        log(f"== softwire-dp {direction} inner {inner} B, {sessions} sessions, {proposal}")
                        results.append(dp_case(args, direction, sessions, inner, proposal))
            # The I/O floor with the upstream pcap of this size (the larger frames).
            with tempfile.TemporaryDirectory(prefix="swio") as work:
                generate(work, "up", 1, inner, "aes128gcm16")
                log(f"== testpmd io, {inner} B")
                io[inner] = testpmd_io(args, os.path.join(work, "up.pcap"), f"swio{os.getpid()}")
            if not args.no_secgw:
                for sas in (1, 1024):
                    log(f"== ipsec-secgw, {inner} B, {sas} SAs")
                    secgw[(inner, sas)] = secgw_rates(args, inner, sas)

    # Report.
    lines = []
    lines.append("## End-to-end throughput (one worker lcore)\n")
    lines.append(f"- Command: `{command}`")
    lines.append(f"- Date: {started:%Y-%m-%d %H:%M} UTC; CPU: {cpu_model()}, {os.cpu_count()} cores; "
                 f"DPDK {package_version('libdpdk-dev')}, intel-ipsec-mb "
                 f"{package_version('libipsec-mb-dev')}; hugepages (2 MiB)")
    lines.append(f"- softwire-dp: net_pcap (infinite_rx=1) → net_null, 1 worker + 1 main lcore; "
                 f"rates from its port counters over {args.window:g} s after {args.warmup:g} s "
                 f"warm-up (`--warmup`); median of {args.runs} runs, (min..max). Cycles/pkt = TSC Hz "
                 f"/ packet rate of the one worker.")
    lines.append("- Limit = 1 / (1/io + 1/crypto): io = testpmd io forwarding on the same PMD pair "
                 "and pcap; crypto = raw intel-ipsec-mb (one direct GCM call per packet) decrypt "
                 "(up) or encrypt (down) at the nearest measured size.\n")
    lines.append("| dir | inner B | sessions | proposal | Mpps (min..max) | inner Gbit/s | cycles/pkt | "
                 "limit Mpps | % of limit | drops |")
    lines.append("|---|---:|---:|---|---:|---:|---:|---:|---:|---|")
    for r in results:
        med = statistics.median(r["pps"]) if r["pps"] else 0
        key = "aes128" if "128" in r["proposal"] else "aes256"
        op = "dec" if r["direction"] == "up" else "enc"
        c = crypto.get((op, key, CRYPTO_SIZE_FOR_INNER[r["inner"]]))
        io_rate = statistics.median(io[r["inner"]]) if io.get(r["inner"]) else None
        limit = 1 / (1 / io_rate + 1 / c) if (c and io_rate) else None
        cyc = r["tsc_hz"] / med if med else 0
        lines.append(f"| {r['direction']} | {r['inner']} | {r['sessions']:,} | {r['proposal']} | "
                     f"{fmt_rate(r['pps'])} | {med * r['inner'] * 8 / 1e9:.2f} | {cyc:.0f} | "
                     f"{limit / 1e6 if limit else float('nan'):.2f} | "
                     f"{100 * med / limit if limit else float('nan'):.0f}% | "
                     f"{', '.join(f'{k} {v}' for k, v in r['drops'].items()) or '-'} |")
    lines.append("\n### Baselines\n")
    lines.append("| inner B | testpmd io Mpps | raw ipsec-mb dec Mpps (aes128) | raw enc Mpps (aes128) | "
                 "ipsec-secgw 1 SA Mpps | ipsec-secgw 1,024 SAs Mpps |")
    lines.append("|---:|---:|---:|---:|---:|---:|")
    for inner in sizes:
        size = CRYPTO_SIZE_FOR_INNER[inner]
        dec = crypto.get(("dec", "aes128", size))
        enc = crypto.get(("enc", "aes128", size))
        lines.append(f"| {inner} | {fmt_rate(io.get(inner, []))} | {dec / 1e6 if dec else 0:.2f} | "
                     f"{enc / 1e6 if enc else 0:.2f} | {fmt_rate(secgw.get((inner, 1)) or [])} | "
                     f"{fmt_rate(secgw.get((inner, 1024)) or [])} |")
    # Ratios the targets are stated in.
    lines.append("\n### Targets\n")
    def up1(inner):
        for r in results:
            if r["direction"] == "up" and r["sessions"] == 1 and r["inner"] == inner and r["proposal"] == "aes128gcm16":
                return statistics.median(r["pps"])
        return None
    for inner, target in ((64, 1.5), (1400, 1.3)):
        sg = secgw.get((inner, 1))
        u = up1(inner)
        if sg and u:
            lines.append(f"- upstream {inner} B, 1 SA vs ipsec-secgw: {u / statistics.median(sg):.2f}x "
                         f"(target ≥ {target}x)")
    for inner in sizes:
        rows = {r["sessions"]: statistics.median(r["pps"]) for r in results
                if r["direction"] == "up" and r["inner"] == inner and r["proposal"] == "aes128gcm16"}
        if 1 in rows and 1000000 in rows:
            lines.append(f"- upstream {inner} B, 1,000,000 sessions vs 1: "
                         f"{100 * (1 - rows[1000000] / rows[1]):.1f}% lower (target ≤ 15%)")
        downs = {r["sessions"]: statistics.median(r["pps"]) for r in results
                 if r["direction"] == "down" and r["inner"] == inner and r["proposal"] == "aes128gcm16"}
        if 1 in rows and 1 in downs:
            lines.append(f"- {inner} B, 1 session: downstream/upstream = {downs[1] / rows[1]:.2f} "
                         f"(target within 15%)")
    text = "\n".join(lines)
    write_results(text)
    print(text)


if __name__ == "__main__":
    main()
