"""Upstream pipeline test vectors, built with scapy, written as a C++ header.

usage: python3 upstream_vectors.py OUT.h

Every input frame is what an SI would send to the SC's access port, and every
expected output frame is what the core port must emit, both computed here
(scapy and python-cryptography), never by the code under test:
- AES-GCM ESP comes from scapy's SecurityAssociation (transport and tunnel
  mode, ESN, NAT-T nat_t_header) over IPv4 and IPv6 outer headers;
- scapy 2.5 has no AES-GMAC (RFC 4543), so GMAC ESP is built here with
  python-cryptography: ICV = AESGCM(key).encrypt(salt || IV, b"",
  SPI || [seq_hi ||] seq || IV || plaintext); the same builder is checked
  against scapy's output for every GCM vector;
- negative vectors (bad padding, bad next header, dummy packet...) use the
  same builder with a hand-made trailer.
The expected inner packet is rebuilt by scapy with TTL - 1 and the clamped
MSS, its checksums recomputed from scratch.
"""

import os
import struct
import sys

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from scapy.layers.inet import ICMP, IP, TCP, UDP
from scapy.layers.inet6 import IPv6, IPv6ExtHdrFragment, ICMPv6EchoRequest
from scapy.layers.ipsec import ESP, SecurityAssociation
from scapy.layers.l2 import Dot1Q, Ether
from scapy.packet import Raw, raw

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "proto"))
from vectors_common import write_frame_vectors  # noqa: E402

ACCESS_MAC = "02:00:00:00:00:02"
ACCESS_GW = "02:00:00:00:00:01"
CORE_MAC = "02:00:00:00:01:02"
CORE_GW = "02:00:00:00:01:01"
NEIGHBOR_MAC = "02:00:00:00:01:09"
SC4 = "198.51.100.1"
SC6 = "2001:db8:a::1"


class Sa:
    def __init__(self, name, spi, proposal, key, salt, local, remote, esn=False, nat_t=False,
                 remote_port=4500, tunnel=False, local_ts=None, remote_ts=None, window=1024,
                 extra=""):
        self.__dict__.update(locals())
        del self.__dict__["self"]
        self.v6 = ":" in local
        self.gmac = "gmac" in proposal


SAS = [
    Sa("a", 0x1001, "aes128gcm16", bytes(range(0x10, 0x20)), bytes.fromhex("a0a1a2a3"),
       SC4, "192.0.2.1"),
    Sa("b", 0x1002, "aes256gcm16", bytes(range(0x20, 0x40)), bytes.fromhex("b0b1b2b3"),
       SC6, "2001:db8:f::2", esn=True, window=64),
    Sa("c", 0x1003, "aes128gmac", bytes(range(0x40, 0x50)), bytes.fromhex("c0c1c2c3"),
       SC4, "192.0.2.77", nat_t=True, remote_port=31337, tunnel=True,
       local_ts="198.51.100.1/32", remote_ts="10.0.0.5/32", window=64),
    Sa("d", 0x1004, "aes256gmac", bytes(range(0x50, 0x70)), bytes.fromhex("d0d1d2d3"),
       SC6, "2001:db8:f::4", esn=True),
    Sa("e", 0x1005, "aes128gcm16", bytes(range(0x70, 0x80)), bytes.fromhex("e0e1e2e3"),
       SC6, "2001:db8:f::5", nat_t=True, tunnel=True, local_ts="2001:db8:a::1/128",
       remote_ts="2001:db8:e::/64"),
    Sa("f", 0x1006, "aes128gcm16", bytes(range(0x80, 0x90)), bytes.fromhex("f0f1f2f3"),
       SC4, "192.0.2.6", extra="life_packets = 3; soft_life_packets = 2;"),
]
SA = {sa.name: sa for sa in SAS}

# name, sa, tunnel id, session id, prefixes, mtu
SESSIONS = [
    ("s1", "a", 7, 9, ["10.1.0.0/30", "2001:db8:1::/64"], 1400),
    ("s2", "b", 7, 10, ["10.2.0.0/24"], 1500),
    ("s3", "c", 8, 1, ["2001:db8:3::/48"], 1280),
    ("s4", "d", 8, 2, ["10.4.0.0/24"], 1500),
    ("s5", "e", 9, 1, ["10.5.0.0/24"], 1500),
    ("s6", "f", 10, 1, ["10.6.0.0/24"], 1500),
]


