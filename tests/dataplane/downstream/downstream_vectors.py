"""Downstream pipeline test vectors, built with scapy, written as a C++ header.

usage: python3 downstream_vectors.py OUT.h

The header holds:
- kConfig: the softwire configuration the tests load (ports, SA pairs and
  sessions covering GCM-128, GCM-256, GMAC-128/256, ESN, NAT-T over IPv4 and
  IPv6, transport and tunnel mode);
- kSaStarts: the first sequence number the test gives each outbound SA (1, or
  just below 2^32 for ESN SAs so that seq_hi changes inside the burst);
- kForward: core-side input frames and the exact access-side frames the SC
  must emit, from scapy's SecurityAssociation.encrypt(pkt, seq_num, iv) with
  iv = the 64-bit sequence number (the SC's IV rule);
- kNeighbor: ARP requests / neighbour solicitations and scapy-built replies;
- kDrops: frames that must be dropped or punted, with the drop reason.

Scapy 2.5 has no AES-GMAC (RFC 4543) ESP algorithm. For the GMAC SAs the
frame comes from scapy's AES-GCM encryption (headers, padding, lengths are the
same) with the ciphertext replaced by the plaintext and the ICV by the GMAC
tag, computed with python-cryptography as RFC 4543 defines it:
AES-GCM over an empty plaintext with AAD = SPI || [seq_hi ||] seq || IV ||
plaintext. Scapy 2.5 also writes a UDP length of 8 in IPv4 NAT-T headers
(it serializes the outer header before the ESP payload is attached) and a zero
NAT-T checksum over IPv6: both are corrected here. Scapy's PPP layer compresses the protocol field (0x21 -> one
byte); the SC sends ff 03 00 21 / ff 03 00 57, so PPP is written as raw bytes.
"""

import struct
import sys

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from scapy.layers.inet import ICMP, IP, TCP, UDP
from scapy.layers.inet6 import (IPv6, ICMPv6EchoRequest, ICMPv6ND_NA, ICMPv6ND_NS,
                                ICMPv6ND_RA, ICMPv6NDOptDstLLAddr, ICMPv6NDOptSrcLLAddr,
                                in6_chksum)
from scapy.layers.ipsec import ESP, SecurityAssociation
from scapy.layers.l2 import ARP, Dot1Q, Ether
from scapy.layers.l2tp import L2TP
from scapy.packet import Padding, Raw, raw

ACCESS_MAC = "02:00:00:00:00:02"
ACCESS_GW = "02:00:00:00:00:01"
CORE_MAC = "02:00:00:00:01:02"
CORE_GW = "02:00:00:00:01:01"
NEIGHBOR_MAC = "02:00:00:00:00:09"  # static neighbour override for 192.0.2.1
ACCESS_V4 = "198.51.100.1"
ACCESS_V6 = "2001:db8:a::1"
CORE_V4 = "203.0.113.1"
CORE_V6 = "2001:db8:c::1"

PROPOSALS = {"aes128gcm16": (16, False), "aes256gcm16": (32, False),
             "aes128gmac": (16, True), "aes256gmac": (32, True)}


def keymat(seed, proposal):
    length = PROPOSALS[proposal][0] + 4
    return bytes((seed * 37 + i * 11) & 0xff for i in range(length))


