#!/usr/bin/python3
"""Prints softwire-dp's --stats-json as a short report an operator can read:
what was forwarded in each direction, and why everything else was dropped."""
import json
import sys


def main(path):
    with open(path) as f:
        s = json.load(f)
    print(f"ran for {s['elapsed_s']:.1f} s")
    print("\nports")
    for name, p in s["ports"].items():
        print(f"  {name:<10} rx {p['rx_packets']:>8} pkts {p['rx_bytes']:>10} B   "
              f"tx {p['tx_packets']:>8} pkts {p['tx_bytes']:>10} B")
    print("\nsessions (inner packets)")
    for x in s["sessions"]:
        print(f"  {x['identity']:<24} up {x['up_packets']:>6} pkts {x['up_bytes']:>8} B   "
              f"down {x['down_packets']:>6} pkts {x['down_bytes']:>8} B   spoofed {x['spoofed']}")
    print("\nSAs")
    for x in s["sas"]:
        flags = " soft-expired" if x["soft_expired"] else ""
        flags += " HARD-EXPIRED" if x["hard_expired"] else ""
        print(f"  spi 0x{x['spi']:08x} {x['direction']:<3} {x['packets']:>6} pkts "
              f"{x['bytes']:>8} B   auth_failed {x['auth_failed']}  replay {x['replay']}{flags}")
    drops = {k: v for k, v in s["drops"].items() if v}
    print(f"\ndropped: {sum(drops.values())} packets")
    for k, v in sorted(drops.items(), key=lambda kv: -kv[1]):
        print(f"  {k:<22} {v}")
    punts = {k: v for k, v in s["punts"].items() if v}
    print(f"punted to the control plane: {sum(punts.values())} packets")
    for k, v in sorted(punts.items(), key=lambda kv: -kv[1]):
        print(f"  {k:<22} {v}")
    n = s.get("neighbor", {})
    print(f"answered: {n.get('arp_replies', 0)} ARP, {n.get('nd_replies', 0)} ND")
    m = s["mempool"]
    print(f"mempool: {m['in_use']} of {m['size']} mbufs in use at exit")


if __name__ == "__main__":
    main(sys.argv[1])