def config_text():
    out = ['dataplane = { workers = [ 1 ]; };',
           'ports = (',
           '  { name = "access"; role = "access"; device = "net_null0"; mac = "%s";'
           '    addresses = [ "%s/24", "%s/64" ]; gateway_mac = "%s"; },' % (
               ACCESS_MAC, SC4, SC6, ACCESS_GW),
           '  { name = "core"; role = "core"; device = "net_null1"; mac = "%s";'
           '    addresses = [ "203.0.113.1/24", "2001:db8:c::1/64" ]; gateway_mac = "%s"; }' % (
               CORE_MAC, CORE_GW),
           ');',
           'neighbors = ( { port = "core"; address = "203.0.113.99"; mac = "%s"; } );' % (
               NEIGHBOR_MAC),
           'sas = (']
    entries = []
    for sa in SAS:
        for direction, spi, key in (("in", sa.spi, sa.key), ("out", sa.spi + 0x10000,
                                                            bytes(reversed(sa.key)))):
            e = ('{ spi = %d; direction = "%s"; local = "%s"; remote = "%s"; proposal = "%s";'
                 ' key = "0x%s"; esn = %s; mode = "%s";' % (
                     spi, direction, sa.local, sa.remote, sa.proposal, (key + sa.salt).hex(),
                     "true" if sa.esn else "false", "tunnel" if sa.tunnel else "transport"))
            if sa.nat_t:
                e += " nat_t = true; remote_port = %d;" % sa.remote_port
            if direction == "in":
                e += " replay_window = %d; %s" % (sa.window, sa.extra)
            if sa.tunnel:
                e += ' local_ts = "%s"; remote_ts = "%s";' % (sa.local_ts, sa.remote_ts)
            entries.append("  " + e + " }")
    out.append(",\n".join(entries))
    out.append(');')
    out.append('sessions = (')
    entries = []
    for name, sa, tid, sid, prefixes, mtu in SESSIONS:
        entries.append(
            '  { identity = "%s@example.net"; sa_in = %d; sa_out = %d; tunnel_id = %d;'
            ' session_id = %d; peer_tunnel_id = %d; peer_session_id = %d; prefixes = [ %s ];'
            ' mtu = %d; }' % (name, SA[sa].spi, SA[sa].spi + 0x10000, tid, sid, tid + 100,
                              sid + 100, ", ".join('"%s"' % p for p in prefixes), mtu))
    out.append(",\n".join(entries))
    out.append(');')
    return "\n".join(out) + "\n"


def default_pad(length):
    n = (-(length + 2)) % 4
    return bytes(range(1, n + 1))


def esp_bytes(sa, seq, iv, payload, nh, pad=None, seq_hi=0, tamper=False):
    """ESP (SPI .. ICV) for `payload` with next header `nh`."""
    if pad is None:
        pad = default_pad(len(payload))
    plaintext = payload + pad + bytes([len(pad), nh])
    header = struct.pack("!LL", sa.spi, seq)
    aad = struct.pack("!LLL", sa.spi, seq_hi, seq) if sa.esn else header
    if sa.gmac:
        tag = AESGCM(sa.key).encrypt(sa.salt + iv, b"", aad + iv + plaintext)
        body = iv + plaintext + tag
    else:
        body = iv + AESGCM(sa.key).encrypt(sa.salt + iv, plaintext, aad)
    out = bytearray(header + body)
    if tamper:
        out[20] ^= 0x01  # inside the ciphertext / authenticated payload
    return bytes(out)


def outer(sa):
    return IPv6(src=sa.remote, dst=sa.local) if sa.v6 else IP(src=sa.remote, dst=sa.local)


def frame_around(sa, esp, nat_t=None):
    """Ethernet / outer IP / [UDP 4500] / ESP bytes."""
    if nat_t is None:
        nat_t = sa.nat_t
    if nat_t:
        pkt = outer(sa) / UDP(sport=sa.remote_port, dport=4500) / Raw(esp)
        if not sa.v6:
            pkt[UDP].chksum = 0
    else:
        pkt = outer(sa) / Raw(esp)
        if sa.v6:
            pkt.nh = 50
        else:
            pkt.proto = 50
    return raw(Ether(dst=ACCESS_MAC, src=ACCESS_GW) / pkt)