# One SA pair and one session each.
SESSIONS = [
    dict(name="gcm128_v4", proposal="aes128gcm16", esn=False, nat_t=False, tunnel=False,
         local=ACCESS_V4, remote="192.0.2.1", peer=(100, 200), peer_port=1701, mtu=1400,
         v4="10.1.0.0/24", v6="2001:db8:1::/64"),
    dict(name="gcm256_v6_esn", proposal="aes256gcm16", esn=True, nat_t=False, tunnel=False,
         local=ACCESS_V6, remote="2001:db8:f::2", peer=(101, 201), peer_port=1701, mtu=1500,
         v4="10.2.0.0/24", v6="2001:db8:2::/64"),
    dict(name="gmac128_natt_tunnel_v4", proposal="aes128gmac", esn=False, nat_t=True,
         tunnel=True, local=ACCESS_V4, remote="192.0.2.77", remote_port=31337,
         local_ts="198.51.100.1/32", remote_ts="10.99.0.5/32", peer=(5, 6), peer_port=40001,
         mtu=1280, v4="10.3.0.0/24", v6="2001:db8:3::/64"),
    dict(name="gmac256_esn_natt_tunnel_v6", proposal="aes256gmac", esn=True, nat_t=True,
         tunnel=True, local=ACCESS_V6, remote="2001:db8:f::4", remote_port=4500,
         local_ts="2001:db8:a::1/128", remote_ts="2001:db8:99::5/128", peer=(7, 8),
         peer_port=1701, mtu=1500, v4="10.4.0.0/24", v6="2001:db8:4::/64"),
    dict(name="gcm128_tunnel_v4", proposal="aes128gcm16", esn=False, nat_t=False, tunnel=True,
         local=ACCESS_V4, remote="192.0.2.5", local_ts="198.51.100.1/32",
         remote_ts="10.99.0.6/32", peer=(9, 10), peer_port=1701, mtu=1500, v4="10.5.0.0/24",
         v6="2001:db8:5::/64"),
    dict(name="gcm128_natt_transport_v4", proposal="aes128gcm16", esn=False, nat_t=True,
         tunnel=False, local=ACCESS_V4, remote="192.0.2.6", remote_port=4500, peer=(11, 12),
         peer_port=1701, mtu=1500, v4="10.6.0.0/24", v6="2001:db8:6::/64"),
    dict(name="gcm128_tunnel_v6_in_v4_natt", proposal="aes128gcm16", esn=False, nat_t=True,
         tunnel=True, local=ACCESS_V4, remote="192.0.2.7", remote_port=4500,
         local_ts="2001:db8:a::1/128", remote_ts="2001:db8:99::7/128", peer=(13, 14),
         peer_port=1702, mtu=1500, v4="10.7.0.0/24", v6="2001:db8:7::/64"),
]
for i, s in enumerate(SESSIONS):
    s["spi_in"] = 0x1001 + i
    s["spi_out"] = 0x2001 + i
    s["key_in"] = keymat(2 * i + 1, s["proposal"])
    s["key_out"] = keymat(2 * i + 2, s["proposal"])
    s["start"] = (1 << 32) - 1 if s["esn"] else 1
    s["outer_v6"] = ":" in s["local"]
    s["ts_v6"] = s["tunnel"] and ":" in s["local_ts"]


def config_text():
    out = ['dataplane = { workers = [ 1 ]; };',
           'ports = (',
           '  { name = "access"; role = "access"; device = "net_null0"; mac = "%s";' % ACCESS_MAC,
           '    addresses = [ "%s/24", "%s/64" ]; gateway_mac = "%s"; },' % (ACCESS_V4, ACCESS_V6,
                                                                             ACCESS_GW),
           '  { name = "core"; role = "core"; device = "net_null1"; mac = "%s";' % CORE_MAC,
           '    addresses = [ "%s/24", "%s/64" ]; gateway_mac = "%s"; }' % (CORE_V4, CORE_V6,
                                                                           CORE_GW),
           ');',
           'neighbors = ( { port = "access"; address = "192.0.2.1"; mac = "%s"; } );'
           % NEIGHBOR_MAC,
           'sas = (']
    sas = []
    for s in SESSIONS:
        for direction in ("in", "out"):
            fields = ['spi = 0x%x;' % s["spi_" + direction],
                      'direction = "%s";' % direction,
                      'local = "%s";' % s["local"], 'remote = "%s";' % s["remote"],
                      'proposal = "%s";' % s["proposal"],
                      'key = "0x%s";' % s["key_" + direction].hex(),
                      'esn = %s;' % ("true" if s["esn"] else "false")]
            if s["nat_t"]:
                fields.append('nat_t = true; remote_port = %d;' % s["remote_port"])
            if s["tunnel"]:
                fields.append('mode = "tunnel"; local_ts = "%s"; remote_ts = "%s";'
                              % (s["local_ts"], s["remote_ts"]))
            sas.append('  { ' + ' '.join(fields) + ' }')
    out.append(',\n'.join(sas))
    out.append(');')
    out.append('sessions = (')
    sessions = []
    for i, s in enumerate(SESSIONS):
        sessions.append(
            '  { identity = "%s@example.net"; sa_in = 0x%x; sa_out = 0x%x; tunnel_id = %d;'
            ' session_id = %d; peer_tunnel_id = %d; peer_session_id = %d;'
            ' prefixes = [ "%s", "%s" ]; mtu = %d; peer_port = %d; }'
            % (s["name"], s["spi_in"], s["spi_out"], 1, i + 1, s["peer"][0], s["peer"][1],
               s["v4"], s["v6"], s["mtu"], s["peer_port"]))
    out.append(',\n'.join(sessions))
    out.append(');')
    return "\n".join(out) + "\n"


