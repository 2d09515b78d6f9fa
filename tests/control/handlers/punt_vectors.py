"""PPP frames for the punt handler's tests, built with scapy, written as a
C++ header.

usage: python3 punt_vectors.py OUT.h

Every request and every expected Echo-Reply comes from scapy.layers.ppp
(HDLC for ff 03, PPP for the protocol, PPP_LCP_Echo for RFC 1661 §5.8), so the
handler's bytes are checked against an implementation other than its own.
The reply is what softwire-cp hands to the data plane: the two-byte LCP
protocol (c0 21) followed by the LCP packet, without ff 03.
"""

import sys

from scapy.fields import XShortField
from scapy.layers.inet import IP, UDP
from scapy.layers.inet6 import IPv6
from scapy.layers.ppp import (HDLC, PPP, PPP_CHAP_ChallengeResponse, PPP_IPCP,
                              PPP_IPCP_Option_IPAddress, PPP_LCP, PPP_LCP_Code_Reject,
                              PPP_LCP_Configure, PPP_LCP_Discard_Request, PPP_LCP_Echo,
                              PPP_LCP_MRU_Option, PPP_LCP_Terminate, PPP_PAP_Request)
from scapy.packet import Packet, Raw, raw

# What the tests give PuntHandler as our LCP magic number.
OUR_MAGIC = 0x5EED1234
PACKET_BYTES = 2048  # shm::kPacketBytes


class PppTwoByteProtocol(Packet):
    """A protocol field scapy may not compress."""
    name = "PPP protocol field, never compressed"
    fields_desc = [XShortField("proto", 0x0021)]


def echo_cases():
    """name, request frame (bytes), identifier, data the reply must echo."""
    big = bytes(range(256)) * 4
    # The largest request that fits a punt record: ff 03 c0 21 + LCP.
    max_data = PACKET_BYTES - 4 - 8
    cases = []
    for name, frame_head, ident, magic, data, padding in [
        ("ac_with_data", HDLC() / PPP(proto=0xc021), 0x2a, 0xdeadbeef, b"keepalive", b""),
        ("acfc_with_data", PPP(proto=0xc021), 0x2b, 0x01020304, b"keepalive", b""),
        ("ac_no_data", HDLC() / PPP(proto=0xc021), 0x01, 0, b"", b""),
        ("acfc_no_data", PPP(proto=0xc021), 0xff, 0xffffffff, b"", b""),
        ("padding_ignored", HDLC() / PPP(proto=0xc021), 0x07, 0x11223344, b"abc", b"\x00" * 5),
        ("two_byte_field_acfc", PppTwoByteProtocol(proto=0xc021), 0x08, 0x99, b"x", b""),
        ("kilobyte_data", HDLC() / PPP(proto=0xc021), 0x09, 0x55667788, big, b""),
        ("largest_record", HDLC() / PPP(proto=0xc021), 0x0a, 0x1, bytes(i * 7 % 251 for i in range(max_data)), b""),
        ("magic_equals_ours", HDLC() / PPP(proto=0xc021), 0x0b, OUR_MAGIC, b"loop?", b""),
    ]:
        request = raw(frame_head / PPP_LCP_Echo(code=9, id=ident, magic_number=magic, data=data)) + padding
        assert len(request) <= PACKET_BYTES, name
        reply = raw(PPP(proto=0xc021) / PPP_LCP_Echo(code=10, id=ident, magic_number=OUR_MAGIC, data=data))
        # scapy reads back what we built: an Echo-Request with these fields.
        parsed = PPP(request)[PPP_LCP_Echo]
        assert parsed.code == 9 and parsed.id == ident and parsed.data == data, name
        cases.append((name, request, reply))
    return cases


