#!/usr/bin/python3
"""Session add rate through the whole control chain: softwire-ctl batch ->
softwire-cp -> command ring -> softwire-dp's main lcore (rte_hash, rte_fib),
on net_null ports without traffic (no-rx=1), one worker lcore spinning.

    bench/control/add_rate.py [--build build] [--sessions 100000] [--runs 3]

Prints one line per run and the median adds/s; each run starts both
processes afresh and adds `sessions` sessions (one IPv4 /32 each) on one SA
pair."""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
import softwire_live as live  # noqa: E402
import softwire_traffic as st  # noqa: E402


def thread_cpu_seconds(pid: int, comm: str) -> float:
    """CPU time (user + system) of the threads of `pid` named `comm`."""
    total = 0
    for tid in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{tid}/stat") as f:
            stat = f.read()
        name = stat[stat.index("(") + 1:stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2:].split()
        if name == comm:
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / os.sysconf("SC_CLK_TCK")


def one_run(build: str, sessions: int, work: str, run: int) -> tuple[float, dict[str, float]]:
    sc = st.Scenario("addrate")
    si = sc.add_si("si", "192.0.2.10", spi_in=0x1001, spi_out=0x2001)
    instance = f"addrate{os.getpid()}r{run}"
    sock = os.path.join(work, f"cp{run}.sock")
    conf = os.path.join(work, f"softwire{run}.conf")
    with open(conf, "w") as f:
        f.write(sc.config_text(work, ["--no-huge", "-m", "1024", "--no-pci", "-l", "0,1",
                                      "--file-prefix", instance, "--log-level", "*:warning"],
                               instance=instance,
                               devices={"access": "net_null0,no-rx=1", "core": "net_null1,no-rx=1"},
                               dataplane_extra=f"max_sessions = {max(sessions + 16, 1024)};",
                               extra=f'control = {{ socket = "{sock}"; }};'))
    batch = os.path.join(work, "batch.txt")
    if not os.path.exists(batch):
        with open(batch, "w") as f:
            for i in range(sessions):
                f.write(f"session add identity=u{i} sa_in=0x1001 sa_out=0x2001 "
                        f"tunnel_id={100 + i // 60000} session_id={1 + i % 60000} "
                        f"peer_tunnel_id=7 peer_session_id={1 + i % 60000} "
                        f"prefixes=10.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}/32\n")
    dp = live.Process([os.path.join(build, "dataplane/softwire-dp"), "-c", conf],
                      os.path.join(work, f"dp{run}.log"))
    cp = None
    try:
        live.wait_for(lambda: live.segment_generation(instance) or not dp.alive(), 30, "dp")
        cp = live.Process([os.path.join(build, "control/softwire-cp"), "-c", conf],
                          os.path.join(work, f"cp{run}.log"))
        live.wait_for(lambda: os.path.exists(sock) or not cp.alive(), 30, "cp socket")
        ctl = os.path.join(build, "control/softwire-ctl")
        subprocess.run([ctl, "-s", sock, "wait-synced", "30"], check=True, capture_output=True)
        # CPU per add of each party: the cp, the dp's main lcore (its
        # thread keeps the process name; the worker spins regardless) and
        # softwire-ctl (a child of ours).
        before = {"cp": thread_cpu_seconds(cp.proc.pid, "softwire-cp"),
                  "dp_main": thread_cpu_seconds(dp.proc.pid, "softwire-dp"),
                  "ctl": sum(os.times()[2:4])}
        r = subprocess.run([ctl, "-s", sock, "--json", "batch", batch], check=True,
                           capture_output=True, text=True)
        after = {"cp": thread_cpu_seconds(cp.proc.pid, "softwire-cp"),
                 "dp_main": thread_cpu_seconds(dp.proc.pid, "softwire-dp"),
                 "ctl": sum(os.times()[2:4])}
        result = json.loads(r.stdout)
        if result["failed"] != 0 or result["ok"] != sessions:
            raise RuntimeError(r.stdout)
        cpu_us = {k: (after[k] - before[k]) * 1e6 / sessions for k in before}
        return float(result["adds_per_second"]), cpu_us
    finally:
        if cp is not None:
            cp.stop()
        if dp.stop() != 0:
            raise RuntimeError("softwire-dp exit status: " + dp.output())


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--sessions", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    rates = []
    with tempfile.TemporaryDirectory(prefix="swadd") as work:
        for run in range(args.runs):
            rate, cpu_us = one_run(args.build, args.sessions, work, run)
            rates.append(rate)
            print(f"run {run + 1}: {rate:,.0f} adds/s; CPU per add: "
                  + ", ".join(f"{k} {v:.2f} us" for k, v in cpu_us.items()), flush=True)
            time.sleep(0.5)
    print(f"median: {statistics.median(rates):,.0f} adds/s ({args.sessions:,} sessions, "
          f"{args.runs} runs)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