def host(prefix, n):
    net = prefix.split("/")[0]
    if ":" in net:
        return net.rstrip(":") + "::%x" % n
    parts = net.split(".")
    return ".".join(parts[:3] + [str(n)])


def core_frame(inner):
    return Ether(dst=CORE_MAC, src=CORE_GW) / inner


def decremented(inner_bytes, mss=None):
    """The inner packet as the SC forwards it: TTL/hop limit - 1, MSS clamped."""
    v6 = inner_bytes[0] >> 4 == 6
    p = IPv6(inner_bytes) if v6 else IP(inner_bytes)
    if v6:
        p.hlim -= 1
    else:
        p.ttl -= 1
        del p.chksum
    if mss is not None and TCP in p:
        p[TCP].options = [(k, mss if k == "MSS" and v > mss else v) for k, v in p[TCP].options]
        del p[TCP].chksum
    return raw(p)


def outer_ip(s):
    if s["outer_v6"]:
        return IPv6(src=s["local"], dst=s["remote"], hlim=64)
    return IP(src=s["local"], dst=s["remote"], ttl=64, id=0, flags="DF")


def expected_frame(s, inner, seq):
    """The access-side frame for inner IP packet `inner` (already forwarded form)."""
    v6_inner = inner[0] >> 4 == 6
    l2tp = raw(L2TP(tunnel_id=s["peer"][0], session_id=s["peer"][1]))
    ppp = b"\xff\x03" + struct.pack("!H", 0x0057 if v6_inner else 0x0021)
    udp = UDP(sport=1701, dport=s["peer_port"]) / Raw(l2tp + ppp + inner)
    above_v6 = s["ts_v6"] if s["tunnel"] else s["outer_v6"]
    if not above_v6:
        udp.chksum = 0
    if s["tunnel"]:
        lts, rts = s["local_ts"].split("/")[0], s["remote_ts"].split("/")[0]
        ip_in = (IPv6(src=lts, dst=rts, hlim=64) if s["ts_v6"]
                 else IP(src=lts, dst=rts, ttl=64, id=0, flags="DF"))
        pkt = ip_in / udp
        tunnel_header = outer_ip(s)
        payload = raw(pkt)
        next_header = 41 if s["ts_v6"] else 4
    else:
        pkt = outer_ip(s) / udp
        tunnel_header = None
        payload = raw(pkt[UDP])
        next_header = 17
    nat_t = UDP(sport=4500, dport=s["remote_port"]) if s["nat_t"] else None
    key, salt = s["key_out"][:-4], s["key_out"][-4:]
    lo, hi = seq & 0xffffffff, seq >> 32
    iv = seq.to_bytes(8, "big")
    sa = SecurityAssociation(ESP, spi=s["spi_out"], seq_num=lo, crypt_algo="AES-GCM",
                             crypt_key=s["key_out"], tunnel_header=tunnel_header,
                             nat_t_header=nat_t, esn_en=s["esn"], esn=hi)
    enc = sa.encrypt(pkt, seq_num=lo, iv=iv, esn_en=s["esn"], esn=hi)
    frame = bytearray(raw(Ether(dst=NEIGHBOR_MAC if s["remote"] == "192.0.2.1" else ACCESS_GW,
                                src=ACCESS_MAC) / enc))
    esp = raw(enc[ESP])
    assert frame.endswith(esp)
    aad = struct.pack("!LLL", s["spi_out"], hi, lo) if s["esn"] else esp[:8]
    plaintext = AESGCM(key).decrypt(salt + iv, esp[16:], aad)
    # The plaintext must be exactly payload | 1, 2, 3, ... | pad length | nh.
    pad = -(len(payload) + 2) % 4
    assert plaintext == payload + bytes(range(1, pad + 1)) + bytes([pad, next_header]), s["name"]
    if PROPOSALS[s["proposal"]][1]:
        tag = AESGCM(key).encrypt(salt + iv, b"", aad + iv + plaintext)
        frame[len(frame) - len(esp):] = esp[:16] + plaintext + tag
    if s["nat_t"] and not s["outer_v6"]:
        # scapy 2.5 serializes the IPv4 header with the NAT-T UDP header before
        # the ESP payload is attached, freezing the UDP length at 8. Fix it.
        off = 14 + 20 + 4
        udp_length = len(frame) - 14 - 20
        assert struct.unpack("!H", frame[off:off + 2])[0] in (8, udp_length)
        frame[off:off + 2] = struct.pack("!H", udp_length)
    if s["nat_t"] and s["outer_v6"]:
        # scapy zeroes the NAT-T checksum; over IPv6 the SC computes it.
        e = Ether(bytes(frame))
        udp_bytes = bytearray(raw(e[IPv6].payload))
        udp_bytes[6:8] = b"\x00\x00"
        c = in6_chksum(17, e[IPv6], bytes(udp_bytes)) or 0xffff
        off = 14 + 40 + 6
        frame[off:off + 2] = struct.pack("!H", c)
    return bytes(frame)


