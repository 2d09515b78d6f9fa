"""IPv6 test vectors built with scapy; writes a C++ header (argv[1])."""

import ipaddress
import logging
import sys

logging.getLogger("scapy").setLevel(logging.ERROR)

from scapy.layers.inet import TCP, UDP
from scapy.layers.inet6 import (
    ICMPv6EchoRequest,
    IPv6,
    IPv6ExtHdrDestOpt,
    IPv6ExtHdrFragment,
    IPv6ExtHdrHopByHop,
    IPv6ExtHdrRouting,
    Jumbo,
)
from scapy.packet import Raw

from vectors_common import VectorHeader

EXTENSION_LAYERS = (IPv6ExtHdrHopByHop, IPv6ExtHdrRouting, IPv6ExtHdrFragment, IPv6ExtHdrDestOpt)


def walk(ip):
    """What the parser must report, read from scapy's own dissection."""
    result = dict(
        upper_protocol=ip.nh,
        upper_offset=40,
        extension_header_count=0,
        has_routing_header=False,
        routing_segments_left=0,
        has_fragment_header=False,
        is_fragment=False,
        fragment_offset=0,
        more_fragments=False,
        fragment_id=0,
    )
    layer = ip.payload
    while isinstance(layer, EXTENSION_LAYERS):
        result["extension_header_count"] += 1
        result["upper_offset"] += len(bytes(layer)) - len(bytes(layer.payload))
        result["upper_protocol"] = layer.nh
        if isinstance(layer, IPv6ExtHdrRouting) and not result["has_routing_header"]:
            result["has_routing_header"] = True
            result["routing_segments_left"] = layer.segleft
        if isinstance(layer, IPv6ExtHdrFragment):
            if not result["has_fragment_header"]:
                result["has_fragment_header"] = True
                result["fragment_offset"] = layer.offset
                result["more_fragments"] = bool(layer.m)
                result["fragment_id"] = layer.id
            result["is_fragment"] |= layer.offset != 0 or layer.m != 0
            if layer.offset != 0:
                break  # fragment data follows, not headers
        layer = layer.payload
    return result


def valid_case(out, name, comment, packet, padding=b""):
    wire = bytes(packet) + padding
    ip = IPv6(wire)
    out.case(
        name,
        comment,
        packet=wire,
        traffic_class=ip.tc,
        flow_label=ip.fl,
        payload_length=ip.plen,
        next_header=ip.nh,
        hop_limit=ip.hlim,
        src=ipaddress.IPv6Address(ip.src).packed,
        dst=ipaddress.IPv6Address(ip.dst).packed,
        payload=wire[40 : 40 + ip.plen],
        **walk(ip),
    )


def invalid_case(out, name, comment, wire, status):
    out.case(name, comment, packet=bytes(wire), status=status)


