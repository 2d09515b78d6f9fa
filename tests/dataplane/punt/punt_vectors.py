"""Punt path test vectors, built with scapy, written as a C++ header.

usage: python3 punt_vectors.py OUT.h

Every input frame is what an SI (access port) or a core host would send, and
every expected byte string is computed here, never by the code under test:
- ESP from scapy's SecurityAssociation (AES-GCM, IV = 64-bit sequence number);
  NAT-T frames wrap scapy's ESP bytes in UDP 4500 here (scapy 2.5 writes a
  wrong IPv4 NAT-T UDP length and a zero IPv6 checksum);
- `expected` is what the punt record's data must hold: the PPP frame, the
  decrypted UDP datagram, the outer UDP datagram or the IP packet;
- inject vectors: the PPP protocol + information the control plane sends, and
  the exact access frame the SC must emit for it (sequence number 1), made by
  SecurityAssociation.encrypt; the generator decrypts that frame again with
  SecurityAssociation.decrypt and checks that it carries exactly
  ff 03 + protocol + information in an L2TP data message with the peer's ids.
"""

import os
import struct
import sys

from scapy.layers.inet import ICMP, IP, UDP
from scapy.layers.inet6 import IPv6, ICMPv6EchoRequest, in6_chksum
from scapy.layers.ipsec import ESP, SecurityAssociation
from scapy.layers.l2 import Ether
from scapy.layers.l2tp import L2TP
from scapy.layers.ppp import PPP_LCP_Echo
from scapy.packet import Raw, raw

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "proto"))
from vectors_common import write_frame_vectors  # noqa: E402

ACCESS_MAC = "02:00:00:00:00:02"
ACCESS_GW = "02:00:00:00:00:01"
CORE_MAC = "02:00:00:00:01:02"
CORE_GW = "02:00:00:00:01:01"
SC4 = "198.51.100.1"
SC6 = "2001:db8:a::1"
CORE4 = "203.0.113.1"


class Sa:
    def __init__(self, name, spi, local, remote, key_in, key_out, salt, nat_t=False,
                 remote_port=4500, tunnel=False, local_ts=None, remote_ts=None):
        self.__dict__.update(locals())
        del self.__dict__["self"]
        self.v6 = ":" in local


SAS = [
    Sa("a", 0x1001, SC4, "192.0.2.1", bytes(range(0x10, 0x20)), bytes(range(0x20, 0x30)),
       bytes.fromhex("a0a1a2a3")),
    Sa("n", 0x1002, SC4, "192.0.2.77", bytes(range(0x30, 0x40)), bytes(range(0x40, 0x50)),
       bytes.fromhex("b0b1b2b3"), nat_t=True, remote_port=31337),
    Sa("t", 0x1003, SC6, "2001:db8:f::4", bytes(range(0x50, 0x60)), bytes(range(0x60, 0x70)),
       bytes.fromhex("c0c1c2c3"), nat_t=True, tunnel=True, local_ts="2001:db8:a::1/128",
       remote_ts="2001:db8:99::5/128"),
]
SA = {sa.name: sa for sa in SAS}

# sa, tunnel id, session id, peer tunnel id, peer session id, prefix, peer port
SESSIONS = [("a", 7, 9, 107, 109, "10.1.0.0/30", 1701),
            ("n", 8, 1, 108, 101, "10.2.0.0/24", 1701),
            ("t", 9, 1, 109, 201, "10.3.0.0/24", 1702)]
SESSION = {s[0]: s for s in SESSIONS}