def forward_vectors():
    seqs = {s["name"]: s["start"] for s in SESSIONS}
    out = []
    rounds = [
        ("udp4", lambda s, i: IP(src="203.0.113.50", dst=host(s["v4"], 7), ttl=64)
         / UDP(sport=5000 + i, dport=53) / Raw(b"q" * i)),
        ("syn6", lambda s, i: IPv6(src="2001:db8:c::50", dst=host(s["v6"], 7), hlim=64)
         / TCP(sport=40000 + i, dport=443, flags="S", options=[("MSS", 1460), ("NOP", None),
                                                               ("WScale", 7)])),
        ("syn4", lambda s, i: IP(src="203.0.113.50", dst=host(s["v4"], 9), ttl=17)
         / TCP(sport=40000 + i, dport=80, flags="S", options=[("MSS", 1460)])),
        ("udp6", lambda s, i: IPv6(src="2001:db8:c::50", dst=host(s["v6"], 9), hlim=2)
         / UDP(sport=6000 + i, dport=53) / Raw(bytes(range(i + 3)))),
    ]
    for rname, make in rounds:
        for i, s in enumerate(SESSIONS):
            inner = make(s, i)
            frame = core_frame(inner)
            if rname == "udp4" and i == 0:
                frame = frame / Padding(b"\x00" * 20)  # Ethernet padding to trim
            v6 = IPv6 in inner
            mss = s["mtu"] - (60 if v6 else 40)
            seq = seqs[s["name"]]
            seqs[s["name"]] += 1
            out.append(dict(name="%s_%s" % (rname, s["name"]), input=raw(frame),
                            expected=expected_frame(s, decremented(raw(inner), mss), seq),
                            spi=s["spi_out"], seq=seq))
    return out


def neighbor_vectors():
    out = []
    req = Ether(dst="ff:ff:ff:ff:ff:ff", src=CORE_GW) / ARP(
        op=1, hwsrc=CORE_GW, psrc="203.0.113.254", hwdst="00:00:00:00:00:00", pdst=CORE_V4)
    rep = Ether(dst=CORE_GW, src=CORE_MAC) / ARP(op=2, hwsrc=CORE_MAC, psrc=CORE_V4,
                                                 hwdst=CORE_GW, pdst="203.0.113.254")
    out.append(dict(name="arp_request", input=raw(req), expected=raw(rep)))
    padded = req / Padding(b"\x00" * 18)
    out.append(dict(name="arp_request_padded", input=raw(padded), expected=raw(rep)))

    def na(dst_mac, dst_ip, solicited):
        return raw(Ether(dst=dst_mac, src=CORE_MAC)
                   / IPv6(src=CORE_V6, dst=dst_ip, hlim=255)
                   / ICMPv6ND_NA(tgt=CORE_V6, R=0, S=1 if solicited else 0, O=1)
                   / ICMPv6NDOptDstLLAddr(lladdr=CORE_MAC))

    ns = (Ether(dst="33:33:ff:00:00:01", src=CORE_GW)
          / IPv6(src="2001:db8:c::fe", dst="ff02::1:ff00:1", hlim=255)
          / ICMPv6ND_NS(tgt=CORE_V6) / ICMPv6NDOptSrcLLAddr(lladdr=CORE_GW))
    out.append(dict(name="ns_solicited_node", input=raw(ns),
                    expected=na(CORE_GW, "2001:db8:c::fe", True)))
    ns = (Ether(dst=CORE_MAC, src=CORE_GW)
          / IPv6(src="fe80::1", dst=CORE_V6, hlim=255) / ICMPv6ND_NS(tgt=CORE_V6))
    out.append(dict(name="ns_unicast_no_option", input=raw(ns),
                    expected=na(CORE_GW, "fe80::1", True)))
    ns = (Ether(dst="33:33:ff:00:00:01", src=CORE_GW)
          / IPv6(src="::", dst="ff02::1:ff00:1", hlim=255) / ICMPv6ND_NS(tgt=CORE_V6))
    out.append(dict(name="ns_dad", input=raw(ns), expected=na("33:33:00:00:00:01", "ff02::1",
                                                                 False)))
    return out