def main():
    out = VectorHeader("ipv6_vectors.py")
    a, b = "2001:db8::1", "2001:db8:ffff::2"
    valid_case(
        out,
        "basic",
        "UDP 4500, traffic class and flow label set",
        IPv6(src=a, dst=b, tc=0xB8, fl=0x12345, hlim=64) / UDP(sport=4500, dport=4500) / Raw(b"hi"),
    )
    valid_case(out, "esp", "ESP directly", IPv6(src=b, dst=a, nh=50, hlim=1) / Raw(bytes(24)))
    valid_case(
        out,
        "chain",
        "hop-by-hop, destination options, routing, first fragment, destination options, UDP",
        IPv6(src=a, dst=b, fl=0xFFFFF, tc=0xFF, hlim=255)
        / IPv6ExtHdrHopByHop()
        / IPv6ExtHdrDestOpt()
        / IPv6ExtHdrRouting(addresses=["2001:db8::3"])
        / IPv6ExtHdrFragment(offset=0, m=1, id=0x1234567)
        / IPv6ExtHdrDestOpt()
        / UDP(sport=1701, dport=1701)
        / Raw(b"abc"),
    )
    valid_case(
        out,
        "later_fragment",
        "fragment at offset 100: the walk stops there",
        IPv6(src=a, dst=b) / IPv6ExtHdrFragment(offset=100, m=1, nh=17, id=0xFEDCBA98) / Raw(b"x" * 16),
    )
    valid_case(
        out,
        "last_fragment",
        "last fragment: offset 8191, M clear",
        IPv6(src=a, dst=b) / IPv6ExtHdrFragment(offset=8191, m=0, nh=50, id=1) / Raw(b"y" * 8),
    )
    valid_case(
        out,
        "atomic_fragment",
        "fragment header with offset 0 and M clear (RFC 6946): not a fragment",
        IPv6(src=a, dst=b) / IPv6ExtHdrFragment(offset=0, m=0, id=77) / UDP(sport=1, dport=2),
    )
    valid_case(
        out,
        "routing",
        "routing header with two segments left, then TCP",
        IPv6(src=a, dst=b) / IPv6ExtHdrRouting(addresses=["2001:db8::5", "2001:db8::6"]) / TCP(),
    )
    valid_case(out, "icmpv6", "echo request", IPv6(src=a, dst=b) / ICMPv6EchoRequest(data=b"ping"))
    valid_case(out, "no_next_header", "next header 59, payload length 0", IPv6(src=a, dst=b, nh=59))
    valid_case(
        out,
        "eight_headers",
        "eight destination options headers: the limit",
        IPv6(src=a, dst=b) / (IPv6ExtHdrDestOpt() / IPv6ExtHdrDestOpt()) / IPv6ExtHdrDestOpt()
        / IPv6ExtHdrDestOpt() / IPv6ExtHdrDestOpt() / IPv6ExtHdrDestOpt() / IPv6ExtHdrDestOpt()
        / IPv6ExtHdrDestOpt() / UDP(),
    )
    valid_case(
        out,
        "padded",
        "short UDP datagram followed by Ethernet padding",
        IPv6(src=a, dst=b) / UDP(sport=500, dport=500),
        padding=b"\x00" * 6,
    )

    invalid_case(out, "bad_version", "version 4", IPv6(version=4) / UDP(), "bad_version")
    invalid_case(
        out,
        "jumbogram",
        "payload length 0 with a hop-by-hop jumbo payload option",
        IPv6(plen=0) / IPv6ExtHdrHopByHop(options=[Jumbo(jumboplen=70000)]) / UDP() / Raw(b"x"),
        "jumbogram",
    )
    invalid_case(
        out,
        "payload_length_long",
        "payload length 100, 10 bytes present",
        IPv6(plen=100) / Raw(b"x" * 10),
        "bad_payload_length",
    )
    invalid_case(
        out,
        "extension_header_long",
        "destination options claiming 32 bytes in a 16-byte payload",
        IPv6() / IPv6ExtHdrDestOpt(len=3) / UDP(),
        "truncated_extension_header",
    )
    invalid_case(
        out,
        "extension_header_short",
        "destination options next header with only 4 bytes of payload",
        IPv6(nh=60) / Raw(b"\x11\x00\x01\x02"),
        "truncated_extension_header",
    )
    invalid_case(
        out,
        "fragment_header_short",
        "fragment header with only 6 bytes of payload",
        IPv6(nh=44) / Raw(b"\x11\x00\x00\x01\x00\x00"),
        "truncated_extension_header",
    )
    invalid_case(
        out,
        "hop_by_hop_second",
        "hop-by-hop after destination options",
        IPv6() / IPv6ExtHdrDestOpt() / IPv6ExtHdrHopByHop() / UDP(),
        "hop_by_hop_not_first",
    )
    nine = IPv6()
    for _ in range(9):
        nine = nine / IPv6ExtHdrDestOpt()
    invalid_case(
        out, "nine_headers", "nine destination options headers", nine / UDP(), "too_many_extension_headers"
    )
    out.write(sys.argv[1])


if __name__ == "__main__":
    main()
