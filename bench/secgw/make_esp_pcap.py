#!/usr/bin/python3
"""Write an ESP transport-mode test pcap for the ipsec-secgw baseline.

Each packet is Ether / IPv4 / ESP(AES-GCM, 16-byte ICV) and decrypts to
IPv4 / UDP (sport 1701, dport 1701) / filler payload. Packets are spread
round-robin over K SAs; SA i has SPI ``spi_base + i`` and outer (= inner, this
is transport mode) source address ``src_base + i``; all SAs share one key and
one destination address. Sequence numbers count from 1 per SA.

Example (1,024 SAs, 4,096 packets, 64-byte decrypted IPv4 packets)::

    /usr/bin/python3 bench/secgw/make_esp_pcap.py -o /tmp/esp.pcap \\
        --key 000102030405060708090a0b0c0d0e0f --salt deadbeef \\
        --sas 1024 --packets 4096 --size 64

``--size`` is the length of the decrypted (inner) IPv4 packet: IPv4 header
(20) + UDP header (8) + payload; the minimum is 28. Requires python3-scapy
(Debian's /usr/bin/python3).
"""

import argparse
import ipaddress
import sys

from scapy.layers.inet import IP, UDP
from scapy.layers.ipsec import ESP, SecurityAssociation
from scapy.layers.l2 import Ether
from scapy.packet import Raw
from scapy.utils import PcapWriter


def parse_args(argv):
    """Parse the command line."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("-o", "--out", required=True, help="output pcap file")
    p.add_argument("--key", required=True,
                   help="AES key hex, 16 or 32 bytes (AES-128/256-GCM), "
                        "shared by all SAs")
    p.add_argument("--salt", default="00000000",
                   help="4-byte GCM salt hex (RFC 4106), default 00000000")
    p.add_argument("--sas", type=int, default=1, help="number of SAs (K)")
    p.add_argument("--spi-base", type=lambda s: int(s, 0), default=0x1000,
                   help="SPI of SA 0; SA i uses spi_base+i (default 0x1000)")
    p.add_argument("--src-base", default="10.1.0.1",
                   help="source address of SA 0; SA i uses src_base+i")
    p.add_argument("--dst", default="10.0.0.1",
                   help="destination address of all packets")
    p.add_argument("--packets", type=int, default=1024,
                   help="number of packets (N), round-robin over the SAs")
    p.add_argument("--size", type=int, default=64,
                   help="decrypted IPv4 packet length in bytes (>= 28)")
    p.add_argument("--sport", type=int, default=1701)
    p.add_argument("--dport", type=int, default=1701)
    p.add_argument("--src-mac", default="02:00:00:00:00:01")
    p.add_argument("--dst-mac", default="02:00:00:00:00:02")
    a = p.parse_args(argv)
    key = bytes.fromhex(a.key)
    salt = bytes.fromhex(a.salt)
    if len(key) not in (16, 32):
        p.error("--key must be 16 or 32 bytes")
    if len(salt) != 4:
        p.error("--salt must be 4 bytes")
    if a.size < 28:
        p.error("--size must be >= 28")
    if a.sas < 1 or a.packets < a.sas:
        p.error("need 1 <= --sas <= --packets")
    a.key_bytes, a.salt_bytes = key, salt
    return a


def build_sas(a):
    """Return a list of (src address, scapy SecurityAssociation), one per SA."""
    base = ipaddress.IPv4Address(a.src_base)
    sas = []
    for i in range(a.sas):
        sa = SecurityAssociation(ESP, spi=a.spi_base + i, crypt_algo="AES-GCM",
                                 crypt_key=a.key_bytes + a.salt_bytes,
                                 auth_algo="NULL")
        sas.append((str(base + i), sa))
    return sas


def main(argv=None):
    """Generate the pcap; print a one-line summary to stderr."""
    a = parse_args(sys.argv[1:] if argv is None else argv)
    sas = build_sas(a)
    payload = bytes((i & 0xFF for i in range(a.size - 28)))
    with PcapWriter(a.out, linktype=1, sync=False) as w:
        for n in range(a.packets):
            idx = n % a.sas
            seq = n // a.sas + 1
            src, sa = sas[idx]
            inner = IP(src=src, dst=a.dst, ttl=64, id=n & 0xFFFF) / \
                UDP(sport=a.sport, dport=a.dport) / Raw(payload)
            inner = IP(bytes(inner))  # fix lengths and checksums
            esp = sa.encrypt(inner, seq_num=seq)
            w.write(Ether(src=a.src_mac, dst=a.dst_mac) / esp)
    print(f"wrote {a.packets} packets over {a.sas} SAs "
          f"(inner {a.size} B, key {8 * len(a.key_bytes)} bit) to {a.out}",
          file=sys.stderr)


if __name__ == "__main__":
    main()