def drop_vectors():
    s0 = SESSIONS[0]
    to_s0 = host(s0["v4"], 7)
    out = []

    def add(name, frame, reason, punt=False):
        out.append(dict(name=name, input=raw(frame), reason=reason, punt=punt))

    udp4 = IP(src="203.0.113.50", dst=to_s0) / UDP(sport=1, dport=2) / Raw(b"x" * 10)
    add("truncated_ethernet", raw(core_frame(udp4))[:12], "malformed_l2")
    add("vlan_tagged", Ether(dst=CORE_MAC, src=CORE_GW) / Dot1Q(vlan=5) / udp4, "malformed_l2")
    add("lldp_ethertype", Ether(dst=CORE_MAC, src=CORE_GW, type=0x88cc) / Raw(b"\x00" * 46),
        "malformed_l2")
    add("foreign_dst_mac", Ether(dst="02:00:00:00:99:99", src=CORE_GW) / udp4, "not_for_us")
    bad = bytearray(raw(core_frame(udp4)))
    bad[14 + 10] ^= 0xff
    add("ipv4_bad_checksum", bytes(bad), "malformed_ip")
    add("ipv4_truncated", raw(core_frame(udp4))[:14 + 30], "malformed_ip")
    udp6 = IPv6(src="2001:db8:c::50", dst=host(s0["v6"], 7)) / UDP(sport=1, dport=2)
    add("ipv6_truncated", raw(core_frame(udp6))[:14 + 44], "malformed_ip")
    add("icmp_to_sc", core_frame(IP(src="203.0.113.50", dst=CORE_V4) / ICMP()), "icmp", True)
    add("icmp_to_access_address", core_frame(IP(src="203.0.113.50", dst=ACCESS_V4) / ICMP()),
        "icmp", True)
    add("udp_to_sc", core_frame(IP(src="203.0.113.50", dst=CORE_V4) / UDP(dport=22)),
        "not_for_us")
    add("icmpv6_echo_to_sc", core_frame(IPv6(src="2001:db8:c::50", dst=CORE_V6)
                                        / ICMPv6EchoRequest()), "icmp", True)
    add("tcp6_to_sc", core_frame(IPv6(src="2001:db8:c::50", dst=CORE_V6) / TCP(dport=22)),
        "not_for_us")
    add("ra_to_all_nodes", Ether(dst="33:33:00:00:00:01", src=CORE_GW)
        / IPv6(src="fe80::1", dst="ff02::1", hlim=255) / ICMPv6ND_RA(), "not_for_us")
    add("ns_foreign_target", Ether(dst="33:33:ff:00:00:99", src=CORE_GW)
        / IPv6(src="2001:db8:c::fe", dst="ff02::1:ff00:99", hlim=255)
        / ICMPv6ND_NS(tgt="2001:db8:c::99"), "not_for_us")
    add("ns_hop_limit_64", Ether(dst="33:33:ff:00:00:01", src=CORE_GW)
        / IPv6(src="2001:db8:c::fe", dst="ff02::1:ff00:1", hlim=64)
        / ICMPv6ND_NS(tgt=CORE_V6), "not_for_us")
    add("ns_for_access_address", Ether(dst=CORE_MAC, src=CORE_GW)
        / IPv6(src="2001:db8:c::fe", dst=ACCESS_V6, hlim=255)
        / ICMPv6ND_NS(tgt=ACCESS_V6), "not_for_us")
    add("arp_foreign_target", Ether(dst="ff:ff:ff:ff:ff:ff", src=CORE_GW)
        / ARP(op=1, hwsrc=CORE_GW, psrc="203.0.113.254", pdst="203.0.113.99"), "not_for_us")
    add("arp_reply", Ether(dst=CORE_MAC, src=CORE_GW)
        / ARP(op=2, hwsrc=CORE_GW, psrc="203.0.113.254", hwdst=CORE_MAC, pdst=CORE_V4),
        "not_for_us")
    add("arp_for_access_address", Ether(dst="ff:ff:ff:ff:ff:ff", src=CORE_GW)
        / ARP(op=1, hwsrc=CORE_GW, psrc="203.0.113.254", pdst=ACCESS_V4), "not_for_us")
    add("no_route_v4", core_frame(IP(src="203.0.113.50", dst="10.200.0.1") / UDP()), "no_route")
    add("no_route_v6", core_frame(IPv6(src="2001:db8:c::50", dst="2001:db8:ffff::1") / UDP()),
        "no_route")
    add("ttl_1", core_frame(IP(src="203.0.113.50", dst=to_s0, ttl=1) / UDP()), "ttl_expired")
    add("ttl_0", core_frame(IP(src="203.0.113.50", dst=to_s0, ttl=0) / UDP()), "ttl_expired")
    add("hop_limit_1", core_frame(IPv6(src="2001:db8:c::50", dst=host(s0["v6"], 7), hlim=1)
                                  / UDP()), "ttl_expired")
    # Session 0 has mtu 1400: 1401 bytes is one too many, 1400 passes (see kForward).
    add("mtu_plus_one_v4", core_frame(IP(src="203.0.113.50", dst=to_s0) / UDP()
                                      / Raw(b"m" * (1401 - 28))), "mtu_exceeded")
    add("mtu_plus_one_v6", core_frame(IPv6(src="2001:db8:c::50", dst=host(s0["v6"], 7))
                                      / UDP() / Raw(b"m" * (1401 - 48))), "mtu_exceeded")
    return out