def config_text():
    out = ['dataplane = { workers = [ 1 ]; };',
           'ports = (',
           '  { name = "access"; role = "access"; device = "net_null0"; mac = "%s";'
           '    addresses = [ "%s/24", "%s/64" ]; gateway_mac = "%s"; },' % (
               ACCESS_MAC, SC4, SC6, ACCESS_GW),
           '  { name = "core"; role = "core"; device = "net_null1"; mac = "%s";'
           '    addresses = [ "%s/24", "2001:db8:c::1/64" ]; gateway_mac = "%s"; }' % (
               CORE_MAC, CORE4, CORE_GW),
           ');',
           'sas = (']
    entries = []
    for sa in SAS:
        for direction, spi, key in (("in", sa.spi, sa.key_in),
                                    ("out", sa.spi + 0x10000, sa.key_out)):
            e = ('{ spi = %d; direction = "%s"; local = "%s"; remote = "%s";'
                 ' proposal = "aes128gcm16"; key = "0x%s";' % (
                     spi, direction, sa.local, sa.remote, (key + sa.salt).hex()))
            if sa.nat_t:
                e += " nat_t = true; remote_port = %d;" % sa.remote_port
            if sa.tunnel:
                e += ' mode = "tunnel"; local_ts = "%s"; remote_ts = "%s";' % (
                    sa.local_ts, sa.remote_ts)
            entries.append("  " + e + " }")
    out.append(",\n".join(entries))
    out.append(');')
    out.append('sessions = (')
    entries = []
    for sa, tid, sid, ptid, psid, prefix, pport in SESSIONS:
        entries.append(
            '  { identity = "%s@example.net"; sa_in = %d; sa_out = %d; tunnel_id = %d;'
            ' session_id = %d; peer_tunnel_id = %d; peer_session_id = %d; prefixes = [ "%s" ];'
            ' peer_port = %d; }' % (sa, SA[sa].spi, SA[sa].spi + 0x10000, tid, sid, ptid, psid,
                                    prefix, pport))
    out.append(",\n".join(entries))
    out.append(');')
    return "\n".join(out) + "\n"


def outer(sa, src, dst):
    return IPv6(src=src, dst=dst) if sa.v6 else IP(src=src, dst=dst)


def esp_frame(sa, seq, udp_datagram, tamper=False, spi=None):
    """Ethernet / outer IP / [UDP 4500] / ESP(udp_datagram) from the SI of `sa`."""
    if sa.tunnel:
        ts_src = sa.remote_ts.split("/")[0]
        ts_dst = sa.local_ts.split("/")[0]
        inner = IPv6(src=ts_src, dst=ts_dst, nh=17, hlim=64) / Raw(udp_datagram)
        s = SecurityAssociation(ESP, spi=sa.spi, crypt_algo="AES-GCM",
                                crypt_key=sa.key_in + sa.salt,
                                tunnel_header=outer(sa, sa.remote, sa.local))
        enc = s.encrypt(inner, seq_num=seq, iv=struct.pack("!Q", seq))
    else:
        s = SecurityAssociation(ESP, spi=sa.spi, crypt_algo="AES-GCM",
                                crypt_key=sa.key_in + sa.salt)
        enc = s.encrypt(outer(sa, sa.remote, sa.local) / UDP(udp_datagram), seq_num=seq,
                        iv=struct.pack("!Q", seq))
    esp = bytearray(raw(enc[ESP]))
    if tamper:
        esp[20] ^= 1
    if spi is not None:
        esp[0:4] = struct.pack("!L", spi)
    ip = outer(sa, sa.remote, sa.local)
    if sa.nat_t:
        pkt = ip / UDP(sport=sa.remote_port, dport=4500) / Raw(bytes(esp))
        if not sa.v6:
            pkt[UDP].chksum = 0
    else:
        if sa.v6:
            ip.nh = 50
        else:
            ip.proto = 50
        pkt = ip / Raw(bytes(esp))
    return raw(Ether(dst=ACCESS_MAC, src=ACCESS_GW) / pkt)


def datagram(sa, payload, sport=1701, dport=1701):
    """The UDP datagram the SI encrypts, checksum over the addresses it uses."""
    if sa.tunnel:
        ip = IPv6(src=sa.remote_ts.split("/")[0], dst=sa.local_ts.split("/")[0])
    else:
        ip = outer(sa, sa.remote, sa.local)
    return raw((ip / UDP(sport=sport, dport=dport) / Raw(payload))[UDP])


def l2tp_data(tid, sid, ppp):
    return struct.pack("!HHH", 0x0002, tid, sid) + ppp


def inner4(src, dst, ttl=64, payload=b"data"):
    return raw(IP(src=src, dst=dst, ttl=ttl, id=1) / UDP(sport=4000, dport=53) / Raw(payload))


def lcp_echo(code, ident, magic, data):
    return raw(PPP_LCP_Echo(code=code, id=ident, magic_number=magic, data=data))


