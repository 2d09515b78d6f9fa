"""IPv4 test vectors built with scapy; writes a C++ header (argv[1])."""

import logging
import sys

logging.getLogger("scapy").setLevel(logging.ERROR)

from scapy.layers.inet import (
    IP,
    UDP,
    IPOption,
    IPOption_NOP,
    IPOption_Router_Alert,
    IPOption_RR,
)
from scapy.packet import Raw

from vectors_common import VectorHeader


def ip_to_int(text):
    a, b, c, d = (int(x) for x in text.split("."))
    return (a << 24) | (b << 16) | (c << 8) | d


def valid_case(out, name, comment, packet, padding=b""):
    """A packet scapy built; `padding` is appended as Ethernet would."""
    wire = bytes(packet) + padding
    ip = IP(wire)  # scapy's own reading of every field
    header_length = ip.ihl * 4
    out.case(
        name,
        comment,
        packet=wire,
        tos=ip.tos,
        total_length=ip.len,
        identification=ip.id,
        dont_fragment=bool(ip.flags.DF),
        more_fragments=bool(ip.flags.MF),
        fragment_offset=ip.frag,
        ttl=ip.ttl,
        protocol=ip.proto,
        src=ip_to_int(ip.src),
        dst=ip_to_int(ip.dst),
        checksum=ip.chksum,
        header_length=header_length,
        options=wire[20:header_length],
        payload=wire[header_length : ip.len],
        is_fragment=bool(ip.flags.MF) or ip.frag != 0,
    )


def invalid_case(out, name, comment, wire, status):
    out.case(name, comment, packet=bytes(wire), status=status)


def main():
    out = VectorHeader("ipv4_vectors.py")
    payload = Raw(bytes(range(13)))
    valid_case(
        out,
        "basic",
        "DF, DSCP EF, UDP 4500",
        IP(src="192.0.2.1", dst="198.51.100.7", ttl=64, id=0x1234, flags="DF", tos=0xB8)
        / UDP(sport=4500, dport=4500)
        / payload,
    )
    valid_case(
        out,
        "options",
        "router alert, NOP, record route: IHL 8",
        IP(
            src="10.1.2.3",
            dst="10.3.2.1",
            ttl=1,
            id=7,
            options=[IPOption_Router_Alert(), IPOption_NOP(), IPOption_RR(routers=["10.0.0.1"])],
        )
        / UDP(sport=1701, dport=1701)
        / payload,
    )
    valid_case(
        out,
        "esp",
        "protocol 50, no payload beyond a few bytes",
        IP(src="203.0.113.9", dst="192.0.2.200", proto=50, ttl=255, id=0xFFFF) / Raw(b"\x00" * 8),
    )
    valid_case(
        out,
        "fragment_first",
        "first fragment: MF, offset 0",
        IP(src="192.0.2.1", dst="192.0.2.2", proto=17, flags="MF", frag=0, id=99) / Raw(b"a" * 24),
    )
    valid_case(
        out,
        "fragment_middle",
        "middle fragment: MF, offset 185",
        IP(src="192.0.2.1", dst="192.0.2.2", proto=17, flags="MF", frag=185, id=99)
        / Raw(b"b" * 16),
    )
    valid_case(
        out,
        "fragment_last",
        "last fragment: offset 8191, no MF",
        IP(src="192.0.2.1", dst="192.0.2.2", proto=17, frag=8191, id=99) / Raw(b"c" * 5),
    )
    valid_case(
        out,
        "padded",
        "short UDP datagram followed by Ethernet padding to 46 bytes",
        IP(src="198.51.100.1", dst="198.51.100.2") / UDP(sport=500, dport=500) / Raw(b"k"),
        padding=b"\x00" * 17,
    )
    valid_case(
        out,
        "empty",
        "header only, total length 20",
        IP(src="0.0.0.0", dst="255.255.255.255", proto=0),
    )

    invalid_case(out, "bad_version", "version 5", IP(version=5) / Raw(b"x" * 4), "bad_version")
    invalid_case(out, "bad_header_length", "IHL 4", IP(ihl=4) / Raw(b"x" * 4), "bad_header_length")
    invalid_case(
        out,
        "header_length_truncated",
        "IHL 15 but only 24 bytes",
        IP(ihl=15, len=24) / Raw(b"x" * 4),
        "truncated",
    )
    invalid_case(out, "bad_checksum", "checksum 0x1234", IP(chksum=0x1234), "bad_checksum")
    invalid_case(
        out, "total_length_short", "total length 19 < header", IP(len=19) / Raw(b"x"), "bad_total_length"
    )
    invalid_case(
        out,
        "total_length_long",
        "total length 100, 24 bytes present",
        IP(len=100) / Raw(b"x" * 4),
        "bad_total_length",
    )
    invalid_case(out, "reserved_flag", "evil bit", IP(flags="evil"), "reserved_flag")
    invalid_case(
        out,
        "option_length_short",
        "record route with length 1",
        IP(options=[IPOption(option=7, length=1, value=b"\x00\x00")]),
        "bad_options",
    )
    invalid_case(
        out,
        "option_length_long",
        "record route with length 9 in a 4-byte option area",
        IP(options=[IPOption(option=7, length=9, value=b"\x04\x00")]),
        "bad_options",
    )
    invalid_case(
        out,
        "option_missing_length",
        "NOPs then a type byte without its length",
        IP(options=[IPOption_NOP(), IPOption_NOP(), IPOption_NOP(), IPOption(b"\x07")]),
        "bad_options",
    )

    # TTL decrement: the same headers before and after, both checksummed by scapy.
    before, after = b"", b""
    for i, ttl in enumerate([2, 64, 128, 255, 17, 3, 200, 99]):
        fields = dict(src=f"10.{i}.{i * 7}.1", dst=f"192.0.{i * 31}.9", id=i * 4099, proto=17)
        before += bytes(IP(ttl=ttl, **fields))
        after += bytes(IP(ttl=ttl - 1, **fields))
    out.case("ttl_decrement", "20-byte headers, TTL n and n - 1", before=before, after=after)
    out.write(sys.argv[1])


if __name__ == "__main__":
    main()
