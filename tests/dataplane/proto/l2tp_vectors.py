"""L2TPv2 (RFC 2661 §3.1) test vectors built with scapy, written as a C++ header.

usage: python3 l2tp_vectors.py OUT.h

Most messages come from scapy.layers.l2tp.L2TP. That layer has two gaps:
  - its offset field is PadField(ShortField("offset"), 4): it always writes
    the 2-byte Offset Size plus 2 zero bytes, which matches RFC 2661 only for
    an offset size of 2;
  - it writes Length for any control message and Ns/Nr for any control
    message, whatever the L and S bits say (handy for the negative vectors).
Offset sizes other than 2 are therefore built with L2tpFieldByField below, a
scapy Packet that composes the header from scapy fields one RFC field at a
time (conditional on the flag bits, offset padding as a length-bound field).
"""

import sys

from scapy.fields import (ConditionalField, ShortField, StrLenField, XShortField)
from scapy.layers.inet import UDP
from scapy.layers.inet6 import IPv6
from scapy.layers.l2tp import L2TP
from scapy.layers.ppp import HDLC, PPP
from scapy.packet import Packet, Raw, raw

from vectors_common import c_bytes, c_bool, c_table, write_lines

T, L, S, O, P = 0x8000, 0x4000, 0x0800, 0x0200, 0x0100


class L2tpFieldByField(Packet):
    """L2TPv2 header as RFC 2661 §3.1 draws it; flags include the version."""
    name = "L2TPv2 field by field"
    fields_desc = [
        XShortField("flags", 0x0002),
        ConditionalField(ShortField("length", 0), lambda pkt: pkt.flags & L),
        ShortField("tunnel_id", 0),
        ShortField("session_id", 0),
        ConditionalField(ShortField("ns", 0), lambda pkt: pkt.flags & S),
        ConditionalField(ShortField("nr", 0), lambda pkt: pkt.flags & S),
        ConditionalField(ShortField("offset_size", None), lambda pkt: pkt.flags & O),
        ConditionalField(StrLenField("offset_pad", b"", length_from=lambda pkt: pkt.offset_size),
                         lambda pkt: pkt.flags & O),
    ]

    def post_build(self, pkt, pay):
        if self.flags & O and self.offset_size is None:
            at = 6 + (2 if self.flags & L else 0) + (4 if self.flags & S else 0)
            pkt = pkt[:at] + len(self.offset_pad).to_bytes(2, "big") + pkt[at + 2:]
        if self.flags & L and self.length == 0:
            pkt = pkt[:2] + (len(pkt) + len(pay)).to_bytes(2, "big") + pkt[4:]
        return pkt + pay


def ppp_ipv6():
    return HDLC() / PPP(proto=0x0057) / IPv6(src="2001:db8::1", dst="2001:db8::2") / UDP()


# An SCCRQ's first AVP (Message Type = 1), enough to make a control body.
SCCRQ_AVP = bytes.fromhex("8008000000000001")


def scapy_fields(pkt):
    """Expected values as scapy holds them after dissecting its own bytes."""
    wire = raw(pkt)
    parsed = L2TP(wire)
    hdr = int(parsed.hdr)
    fields = dict(
        is_control=bool(hdr & 0x800), has_length=bool(hdr & 0x400),
        has_sequence=bool(hdr & 0x080), has_offset=bool(hdr & 0x020),
        priority=bool(hdr & 0x010), tunnel_id=parsed.tunnel_id, session_id=parsed.session_id,
        length=parsed.len if parsed.len is not None and hdr & 0x400 else 0,
        ns=parsed.ns if hdr & (0x080 | 0x800) else 0,
        nr=parsed.nr if hdr & (0x080 | 0x800) else 0,
        offset_size=parsed.offset if fields_has_offset(hdr) else 0,
        header_length=len(wire) - len(raw(parsed.payload)),
    )
    return wire, fields


def fields_has_offset(hdr):
    return not (hdr & 0x800) and hdr & 0x020


def field_by_field(pkt):
    wire = raw(pkt)
    parsed = L2tpFieldByField(wire)
    flags = parsed.flags
    fields = dict(
        is_control=bool(flags & T), has_length=bool(flags & L), has_sequence=bool(flags & S),
        has_offset=bool(flags & O), priority=bool(flags & P), tunnel_id=parsed.tunnel_id,
        session_id=parsed.session_id, length=parsed.length if flags & L else 0,
        ns=parsed.ns if flags & S else 0, nr=parsed.nr if flags & S else 0,
        offset_size=parsed.offset_size if flags & O else 0,
        header_length=len(wire) - len(raw(parsed.payload)),
    )
    return wire, fields