def inject_expected(name, ppp_protocol_and_info):
    """The access frame for an injected PPP frame on session `name`, seq 1."""
    sa = SA[name]
    _, _, _, ptid, psid, _, pport = SESSION[name]
    ppp = b"\xff\x03" + ppp_protocol_and_info
    l2tp = raw(L2TP(tunnel_id=ptid, session_id=psid)) + ppp
    assert l2tp[:2] == b"\x00\x02"
    udp = UDP(sport=1701, dport=pport) / Raw(l2tp)
    key = sa.key_out + sa.salt
    iv = struct.pack("!Q", 1)
    if sa.tunnel:
        ts_dst = sa.remote_ts.split("/")[0]
        pkt = IPv6(src=sa.local, dst=ts_dst, hlim=64) / udp
        s = SecurityAssociation(ESP, spi=sa.spi + 0x10000, crypt_algo="AES-GCM", crypt_key=key,
                                tunnel_header=IPv6(src=sa.local, dst=sa.remote, hlim=64))
    else:
        udp.chksum = 0
        pkt = IP(src=sa.local, dst=sa.remote, ttl=64, id=0, flags="DF") / udp
        s = SecurityAssociation(ESP, spi=sa.spi + 0x10000, crypt_algo="AES-GCM", crypt_key=key)
    enc = s.encrypt(pkt, seq_num=1, iv=iv)
    esp = raw(enc[ESP])
    # Independent check of the plaintext: decrypt scapy's own output.
    dec = s.decrypt(enc)
    l2tp_got = raw(dec[UDP].payload)
    assert l2tp_got == l2tp, name
    ip = IPv6(src=sa.local, dst=sa.remote, hlim=64) if sa.v6 else IP(
        src=sa.local, dst=sa.remote, ttl=64, id=0, flags="DF")
    if sa.nat_t:
        pkt = ip / UDP(sport=4500, dport=sa.remote_port) / Raw(esp)
        if sa.v6:
            pkt[UDP].chksum = None  # computed: RFC 8200 forbids 0 over IPv6
        else:
            pkt[UDP].chksum = 0
    else:
        ip.proto = 50
        pkt = ip / Raw(esp)
    return raw(Ether(dst=ACCESS_GW, src=ACCESS_MAC) / pkt)


VECTORS = []


def add(name, frame, expected=b""):
    VECTORS.append((name, bytes(frame), bytes(expected)))