def l2tp_ppp(tid, sid, inner, proto=0x0021, acfc=False, pfc=False, flags=0x0002, ppp=None):
    l2tp = struct.pack("!HHH", flags, tid, sid)
    if ppp is None:
        ppp = (b"" if acfc else b"\xff\x03") + (bytes([proto]) if pfc else struct.pack("!H", proto))
    return l2tp + ppp + inner


def udp_datagram(sa, payload, sport=1701, dport=1701, src=None, dst=None):
    """The UDP datagram with a checksum over the addresses it is carried with."""
    if src is None:
        src, dst = sa.remote, sa.local
    ip = IPv6(src=src, dst=dst) if ":" in src else IP(src=src, dst=dst)
    pkt = ip / UDP(sport=sport, dport=dport) / Raw(payload)
    return raw(pkt[UDP])


def esp_payload(sa, udp):
    """What ESP carries: the UDP datagram (transport) or inner IP + UDP (tunnel)."""
    if not sa.tunnel:
        return udp, 17
    src = sa.remote_ts.split("/")[0]
    if src.endswith("::"):
        src += "7"
    dst = sa.local_ts.split("/")[0]
    if ":" in src:
        return raw(IPv6(src=src, dst=dst, nh=17, hlim=64) / Raw(udp)), 41
    return raw(IP(src=src, dst=dst, proto=17, ttl=64) / Raw(udp)), 4


SEQ_HI = {"b": 1, "d": 2}  # ESN SAs: their first packets use seq_hi 0 (window at 0)


def si_frame(sa, seq, l2tp_payload, iv=None, sport=1701, dport=1701, **kw):
    if iv is None:
        iv = struct.pack("!Q", seq)
    udp = udp_datagram(sa, l2tp_payload, sport=sport, dport=dport)
    payload, nh = esp_payload(sa, udp)
    nh = kw.pop("nh", nh)
    payload = kw.pop("payload", payload)
    nat_t = kw.pop("nat_t", None)
    return frame_around(sa, esp_bytes(sa, seq, iv, payload, nh, **kw), nat_t=nat_t)


def scapy_frame(sa, seq, l2tp_payload, iv):
    """The same frame through scapy's SecurityAssociation (GCM only)."""
    udp = udp_datagram(sa, l2tp_payload)
    nat = UDP(sport=sa.remote_port, dport=4500) if sa.nat_t else None
    if sa.tunnel:
        payload, _ = esp_payload(sa, udp)
        inner = IPv6(payload) if payload[0] >> 4 == 6 else IP(payload)
        s = SecurityAssociation(ESP, spi=sa.spi, crypt_algo="AES-GCM", crypt_key=sa.key + sa.salt,
                                tunnel_header=outer(sa), nat_t_header=nat, esn_en=sa.esn)
        pkt = inner
    else:
        s = SecurityAssociation(ESP, spi=sa.spi, crypt_algo="AES-GCM", crypt_key=sa.key + sa.salt,
                                nat_t_header=nat, esn_en=sa.esn)
        pkt = outer(sa) / UDP(udp)
    enc = s.encrypt(pkt, seq_num=seq, iv=iv)
    if nat is not None:
        # scapy leaves 0 over IPv6 too, which RFC 8200 forbids: compute it there.
        enc[UDP].chksum = None if sa.v6 else 0
    return raw(Ether(dst=ACCESS_MAC, src=ACCESS_GW) / enc)


def core_frame(inner_expected, dst_mac=CORE_GW):
    return raw(Ether(dst=dst_mac, src=CORE_MAC) / inner_expected)


def inner4(src, dst, ttl=64, payload=b"hello core", sport=4000, dport=53):
    return IP(src=src, dst=dst, ttl=ttl, id=7) / UDP(sport=sport, dport=dport) / Raw(payload)


def inner6(src, dst, hlim=64, payload=b"hello v6 core"):
    return IPv6(src=src, dst=dst, hlim=hlim) / UDP(sport=5000, dport=443) / Raw(payload)


def decremented(pkt):
    p = pkt.copy()
    if IP in p and p.version == 4:
        p.ttl -= 1
        del p.chksum
    else:
        p.hlim -= 1
    return IPv6(raw(p)) if p.version == 6 else IP(raw(p))


VECTORS = []


def add(name, frame, expected=b""):
    VECTORS.append((name, bytes(frame), bytes(expected)))


