#!/usr/bin/python3
"""Summarize bench_all.sh results (JSON lines) as a markdown table.

One row per (SAs, inner size, mode): the median tx_pps (decrypted packets
forwarded to net_null) and rx_pps over the runs, the min..max of tx_pps, the
worker thread's CPU share and tx packets per worker CPU second (medians), and
the 1-minute load average range seen at the start of the runs.

Usage: summarize.py RESULTS.jsonl
"""

import json
import statistics
import sys
from collections import defaultdict


def main(path):
    """Print the table for the results file at ``path``."""
    cells = defaultdict(list)
    for ln in open(path):
        ln = ln.strip()
        if ln.startswith("{"):
            r = json.loads(ln)
            cells[(r["sas"], int(r.get("label", 0)), r["mode"])].append(r)
    print("| SAs | inner B | mode | runs | tx Mpps (median) | rx Mpps (median)"
          " | tx min..max | worker CPU share | tx Mpps per worker CPU-s"
          " | load1 |")
    print("|---:|---:|---|---:|---:|---:|---|---:|---:|---|")
    for (sas, size, mode), rs in sorted(cells.items()):
        tx = [r["tx_pps"] / 1e6 for r in rs]
        rx = [r["rx_pps"] / 1e6 for r in rs]
        ld = [r["loadavg"][0] for r in rs]
        sh = [r["worker_cpu_share"] for r in rs if r.get("worker_cpu_share")]
        pc = [r["tx_per_worker_cpu_s"] / 1e6 for r in rs
              if r.get("tx_per_worker_cpu_s")]
        shs = f"{statistics.median(sh):.2f}" if sh else "-"
        pcs = f"{statistics.median(pc):.3f}" if pc else "-"
        print(f"| {sas} | {size} | {mode} | {len(rs)} | "
              f"{statistics.median(tx):.3f} | {statistics.median(rx):.3f} | "
              f"{min(tx):.3f}..{max(tx):.3f} | {shs} | {pcs} | "
              f"{min(ld):.1f}..{max(ld):.1f} |")


if __name__ == "__main__":
    main(sys.argv[1])