def ignored_cases():
    """Well-formed frames that are counted but not answered."""
    ipv4 = IP(src="10.0.0.1", dst="10.0.0.2") / UDP()
    ipv6 = IPv6(src="2001:db8::1", dst="2001:db8::2") / UDP()
    return [
        ("lcp_configure_request", HDLC() / PPP(proto=0xc021) /
         PPP_LCP_Configure(id=1, options=[PPP_LCP_MRU_Option(max_recv_unit=1400)])),
        ("lcp_echo_reply", HDLC() / PPP(proto=0xc021) / PPP_LCP_Echo(code=10, id=3, magic_number=9)),
        ("lcp_discard_request", HDLC() / PPP(proto=0xc021) /
         PPP_LCP_Discard_Request(id=4, magic_number=9, data=b"zz")),
        ("lcp_terminate_request", HDLC() / PPP(proto=0xc021) / PPP_LCP_Terminate(code=5, id=5)),
        ("lcp_code_reject", PPP(proto=0xc021) /
         PPP_LCP_Code_Reject(id=6, rejected_packet=PPP_LCP(code=12, id=1))),
        # An LCP header that is exactly four bytes long (no data) is well formed.
        ("lcp_header_only", HDLC() / PPP(proto=0xc021) / Raw(bytes.fromhex("0c010004"))),
        ("ipcp", HDLC() / PPP(proto=0x8021) /
         PPP_IPCP(code=1, id=1, options=[PPP_IPCP_Option_IPAddress(data="0.0.0.0")])),
        ("ipv6cp", HDLC() / PPP(proto=0x8057) / Raw(bytes.fromhex("0101000e010a0011223344556677"))),
        ("pap", HDLC() / PPP(proto=0xc023) / PPP_PAP_Request(username=b"u", password=b"p")),
        ("chap", HDLC() / PPP(proto=0xc223) /
         PPP_CHAP_ChallengeResponse(code=1, id=1, value=b"\x01" * 16, optional_name=b"sc")),
        # PFC: one-byte protocol fields (what scapy writes for 0x21 / 0x57).
        ("ipv4_pfc", HDLC() / PPP(proto=0x0021) / ipv4),
        ("ipv6_acfc_pfc", PPP(proto=0x0057) / ipv6),
        # An odd first byte ends the protocol field: c1 is protocol 0x00c1,
        # not the high byte of c1 21, so this Echo-Request look-alike is not LCP.
        ("odd_first_byte_is_whole_protocol", Raw(bytes.fromhex("c1210901000811223344"))),
    ]


def malformed_cases():
    echo = PPP_LCP_Echo(code=9, id=1, magic_number=2, data=b"data")
    return [
        ("echo_length_4", HDLC() / PPP(proto=0xc021) / PPP_LCP_Echo(code=9, id=1, len=4)),
        ("echo_length_7", HDLC() / PPP(proto=0xc021) / PPP_LCP_Echo(code=9, id=1, len=7)),
        ("echo_length_past_end", HDLC() / PPP(proto=0xc021) /
         PPP_LCP_Echo(code=9, id=1, magic_number=2, data=b"data", len=len(raw(echo)) + 1)),
        ("echo_length_zero", PPP(proto=0xc021) / PPP_LCP_Echo(code=9, id=1, len=0)),
        ("lcp_length_3", HDLC() / PPP(proto=0xc021) / Raw(bytes.fromhex("01010003"))),
        ("lcp_length_past_end", HDLC() / PPP(proto=0xc021) /
         PPP_LCP_Configure(id=1, len=20, options=[PPP_LCP_MRU_Option(max_recv_unit=1400)])),
        ("lcp_three_bytes", HDLC() / PPP(proto=0xc021) / Raw(b"\x09\x01\x00")),
        ("control_not_03", HDLC(control=0x13) / PPP(proto=0xc021) / echo),
        ("protocol_c020", HDLC() / PppTwoByteProtocol(proto=0xc020) / echo),
        ("protocol_zero", HDLC() / PppTwoByteProtocol(proto=0x0000)),
        ("address_only", Raw(b"\xff")),
        ("empty", Raw(b"")),
    ]


def c_bytes(data):
    return "{" + ", ".join("0x%02x" % b for b in data) + "}" if data else "{0}"


def main():
    lines = [
        "// Generated by punt_vectors.py from scapy packets. Do not edit.",
        "#pragma once",
        "#include <cstddef>",
        "#include <cstdint>",
        "",
        "namespace punt_vectors {",
        "",
        "inline constexpr uint32_t kOurMagic = 0x%08x;" % OUR_MAGIC,
        "",
        "struct EchoCase {",
        "  const char* name;",
        "  const uint8_t* request;",
        "  size_t request_size;",
        "  const uint8_t* reply;  // c0 21 + LCP Echo-Reply",
        "  size_t reply_size;",
        "};",
        "",
        "struct Frame {",
        "  const char* name;",
        "  const uint8_t* bytes;",
        "  size_t size;",
        "};",
        "",
    ]
    rows = []
    for i, (name, request, reply) in enumerate(echo_cases()):
        lines.append("inline constexpr uint8_t kEchoRequest%d[] = %s;" % (i, c_bytes(request)))
        lines.append("inline constexpr uint8_t kEchoReply%d[] = %s;" % (i, c_bytes(reply)))
        rows.append('    {"%s", kEchoRequest%d, %d, kEchoReply%d, %d},' %
                    (name, i, len(request), i, len(reply)))
    lines += ["inline constexpr EchoCase kEchoCases[] = {", *rows, "};", ""]
    for table, cases in (("kIgnored", ignored_cases()), ("kMalformed", malformed_cases())):
        rows = []
        for i, (name, frame) in enumerate(cases):
            wire = raw(frame)
            lines.append("inline constexpr uint8_t %s%d[] = %s;" % (table, i, c_bytes(wire)))
            rows.append('    {"%s", %s%d, %d},' % (name, table, i, len(wire)))
        lines += ["inline constexpr Frame %sFrames[] = {" % table, *rows, "};", ""]
    lines.append("}  // namespace punt_vectors")
    with open(sys.argv[1], "w") as out:
        out.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
