"""UDP test vectors built with scapy; writes a C++ header (argv[1])."""

import ipaddress
import logging
import sys

logging.getLogger("scapy").setLevel(logging.ERROR)

from scapy.layers.inet import IP, UDP
from scapy.layers.inet6 import IPv6, IPv6ExtHdrDestOpt
from scapy.packet import Raw

from vectors_common import VectorHeader


def datagram_case(out, name, comment, packet, parse_status="ok", verify_status="ok"):
    """`packet` is IP or IPv6 / ... / UDP; the vector is the IP payload scapy built."""
    wire = bytes(packet)
    if packet.haslayer(IPv6):
        ip = IPv6(wire)
        version = 6
        src_ipv4 = dst_ipv4 = 0
        src_ipv6 = ipaddress.IPv6Address(ip.src).packed
        dst_ipv6 = ipaddress.IPv6Address(ip.dst).packed
    else:
        ip = IP(wire)
        version = 4
        src_ipv4 = int(ipaddress.IPv4Address(ip.src))
        dst_ipv4 = int(ipaddress.IPv4Address(ip.dst))
        src_ipv6 = dst_ipv6 = bytes(16)
    udp = ip[UDP]
    datagram = bytes(udp)
    out.case(
        name,
        comment,
        datagram=datagram,
        version=version,
        src_ipv4=src_ipv4,
        dst_ipv4=dst_ipv4,
        src_ipv6=src_ipv6,
        dst_ipv6=dst_ipv6,
        src_port=udp.sport,
        dst_port=udp.dport,
        length=udp.len,
        checksum=udp.chksum,
        payload=datagram[8:],
        parse_status=parse_status,
        verify_status=verify_status,
    )


def payload_for_zero_checksum(layer3, udp_fields):
    """Two payload bytes that make the computed checksum 0, sent as 0xffff."""
    probe = layer3.__class__(bytes(layer3 / UDP(**udp_fields) / Raw(b"\x00\x00")))
    checksum = probe[UDP].chksum
    return bytes([checksum >> 8, checksum & 0xFF])


def main():
    out = VectorHeader("udp_vectors.py")
    v4 = dict(src="192.0.2.1", dst="198.51.100.77")
    v6 = dict(src="2001:db8::1", dst="2001:db8:1:2:3:4:5:6")

    datagram_case(
        out,
        "ipv4",
        "NAT-T port, even payload",
        IP(**v4) / UDP(sport=4500, dport=4500) / Raw(bytes(range(32))),
    )
    datagram_case(
        out,
        "ipv4_odd",
        "ephemeral to L2TP, odd payload",
        IP(**v4) / UDP(sport=49152, dport=1701) / Raw(b"odd payload"),
    )
    datagram_case(out, "ipv4_empty", "no payload", IP(**v4) / UDP(sport=500, dport=500))
    datagram_case(
        out,
        "ipv4_no_checksum",
        "checksum 0: none over IPv4",
        IP(**v4) / UDP(sport=4500, dport=4500, chksum=0) / Raw(b"esp"),
    )
    fields = dict(sport=1234, dport=4321)
    datagram_case(
        out,
        "ipv4_all_ones",
        "computed checksum 0 is sent as 0xffff",
        IP(**v4) / UDP(**fields) / Raw(payload_for_zero_checksum(IP(**v4), fields)),
    )
    datagram_case(
        out,
        "ipv6",
        "L2TP over IPv6",
        IPv6(**v6) / UDP(sport=1701, dport=1701) / Raw(bytes(range(100, 141))),
    )
    datagram_case(
        out,
        "ipv6_after_extension",
        "after a destination options header (not in the pseudo-header)",
        IPv6(**v6) / IPv6ExtHdrDestOpt() / UDP(sport=4500, dport=4500) / Raw(b"x" * 7),
    )
    datagram_case(
        out,
        "ipv6_all_ones",
        "computed checksum 0 is sent as 0xffff",
        IPv6(**v6) / UDP(**fields) / Raw(payload_for_zero_checksum(IPv6(**v6), fields)),
    )

    datagram_case(
        out,
        "ipv4_bad_checksum",
        "checksum 0x1234",
        IP(**v4) / UDP(sport=1, dport=2, chksum=0x1234) / Raw(b"data"),
        verify_status="bad_checksum",
    )
    datagram_case(
        out,
        "ipv6_bad_checksum",
        "checksum 0x1234",
        IPv6(**v6) / UDP(sport=1, dport=2, chksum=0x1234) / Raw(b"data"),
        verify_status="bad_checksum",
    )
    datagram_case(
        out,
        "ipv6_zero_checksum",
        "checksum 0 over IPv6 (RFC 8200)",
        IPv6(**v6) / UDP(sport=1, dport=2, chksum=0) / Raw(b"data"),
        parse_status="zero_checksum",
        verify_status="zero_checksum",
    )
    datagram_case(
        out,
        "length_below_header",
        "length 7",
        IP(**v4) / UDP(sport=1, dport=2, len=7) / Raw(b"data"),
        parse_status="bad_length",
    )
    datagram_case(
        out,
        "length_above_payload",
        "length 100, 12 bytes present",
        IP(**v4) / UDP(sport=1, dport=2, len=100) / Raw(b"data"),
        parse_status="bad_length",
    )
    datagram_case(
        out,
        "length_below_payload",
        "length 10 in a 12-byte IP payload",
        IP(**v4) / UDP(sport=1, dport=2, len=10) / Raw(b"data"),
        parse_status="bad_length",
    )
    out.write(sys.argv[1])


if __name__ == "__main__":
    main()