def main():
    a, b, c, d, e, f = (SA[x] for x in "abcdef")

    # ---- Happy paths: each SA / mode / family, with the exact core frame.
    # a: GCM-128 transport over IPv4, inner IPv4, full PPP header.
    i = inner4("10.1.0.1", "198.18.0.1")
    p = l2tp_ppp(7, 9, raw(i))
    f1 = si_frame(a, 1, p)
    assert f1 == scapy_frame(a, 1, p, struct.pack("!Q", 1)), "builder != scapy (a)"
    add("a_v4", f1, core_frame(decremented(i)))
    # a: inner IPv6 with ACFC + PFC, and an ephemeral L2TP source port.
    i = inner6("2001:db8:1::5", "2001:db8:99::1")
    add("a_v6_acfc_pfc", si_frame(a, 2, l2tp_ppp(7, 9, raw(i), 0x57, acfc=True, pfc=True),
                                  sport=40000), core_frame(decremented(i)))
    # a: TCP SYN with MSS 1460 clamped to 1400 - 40; inner to a core neighbour.
    syn = IP(src="10.1.0.2", dst="203.0.113.99", ttl=30) / TCP(
        sport=1234, dport=80, flags="S", seq=1000,
        options=[("NOP", None), ("MSS", 1460), ("SAckOK", b""), ("WScale", 7)])
    exp = decremented(syn)
    exp[TCP].options = [("NOP", None), ("MSS", 1360), ("SAckOK", b""), ("WScale", 7)]
    del exp[TCP].chksum
    exp = IP(raw(exp))
    add("a_syn_mss", si_frame(a, 3, l2tp_ppp(7, 9, raw(syn))), core_frame(exp, NEIGHBOR_MAC))
    # a: IPv6 SYN with MSS at an odd option offset (after one NOP... and kind 1 x1).
    syn6 = IPv6(src="2001:db8:1::9", dst="2001:db8:99::2", hlim=5) / TCP(
        sport=1, dport=2, flags="S", options=[("NOP", None), ("MSS", 9000), ("NOP", None),
                                              ("NOP", None), ("NOP", None)])
    exp6 = decremented(syn6)
    exp6[TCP].options = [("NOP", None), ("MSS", 1340), ("NOP", None), ("NOP", None),
                         ("NOP", None)]
    del exp6[TCP].chksum
    exp6 = IPv6(raw(exp6))
    add("a_syn6_mss", si_frame(a, 4, l2tp_ppp(7, 9, raw(syn6), 0x57)), core_frame(exp6))
    # b: GCM-256, ESN, transport over IPv6.
    i = inner4("10.2.0.9", "198.18.0.2", ttl=2)
    p = l2tp_ppp(7, 10, raw(i), pfc=True)
    fb = si_frame(b, 5, p)
    assert fb == scapy_frame(b, 5, p, struct.pack("!Q", 5)), "builder != scapy (b)"
    add("b_v4_esn", fb, core_frame(decremented(i)))
    # c: GMAC-128, NAT-T, tunnel mode, over IPv4; inner IPv6.
    i = inner6("2001:db8:3:1::1", "2001:db8:99::3")
    add("c_v6_natt_tunnel", si_frame(c, 1, l2tp_ppp(8, 1, raw(i), 0x57)), core_frame(decremented(i)))
    # d: GMAC-256, ESN, transport over IPv6.
    i = inner4("10.4.0.1", "198.18.0.4")
    add("d_v4_gmac_esn", si_frame(d, 1, l2tp_ppp(8, 2, raw(i))), core_frame(decremented(i)))
    # e: GCM-128 NAT-T tunnel over IPv6 with IPv6 selectors.
    i = inner4("10.5.0.1", "198.18.0.5")
    p = l2tp_ppp(9, 1, raw(i))
    fe = si_frame(e, 1, p)
    assert fe == scapy_frame(e, 1, p, struct.pack("!Q", 1)), "builder != scapy (e)"
    add("e_v4_natt_tunnel_v6", fe, core_frame(decremented(i)))
    # f: lifetime SA (hard 3 packets, soft 2).
    for s in (1, 2, 3, 4):
        i = inner4("10.6.0.1", "198.18.0.6", payload=b"f%d" % s)
        add("f_%d" % s, si_frame(f, s, l2tp_ppp(10, 1, raw(i))), core_frame(decremented(i)))
    # Ethernet padding after a short packet is trimmed.
    i = inner4("10.1.0.1", "198.18.0.1", payload=b"")
    add("a_padded", si_frame(a, 6, l2tp_ppp(7, 9, raw(i))) + bytes(40),
        core_frame(decremented(i)))
    # Replay window tests for b (window 64, ESN): seq 100, then 30 (too old).
    ib = raw(inner4("10.2.0.9", "198.18.0.2"))
    add("b_seq100", si_frame(b, 100, l2tp_ppp(7, 10, ib)))
    add("b_seq30", si_frame(b, 30, l2tp_ppp(7, 10, ib)))
    add("b_seq1000_forged", si_frame(b, 1000, l2tp_ppp(7, 10, ib), tamper=True))
    add("c_forged", si_frame(c, 500, l2tp_ppp(8, 1, raw(inner6("2001:db8:3::1", "::1"))),
                             tamper=True))
    add("d_forged", si_frame(d, 7, l2tp_ppp(8, 2, raw(inner4("10.4.0.1", "1.1.1.1"))),
                             tamper=True))

    ia = raw(inner4("10.1.0.1", "198.18.0.1"))
    pa = l2tp_ppp(7, 9, ia)
    # ---- access_input
    add("runt", f1[:10])
    add("vlan", raw(Ether(dst=ACCESS_MAC, src=ACCESS_GW) / Dot1Q(vlan=5) / IP(f1[14:])))
    add("wrong_mac", raw(Ether(dst="02:00:00:00:00:99", src=ACCESS_GW) / IP(f1[14:])))
    bad = bytearray(f1)
    bad[14 + 10] ^= 0xff  # IPv4 header checksum
    add("bad_ip_checksum", bad)
    bad6 = bytearray(fb)
    struct.pack_into("!H", bad6, 14 + 4, len(fb) - 14)  # payload length beyond the frame
    add("bad_ipv6_length", bad6)
    add("frag4", raw(Ether(dst=ACCESS_MAC, src=ACCESS_GW) / IP(src=a.remote, dst=SC4, proto=50,
                                                                flags="MF") / Raw(bytes(64))))
    add("frag6", raw(Ether(dst=ACCESS_MAC, src=ACCESS_GW) / IPv6(src=b.remote, dst=SC6) /
                     IPv6ExtHdrFragment(nh=50, offset=8, m=0) / Raw(bytes(64))))
    add("other_dst", raw(Ether(dst=ACCESS_MAC, src=ACCESS_GW) / IP(src=a.remote, dst="198.51.100.2",
                                                                    proto=50) / Raw(bytes(64))))
    add("tcp_to_us", raw(Ether(dst=ACCESS_MAC, src=ACCESS_GW) / IP(src=a.remote, dst=SC4) /
                         TCP(dport=22)))
    add("udp_53", raw(Ether(dst=ACCESS_MAC, src=ACCESS_GW) / IP(src=a.remote, dst=SC4) /
                      UDP(sport=53, dport=53) / Raw(b"x")))
    add("icmp4", raw(Ether(dst=ACCESS_MAC, src=ACCESS_GW) / IP(src=a.remote, dst=SC4) / ICMP()))
    add("icmp6_echo", raw(Ether(dst=ACCESS_MAC, src=ACCESS_GW) / IPv6(src=b.remote, dst=SC6) /
                          ICMPv6EchoRequest()))
    add("ike500", raw(Ether(dst=ACCESS_MAC, src=ACCESS_GW) / IP(src=a.remote, dst=SC4) /
                      UDP(sport=500, dport=500) / Raw(bytes(28))))
    add("ike4500", raw(Ether(dst=ACCESS_MAC, src=ACCESS_GW) / IP(src=a.remote, dst=SC4) /
                       UDP(sport=4500, dport=4500) / Raw(bytes(4) + bytes(range(28)))))
    add("keepalive", raw(Ether(dst=ACCESS_MAC, src=ACCESS_GW) / IP(src=c.remote, dst=SC4) /
                         UDP(sport=31337, dport=4500, chksum=0) / Raw(b"\xff")))
    badudp = IP(src=c.remote, dst=SC4) / UDP(sport=31337, dport=4500, len=9) / Raw(bytes(range(1, 30)))
    add("bad_udp_len", raw(Ether(dst=ACCESS_MAC, src=ACCESS_GW) / badudp))
    # ---- sa_lookup
    add("esp_reserved_spi", frame_around(a, struct.pack("!LL", 5, 1) + bytes(40)))
    add("esp_short", frame_around(a, struct.pack("!LL", 0x1001, 1) + bytes(10)))
    add("esp_unaligned", frame_around(a, struct.pack("!LL", 0x1001, 1) + bytes(41)))
    add("unknown_spi", frame_around(a, struct.pack("!LL", 0x9999, 1) + bytes(40)))
    add("a_in_udp", si_frame(a, 7, pa, nat_t=True))
    add("c_without_udp", si_frame(c, 2, l2tp_ppp(8, 1, raw(inner6("2001:db8:3::1", "::1")), 0x57),
                                  nat_t=False))
    # ---- esp_decrypt
    add("a_forged", si_frame(a, 8, pa, tamper=True))
    add("a_bad_padding", si_frame(a, 9, pa, pad=b"\x01\x03"))
    add("a_bad_nh", si_frame(a, 10, pa, nh=6))
    add("a_dummy", si_frame(a, 11, pa, nh=59))
    add("c_bad_nh", si_frame(c, 3, pa, nh=17))
    add("c_malformed_inner", si_frame(c, 4, pa, nh=4, payload=b"\x45" + bytes(30)))
    ts_bad = raw(IP(src="10.0.0.6", dst=SC4, proto=17) /
                 Raw(udp_datagram(c, pa, src="10.0.0.6", dst=SC4)))
    add("c_selector_src", si_frame(c, 5, pa, nh=4, payload=ts_bad))
    ts_tcp = raw(IP(src="10.0.0.5", dst=SC4) / TCP(dport=1701))
    add("c_selector_proto", si_frame(c, 6, pa, nh=4, payload=ts_tcp))
    # ---- l2tp_input
    udp_bad = bytearray(udp_datagram(a, pa))
    struct.pack_into("!H", udp_bad, 4, len(udp_bad) + 4)
    add("dec_bad_udp", si_frame(a, 12, pa, payload=bytes(udp_bad)))
    add("dport_1702", si_frame(a, 13, pa, dport=1702))
    add("l2tp_v3", si_frame(a, 14, l2tp_ppp(7, 9, ia, flags=0x0003)))
    ctrl = struct.pack("!HHHHHH", 0xc802, 12, 7, 0, 0, 0)
    add("l2tp_control", si_frame(a, 15, ctrl))
    add("unknown_session", si_frame(a, 16, l2tp_ppp(7, 99, ia)))
    # a is authenticated but names s2's ids (owned by SA b): injection attempt.
    add("inject_s2", si_frame(a, 17, l2tp_ppp(7, 10, raw(inner4("10.2.0.9", "198.18.0.2")))))
    add("bad_ppp", si_frame(a, 18, l2tp_ppp(7, 9, ia, ppp=b"\xff\x05\x00\x21")))
    add("lcp", si_frame(a, 19, l2tp_ppp(7, 9, bytes(8), proto=0xc021)))
    # ---- ingress_filter
    add("v6_in_ipv4_ppp", si_frame(a, 20, l2tp_ppp(7, 9, raw(inner6("2001:db8:1::1", "::1")))))
    bad_inner = bytearray(ia)
    bad_inner[10] ^= 0x55
    add("bad_inner_checksum", si_frame(a, 21, l2tp_ppp(7, 9, bytes(bad_inner))))
    add("spoof_other_session", si_frame(a, 22, l2tp_ppp(7, 9, raw(inner4("10.2.0.9", "1.1.1.1")))))
    add("spoof_unassigned", si_frame(a, 23, l2tp_ppp(7, 9, raw(inner4("10.1.0.4", "1.1.1.1")))))
    add("ttl1", si_frame(a, 24, l2tp_ppp(7, 9, raw(inner4("10.1.0.1", "1.1.1.1", ttl=1)))))
    add("hlim1", si_frame(a, 25, l2tp_ppp(7, 9, raw(inner6("2001:db8:1::1", "::1", hlim=1)),
                                          0x57)))

    write_frame_vectors(sys.argv[1], "upstream_vectors.py", "upstream_vectors", config_text(), VECTORS, "out")


if __name__ == "__main__":
    main()
