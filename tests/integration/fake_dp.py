#!/usr/bin/python3
"""A stand-in for softwire-dp that writes exactly what expected.json says.

Why: the integration harness (running the binary, reading pcaps and
stats.json, tshark on the outputs, the unordered multi-queue checks) must be
proved before the real data plane exists, and must keep passing against a
perfect data plane. Same command line as softwire-dp:

    fake_dp.py -c CONF --run-for S --stats-json FILE -- <EAL args>

It finds expected.json next to CONF. With two queues it splits outbound
frames by SPI and upstream frames alternately, as two workers might.
"""

import argparse
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), "scripts"))
import softwire_traffic as st  # noqa: E402
from scapy.layers.inet6 import ICMPv6ND_NA, ICMPv6NDOptDstLLAddr, IPv6  # noqa: E402
from scapy.layers.l2 import ARP, Ether  # noqa: E402


def reply_frame(r: dict) -> bytes:
    if r["kind"] == "arp_reply":
        return bytes(Ether(dst=r["eth_dst"], src=r["eth_src"]) /
                     ARP(op=2, hwsrc=r["hwsrc"], psrc=r["psrc"], hwdst=r["hwdst"], pdst=r["pdst"]))
    return bytes(Ether(dst=r["eth_dst"], src=r["eth_src"]) / IPv6(src=r["tgt"], dst=r["dst"], hlim=255) /
                 ICMPv6ND_NA(tgt=r["tgt"], R=0, S=1, O=1) / ICMPv6NDOptDstLLAddr(lladdr=r["lladdr"]))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-c", required=True)
    ap.add_argument("--run-for", type=float)
    ap.add_argument("--stats-json", required=True)
    ap.add_argument("eal", nargs="*")
    a = ap.parse_args()
    d = os.path.dirname(os.path.abspath(a.c))
    with open(os.path.join(d, "expected.json")) as f:
        exp = json.load(f)
    q = exp["queues"]
    acc = [[] for _ in range(q)]
    core = [[] for _ in range(q)]
    for e in exp["access_out"]:
        acc[e["spi"] % q].append(bytes.fromhex(e["frame"]))
    for i, e in enumerate(exp["core_out"]):
        core[i % q].append(bytes.fromhex(e["frame"]))
    for r in exp["replies"]["access"]:
        acc[0].append(reply_frame(r))
    for r in exp["replies"]["core"]:
        core[0].append(reply_frame(r))
    for name, fl in zip(exp["outputs"]["access"], acc):
        st.write_pcap(os.path.join(d, name), fl)
    for name, fl in zip(exp["outputs"]["core"], core):
        st.write_pcap(os.path.join(d, name), fl)
    stats = exp["stats"]
    for amb in exp["ambiguous"]:  # the contract leaves the reason open
        stats["drops"][amb["reasons"][0]] += amb["count"]
    stats["elapsed_s"] = a.run_for
    stats["mempool"]["size"] = 16383
    with open(a.stats_json, "w") as f:
        json.dump(stats, f)
    return 0


if __name__ == "__main__":
    sys.exit(main())