def valid_vectors():
    return [
        # name, (wire, fields), the builder reproduces the header
        ("data_plain", scapy_fields(L2TP(hdr=0, tunnel_id=17, session_id=4242) / ppp_ipv6()),
         True),
        ("data_length", scapy_fields(L2TP(hdr="length", tunnel_id=1, session_id=2) / ppp_ipv6()),
         True),
        ("data_sequence", scapy_fields(
            L2TP(hdr="sequence", tunnel_id=0xffff, session_id=0xfffe, ns=7, nr=0x1234) /
            ppp_ipv6()), True),
        ("data_offset_2", scapy_fields(
            L2TP(hdr="offset", tunnel_id=3, session_id=4, offset=2) / ppp_ipv6()), True),
        ("data_priority", scapy_fields(
            L2TP(hdr="priority", tunnel_id=5, session_id=6) / ppp_ipv6()), True),
        ("data_all_flags", scapy_fields(
            L2TP(hdr="length+sequence+offset+priority", tunnel_id=0x0102, session_id=0x0304,
                 ns=0x0506, nr=0x0708, offset=2) / ppp_ipv6()), True),
        ("data_reserved_bits_ignored", scapy_fields(
            L2TP(hdr="res00+res03+res06+res08+res09", tunnel_id=9, session_id=10) / ppp_ipv6()),
         False),
        ("data_empty_payload", scapy_fields(L2TP(hdr="length", tunnel_id=1, session_id=1)),
         True),
        ("control_sccrq", scapy_fields(
            L2TP(hdr="control+length+sequence", tunnel_id=0, session_id=0, ns=0, nr=0) /
            Raw(SCCRQ_AVP)), True),
        ("control_zlb", scapy_fields(
            L2TP(hdr="control+length+sequence", tunnel_id=77, session_id=0, ns=3, nr=4)), True),
        ("field_by_field_offset_0", field_by_field(
            L2tpFieldByField(flags=0x0002 | O, tunnel_id=11, session_id=12) / ppp_ipv6()), True),
        ("field_by_field_offset_5", field_by_field(
            L2tpFieldByField(flags=0x0002 | O | L, tunnel_id=11, session_id=12,
                             offset_pad=b"\x00" * 5) / ppp_ipv6()), True),
        ("field_by_field_offset_to_end", field_by_field(
            L2tpFieldByField(flags=0x0002 | O | S, tunnel_id=13, session_id=14, ns=1, nr=2,
                             offset_pad=b"\x00" * 3)), True),
    ]


def invalid_vectors():
    pkt = ppp_ipv6()
    return [
        ("version_1_l2f", raw(L2TP(version=1) / pkt), "kBadVersion"),
        ("version_3_l2tpv3", raw(L2TP(version=3) / pkt), "kBadVersion"),
        ("version_0", raw(L2TP(version=0) / pkt), "kBadVersion"),
        ("version_15", raw(L2TP(version=15) / pkt), "kBadVersion"),
        ("length_too_large", raw(L2TP(hdr="length", len=1000) / pkt), "kLengthMismatch"),
        ("length_too_small", raw(L2TP(hdr="length", len=8) / pkt), "kLengthMismatch"),
        ("control_without_length", raw(L2TP(hdr="control+sequence") / Raw(SCCRQ_AVP)),
         "kControlWithoutLength"),
        ("control_without_sequence", raw(L2TP(hdr="control+length") / Raw(SCCRQ_AVP)),
         "kControlWithoutSequence"),
        ("control_with_offset", raw(L2TP(hdr="control+length+sequence+offset") / Raw(SCCRQ_AVP)),
         "kControlWithOffset"),
        ("control_with_priority",
         raw(L2TP(hdr="control+length+sequence+priority") / Raw(SCCRQ_AVP)),
         "kControlWithPriority"),
        ("offset_past_end", raw(L2tpFieldByField(flags=0x0002 | O, offset_size=40,
                                                 offset_pad=b"\x00" * 4)), "kBadOffset"),
        ("offset_one_past_end", raw(L2tpFieldByField(flags=0x0002 | O, offset_size=5,
                                                     offset_pad=b"\x00" * 4)), "kBadOffset"),
        ("header_cut_short", raw(L2TP(hdr="sequence"))[:8], "kTruncated"),
    ]


def main():
    lines = [
        "// Generated by l2tp_vectors.py from scapy packets. Do not edit.",
        "#pragma once",
        "#include <cstddef>",
        "#include <cstdint>",
        "",
        "#include \"dataplane/proto/l2tp.h\"",
        "",
        "namespace l2tp_vectors {",
        "",
        "struct ValidVector {",
        "  const char* name;",
        "  const uint8_t* message;",
        "  size_t message_size;",
        "  bool is_control, has_length, has_sequence, has_offset, priority;",
        "  uint16_t length, tunnel_id, session_id, ns, nr, offset_size;",
        "  size_t header_length;",
        "  bool buildable;  // our builder writes the same header bytes",
        "};",
        "",
        "struct InvalidVector {",
        "  const char* name;",
        "  const uint8_t* message;",
        "  size_t message_size;",
        "  softwire::proto::L2tpStatus status;",
        "};",
        "",
    ]
    rows = []
    for i, (name, (wire, f), buildable) in enumerate(valid_vectors()):
        lines.append("constexpr uint8_t kValid%d[] = %s;" % (i, c_bytes(wire)))
        rows.append('    {"%s", kValid%d, sizeof(kValid%d), %s, %s, %s, %s, %s, %d, %d, %d, %d, %d, '
                    "%d, %d, %s}," %
                    (name, i, i, c_bool(f["is_control"]), c_bool(f["has_length"]),
                     c_bool(f["has_sequence"]), c_bool(f["has_offset"]), c_bool(f["priority"]),
                     f["length"], f["tunnel_id"], f["session_id"], f["ns"], f["nr"],
                     f["offset_size"], f["header_length"], c_bool(buildable)))
    lines += c_table("ValidVector", "kValidVectors", rows)
    rows = []
    for i, (name, wire, status) in enumerate(invalid_vectors()):
        lines.append("constexpr uint8_t kInvalid%d[] = %s;" % (i, c_bytes(wire)))
        rows.append('    {"%s", kInvalid%d, sizeof(kInvalid%d), softwire::proto::L2tpStatus::%s},' %
                    (name, i, i, status))
    lines += c_table("InvalidVector", "kInvalidVectors", rows)
    lines.append("}  // namespace l2tp_vectors")
    write_lines(sys.argv[1], lines)


if __name__ == "__main__":
    main()
