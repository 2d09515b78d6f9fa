#!/usr/bin/python3
"""A/B of two softwire-dp binaries on the same traffic, runs alternating
(A, B, A, B, ...) so that drift of the machine hits both alike.

    bench/ab.py OLD_DP NEW_DP [--direction up|down] [--sessions N] [--inner B]
                [--proposal aes128gcm16] [--runs 4] [--warmup 1.5] [--window 3]

Build the old binary from a worktree of the old commit, e.g.
    git worktree add /tmp/old <commit> && meson setup /tmp/old/build-rel \\
        && ninja -C /tmp/old/build-rel dataplane/softwire-dp
Traffic and configuration come from this tree's softwire-trafgen (as in
bench/run.py); hugepages as in bench/run.py. Prints the median (min..max)
Mpps of each binary at the output port."""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("old_dp")
    ap.add_argument("new_dp")
    ap.add_argument("--direction", choices=("up", "down"), default="up")
    ap.add_argument("--sessions", type=int, default=1)
    ap.add_argument("--inner", type=int, default=64)
    ap.add_argument("--proposal", default="aes128gcm16")
    ap.add_argument("--runs", type=int, default=4)
    ap.add_argument("--warmup", type=float, default=1.5)
    ap.add_argument("--window", type=float, default=3.0)
    ap.add_argument("--hugepages", type=int, default=3072)
    args = ap.parse_args()
    out_port = "core" if args.direction == "up" else "access"
    rates: dict[str, list[float]] = {"old": [], "new": []}
    with run.Hugepages(args.hugepages), tempfile.TemporaryDirectory(prefix="swab") as work:
        conf, _ = run.generate(work, args.direction, args.sessions, args.inner, args.proposal)
        for _ in range(args.runs):
            for name, dp in (("old", os.path.abspath(args.old_dp)),
                             ("new", os.path.abspath(args.new_dp))):
                run.DP = dp
                stats = run.run_dp(work, conf, args.warmup, args.window, f"swab{os.getpid()}")
                rates[name].append(stats["window"]["ports"][out_port]["tx_pps"] / 1e6)
    print(f"{args.direction} {args.inner} B, {args.sessions} sessions, {args.proposal}, "
          f"{args.runs} runs each:")
    for name, values in rates.items():
        print(f"  {name}: {statistics.median(values):.2f} Mpps "
              f"({min(values):.2f}..{max(values):.2f})  runs: "
              + " ".join(f"{v:.2f}" for v in values))
    return 0


if __name__ == "__main__":
    sys.exit(main())