def main():
    a, n, t = SA["a"], SA["n"], SA["t"]

    # ---- Punts.
    ppp = b"\xff\x03\xc0\x21" + lcp_echo(9, 1, 0x01020304, b"ping")
    add("lcp_a", esp_frame(a, 1, datagram(a, l2tp_data(7, 9, ppp))), ppp)
    ppp = b"\xc0\x21" + lcp_echo(9, 2, 0x05060708, b"acfc")  # ACFC: no ff 03
    add("lcp_t_acfc", esp_frame(t, 1, datagram(t, l2tp_data(9, 1, ppp), sport=1702)), ppp)
    ppp = b"\xff\x03\x80\x21" + bytes.fromhex("0101000a03060a020001")  # IPCP Configure-Request
    add("ipcp_n", esp_frame(n, 1, datagram(n, l2tp_data(8, 1, ppp))), ppp)
    sccrq = struct.pack("!HHHHHH", 0xc802, 20, 7, 0, 0, 0) + bytes.fromhex("8008000000000001")
    d = datagram(a, sccrq, sport=40000)
    add("l2tp_ctrl_a", esp_frame(a, 2, d), d)
    for name, src in (("ike500_x", "192.0.2.1"), ("ike500_y", "192.0.2.2"),
                      ("ike500_z", "192.0.2.3")):
        u = UDP(sport=500, dport=500) / Raw(bytes(range(28)))
        p = IP(src=src, dst=SC4) / u
        add(name, raw(Ether(dst=ACCESS_MAC, src=ACCESS_GW) / p), raw(IP(raw(p))[UDP]))
    p = IP(src=n.remote, dst=SC4) / UDP(sport=31337, dport=4500) / Raw(bytes(4) + bytes(range(28)))
    add("ike4500_n", raw(Ether(dst=ACCESS_MAC, src=ACCESS_GW) / p), raw(IP(raw(p))[UDP]))
    p = IP(src=a.remote, dst=SC4) / ICMP(id=7, seq=1) / Raw(b"icmp4")
    add("icmp4", raw(Ether(dst=ACCESS_MAC, src=ACCESS_GW) / p), raw(p))
    p = IPv6(src=t.remote, dst=SC6) / ICMPv6EchoRequest(id=8, seq=2, data=b"icmp6")
    add("icmp6", raw(Ether(dst=ACCESS_MAC, src=ACCESS_GW) / p), raw(p))
    p = IP(src="203.0.113.50", dst=CORE4) / ICMP(id=9, seq=3) / Raw(b"core")
    add("core_icmp4", raw(Ether(dst=CORE_MAC, src=CORE_GW) / p), raw(p))

    # ---- Data and drops (session s1 of SA a unless named).
    for i in range(8):
        inner = inner4("10.1.0.1", "198.18.0.%d" % (i + 1))
        ppp = b"\xff\x03\x00\x21" + inner
        add("data_a_%d" % i, esp_frame(a, 10 + i, datagram(a, l2tp_data(7, 9, ppp))), inner)
    ppp = b"\xff\x03\x00\x21" + inner4("10.1.0.1", "198.18.0.99")
    add("forged_a", esp_frame(a, 100, datagram(a, l2tp_data(7, 9, ppp)), tamper=True))
    add("unknown_spi", esp_frame(a, 1, datagram(a, l2tp_data(7, 9, ppp)), spi=0x9999))
    inner = inner4("10.9.9.9", "198.18.0.1", payload=bytes(300))  # > 256: the sample is cut
    add("spoof_a", esp_frame(a, 20, datagram(a, l2tp_data(7, 9, b"\xff\x03\x00\x21" + inner))),
        inner)
    inner = inner4("10.1.0.2", "198.18.0.1", ttl=1)
    add("ttl1_a", esp_frame(a, 21, datagram(a, l2tp_data(7, 9, b"\xff\x03\x00\x21" + inner))),
        inner)
    d = datagram(a, l2tp_data(7, 99, b"\xff\x03\x00\x21" + inner4("10.1.0.1", "1.1.1.1")))
    add("unknown_session_a", esp_frame(a, 22, d), d)
    d = datagram(a, l2tp_data(7, 98, b"\xff\x03\x00\x21" + inner4("10.1.0.1", "1.1.1.2")))
    add("unknown_session_a2", esp_frame(a, 23, d), d)
    inner = inner4("10.2.0.9", "198.18.0.1", ttl=1)
    add("ttl1_n", esp_frame(n, 2, datagram(n, l2tp_data(8, 1, b"\xff\x03\x00\x21" + inner))),
        inner)
    add("not_for_us", raw(Ether(dst="02:00:00:00:00:99", src=ACCESS_GW) /
                          IP(src=a.remote, dst=SC4) / ICMP()))

    # ---- Downstream: a core packet for session s1, and the ESP payload
    # l2tp_encap makes of it (UDP checksum 0 over IPv4, TTL decremented).
    inner = IP(src="203.0.113.50", dst="10.1.0.1", ttl=64, id=3) / UDP(sport=53, dport=4000) / \
        Raw(b"down")
    forwarded = IP(raw(inner))
    forwarded.ttl -= 1
    del forwarded.chksum
    payload = l2tp_data(107, 109, b"\xff\x03\x00\x21" + raw(forwarded))
    udp = UDP(sport=1701, dport=1701, chksum=0) / Raw(payload)
    add("core_to_a", raw(Ether(dst=CORE_MAC, src=CORE_GW) / inner), raw(udp))
    add("core_no_route", raw(Ether(dst=CORE_MAC, src=CORE_GW) /
                             IP(src="203.0.113.50", dst="10.77.0.1") / UDP() / Raw(b"x")))

    # ---- Inject: protocol + information, and the frame the SC must send.
    echo_reply = b"\xc0\x21" + lcp_echo(10, 1, 0x0a0b0c0d, b"ping")
    add("inject_a", echo_reply, inject_expected("a", echo_reply))
    add("inject_t", echo_reply, inject_expected("t", echo_reply))

    write_frame_vectors(sys.argv[1], "punt_vectors.py", "punt_vectors", config_text(), VECTORS, "expected")


if __name__ == "__main__":
    main()