def mtu_vector():
    """Exactly the session MTU: forwarded."""
    s = SESSIONS[0]
    inner = IP(src="203.0.113.50", dst=host(s["v4"], 8)) / UDP(sport=7, dport=7) / Raw(
        b"M" * (s["mtu"] - 28))
    return dict(name="exactly_mtu", input=raw(core_frame(inner)),
                expected=expected_frame(s, decremented(raw(inner)), 1), spi=s["spi_out"], seq=1)


def c_bytes(data):
    return "{" + ", ".join("0x%02x" % b for b in data) + "}"


def main():
    lines = ["// Generated by downstream_vectors.py from scapy packets. Do not edit.",
             "#pragma once", "#include <cstddef>", "#include <cstdint>", "",
             "namespace downstream_vectors {", ""]
    lines.append("inline constexpr const char* kConfig = R\"CONF(%s)CONF\";" % config_text())
    lines.append("")
    lines.append("struct SaStart { uint32_t spi; uint64_t first_seq; bool esn; bool gmac; };")
    lines.append("inline constexpr SaStart kSaStarts[] = {")
    for s in SESSIONS:
        lines.append("  {0x%x, 0x%xull, %s, %s}," % (s["spi_out"], s["start"],
                                                     "true" if s["esn"] else "false",
                                                     "true" if PROPOSALS[s["proposal"]][1]
                                                     else "false"))
    lines.append("};")
    lines.append("""
struct Frame { const char* name; const uint8_t* input; size_t input_size;
               const uint8_t* expected; size_t expected_size; uint32_t spi; uint64_t seq; };
struct Drop { const char* name; const uint8_t* input; size_t input_size; const char* reason;
              bool punt; };
""")

    def frames(array, vecs):
        for k, v in enumerate(vecs):
            lines.append("inline constexpr uint8_t %s_in_%d[] = %s;" % (array, k,
                                                                     c_bytes(v["input"])))
            if "expected" in v:
                lines.append("inline constexpr uint8_t %s_out_%d[] = %s;"
                             % (array, k, c_bytes(v["expected"])))

    fwd = forward_vectors()
    nbr = neighbor_vectors()
    drops = drop_vectors()
    mtu = [mtu_vector()]
    for array, vecs in (("kForward", fwd), ("kNeighbor", nbr), ("kMtu", mtu)):
        frames(array, vecs)
        lines.append("inline constexpr Frame %s[] = {" % array)
        for k, v in enumerate(vecs):
            lines.append("  {\"%s\", %s_in_%d, sizeof(%s_in_%d), %s_out_%d, sizeof(%s_out_%d),"
                         " 0x%x, 0x%xull}," % (v["name"], array, k, array, k, array, k, array,
                                               k, v.get("spi", 0), v.get("seq", 0)))
        lines.append("};")
    frames("kDrops", drops)
    lines.append("inline constexpr Drop kDrops[] = {")
    for k, v in enumerate(drops):
        lines.append("  {\"%s\", kDrops_in_%d, sizeof(kDrops_in_%d), \"%s\", %s},"
                     % (v["name"], k, k, v["reason"], "true" if v["punt"] else "false"))
    lines.append("};")
    lines.append("")
    lines.append("}  // namespace downstream_vectors")
    with open(sys.argv[1], "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
