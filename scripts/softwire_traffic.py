#!/usr/bin/python3
"""Independent traffic generator and output checker for softwire-dp.

Why this exists: the data plane's own codecs cannot be trusted to produce the
bytes its tests compare against. Everything here that decides an expected
byte comes from implementations that are not ours:

* scapy (Ether/IP/IPv6/UDP/TCP/ICMP, scapy.layers.l2tp, and
  scapy.layers.ipsec.SecurityAssociation for AES-GCM ESP, ESN included);
* python3-cryptography's AESGCM, for what scapy 2.5 cannot do: AES-GMAC
  (RFC 4543, scapy 2.5 has no 'AES-GMAC' auth algorithm), ESP trailers with
  deliberately wrong padding, and the fast path of --load;
* tshark, used by the tests to decode every generated and produced frame.

What this module writes for one scenario (see `Scenario.write`):

    softwire.conf      libconfig for softwire-dp (net_pcap devices)
    si*.pcap           frames the access port receives (from the SIs)
    core-in*.pcap      frames the core port receives
    expected.json      the expected outputs and --stats-json counters

and `check_outputs` compares what softwire-dp wrote with expected.json.

The behaviour modelled is docs/architecture.md, "Data-plane behaviour". Where
that contract leaves a choice open, the choice made here is written next to
the code that makes it (search for "INTERPRETATION").

CLI:
    softwire_traffic.py list
    softwire_traffic.py demo --out DIR [--load N]
    softwire_traffic.py scenario NAME --out DIR
    softwire_traffic.py check DIR          (after softwire-dp ran in DIR)
"""

from __future__ import annotations

import argparse
import functools
import ipaddress
import json
import logging
import os
import struct
import sys
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable, Iterable

logging.getLogger("scapy.runtime").setLevel(logging.ERROR)

from cryptography.hazmat.primitives.ciphers.aead import AESGCM  # noqa: E402
from scapy.layers.inet import ICMP, IP, TCP, UDP  # noqa: E402
from scapy.layers.inet6 import (  # noqa: E402
    ICMPv6EchoRequest, ICMPv6ND_NA, ICMPv6ND_NS, ICMPv6NDOptDstLLAddr,
    ICMPv6NDOptSrcLLAddr, IPv6, IPv6ExtHdrDestOpt, IPv6ExtHdrFragment,
    IPv6ExtHdrHopByHop, PadN)
from scapy.layers.ipsec import ESP, SecurityAssociation  # noqa: E402
from scapy.layers.l2 import ARP, Ether  # noqa: E402
from scapy.layers.l2tp import L2TP  # noqa: E402
from scapy.packet import Raw  # noqa: E402

# ---------------------------------------------------------------------------
# The contract's vocabulary (docs/architecture.md).

UPSTREAM_DROPS = [
    "malformed_l2", "not_for_us", "malformed_ip", "fragment",
    "unexpected_protocol", "malformed_udp", "nat_keepalive", "malformed_esp",
    "unknown_spi", "encap_mismatch", "sa_expired", "replay", "auth_failed",
    "bad_padding", "bad_next_header", "dummy_packet", "malformed_inner",
    "selector_mismatch", "malformed_l2tp", "unknown_session",
    "session_sa_mismatch", "malformed_ppp", "spoofed_source", "ttl_expired",
    "tx_full", "handoff_full", "crypto_error",
]
DOWNSTREAM_DROPS = ["no_route", "mtu_exceeded", "seq_exhausted", "no_buffer_space", "sa_deleted"]
DROP_REASONS = UPSTREAM_DROPS + [r for r in DOWNSTREAM_DROPS if r not in UPSTREAM_DROPS]
PUNT_KINDS = ["l2tp_control", "ppp_control", "ike", "icmp"]

PROPOSALS = {  # name -> (AES key bytes, encrypts)
    "aes128gcm16": (16, True),
    "aes256gcm16": (32, True),
    "aes128gmac": (16, False),
    "aes256gmac": (32, False),
}

PPP_IPV4 = 0x0021
PPP_IPV6 = 0x0057
PPP_LCP = 0xC021
L2TP_PORT = 1701
NATT_PORT = 4500
IKE_PORT = 500


class ScenarioError(Exception):
    """A scenario asked for an outcome that the model says cannot happen."""


def _ip(a: str):
    return ipaddress.ip_address(a)


def _net(p: str):
    return ipaddress.ip_network(p, strict=False)


# ---------------------------------------------------------------------------
# ESP. Two implementations on purpose: scapy's SecurityAssociation (the
# reference for AES-GCM) and a direct AESGCM one (GMAC, bad padding, speed).
# test_generator.py proves they agree wherever both apply.

def monotonic_padding(payload_len: int, align: int = 4) -> bytes:
    """RFC 4303 default padding: 1, 2, 3, ... up to 4-byte alignment of
    payload + pad + 2 (block size 1 for GCM/GMAC)."""
    n = (-(payload_len + 2)) % align
    return bytes(range(1, n + 1))


@dataclass
class Sa:
    """One SA as configured in softwire.conf, plus the generator's model of
    the data plane's state for it (counters, replay window, sequence)."""

    spi: int
    direction: str  # "in" (SI -> SC) or "out" (SC -> SI)
    local: str
    remote: str
    proposal: str = "aes128gcm16"
    key: bytes = b""  # AES key followed by the 4-byte salt
    esn: bool = False
    replay_window: int = 1024
    nat_t: bool = False
    local_port: int = NATT_PORT
    remote_port: int = NATT_PORT
    mode: str = "transport"
    local_ts: str | None = None
    remote_ts: str | None = None
    life_bytes: int = 0
    life_packets: int = 0
    soft_life_bytes: int = 0
    soft_life_packets: int = 0
    configured: bool = True  # False: an SA the SC does not know (unknown SPI)
    # --- model state ---
    packets: int = 0
    bytes: int = 0
    auth_failed: int = 0
    replay: int = 0
    next_seq: int = 1  # next 64-bit sequence number to send (SI for in, SC for out)
    top: int = 0  # highest authenticated sequence number (in SAs)
    seen: set = field(default_factory=set)
    # The window as of the last Scenario.burst_gap(): the SC pre-checks a
    # whole burst against the window it had when the burst began, so
    # outcomes that differ between that state and the current one depend on
    # burst boundaries; Scenario.up refuses them.
    gap_top: int = 0
    gap_seen: frozenset = frozenset()
    _scapy_sa: object = None

    def __post_init__(self):
        kb, _ = PROPOSALS[self.proposal]
        if not self.key:
            # Deterministic per SPI so that every run writes the same pcaps.
            seed = struct.pack("!I", self.spi)
            self.key = bytes((seed[i % 4] * 7 + i * 13 + 1) & 0xFF for i in range(kb + 4))
        if len(self.key) != kb + 4:
            raise ValueError(f"SA {self.spi:#x}: key must be {kb}+4 bytes")
        if self.local_ts is None:
            self.local_ts = str(_net(self.local))
        if self.remote_ts is None:
            self.remote_ts = str(_net(self.remote))

    @property
    def aes_key(self) -> bytes:
        return self.key[:-4]

    @property
    def salt(self) -> bytes:
        return self.key[-4:]

    @property
    def encrypts(self) -> bool:
        return PROPOSALS[self.proposal][1]

    @property
    def v6(self) -> bool:
        return _ip(self.local).version == 6

    @property
    def tunnel(self) -> bool:
        return self.mode == "tunnel"

    def conf(self) -> str:
        """The libconfig group for this SA."""
        items = [
            f"spi = {self.spi:#x};", f'direction = "{self.direction}";',
            f'local = "{self.local}";', f'remote = "{self.remote}";',
            f'proposal = "{self.proposal}";', f'key = "0x{self.key.hex()}";',
            f"esn = {'true' if self.esn else 'false'};",
        ]
        if self.direction == "in":
            items.append(f"replay_window = {self.replay_window};")
        if self.nat_t:
            items += ["nat_t = true;", f"local_port = {self.local_port};",
                      f"remote_port = {self.remote_port};"]
        if self.tunnel:
            items += ['mode = "tunnel";', f'local_ts = "{self.local_ts}";',
                      f'remote_ts = "{self.remote_ts}";']
        for name in ("life_bytes", "life_packets", "soft_life_bytes", "soft_life_packets"):
            v = getattr(self, name)
            if v:
                items.append(f"{name} = {v}L;" if v >= 2**31 else f"{name} = {v};")
        return "{ " + " ".join(items) + " }"

    def describe(self) -> dict:
        """What a checker needs to decrypt this SA's packets (expected.json)."""
        return {
            "spi": self.spi, "direction": self.direction, "local": self.local,
            "remote": self.remote, "proposal": self.proposal, "key": self.key.hex(),
            "esn": self.esn, "nat_t": self.nat_t, "local_port": self.local_port,
            "remote_port": self.remote_port, "mode": self.mode,
            "local_ts": self.local_ts, "remote_ts": self.remote_ts,
            "replay_window": self.replay_window,
        }

    # --- limits (the model) ---
    def hard_expired(self) -> bool:
        return bool((self.life_packets and self.packets >= self.life_packets)
                    or (self.life_bytes and self.bytes >= self.life_bytes))

    def soft_expired(self) -> bool:
        return bool((self.soft_life_packets and self.packets >= self.soft_life_packets)
                    or (self.soft_life_bytes and self.bytes >= self.soft_life_bytes))

    def infer_hi(self, lo: int, top: int | None = None) -> int:
        """RFC 4303 Appendix A: the high 32 bits a receiver infers for `lo`
        from its window; -1 when it would underflow. Scenarios must only
        send ESN numbers the receiver can infer (checked in Scenario.up)."""
        w = self.replay_window or 64
        top = self.top if top is None else top
        th, tl = top >> 32, top & 0xFFFFFFFF
        if tl >= w - 1:
            return th if lo >= tl - w + 1 else th + 1
        return th - 1 if lo >= (tl - w + 1) % 2**32 else th

    def is_replay(self, seq: int, at_gap: bool = False) -> bool:
        """RFC 4303 §3.4.3 window over the full (ESN-extended) number: the
        window covers top-W+1 .. top; seq 0 is never valid."""
        top, seen = (self.gap_top, self.gap_seen) if at_gap else (self.top, self.seen)
        if self.replay_window == 0:
            return False
        if seq == 0:
            return True
        if seq > top:
            return False
        if seq + self.replay_window <= top:
            return True
        return seq in seen

    def accept(self, seq: int, payload_len: int):
        """An authenticated, non-replayed packet: advance window, count."""
        self.packets += 1
        self.bytes += payload_len
        if self.replay_window:
            self.seen.add(seq)
            if seq > self.top:
                self.top = seq
                lim = self.top - self.replay_window
                if len(self.seen) > 4 * self.replay_window:
                    self.seen = {s for s in self.seen if s > lim}

    def stats(self) -> dict:
        return {"spi": self.spi, "direction": self.direction, "packets": self.packets,
                "bytes": self.bytes, "auth_failed": self.auth_failed, "replay": self.replay,
                "soft_expired": self.soft_expired(), "hard_expired": self.hard_expired()}

    def scapy_sa(self) -> SecurityAssociation:
        if self._scapy_sa is None:
            self._scapy_sa = SecurityAssociation(ESP, spi=self.spi, crypt_algo="AES-GCM",
                                                 crypt_key=self.key, esn_en=self.esn, esn=0)
        return self._scapy_sa


def esp_aad(sa: Sa, seq: int) -> bytes:
    """RFC 4106 §5 / RFC 4543 §5: SPI || seq, or SPI || seq_hi || seq_lo."""
    if sa.esn:
        return struct.pack("!III", sa.spi, seq >> 32, seq & 0xFFFFFFFF)
    return struct.pack("!II", sa.spi, seq & 0xFFFFFFFF)


def esp_seal_direct(sa: Sa, seq: int, payload: bytes, nh: int, iv: bytes | None = None,
                    padding: bytes | None = None) -> bytes:
    """ESP header .. ICV with python3-cryptography's AESGCM.

    GCM (RFC 4106): nonce = salt || IV, AAD = SPI || seq[_hi || seq_lo],
    plaintext = payload || pad || pad_len || nh.
    GMAC (RFC 4543): nothing encrypted; AAD = SPI || seq || IV || payload ||
    pad || pad_len || nh, the tag is the ICV."""
    if iv is None:
        iv = struct.pack("!Q", seq)
    if padding is None:
        padding = monotonic_padding(len(payload))
    if (len(payload) + len(padding) + 2) % 4:
        raise ScenarioError("ESP padding leaves the trailer unaligned: the SC would see malformed_esp")
    trailer = payload + padding + bytes([len(padding), nh])
    hdr = struct.pack("!II", sa.spi, seq & 0xFFFFFFFF)
    aead = AESGCM(sa.aes_key)
    if sa.encrypts:
        return hdr + iv + aead.encrypt(sa.salt + iv, trailer, esp_aad(sa, seq))
    tag = aead.encrypt(sa.salt + iv, b"", esp_aad(sa, seq) + iv + trailer)
    return hdr + iv + trailer + tag


def esp_seal_scapy(sa: Sa, seq: int, payload: bytes, nh: int, iv: bytes | None = None) -> bytes:
    """ESP header .. ICV with scapy's SecurityAssociation (AES-GCM only)."""
    if not sa.encrypts:
        raise ValueError("scapy 2.5 has no AES-GMAC")
    if iv is None:
        iv = struct.pack("!Q", seq)
    ssa = sa.scapy_sa()
    # scapy 2.5 uses `seq_num or self.seq_num` (and `esn or self.esn`): a low
    # half of 0 (ESN crossing 2^32) would silently take the SA's counter.
    ssa.seq_num, ssa.esn = seq & 0xFFFFFFFF, seq >> 32
    out = ssa.encrypt(IP(proto=nh) / Raw(payload), seq_num=seq & 0xFFFFFFFF,
                      iv=iv, esn_en=sa.esn, esn=seq >> 32)
    return bytes(out[ESP])


def esp_seal(sa: Sa, seq: int, payload: bytes, nh: int, iv: bytes | None = None,
             padding: bytes | None = None, fast: bool = False) -> bytes:
    """The reference sealing: scapy for GCM with standard padding, AESGCM
    directly otherwise (GMAC, custom padding, or fast=True)."""
    if sa.encrypts and padding is None and not fast:
        return esp_seal_scapy(sa, seq, payload, nh, iv)
    return esp_seal_direct(sa, seq, payload, nh, iv, padding)


@dataclass
class EspPlain:
    spi: int
    seq_lo: int
    iv: bytes
    payload: bytes
    padding: bytes
    nh: int


def esp_open_direct(sa: Sa, esp: bytes, seq_hi: int = 0) -> EspPlain:
    """Inverse of esp_seal_direct; raises cryptography's InvalidTag."""
    spi, lo = struct.unpack("!II", esp[:8])
    iv, body, icv = esp[8:16], esp[16:-16], esp[-16:]
    seq = (seq_hi << 32) | lo
    aead = AESGCM(sa.aes_key)
    if sa.encrypts:
        plain = aead.decrypt(sa.salt + iv, body + icv, esp_aad(sa, seq))
    else:
        aead.decrypt(sa.salt + iv, icv, esp_aad(sa, seq) + iv + body)
        plain = body
    padlen, nh = plain[-2], plain[-1]
    return EspPlain(spi, lo, iv, plain[:len(plain) - 2 - padlen],
                    plain[len(plain) - 2 - padlen:-2], nh)


def esp_open_scapy(sa: Sa, esp: bytes, seq_hi: int = 0) -> EspPlain:
    """Decrypt with scapy's SecurityAssociation (GCM); raises
    scapy.layers.ipsec.IPSecIntegrityError."""
    e = ESP(esp)
    ssa = sa.scapy_sa()
    plain = ssa.crypt_algo.decrypt(ssa, e, ssa.crypt_key, 16, esn_en=sa.esn, esn=seq_hi)
    # scapy 2.5's _ESPPlain.padding slice is computed after truncating data,
    # so recompute the padding from the raw decryption instead of trusting it.
    pad = bytes(range(1, plain.padlen + 1)) if plain.padlen else b""
    return EspPlain(e.spi, e.seq, bytes(plain.iv), bytes(plain.data), pad, plain.nh)


# ---------------------------------------------------------------------------
# Layers above ESP.

def ppp_header(proto: int, acfc: bool = False, pfc: bool = False) -> bytes:
    """PPP in HDLC-like framing as L2TP carries it. scapy's PPP layer always
    compresses protocols < 0x100 (PFC), so the header is written here from
    RFC 1661/1662: [ff 03] protocol (1 byte when PFC and the value allows)."""
    h = b"" if acfc else b"\xff\x03"
    if pfc and proto < 0x100 and proto & 1:
        return h + bytes([proto])
    return h + struct.pack("!H", proto)


@functools.lru_cache(maxsize=8192)
def l2tp_data(tunnel_id: int, session_id: int, body: bytes, *, length: bool = False,
              ns_nr: tuple[int, int] | None = None, offset: bool = False,
              priority: bool = False, version: int = 2, control: bool = False) -> bytes:
    """An L2TPv2 header (scapy's L2TP layer) followed by `body`. scapy's
    offset field is a 2-byte size padded to 4: RFC-correct for offset size 2
    (two pad bytes), which is what is used."""
    flags = []
    if control:
        flags.append("control")
    if length:
        flags.append("length")
    if ns_nr is not None:
        flags.append("sequence")
    if offset:
        flags.append("offset")
    if priority:
        flags.append("priority")
    kw = {"hdr": "+".join(flags) if flags else 0, "version": version,
          "tunnel_id": tunnel_id, "session_id": session_id}
    if ns_nr is not None:
        kw["ns"], kw["nr"] = ns_nr
    if offset:
        kw["offset"] = 2
    return bytes(L2TP(**kw) / Raw(body))


@functools.lru_cache(maxsize=8192)
def udp_datagram(src: str, dst: str, sport: int, dport: int, payload: bytes,
                 checksum: bool = True) -> bytes:
    """A UDP header + payload with the checksum over the pseudo-header of
    (src, dst), as scapy computes it; checksum=False writes 0."""
    if _ip(src).version == 4:
        pkt = IP(src=src, dst=dst) / UDP(sport=sport, dport=dport, chksum=None if checksum else 0) / Raw(payload)
        return bytes(pkt)[20:]
    pkt = IPv6(src=src, dst=dst) / UDP(sport=sport, dport=dport) / Raw(payload)
    return bytes(pkt)[40:]


@functools.lru_cache(maxsize=8192)
def ip_header_for(src: str, dst: str, proto: int, payload: bytes, *, ttl: int = 64,
                  ident: int = 0, df: bool = True) -> bytes:
    """An outer or tunnel-mode IP header + payload, per the contract's fixed
    fields: IPv4 TOS 0, ID, DF, TTL 64; IPv6 tclass 0, flow 0, hop limit 64."""
    if _ip(src).version == 4:
        return bytes(IP(src=src, dst=dst, proto=proto, ttl=ttl, id=ident, tos=0,
                        flags="DF" if df else 0) / Raw(payload))
    return bytes(IPv6(src=src, dst=dst, nh=proto, hlim=ttl, tc=0, fl=0) / Raw(payload))


@functools.lru_cache(maxsize=8192)
def forward_transform(inner: bytes, mtu: int) -> bytes:
    """What the SC does to a forwarded inner packet: TTL/hop limit − 1 (IPv4
    checksum recomputed by scapy; the SC updates it incrementally, which gives
    the same value) and MSS of TCP SYNs clamped to mtu−40 (IPv4) / mtu−60
    (IPv6), TCP checksum recomputed.

    INTERPRETATION: "SYNs" = any segment with SYN set (SYN-ACK too); the MSS
    is only lowered, never raised."""
    v = inner[0] >> 4
    pkt = IP(inner) if v == 4 else IPv6(inner)
    if v == 4:
        pkt.ttl -= 1
        pkt.chksum = None
        clamp = mtu - 40
    else:
        pkt.hlim -= 1
        clamp = mtu - 60
    if TCP in pkt and pkt[TCP].flags & 0x02:
        opts = []
        changed = False
        for name, val in pkt[TCP].options:
            if name == "MSS" and val > clamp:
                val = clamp
                changed = True
            opts.append((name, val))
        if changed:
            pkt[TCP].options = opts
            pkt[TCP].chksum = None
    out = bytes(pkt)
    if len(out) != len(inner):
        raise AssertionError("forward_transform changed the packet length")
    return out


def inner_ttl(inner: bytes) -> int:
    return inner[8] if inner[0] >> 4 == 4 else inner[7]


def inner_addrs(inner: bytes) -> tuple[str, str]:
    if inner[0] >> 4 == 4:
        return str(ipaddress.IPv4Address(inner[12:16])), str(ipaddress.IPv4Address(inner[16:20]))
    return str(ipaddress.IPv6Address(inner[8:24])), str(ipaddress.IPv6Address(inner[24:40]))


def arp_reply_checks(req: bytes, port: "Port") -> dict:
    a = Ether(req)[ARP]
    return {"kind": "arp_reply", "eth_dst": a.hwsrc, "eth_src": port.mac, "psrc": a.pdst,
            "pdst": a.psrc, "hwsrc": port.mac, "hwdst": a.hwsrc}


def nd_reply_checks(req: bytes, port: "Port") -> dict:
    p = Ether(req)
    return {"kind": "nd_reply", "eth_dst": p[ICMPv6NDOptSrcLLAddr].lladdr, "eth_src": port.mac,
            "tgt": p[ICMPv6ND_NS].tgt, "dst": p[IPv6].src, "lladdr": port.mac}


def inet_checksum(data: bytes) -> int:
    """RFC 1071 one's-complement sum, for the fast path only."""
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def outer_fast(eth: bytes, src: str, dst: str, ident: int, nat_t: bool, sport: int, dport: int,
               esp: bytes) -> bytes:
    """outer_frame's shape built with struct: for --load, where scapy would
    take milliseconds per packet. test_generator checks it against scapy."""
    s, d = _ip(src).packed, _ip(dst).packed
    v6 = len(s) == 16
    if nat_t:
        ulen = 8 + len(esp)
        csum = 0
        if v6:
            pseudo = s + d + struct.pack("!IxxxB", ulen, 17)
            csum = inet_checksum(pseudo + struct.pack("!HHHH", sport, dport, ulen, 0) + esp) or 0xFFFF
        l4, proto = struct.pack("!HHHH", sport, dport, ulen, csum) + esp, 17
    else:
        l4, proto = esp, 50
    if v6:
        return eth + struct.pack("!IHBB", 0x60000000, len(l4), proto, 64) + s + d + l4
    hdr = struct.pack("!BBHHHBBH", 0x45, 0, 20 + len(l4), ident, 0x4000, 64, proto, 0) + s + d
    hdr = hdr[:10] + struct.pack("!H", inet_checksum(hdr)) + hdr[12:]
    return eth + hdr + l4


# ---------------------------------------------------------------------------
# Scenario model.

@dataclass
class Port:
    name: str
    role: str
    mac: str
    addresses: list[str]
    gateway_mac: str
    rx: list[list[bytes]] = field(default_factory=list)  # per queue
    rx_packets: int = 0
    rx_bytes: int = 0
    tx_packets: int = 0
    tx_bytes: int = 0

    def first(self, version: int) -> str:
        for a in self.addresses:
            if _ip(a.split("/")[0]).version == version:
                return a.split("/")[0]
        raise ScenarioError(f"port {self.name} has no IPv{version} address")


@dataclass
class Session:
    identity: str
    sa_in: Sa
    sa_out: Sa
    tunnel_id: int
    session_id: int
    peer_tunnel_id: int
    peer_session_id: int
    prefixes: list[str]
    mtu: int = 1500
    peer_port: int = L2TP_PORT
    up_packets: int = 0
    up_bytes: int = 0
    down_packets: int = 0
    down_bytes: int = 0
    spoofed: int = 0

    def owns(self, addr: str) -> bool:
        a = _ip(addr)
        return any(a.version == _net(p).version and a in _net(p) for p in self.prefixes)

    def conf(self) -> str:
        pfx = ", ".join(f'"{p}"' for p in self.prefixes)
        return (f'{{ identity = "{self.identity}"; sa_in = {self.sa_in.spi:#x}; '
                f"sa_out = {self.sa_out.spi:#x}; tunnel_id = {self.tunnel_id}; "
                f"session_id = {self.session_id}; peer_tunnel_id = {self.peer_tunnel_id}; "
                f"peer_session_id = {self.peer_session_id}; prefixes = [ {pfx} ]; "
                f"mtu = {self.mtu}; peer_port = {self.peer_port}; }}")

    def stats(self) -> dict:
        return {"identity": self.identity, "tunnel_id": self.tunnel_id,
                "session_id": self.session_id, "up_packets": self.up_packets,
                "up_bytes": self.up_bytes, "down_packets": self.down_packets,
                "down_bytes": self.down_bytes, "spoofed": self.spoofed}


@dataclass
class Si:
    """A softwire initiator: its outer address and its SA pair."""
    name: str
    addr: str
    sa_in: Sa
    sa_out: Sa
    mac: str = "02:00:00:00:00:01"


class Scenario:
    """A set of SAs/sessions, the frames sent to both ports, and the
    expected outputs and counters, kept in step by a model of the contract.

    Every `up`/`down`/`*_raw` call takes an optional `expect`
    ("forward", "drop:<reason>", "punt:<kind>", "reply:arp"/"reply:nd"). For
    generated packets the model derives the outcome and `expect` is an
    assertion that the scenario's author and the model agree; for hand-made
    frames the model cannot parse, `expect` is the outcome."""

    def __init__(self, name: str, *, workers: Iterable[int] = (1,), queues: int = 1,
                 ordered: bool = True, burst: int = 32):
        self.name = name
        self.workers = list(workers)
        self.queues = queues
        self.ordered = ordered and queues == 1
        self.burst = burst
        self.access = Port("access", "access", "02:00:00:00:00:02",
                           ["198.51.100.1/24", "2001:db8:a::1/64"], "02:00:00:00:00:01")
        self.core = Port("core", "core", "02:00:00:00:01:02",
                         ["203.0.113.1/24", "2001:db8:c::1/64"], "02:00:00:00:01:01")
        for p in (self.access, self.core):
            p.rx = [[] for _ in range(queues)]
        self.neighbors: list[tuple[str, str, str]] = []  # (port, address, mac)
        self.sas: list[Sa] = []
        self.sessions: list[Session] = []
        self.drops: Counter = Counter()
        self.punts: Counter = Counter()
        self.neighbor = Counter()
        # Expected outputs, per port, in emission order.
        self.core_out: list[dict] = []
        self.access_out: list[dict] = []
        self.replies: dict[str, list[dict]] = {"access": [], "core": []}
        self.log: list[dict] = []  # one entry per input frame
        self.ambiguous: list[dict] = []  # {"reasons": [...], "count": n}
        self._rr = {"access": 0, "core": 0}

    # ---- configuration -------------------------------------------------
    def add_sa(self, **kw) -> Sa:
        sa = Sa(**kw)
        if sa.configured:
            self.sas.append(sa)
        return sa

    def add_si(self, name: str, addr: str, *, spi_in: int, spi_out: int,
               proposal: str = "aes128gcm16", local: str | None = None, **kw) -> Si:
        """An SI with an inbound and an outbound SA of the same parameters
        (different keys). kw goes to both SAs, except replay_window and the
        in_/out_ prefixed ones."""
        if local is None:
            local = self.access.first(_ip(addr).version)
        common = {k: v for k, v in kw.items() if not k.startswith(("in_", "out_"))}
        ins = {k[3:]: v for k, v in kw.items() if k.startswith("in_")}
        outs = {k[4:]: v for k, v in kw.items() if k.startswith("out_")}
        rw = common.pop("replay_window", 1024)
        sa_in = self.add_sa(spi=spi_in, direction="in", local=local, remote=addr,
                            proposal=proposal, replay_window=rw, **common, **ins)
        sa_out = self.add_sa(spi=spi_out, direction="out", local=local, remote=addr,
                             proposal=proposal, **common, **outs)
        return Si(name, addr, sa_in, sa_out)

    def add_session(self, si: Si, identity: str, tunnel_id: int, session_id: int,
                    prefixes: list[str], *, peer_tunnel_id: int | None = None,
                    peer_session_id: int | None = None, mtu: int = 1500,
                    peer_port: int = L2TP_PORT) -> Session:
        s = Session(identity, si.sa_in, si.sa_out, tunnel_id, session_id,
                    peer_tunnel_id if peer_tunnel_id is not None else tunnel_id + 1000,
                    peer_session_id if peer_session_id is not None else session_id + 2000,
                    prefixes, mtu, peer_port)
        self.sessions.append(s)
        return s

    def add_neighbor(self, port: str, address: str, mac: str):
        self.neighbors.append((port, address, mac))

    def neighbor_mac(self, port: Port, addr: str) -> str:
        for p, a, m in self.neighbors:
            if p == port.name and _ip(a) == _ip(addr):
                return m
        return port.gateway_mac

    # ---- bookkeeping ---------------------------------------------------
    def _queue(self, port: Port, queue: int | None) -> int:
        if queue is None:
            queue = self._rr[port.name] % self.queues
            self._rr[port.name] += 1
        return queue

    def _input(self, port: Port, frame: bytes, outcome: str, note: str, queue: int | None):
        q = self._queue(port, queue)
        port.rx[q].append(frame)
        port.rx_packets += 1
        port.rx_bytes += len(frame)
        kind, _, what = outcome.partition(":")
        if kind == "drop":
            if what not in DROP_REASONS:
                raise ScenarioError(f"unknown drop reason {what}")
            self.drops[what] += 1
        elif kind == "punt":
            if what not in PUNT_KINDS:
                raise ScenarioError(f"unknown punt kind {what}")
            self.punts[what] += 1
        elif kind == "ambiguous":
            pass
        elif kind not in ("forward", "reply"):
            raise ScenarioError(f"bad outcome {outcome}")
        self.log.append({"port": port.name, "queue": q, "index": len(port.rx[q]) - 1,
                         "len": len(frame), "outcome": outcome, "note": note})

    @staticmethod
    def _agree(model: str, expect: str | None, note: str) -> str:
        if expect is not None and expect != model:
            raise ScenarioError(f"{note}: scenario expects {expect}, model says {model}")
        return model

    # ---- upstream ------------------------------------------------------
    def up(self, session: Session | None, inner=None, *, sa: Sa | None = None,
           tunnel_id: int | None = None, session_id: int | None = None,
           seq: int | None = None, expect: str | None = None, note: str = "",
           ppp_proto: int | None = None, acfc: bool = False, pfc: bool = False,
           l2tp_length: bool = False, l2tp_seq: tuple[int, int] | None = None,
           l2tp_offset: bool = False, l2tp_priority: bool = False,
           udp_sport: int | None = None, udp_dport: int = L2TP_PORT,
           l2tp_bytes: bytes | None = None, udp_bytes: bytes | None = None,
           plain: bytes | None = None, plain_outcome: str | None = None,
           nh: int | None = None, padding: bytes | None = None,
           tunnel_src: str | None = None, tunnel_dst: str | None = None,
           tamper: str | None = None, encap: bool | None = None,
           outer_dst: str | None = None, queue: int | None = None, fast: bool = False,
           ipv6_ext: bool = False, ipv4_options: bool = False, dry: bool = False) -> bytes:
        """An SI -> SC frame. Layers can be replaced from the bottom:
        `inner` (scapy packet or bytes) < `l2tp_bytes` (L2TP+PPP+inner) <
        `udp_bytes` (UDP datagram or, in tunnel mode, the tunnel-mode inner
        IP packet) < `plain` (the whole ESP payload; then `plain_outcome`
        says what happens after decryption). Returns the frame; dry=True
        only builds it (no model update, nothing recorded)."""
        sa = sa or session.sa_in
        if seq is None:
            seq = sa.next_seq
        if not dry:
            sa.next_seq = max(sa.next_seq, seq + 1)
        tid = tunnel_id if tunnel_id is not None else session.tunnel_id
        sid = session_id if session_id is not None else session.session_id
        inner_b = bytes(inner) if inner is not None else None
        proto = ppp_proto
        if proto is None and inner_b is not None:
            proto = PPP_IPV4 if inner_b[0] >> 4 == 4 else PPP_IPV6
        sport = udp_sport if udp_sport is not None else (session.peer_port if session else L2TP_PORT)
        # Addresses the UDP checksum and the tunnel header use.
        t_src = tunnel_src or sa.remote_ts.split("/")[0]
        t_dst = tunnel_dst or sa.local_ts.split("/")[0]
        model = None
        if plain is None:
            if udp_bytes is None:
                if l2tp_bytes is None:
                    l2tp_bytes = l2tp_data(tid, sid, ppp_header(proto, acfc, pfc) + inner_b,
                                           length=l2tp_length, ns_nr=l2tp_seq,
                                           offset=l2tp_offset, priority=l2tp_priority)
                src, dst = (t_src, t_dst) if sa.tunnel else (sa.remote, sa.local)
                udp_bytes = udp_datagram(src, dst, sport, udp_dport, l2tp_bytes)
            if sa.tunnel:
                payload = ip_header_for(t_src, t_dst, 17, udp_bytes)
                nh_model = 4 if _ip(t_src).version == 4 else 41
            else:
                payload = udp_bytes
                nh_model = 17
        else:
            payload = plain
            nh_model = nh
            if plain_outcome is None or plain_outcome == "forward":
                raise ScenarioError("plain= needs a drop/punt plain_outcome=")
        if nh is None:
            nh = nh_model
        esp = esp_seal(sa, seq, payload, nh, padding=padding, fast=fast)
        if tamper == "icv":
            esp = esp[:-1] + bytes([esp[-1] ^ 0x01])
        elif tamper == "body":
            esp = esp[:20] + bytes([esp[20] ^ 0x80]) + esp[21:]
        elif tamper is not None:
            raise ScenarioError(f"bad tamper {tamper}")
        use_udp = sa.nat_t if encap is None else encap
        frame = self.outer_frame(sa, esp, to_sc=True, nat_t=use_udp, seq=seq, dst=outer_dst,
                                 ipv6_ext=ipv6_ext, ipv4_options=ipv4_options, fast=fast)

        # --- the model, in the contract's order ---
        n = note or f"up spi={sa.spi:#x} seq={seq}"
        if sa.configured and sa.esn and use_udp == sa.nat_t and (
                sa.infer_hi(seq & 0xFFFFFFFF) != seq >> 32
                or sa.infer_hi(seq & 0xFFFFFFFF, sa.gap_top) != seq >> 32):
            raise ScenarioError(f"{n}: ESN seq {seq:#x} cannot be inferred by the receiver "
                                f"(window top {sa.top:#x}, at the last burst gap {sa.gap_top:#x}): "
                                "add a burst_gap() after the jump")
        if sa.configured and tamper and sa.is_replay(seq) != sa.is_replay(seq, at_gap=True):
            raise ScenarioError(f"{n}: forged replay whose verdict (replay or auth_failed) depends "
                                "on burst boundaries: add a burst_gap() before it")
        if dry:
            return frame
        if not sa.configured:
            model = "drop:unknown_spi"
        elif use_udp != sa.nat_t:
            model = "drop:encap_mismatch"
        elif sa.hard_expired():
            model = "drop:sa_expired"
        elif sa.is_replay(seq):
            model = "drop:replay"
            sa.replay += 1
        elif tamper:
            model = "drop:auth_failed"
            sa.auth_failed += 1
        else:
            bad_pad = padding is not None and padding != bytes(range(1, len(padding) + 1))
            # INTERPRETATION: SA bytes = the ESP payload without padding,
            # pad length and next header; with invalid padding the padding
            # cannot be told apart, so the whole plaintext counts.
            sa.accept(seq, len(payload) + len(padding) + 2 if bad_pad else len(payload))
            if bad_pad:
                model = "drop:bad_padding"
            elif plain is not None:
                model = plain_outcome
            elif nh == 59:
                model = "drop:dummy_packet"
            elif nh != nh_model:
                model = "drop:bad_next_header"
            else:
                model = self._model_after_udp(sa, session, tid, sid, t_src, t_dst, udp_dport,
                                              l2tp_bytes, inner_b, proto, n)
        self._agree(model, expect, n)
        self._input(self.access, frame, model, n, queue)
        return frame

    def _model_after_udp(self, sa, session, tid, sid, t_src, t_dst, dport, l2tp_bytes,
                         inner_b, proto, note) -> str:
        if sa.tunnel and not (_ip(t_src) in _net(sa.remote_ts) and _ip(t_dst) in _net(sa.local_ts)):
            return "drop:selector_mismatch"
        if dport != L2TP_PORT:
            return "drop:selector_mismatch"
        if inner_b is None:
            raise ScenarioError(f"{note}: l2tp_bytes/udp_bytes given without inner: pass plain= instead")
        s = next((x for x in self.sessions if (x.tunnel_id, x.session_id) == (tid, sid)), None)
        if s is None:
            return "drop:unknown_session"
        if s.sa_in is not sa:
            return "drop:session_sa_mismatch"
        if proto not in (PPP_IPV4, PPP_IPV6):
            return "punt:ppp_control"
        if (inner_b[0] >> 4) != (4 if proto == PPP_IPV4 else 6):
            return "drop:malformed_inner"
        src, dst = inner_addrs(inner_b)
        if not s.owns(src):
            s.spoofed += 1
            return "drop:spoofed_source"
        if inner_ttl(inner_b) <= 1:
            return "drop:ttl_expired"
        out = forward_transform(inner_b, s.mtu)
        eth = Ether(src=self.core.mac, dst=self.neighbor_mac(self.core, dst),
                    type=0x0800 if out[0] >> 4 == 4 else 0x86DD)
        frame = bytes(eth) + out
        self.core_out.append({"kind": "frame", "frame": frame.hex(), "note": note})
        self.core.tx_packets += 1
        self.core.tx_bytes += len(frame)
        s.up_packets += 1
        s.up_bytes += len(inner_b)
        return "forward"

    def outer_frame(self, sa: Sa, esp: bytes, *, to_sc: bool, nat_t: bool, seq: int = 0,
                    dst: str | None = None, ipv6_ext: bool = False,
                    ipv4_options: bool = False, fast: bool = False) -> bytes:
        """Ethernet / outer IP / [UDP 4500] / ESP. SC -> SI follows the
        contract byte for byte; SI -> SC frames use the same shape (ID = seq)
        unless asked for IPv4 options or IPv6 extension headers."""
        if to_sc:
            src_ip, dst_ip = sa.remote, dst or sa.local
            sport, dport = sa.remote_port, sa.local_port
            eth = Ether(src="02:00:00:00:00:01", dst=self.access.mac)
            ident = seq & 0xFFFF
        else:
            src_ip, dst_ip = sa.local, sa.remote
            sport, dport = sa.local_port, sa.remote_port
            eth = Ether(src=self.access.mac, dst=self.neighbor_mac(self.access, sa.remote))
            ident = 0
        if fast and not (ipv6_ext or ipv4_options):
            etype = b"\x86\xdd" if _ip(src_ip).version == 6 else b"\x08\x00"
            return outer_fast(bytes(eth)[:12] + etype, src_ip, dst_ip, ident, nat_t, sport, dport, esp)
        v6 = _ip(src_ip).version == 6
        if nat_t:
            # Contract: checksum 0 on IPv4, computed on IPv6 (scapy's own
            # nat_t_header always writes 0, so UDP is built here).
            l4 = udp_datagram(src_ip, dst_ip, sport, dport, esp, checksum=v6)
            proto = 17
        else:
            l4, proto = esp, 50
        if not v6:
            ip = IP(src=src_ip, dst=dst_ip, proto=proto, ttl=64, id=ident, tos=0, flags="DF")
            if ipv4_options:
                ip.options = [b"\x01\x01\x01\x00"]  # NOP NOP NOP EOL: IHL 6
            return bytes(eth / ip / Raw(l4))
        ip6 = IPv6(src=src_ip, dst=dst_ip, hlim=64, tc=0, fl=0)
        if ipv6_ext:
            ip6 = ip6 / IPv6ExtHdrHopByHop(options=[PadN(optdata=b"\x00" * 4)]) / \
                IPv6ExtHdrDestOpt(options=[PadN(optdata=b"\x00" * 4)], nh=proto)
        else:
            ip6.nh = proto
        return bytes(eth / ip6 / Raw(l4))

    def up_raw(self, frame: bytes, expect: str, note: str, queue: int | None = None,
               reply: dict | None = None):
        """A hand-made access frame whose outcome the caller states."""
        if expect.startswith("reply:"):
            self.replies["access"].append(reply)
            self.access.tx_packets += 1
            self.access.tx_bytes += reply.get("len", 0)
        self._input(self.access, frame, expect, note, queue)

    # ---- downstream ----------------------------------------------------
    def lpm(self, addr: str) -> Session | None:
        a = _ip(addr)
        best, blen = None, -1
        for s in self.sessions:
            for p in s.prefixes:
                n = _net(p)
                if n.version == a.version and a in n and n.prefixlen > blen:
                    best, blen = s, n.prefixlen
        return best

    def down(self, inner, *, expect: str | None = None, note: str = "",
             queue: int | None = None, pad_to: int = 0, fast: bool = False) -> bytes:
        """A core -> SC frame carrying `inner`; the model computes the
        expected access-out frame (byte exact) or the drop."""
        inner_b = bytes(inner)
        v = inner_b[0] >> 4
        frame = bytes(Ether(src=self.core.gateway_mac, dst=self.core.mac,
                            type=0x0800 if v == 4 else 0x86DD)) + inner_b
        if len(frame) < pad_to:
            frame += b"\x00" * (pad_to - len(frame))  # Ethernet padding
        n = note or f"down {inner_addrs(inner_b)[1]}"
        s = self.lpm(inner_addrs(inner_b)[1])
        if s is None:
            model = "drop:no_route"
        elif inner_ttl(inner_b) <= 1:
            model = "drop:ttl_expired"
        elif len(inner_b) > s.mtu:
            model = "drop:mtu_exceeded"
        elif s.sa_out.hard_expired():
            model = "drop:sa_expired"
        else:
            model = "forward"
            sa = s.sa_out
            seq = sa.next_seq
            sa.next_seq += 1
            out_inner = forward_transform(inner_b, s.mtu)
            frame_out, payload, plain = self.down_frame(s, seq, out_inner, fast=fast)
            sa.packets += 1
            sa.bytes += len(payload)
            s.down_packets += 1
            s.down_bytes += len(inner_b)
            self.access_out.append({"kind": "esp", "spi": sa.spi, "seq": seq,
                                    "frame": frame_out.hex(), "payload": payload.hex(),
                                    "inner": out_inner.hex(), "note": n})
            self.access.tx_packets += 1
            self.access.tx_bytes += len(frame_out)
        self._agree(model, expect, n)
        self._input(self.core, frame, model, n, queue)
        return frame

    def down_frame(self, s: Session, seq: int, out_inner: bytes, fast: bool = False):
        """The exact SC -> SI frame for session `s`, sequence `seq` (64-bit)
        and the already-transformed inner packet. Returns (frame, ESP payload
        (next-header content), UDP datagram)."""
        sa = s.sa_out
        proto = PPP_IPV4 if out_inner[0] >> 4 == 4 else PPP_IPV6
        l2 = l2tp_data(s.peer_tunnel_id, s.peer_session_id, ppp_header(proto) + out_inner)
        if sa.tunnel:
            # Contract: from the SA's local address (local_ts's own address
            # only when the selectors are of the other family), to the host
            # in remote_ts.
            ts_addr = sa.local_ts.split("/")[0]
            t_src = sa.local if _ip(sa.local).version == _ip(ts_addr).version else ts_addr
            t_dst = sa.remote_ts.split("/")[0]
            udp = udp_datagram(t_src, t_dst, L2TP_PORT, s.peer_port, l2,
                               checksum=_ip(t_src).version == 6)
            payload = ip_header_for(t_src, t_dst, 17, udp)
            nh = 4 if _ip(t_src).version == 4 else 41
        else:
            udp = udp_datagram(sa.local, sa.remote, L2TP_PORT, s.peer_port, l2, checksum=sa.v6)
            payload, nh = udp, 17
        esp = esp_seal(sa, seq, payload, nh, fast=fast)
        return self.outer_frame(sa, esp, to_sc=False, nat_t=sa.nat_t, fast=fast), payload, udp

    def down_raw(self, frame: bytes, expect: str, note: str, queue: int | None = None,
                 reply: dict | None = None):
        if expect.startswith("reply:"):
            self.replies["core"].append(reply)
            self.core.tx_packets += 1
            self.core.tx_bytes += reply.get("len", 0)
        self._input(self.core, frame, expect, note, queue)

    # ---- ARP / ND ------------------------------------------------------
    def arp_request(self, port: Port, target: str, *, expect_reply: bool = True,
                    sender_mac: str = "02:00:00:00:00:77", sender_ip: str | None = None):
        sender_ip = sender_ip or str(_net(port.addresses[0]).network_address + 77)
        f = bytes(Ether(src=sender_mac, dst="ff:ff:ff:ff:ff:ff") /
                  ARP(op=1, hwsrc=sender_mac, psrc=sender_ip, pdst=target))
        if expect_reply:
            self.neighbor["arp_replies"] += 1
            r = arp_reply_checks(f, port)
            r["len"] = 42  # INTERPRETATION: replies are not padded to 60 bytes
            (self.up_raw if port is self.access else self.down_raw)(f, "reply:arp", f"arp {target}", reply=r)
        else:
            (self.up_raw if port is self.access else self.down_raw)(f, "drop:not_for_us", f"arp {target}")

    def nd_solicit(self, port: Port, target: str, *, expect_reply: bool = True,
                   sender_mac: str = "02:00:00:00:00:78"):
        t = ipaddress.IPv6Address(target)
        snm = ipaddress.IPv6Address(int(ipaddress.IPv6Address("ff02::1:ff00:0")) | (int(t) & 0xFFFFFF))
        mac = "33:33:" + ":".join(f"{b:02x}" for b in snm.packed[-4:])
        src = str(_net(port.first(6) + "/64").network_address + 0x78)
        f = bytes(Ether(src=sender_mac, dst=mac) / IPv6(src=src, dst=str(snm), hlim=255) /
                  ICMPv6ND_NS(tgt=target) / ICMPv6NDOptSrcLLAddr(lladdr=sender_mac))
        if expect_reply:
            self.neighbor["nd_replies"] += 1
            r = nd_reply_checks(f, port)
            r["len"] = 14 + 40 + 32  # NA with target link-layer address option
            (self.up_raw if port is self.access else self.down_raw)(f, "reply:nd", f"nd {target}", reply=r)
        else:
            (self.up_raw if port is self.access else self.down_raw)(f, "drop:not_for_us", f"nd {target}")

    def burst_gap(self, n: int | None = None):
        """2 bursts of frames the SC drops as not_for_us (another unicast
        MAC) on the access port: whatever follows is pre-checked against a
        window that already holds everything before the gap."""
        n = n or 2 * self.burst
        f = bytes(Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:98") /
                  IP(src="192.0.2.250", dst="198.51.100.1", proto=50) / Raw(b"\0" * 32))
        for _ in range(n):
            self._input(self.access, f, "drop:not_for_us", "burst gap", None)
        for sa in self.sas:
            sa.gap_top, sa.gap_seen = sa.top, frozenset(sa.seen)

    # ---- output --------------------------------------------------------
    def ambiguous_drops(self, reasons: list[str], count: int):
        """`count` inputs logged as "ambiguous" drop with one of `reasons`:
        the contract does not fix which one."""
        self.ambiguous.append({"reasons": sorted(reasons), "count": count})

    def stats(self) -> dict:
        return {
            "ports": {p.name: {"rx_packets": p.rx_packets, "tx_packets": p.tx_packets,
                               "rx_bytes": p.rx_bytes, "tx_bytes": p.tx_bytes}
                      for p in (self.access, self.core)},
            "drops": {r: self.drops.get(r, 0) for r in DROP_REASONS},
            "punts": {k: self.punts.get(k, 0) for k in PUNT_KINDS},
            "neighbor": {"arp_replies": self.neighbor["arp_replies"],
                         "nd_replies": self.neighbor["nd_replies"]},
            "sas": [sa.stats() for sa in self.sas],
            "sessions": [s.stats() for s in self.sessions],
            "mempool": {"in_use": 0},
        }

    def files(self, port: str) -> tuple[list[str], list[str]]:
        """(rx pcap names, tx pcap names) of a port."""
        base_rx = "si" if port == "access" else "core-in"
        base_tx = f"{port}-out"
        if self.queues == 1:
            return [f"{base_rx}.pcap"], [f"{base_tx}.pcap"]
        return ([f"{base_rx}{q}.pcap" for q in range(self.queues)],
                [f"{base_tx}{q}.pcap" for q in range(self.queues)])

    def config_text(self, out_dir: str, eal: list[str] | None = None, *,
                    devices: dict[str, str] | None = None, instance: str | None = None,
                    dataplane_extra: str = "", extra: str = "") -> str:
        """libconfig text. `devices` (port name -> DPDK device) replaces the
        net_pcap devices; `dataplane_extra` goes into the dataplane group,
        `extra` (e.g. a control section) at the end."""
        eal = eal or ["--no-huge", "-m", "1024", "--no-shconf", "--no-pci"]
        instance = instance or self.name[:24].replace("-", "_")
        lines = [f"# generated by scripts/softwire_traffic.py, scenario {self.name}",
                 f'instance = "{instance}";',
                 "dataplane = { eal = [ " + ", ".join(f'"{a}"' for a in eal) + " ]; "
                 f"workers = [ {', '.join(str(w) for w in self.workers)} ]; burst = {self.burst}; "
                 f"{dataplane_extra} }};",
                 "ports = ("]
        ports = []
        for i, p in enumerate((self.access, self.core)):
            rx, tx = self.files(p.name)
            dev = f"net_pcap{i}," + ",".join(
                [f"rx_pcap={os.path.join(out_dir, f)}" for f in rx] +
                [f"tx_pcap={os.path.join(out_dir, f)}" for f in tx])
            if devices is not None:
                dev = devices[p.name]
            addrs = ", ".join(f'"{a}"' for a in p.addresses)
            ports.append(f'  {{ name = "{p.name}"; role = "{p.role}"; device = "{dev}"; '
                         f'mac = "{p.mac}"; addresses = [ {addrs} ]; gateway_mac = "{p.gateway_mac}"; }}')
        lines.append(",\n".join(ports))
        lines.append(");")
        if self.neighbors:
            lines.append("neighbors = (")
            lines.append(",\n".join(f'  {{ port = "{p}"; address = "{a}"; mac = "{m}"; }}'
                                    for p, a, m in self.neighbors))
            lines.append(");")
        lines.append("sas = (")
        lines.append(",\n".join("  " + sa.conf() for sa in self.sas))
        lines.append(");")
        lines.append("sessions = (")
        lines.append(",\n".join("  " + s.conf() for s in self.sessions))
        lines.append(");")
        if extra:
            lines.append(extra)
        return "\n".join(lines) + "\n"

    def write(self, out_dir: str) -> dict:
        """Write softwire.conf, the input pcaps and expected.json into
        `out_dir` (absolute paths in the config: net_pcap resolves them
        against softwire-dp's working directory otherwise)."""
        out_dir = os.path.abspath(out_dir)
        if "," in out_dir or "=" in out_dir:
            raise ScenarioError("net_pcap device strings cannot hold ',' or '=' in paths")
        os.makedirs(out_dir, exist_ok=True)
        with open(os.path.join(out_dir, "softwire.conf"), "w") as f:
            f.write(self.config_text(out_dir))
        for p in (self.access, self.core):
            rx, _ = self.files(p.name)
            for q, name in enumerate(rx):
                write_pcap(os.path.join(out_dir, name), p.rx[q])
        exp = self.expected()
        with open(os.path.join(out_dir, "expected.json"), "w") as f:
            json.dump(exp, f, indent=1)
        return exp

    def expected(self) -> dict:
        return {
            "scenario": self.name, "config": "softwire.conf",
            "workers": self.workers, "queues": self.queues, "ordered": self.ordered,
            "inputs": {p: self.files(p)[0] for p in ("access", "core")},
            "outputs": {p: self.files(p)[1] for p in ("access", "core")},
            "access_mac": self.access.mac, "core_mac": self.core.mac,
            "sas": [sa.describe() for sa in self.sas],
            "neighbors": self.neighbors,
            "sessions": [{"identity": s.identity, "sa_out": s.sa_out.spi,
                          "peer_tunnel_id": s.peer_tunnel_id,
                          "peer_session_id": s.peer_session_id, "peer_port": s.peer_port,
                          "mtu": s.mtu} for s in self.sessions],
            "core_out": self.core_out, "access_out": self.access_out,
            "replies": self.replies, "stats": self.stats(), "ambiguous": self.ambiguous,
            "log": self.log,
        }


# ---------------------------------------------------------------------------
# pcap files (classic libpcap format, Ethernet link type). Written by hand
# for speed; tshark reading them back is part of test_generator.

def write_pcap(path: str, frames: list[bytes], linktype: int = 1):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, linktype))
        for i, fr in enumerate(frames):
            f.write(struct.pack("<IIII", 1700000000 + i // 1000000, i % 1000000, len(fr), len(fr)))
            f.write(fr)


def read_pcap(path: str) -> list[bytes]:
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        return []
    magic = struct.unpack("<I", data[:4])[0]
    endian = "<" if magic in (0xA1B2C3D4, 0xA1B23C4D) else ">"
    out, off = [], 24
    while off + 16 <= len(data):
        _, _, incl, _ = struct.unpack(endian + "IIII", data[off:off + 16])
        out.append(data[off + 16:off + 16 + incl])
        off += 16 + incl
    return out


# ---------------------------------------------------------------------------
# Checking softwire-dp's outputs against expected.json.

def sa_from_desc(d: dict) -> Sa:
    return Sa(spi=d["spi"], direction=d["direction"], local=d["local"], remote=d["remote"],
              proposal=d["proposal"], key=bytes.fromhex(d["key"]), esn=d["esn"],
              nat_t=d["nat_t"], local_port=d["local_port"], remote_port=d["remote_port"],
              mode=d["mode"], local_ts=d["local_ts"], remote_ts=d["remote_ts"])


def parse_esp_frame(frame: bytes) -> tuple[dict, bytes] | None:
    """Outer fields and the ESP bytes of an SC -> SI frame, via scapy."""
    p = Ether(frame)
    ip = p.getlayer(IP) or p.getlayer(IPv6)
    if ip is None:
        return None
    info = {"eth_src": p.src, "eth_dst": p.dst, "version": ip.version, "src": ip.src,
            "dst": ip.dst}
    if ip.version == 4:
        info.update(tos=ip.tos, id=ip.id, flags=int(ip.flags), ttl=ip.ttl, proto=ip.proto,
                    ihl=ip.ihl)
        nxt = ip.proto
        body = bytes(ip.payload)[:ip.len - ip.ihl * 4]
    else:
        info.update(tc=ip.tc, fl=ip.fl, hlim=ip.hlim, nh=ip.nh)
        nxt = ip.nh
        raw6 = bytes(ip)
        body = raw6[40:40 + ip.plen]
        while nxt in (0, 43, 60) and len(body) >= 8:  # hop-by-hop, routing, dest. options
            nxt, body = body[0], body[(body[1] + 1) * 8:]
    if nxt == 17:
        u = UDP(body)
        info.update(udp_sport=u.sport, udp_dport=u.dport, udp_chksum=u.chksum)
        body = body[8:]
    elif nxt != 50:
        return None
    if len(body) < 8:
        return None
    info["spi"], info["seq"] = struct.unpack("!II", body[:8])
    return info, body


def classify_reply(frame: bytes) -> dict | None:
    p = Ether(frame)
    if ARP in p and p[ARP].op == 2:
        return {"kind": "arp_reply", "eth_dst": p.dst, "eth_src": p.src, "psrc": p[ARP].psrc,
                "pdst": p[ARP].pdst, "hwsrc": p[ARP].hwsrc, "hwdst": p[ARP].hwdst}
    if ICMPv6ND_NA in p:
        ll = p[ICMPv6NDOptDstLLAddr].lladdr if ICMPv6NDOptDstLLAddr in p else None
        return {"kind": "nd_reply", "eth_dst": p.dst, "eth_src": p.src, "tgt": p[ICMPv6ND_NA].tgt,
                "dst": p[IPv6].dst, "lladdr": ll}
    return None


def check_stats(exp: dict, got: dict) -> list[str]:
    """Compare --stats-json with the expectation; exact except for the
    reasons grouped in exp["ambiguous"], whose sums must match."""
    problems = []
    want = exp["stats"]
    for key in ("ports", "drops", "punts", "neighbor", "sas", "sessions", "mempool"):
        if key not in got:
            problems.append(f"stats: missing {key}")
    if problems:
        return problems
    for port, counters in want["ports"].items():
        for k, v in counters.items():
            g = got["ports"].get(port, {}).get(k)
            if g != v:
                problems.append(f"stats ports.{port}.{k}: got {g}, expected {v}")
    amb = {}
    for a in exp.get("ambiguous", []):
        for r in a["reasons"]:
            amb[r] = tuple(a["reasons"])
    sums = Counter()
    for r in DROP_REASONS:
        if r not in got["drops"]:
            problems.append(f"stats drops: reason {r} missing")
            continue
        if r in amb:
            sums[amb[r]] += got["drops"][r] - want["drops"][r]
        elif got["drops"][r] != want["drops"][r]:
            problems.append(f"stats drops.{r}: got {got['drops'][r]}, expected {want['drops'][r]}")
    for a in exp.get("ambiguous", []):
        if sums[tuple(a["reasons"])] != a["count"]:
            problems.append(f"stats drops {a['reasons']}: got {sums[tuple(a['reasons'])]} beyond "
                            f"the exact ones, expected {a['count']}")
    for r, v in got["drops"].items():
        if r not in DROP_REASONS and v:
            problems.append(f"stats drops.{r} (not in the contract) = {v}")
    for k in PUNT_KINDS:
        if got["punts"].get(k) != want["punts"][k]:
            problems.append(f"stats punts.{k}: got {got['punts'].get(k)}, expected {want['punts'][k]}")
    for k, v in want["neighbor"].items():
        if got["neighbor"].get(k) != v:
            problems.append(f"stats neighbor.{k}: got {got['neighbor'].get(k)}, expected {v}")
    gsas = {(s["spi"], s["direction"]): s for s in got["sas"]}
    amb_auth = any("auth_failed" in a["reasons"] for a in exp.get("ambiguous", []))
    for s in want["sas"]:
        g = gsas.get((s["spi"], s["direction"]))
        if g is None:
            problems.append(f"stats sas: {s['spi']:#x} {s['direction']} missing")
            continue
        for k, v in s.items():
            if k == "auth_failed" and amb_auth:
                continue
            if g.get(k) != v:
                problems.append(f"stats sa {s['spi']:#x}/{s['direction']}.{k}: got {g.get(k)}, expected {v}")
    gsess = {(s["tunnel_id"], s["session_id"]): s for s in got["sessions"]}
    for s in want["sessions"]:
        g = gsess.get((s["tunnel_id"], s["session_id"]))
        if g is None:
            problems.append(f"stats sessions: {s['identity']} missing")
            continue
        for k, v in s.items():
            if g.get(k) != v:
                problems.append(f"stats session {s['identity']}.{k}: got {g.get(k)}, expected {v}")
    if got["mempool"].get("in_use") != 0:
        problems.append(f"mempool.in_use = {got['mempool'].get('in_use')} at exit (leak)")
    return problems


def check_access_out(exp: dict, frames: list[list[bytes]]) -> list[str]:
    """Every SC -> SI frame: outer fields per contract, decrypts with the
    session's outbound SA (scapy for GCM, AESGCM for GMAC), plaintext
    equals the expected one; byte-exact against the expected frame (which
    is a function of seq, so this also holds for multi-worker runs);
    sequence numbers per SA unique and strictly increasing per output file,
    and together exactly 1..n."""
    problems = []
    sas = {d["spi"]: sa_from_desc(d) for d in exp["sas"] if d["direction"] == "out"}
    want = [e for e in exp["access_out"] if e["kind"] == "esp"]
    got_esp, got_replies = [], []
    for q, fl in enumerate(frames):
        last = {}
        for i, fr in enumerate(fl):
            parsed = parse_esp_frame(fr)
            if parsed is None:
                r = classify_reply(fr)
                if r is None:
                    problems.append(f"access-out[{q}][{i}]: neither ESP nor ARP/ND reply: {fr[:64].hex()}")
                else:
                    got_replies.append(r)
                continue
            info, esp = parsed
            sa = sas.get(info["spi"])
            if sa is None:
                problems.append(f"access-out[{q}][{i}]: unknown SPI {info['spi']:#x}")
                continue
            # ESN: the IV carries the full sequence number (contract).
            full = struct.unpack("!Q", esp[8:16])[0]
            if full & 0xFFFFFFFF != info["seq"]:
                problems.append(f"access-out[{q}][{i}]: IV {full:#x} is not the 64-bit seq {info['seq']:#x}")
            if sa.spi in last and full <= last[sa.spi]:
                problems.append(f"access-out[{q}][{i}]: SA {sa.spi:#x} seq {full} after {last[sa.spi]}")
            last[sa.spi] = full
            try:
                if sa.encrypts:
                    plain = esp_open_scapy(sa, esp, full >> 32)
                else:
                    plain = esp_open_direct(sa, esp, full >> 32)
            except Exception as e:  # noqa: BLE001 - any failure is a finding
                problems.append(f"access-out[{q}][{i}]: SA {sa.spi:#x} seq {full}: does not decrypt/verify: {e!r}")
                continue
            got_esp.append((sa.spi, full, fr, plain, q, i))
    by_key = {}
    for e in want:
        by_key.setdefault((e["spi"], e["seq"]), e)
    seqs = {}
    for spi, full, fr, plain, q, i in got_esp:
        seqs.setdefault(spi, []).append(full)
    for spi, lst in seqs.items():
        if len(set(lst)) != len(lst):
            problems.append(f"access-out: SA {spi:#x} repeats sequence numbers")
        exp_n = sum(1 for e in want if e["spi"] == spi)
        if sorted(lst) != list(range(1, exp_n + 1)) and exp_n:
            problems.append(f"access-out: SA {spi:#x} sequence numbers {sorted(lst)[:5]}... are not 1..{exp_n}")
    if exp["ordered"]:
        if len(got_esp) != len(want):
            problems.append(f"access-out: {len(got_esp)} ESP frames, expected {len(want)}")
        for k, (e, g) in enumerate(zip(want, got_esp)):
            spi, full, fr, plain, q, i = g
            if plain.payload.hex() != e["payload"]:
                problems.append(f"access-out[{i}] ({e['note']}): decrypted payload differs:\n"
                                f"  got      {plain.payload.hex()}\n  expected {e['payload']}")
            elif fr.hex() != e["frame"]:
                problems.append(f"access-out[{i}] ({e['note']}): frame differs from contract bytes:\n"
                                f"  got      {fr.hex()}\n  expected {e['frame']}")
            if len(problems) > 20:
                break
    else:
        # Which inner packet gets which seq depends on scheduling: compare
        # the multiset of inner packets per SA, and rebuild the exact frame
        # for the observed seq.
        want_inner = Counter((e["spi"], e["payload_inner"] if "payload_inner" in e else e["inner"]) for e in want)
        got_inner = Counter()
        sess = {s["sa_out"]: s for s in exp["sessions"]}
        for spi, full, fr, plain, q, i in got_esp:
            inner = _inner_of_payload(sas[spi], plain.payload)
            got_inner[(spi, inner.hex() if inner else plain.payload.hex())] += 1
            s = sess.get(spi)
            if s and inner:
                rebuilt = _rebuild_down(exp, sas[spi], s, full, inner)
                if rebuilt != fr:
                    problems.append(f"access-out[{q}][{i}]: SA {spi:#x} seq {full}: frame differs from "
                                    f"contract bytes:\n  got      {fr.hex()}\n  expected {rebuilt.hex()}")
        if got_inner != want_inner:
            problems.append(f"access-out: inner packets differ: missing {list((want_inner - got_inner).items())[:3]}, "
                            f"unexpected {list((got_inner - want_inner).items())[:3]}")
    problems += _check_replies(exp["replies"]["access"], got_replies, "access-out")
    return problems


def _inner_of_payload(sa: Sa, payload: bytes) -> bytes | None:
    """UDP / L2TP / PPP / inner from an outbound ESP payload (SC-made: no
    L2TP options, uncompressed PPP)."""
    try:
        if sa.tunnel:
            hl = (payload[0] & 0x0F) * 4 if payload[0] >> 4 == 4 else 40
            payload = payload[hl:]
        return payload[8 + 6 + 4:]
    except IndexError:
        return None


def _rebuild_down(exp, sa: Sa, s: dict, seq: int, inner: bytes) -> bytes:
    sc = Scenario("rebuild")
    sess = Session("x", sa, sa, 0, 0, s["peer_tunnel_id"], s["peer_session_id"], [],
                   s["mtu"], s["peer_port"])
    sc.access.mac = exp["access_mac"]
    for p, a, m in exp.get("neighbors", []):
        sc.add_neighbor(p, a, m)
    return sc.down_frame(sess, seq, inner)[0]


def _check_replies(want: list[dict], got: list[dict], where: str) -> list[str]:
    problems = []
    norm = lambda r: tuple(sorted((k, str(v).lower()) for k, v in r.items() if k != "len"))  # noqa: E731
    w, g = Counter(norm(r) for r in want), Counter(norm(r) for r in got)
    if w != g:
        problems.append(f"{where}: ARP/ND replies differ: missing {list((w - g).elements())[:3]}, "
                        f"unexpected {list((g - w).elements())[:3]}")
    return problems


def check_core_out(exp: dict, frames: list[list[bytes]]) -> list[str]:
    problems = []
    want = [bytes.fromhex(e["frame"]) for e in exp["core_out"]]
    notes = [e["note"] for e in exp["core_out"]]
    got, replies = [], []
    for fl in frames:
        for fr in fl:
            r = classify_reply(fr)
            if r is not None:
                replies.append(r)
            else:
                got.append(fr)
    if exp["ordered"]:
        if len(got) != len(want):
            problems.append(f"core-out: {len(got)} frames, expected {len(want)}")
        for i, (g, w) in enumerate(zip(got, want)):
            if g != w:
                problems.append(f"core-out[{i}] ({notes[i]}): differs:\n  got      {g.hex()}\n  expected {w.hex()}")
            if len(problems) > 20:
                break
    else:
        cw, cg = Counter(want), Counter(got)
        if cw != cg:
            problems.append(f"core-out: {len(got)} frames vs {len(want)}: "
                            f"{sum((cw - cg).values())} missing, {sum((cg - cw).values())} unexpected; "
                            f"first missing {next(iter((cw - cg)), b'').hex()}")
    problems += _check_replies(exp["replies"]["core"], replies, "core-out")
    return problems


def check_outputs(out_dir: str) -> list[str]:
    """All checks on a directory where softwire-dp ran; [] means pass."""
    with open(os.path.join(out_dir, "expected.json")) as f:
        exp = json.load(f)
    problems = []
    outs = {}
    for port in ("access", "core"):
        outs[port] = []
        for name in exp["outputs"][port]:
            path = os.path.join(out_dir, name)
            if not os.path.exists(path):
                problems.append(f"{name}: not written")
                outs[port].append([])
            else:
                outs[port].append(read_pcap(path))
    problems += check_core_out(exp, outs["core"])
    problems += check_access_out(exp, outs["access"])
    stats_path = os.path.join(out_dir, "stats.json")
    if not os.path.exists(stats_path):
        problems.append("stats.json: not written")
    else:
        with open(stats_path) as f:
            problems += check_stats(exp, json.load(f))
    return problems


# ---------------------------------------------------------------------------
# Inner packet helpers for scenarios.

def udp6(src, dst, payload=b"x" * 20, sport=40000, dport=9, hlim=64):
    return IPv6(src=src, dst=dst, hlim=hlim) / UDP(sport=sport, dport=dport) / Raw(payload)


def udp4(src, dst, payload=b"x" * 20, sport=40000, dport=9, ttl=64):
    return IP(src=src, dst=dst, ttl=ttl, id=0x1234) / UDP(sport=sport, dport=dport) / Raw(payload)


def syn(src, dst, mss=1460, sport=40000, dport=443):
    opts = [("MSS", mss), ("SAckOK", b""), ("NOP", None), ("WScale", 7)]
    l3 = IP(src=src, dst=dst, ttl=64, id=7) if _ip(src).version == 4 else IPv6(src=src, dst=dst, hlim=64)
    return l3 / TCP(sport=sport, dport=dport, flags="S", seq=1000, options=opts)


def ping(src, dst, size=32):
    if _ip(src).version == 4:
        return IP(src=src, dst=dst, ttl=64, id=9) / ICMP(id=1, seq=1) / Raw(b"p" * size)
    return IPv6(src=src, dst=dst, hlim=64) / ICMPv6EchoRequest(id=1, seq=1, data=b"p" * size)


def sized(src, dst, total):
    """An inner UDP packet of exactly `total` bytes."""
    hdr = 28 if _ip(src).version == 4 else 48
    mk = udp4 if _ip(src).version == 4 else udp6
    return mk(src, dst, b"s" * (total - hdr))


# ---------------------------------------------------------------------------
# Scenarios. Each returns a Scenario ready to write().

def _si1(sc: Scenario, **kw) -> tuple[Si, Session]:
    """si1: IPv6-over-IPv4, transport mode, AES-GCM-128."""
    si = sc.add_si("si1", "192.0.2.1", spi_in=0x1001, spi_out=0x2001, **kw)
    s = sc.add_session(si, "si1@example.net", 7, 9, ["2001:db8:1::/64", "10.1.0.0/30"],
                       peer_tunnel_id=100, peer_session_id=200, mtu=1400)
    return si, s


def scenario_v6_over_v4() -> Scenario:
    """IPv6 (and IPv4) over IPv4 transport-mode ESP, AES-GCM-128; MSS
    clamp; ACFC/PFC; L2TP L, S, O (and P) bits; a core neighbour override."""
    sc = Scenario("v6_over_v4")
    si, s = _si1(sc)
    sc.add_neighbor("core", "2001:db8:ff::53", "02:00:00:00:01:53")
    a6, a4 = "2001:db8:1::2", "10.1.0.1"
    sc.up(s, udp6(a6, "2001:db8:ff::1"), expect="forward")
    sc.up(s, udp6(a6, "2001:db8:ff::53"), expect="forward", note="neighbour override")
    sc.up(s, udp4(a4, "198.18.0.1"), expect="forward")
    sc.up(s, syn(a6, "2001:db8:ff::1", mss=1440), expect="forward", note="MSS 1440 -> 1340")
    sc.up(s, syn(a4, "198.18.0.1", mss=1460), expect="forward", note="MSS 1460 -> 1360")
    sc.up(s, syn(a4, "198.18.0.1", mss=536), expect="forward", note="MSS 536 kept")
    sc.up(s, ping(a6, "2001:db8:ff::1"), expect="forward")
    sc.up(s, udp6(a6, "2001:db8:ff::1"), acfc=True, expect="forward", note="ACFC")
    sc.up(s, udp6(a6, "2001:db8:ff::1"), pfc=True, expect="forward", note="PFC")
    sc.up(s, udp4(a4, "198.18.0.1"), acfc=True, pfc=True, expect="forward", note="ACFC+PFC")
    sc.up(s, udp6(a6, "2001:db8:ff::1"), l2tp_length=True, expect="forward", note="L2TP L")
    sc.up(s, udp6(a6, "2001:db8:ff::1"), l2tp_seq=(5, 6), expect="forward", note="L2TP S")
    sc.up(s, udp6(a6, "2001:db8:ff::1"), l2tp_offset=True, expect="forward", note="L2TP O")
    sc.up(s, udp4(a4, "198.18.0.1"), l2tp_length=True, l2tp_seq=(1, 2), l2tp_offset=True,
          l2tp_priority=True, acfc=True, pfc=True, expect="forward", note="L2TP L+S+O+P, ACFC+PFC")
    sc.up(s, udp6(a6, "2001:db8:ff::1"), udp_sport=40000, expect="forward",
          note="ephemeral SI source port")
    sc.up(s, udp4(a4, "198.18.0.1", payload=b"z" * 1200), expect="forward", note="large")
    # Downstream.
    sc.down(udp6("2001:db8:ff::1", "2001:db8:1::2"), expect="forward")
    sc.down(udp4("198.18.0.1", "10.1.0.2"), expect="forward")
    sc.down(syn("2001:db8:ff::1", "2001:db8:1::2", mss=1440), expect="forward", note="down MSS clamp v6")
    sc.down(syn("198.18.0.1", "10.1.0.3", mss=1460), expect="forward", note="down MSS clamp v4")
    sc.down(ping("198.18.0.1", "10.1.0.1", size=4), pad_to=60, expect="forward",
            note="Ethernet-padded core frame")
    for n in range(1, 8):  # every padding length 0..3 at least twice
        sc.down(udp6("2001:db8:ff::1", "2001:db8:1::9", payload=b"q" * n), expect="forward")
    return sc


def scenario_v4_over_v6() -> Scenario:
    """IPv4 over IPv6 transport-mode ESP, AES-GCM-256, ESN crossing 2^32;
    outer IPv6 with extension headers; outer IPv4 options on another SI."""
    sc = Scenario("v4_over_v6")
    si = sc.add_si("si2", "2001:db8:f::2", spi_in=0xC0A81002, spi_out=0xC0A82002,
                   proposal="aes256gcm16", esn=True, replay_window=4096)
    s = sc.add_session(si, "si2@example.net", 7, 10, ["10.2.0.0/24"], mtu=1500)
    a = "10.2.0.7"
    sc.up(s, udp4(a, "198.18.0.1", payload=b"jump"), seq=0xFFFF0000, expect="forward",
          note="ESN jump to 0xffff0000")
    sc.burst_gap()
    seqs = list(range(0xFFFFFFF0, 0x100000000)) + list(range(0x100000000, 0x100000010))
    for q in seqs:
        sc.up(s, udp4(a, "198.18.0.1", payload=q.to_bytes(8, "big")), seq=q, expect="forward",
              note=f"ESN seq {q:#x}")
    sc.up(s, udp4(a, "198.18.0.1"), seq=0xFFFFFFFF, expect="drop:replay", note="ESN replay below 2^32")
    sc.up(s, udp4(a, "198.18.0.1"), ipv6_ext=True, expect="forward", note="outer HBH+DestOpt")
    sc.up(s, syn(a, "198.18.0.1", mss=1460), expect="forward")
    si4 = sc.add_si("si4", "192.0.2.4", spi_in=0x1004, spi_out=0x2004)
    s4 = sc.add_session(si4, "si4@example.net", 7, 11, ["10.4.0.0/24"])
    sc.up(s4, udp4("10.4.0.1", "198.18.0.1"), ipv4_options=True, expect="forward",
          note="outer IPv4 with options")
    for i in range(5):
        sc.down(udp4("198.18.0.1", "10.2.0.7", payload=bytes([i]) * (10 + i)), expect="forward")
    sc.down(syn("198.18.0.1", "10.2.0.8", mss=1460), expect="forward")
    return sc


def scenario_v6_over_v6() -> Scenario:
    """IPv6 over IPv6 transport-mode, AES-GMAC-128 and -256 (RFC 4543), one
    of them with ESN."""
    sc = Scenario("v6_over_v6")
    si = sc.add_si("si5", "2001:db8:f::5", spi_in=0x5001, spi_out=0x5002, proposal="aes128gmac")
    s = sc.add_session(si, "si5@example.net", 9, 1, ["2001:db8:5::/56"])
    si6 = sc.add_si("si6", "2001:db8:f::6", spi_in=0x6001, spi_out=0x6002, proposal="aes256gmac",
                    esn=True)
    s6 = sc.add_session(si6, "si6@example.net", 9, 2, ["2001:db8:6::/56"])
    for i in range(6):
        sc.up(s, udp6("2001:db8:5::1", "2001:db8:ff::1", payload=b"g" * (i + 1)), expect="forward")
        sc.up(s6, udp6("2001:db8:6::1", "2001:db8:ff::1", payload=b"h" * (i + 1)), expect="forward")
    sc.up(s6, udp6("2001:db8:6::1", "2001:db8:ff::1"), seq=0x7FFFFFF0, expect="forward",
          note="GMAC ESN jump")
    sc.burst_gap()
    for q in (0xFFFFFFF0, 0xFFFFFFFF, 0x100000005, 0x100000006):
        sc.up(s6, udp6("2001:db8:6::1", "2001:db8:ff::1"), seq=q, expect="forward",
              note=f"GMAC ESN seq {q:#x}")
    sc.up(s, udp6("2001:db8:5::1", "2001:db8:ff::1"), tamper="icv", expect="drop:auth_failed")
    sc.up(s6, udp6("2001:db8:6::1", "2001:db8:ff::1"), tamper="body", expect="drop:auth_failed",
          note="GMAC: plaintext changed")
    for i in range(4):
        sc.down(udp6("2001:db8:ff::1", "2001:db8:5::9", payload=b"d" * (i + 3)), expect="forward")
        sc.down(udp6("2001:db8:ff::1", "2001:db8:6::9", payload=b"e" * (i + 3)), expect="forward")
    return sc


def scenario_natt() -> Scenario:
    """NAT-T: tunnel mode over UDP 4500 (IPv4, GCM-128, SI port 31337, L2TP
    peer_port 40001 with an ephemeral source), tunnel mode with GMAC, and
    transport mode over UDP 4500 on IPv6 (UDP checksum computed)."""
    sc = Scenario("natt")
    si = sc.add_si("laptop3", "192.0.2.77", spi_in=0x3003, spi_out=0x4003, nat_t=True,
                   remote_port=31337, mode="tunnel", local_ts="198.51.100.1/32",
                   remote_ts="10.0.0.5/32", replay_window=64)
    s = sc.add_session(si, "laptop3@example.net", 8, 1, ["2001:db8:3::/48"], mtu=1280,
                       peer_port=40001)
    for i in range(5):
        sc.up(s, udp6("2001:db8:3::1", "2001:db8:ff::1", payload=b"t" * (i + 5)), expect="forward")
    sc.up(s, syn("2001:db8:3::1", "2001:db8:ff::1", mss=1440), expect="forward", note="MSS -> 1220")
    sc.up(s, udp6("2001:db8:3::1", "2001:db8:ff::1"), tunnel_src="10.0.0.6",
          expect="drop:selector_mismatch", note="tunnel inner src outside remote_ts")
    sc.up(s, udp6("2001:db8:3::1", "2001:db8:ff::1"), tunnel_dst="198.51.100.2",
          expect="drop:selector_mismatch", note="tunnel inner dst outside local_ts")
    si8 = sc.add_si("laptop8", "192.0.2.78", spi_in=0x3008, spi_out=0x4008, nat_t=True,
                    remote_port=1025, mode="tunnel", local_ts="198.51.100.0/24",
                    remote_ts="10.0.8.0/24", proposal="aes128gmac")
    s8 = sc.add_session(si8, "laptop8@example.net", 8, 2, ["10.8.0.0/24"])
    for i in range(3):
        sc.up(s8, udp4("10.8.0.1", "198.18.0.1", payload=b"m" * (i + 1)),
              tunnel_src=f"10.0.8.{i + 1}", expect="forward")
    si9 = sc.add_si("si9", "2001:db8:f::9", spi_in=0x3009, spi_out=0x4009, nat_t=True,
                    remote_port=4501, proposal="aes128gcm16")
    s9 = sc.add_session(si9, "si9@example.net", 8, 3, ["10.9.0.0/24"])
    for i in range(3):
        sc.up(s9, udp4("10.9.0.1", "198.18.0.1", payload=b"n" * (i + 1)), expect="forward")
    for i in range(4):
        sc.down(udp6("2001:db8:ff::1", "2001:db8:3::2", payload=b"D" * (i + 1)), expect="forward")
        sc.down(udp4("198.18.0.1", "10.8.0.2", payload=b"E" * (i + 1)), expect="forward")
        sc.down(udp4("198.18.0.1", "10.9.0.2", payload=b"F" * (i + 1)), expect="forward")
    sc.down(syn("2001:db8:ff::1", "2001:db8:3::2", mss=1440), expect="forward")
    return sc


def scenario_many() -> Scenario:
    """Many sessions on one SA (64) and many SAs (32 SI pairs), both ways."""
    sc = Scenario("many")
    big = sc.add_si("big", "192.0.2.100", spi_in=0x10000, spi_out=0x20000)
    sessions = []
    for i in range(64):
        sessions.append(sc.add_session(big, f"cpe{i}@big.example", 20, i + 1,
                                       [f"2001:db8:100:{i:x}::/64"]))
    for i, s in enumerate(sessions):
        sc.up(s, udp6(f"2001:db8:100:{i:x}::1", "2001:db8:ff::1"), expect="forward", fast=True)
    for i, s in enumerate(sessions):
        sc.down(udp6("2001:db8:ff::1", f"2001:db8:100:{i:x}::1"), expect="forward", fast=True)
    sis = []
    for i in range(32):
        prop = ["aes128gcm16", "aes256gcm16", "aes128gmac", "aes256gmac"][i % 4]
        si = sc.add_si(f"s{i}", f"192.0.2.{150 + i}" if i % 2 else f"2001:db8:f::{0x100 + i:x}",
                       spi_in=0x30000 + i, spi_out=0x40000 + i, proposal=prop, esn=bool(i % 3 == 0))
        s = sc.add_session(si, f"s{i}@many.example", 21, i + 1, [f"10.{100 + i}.0.0/24"])
        sis.append(s)
    for rnd in range(3):
        for i, s in enumerate(sis):
            sc.up(s, udp4(f"10.{100 + i}.0.1", "198.18.0.1", payload=bytes([rnd]) * 9), expect="forward", fast=True)
            sc.down(udp4("198.18.0.1", f"10.{100 + i}.0.9", payload=bytes([rnd]) * 9), expect="forward", fast=True)
    return sc


def scenario_drops() -> Scenario:
    """Every drop reason and punt kind that a file-driven test can cause,
    with the counters exact; ARP and ND replies on both ports."""
    sc = Scenario("drops")
    si1, s1 = _si1(sc)
    si2 = sc.add_si("si2", "192.0.2.2", spi_in=0x1002, spi_out=0x2002)
    s2 = sc.add_session(si2, "si2@example.net", 7, 20, ["2001:db8:2::/64"])
    tun = sc.add_si("tun", "192.0.2.77", spi_in=0x3003, spi_out=0x4003, nat_t=True,
                    remote_port=31337, mode="tunnel", local_ts="198.51.100.1/32",
                    remote_ts="10.0.0.5/32")
    st = sc.add_session(tun, "tun@example.net", 8, 1, ["2001:db8:3::/48"])
    lim = sc.add_si("lim", "192.0.2.9", spi_in=0x1009, spi_out=0x2009, in_life_packets=3,
                    in_soft_life_packets=2, out_life_packets=2)
    sl = sc.add_session(lim, "lim@example.net", 7, 30, ["10.9.0.0/24"])
    a6, a4 = "2001:db8:1::2", "10.1.0.1"
    good = lambda: udp6(a6, "2001:db8:ff::1")  # noqa: E731
    M = Ether(src="02:00:00:00:00:01", dst=sc.access.mac)
    acc4, si_ip = "198.51.100.1", "192.0.2.1"

    sc.up(s1, good(), expect="forward", note="baseline")
    # --- L2 / outer IP ---
    sc.up_raw(bytes(M)[:10], "drop:malformed_l2", "10-byte frame")
    f = bytearray(sc.up(s1, good(), expect="forward", note="template"))
    f[0:6] = bytes.fromhex("020000000099")
    sc.up_raw(bytes(f), "drop:not_for_us", "other unicast MAC")
    sc.up_raw(bytes(M / IP(src=si_ip, dst="198.51.100.99", proto=50) / Raw(b"\0" * 40)),
              "drop:not_for_us", "outer dst not ours")
    sc.up_raw(bytes(M / IPv6(src="2001:db8:f::2", dst="2001:db8:a::99", nh=50) / Raw(b"\0" * 40)),
              "drop:not_for_us", "outer IPv6 dst not ours")
    bad = bytearray(bytes(M / IP(src=si_ip, dst=acc4, proto=50) / Raw(b"\0" * 40)))
    bad[24] ^= 0xFF
    sc.up_raw(bytes(bad), "drop:malformed_ip", "IPv4 checksum")
    bad = bytearray(bytes(M / IP(src=si_ip, dst=acc4, proto=50, len=200) / Raw(b"\0" * 40)))
    sc.up_raw(bytes(bad), "drop:malformed_ip", "IPv4 total length > frame")
    sc.up_raw(bytes(M / IP(src=si_ip, dst=acc4, proto=50, ihl=4) / Raw(b"\0" * 40)),
              "drop:malformed_ip", "IPv4 IHL 4")
    sc.up_raw(bytes(M / IP(src=si_ip, dst=acc4, proto=50, version=6) / Raw(b"\0" * 40)),
              "drop:malformed_ip", "version 6 in ethertype 0x0800")
    sc.up_raw(bytes(M / IPv6(src="2001:db8:f::2", dst="2001:db8:a::1", nh=50, plen=300) / Raw(b"\0" * 40)),
              "drop:malformed_ip", "IPv6 payload length > frame")
    sc.up_raw(bytes(M / IPv6(src="2001:db8:f::2", dst="2001:db8:a::1", nh=0) / Raw(b"\x32\x05" + b"\0" * 6)),
              "drop:malformed_ip", "IPv6 hop-by-hop header longer than the packet")
    sc.up_raw(bytes(M / IP(src=si_ip, dst=acc4, proto=50, flags="MF") / Raw(b"\0" * 40)),
              "drop:fragment", "IPv4 first fragment")
    sc.up_raw(bytes(M / IP(src=si_ip, dst=acc4, proto=50, frag=100) / Raw(b"\0" * 40)),
              "drop:fragment", "IPv4 later fragment")
    sc.up_raw(bytes(M / IPv6(src="2001:db8:f::2", dst="2001:db8:a::1") / IPv6ExtHdrFragment(nh=50, m=1) /
                    Raw(b"\0" * 40)), "drop:fragment", "IPv6 fragment header")
    sc.up_raw(bytes(M / IP(src=si_ip, dst=acc4) / TCP(dport=22)), "drop:unexpected_protocol", "TCP")
    sc.up_raw(bytes(M / IP(src=si_ip, dst=acc4, proto=47) / Raw(b"\0" * 8)), "drop:unexpected_protocol", "GRE")
    sc.up_raw(bytes(M / IP(src=si_ip, dst=acc4) / UDP(sport=4500, dport=4500, len=100) / Raw(b"\0" * 20)),
              "drop:malformed_udp", "UDP length > IP payload")
    sc.up_raw(bytes(M / IP(src=si_ip, dst=acc4) / UDP(sport=4500, dport=4500, len=4) / Raw(b"\0" * 20)),
              "drop:malformed_udp", "UDP length < 8")
    sc.up_raw(bytes(M / IP(src=si_ip, dst=acc4) / UDP(sport=4500, dport=4500, chksum=0) / Raw(b"\xff")),
              "drop:nat_keepalive", "NAT-T keepalive")
    sc.up_raw(bytes(M / IP(src=si_ip, dst=acc4) / UDP(sport=500, dport=500) / Raw(b"\x11" * 28)),
              "punt:ike", "IKE on 500")
    sc.up_raw(bytes(M / IP(src=si_ip, dst=acc4) / UDP(sport=4500, dport=4500) / Raw(b"\0\0\0\0" + b"\x22" * 28)),
              "punt:ike", "IKE on 4500 (non-ESP marker)")
    sc.up_raw(bytes(M / IP(src=si_ip, dst=acc4) / ICMP() / Raw(b"ping")), "punt:icmp", "ICMP echo to SC")
    sc.up_raw(bytes(M / IPv6(src="2001:db8:f::2", dst="2001:db8:a::1") / ICMPv6EchoRequest()),
              "punt:icmp", "ICMPv6 echo to SC")
    # --- ESP header ---
    sc.up_raw(bytes(M / IP(src=si_ip, dst=acc4, proto=50) / Raw(b"\0\0\x10\x01\0\0")),
              "drop:malformed_esp", "ESP 6 bytes")
    sc.up_raw(bytes(M / IP(src=si_ip, dst=acc4, proto=50) / Raw(struct.pack("!II", 5, 1) + b"\0" * 40)),
              "drop:malformed_esp", "SPI 5 (< 256)")
    t = sc.up(s1, good(), expect="forward", note="template 2")
    ip = IP(t[14:])
    ip.len += 2
    ip.chksum = None
    sc.up_raw(t[:14] + bytes(ip)[:20] + bytes(ip.payload) + b"\0\0", "drop:malformed_esp",
              "ESP length not a multiple of 4")
    ghost = sc.add_sa(spi=0x9999, direction="in", local=acc4, remote=si_ip, configured=False)
    sc.up(None, good(), sa=ghost, tunnel_id=7, session_id=9, expect="drop:unknown_spi")
    ghost_out = Sa(spi=0x2001, direction="in", local=acc4, remote=si_ip, configured=False,
                   key=si1.sa_out.key)
    sc.up(None, good(), sa=ghost_out, tunnel_id=7, session_id=9, seq=1000,
          expect="drop:unknown_spi", note="an outbound SPI used inbound")
    sc.up(st, udp6("2001:db8:3::1", "2001:db8:ff::1"), encap=False, expect="drop:encap_mismatch",
          note="NAT-T SA without UDP")
    sc.up(s1, good(), encap=True, expect="drop:encap_mismatch", note="non-NAT-T SA in UDP 4500")
    # --- lifetimes (in: 3 packets; out: 2 packets) ---
    for i in range(3):
        sc.up(sl, udp4("10.9.0.1", "198.18.0.1"), expect="forward", note=f"life {i + 1}/3")
    sc.up(sl, udp4("10.9.0.1", "198.18.0.1"), expect="drop:sa_expired")
    sc.up(sl, udp4("10.9.0.1", "198.18.0.1"), expect="drop:sa_expired")
    # --- replay / auth ---
    seq_now = si1.sa_in.next_seq
    sc.up(s1, good(), seq=1, expect="drop:replay", note="same seq again (the baseline's)")
    sc.up(s1, good(), seq=seq_now + 2000, expect="forward", note="jump")
    sc.up(s1, good(), seq=seq_now + 2000 - 1024, expect="drop:replay", note="exactly one below the window")
    sc.up(s1, good(), seq=seq_now + 2000 - 1023, expect="forward", note="oldest in the window")
    sc.up(s1, good(), seq=seq_now + 10, expect="drop:replay", note="far below the window")
    sc.up(s1, good(), tamper="icv", expect="drop:auth_failed", note="ICV flipped")
    sc.up(s1, good(), tamper="body", expect="drop:auth_failed", note="ciphertext flipped")
    # --- after decryption ---
    sc.up(s1, good(), padding=b"\x01\x02\x03\x05", expect="drop:bad_padding", note="pad 1 2 3 5")
    sc.up(s1, good(), padding=b"\x00" * 8, expect="drop:bad_padding", note="pad zeros")
    sc.up(s1, good(), nh=6, expect="drop:bad_next_header", note="nh TCP in transport mode")
    sc.up(s1, good(), nh=59, expect="drop:dummy_packet", note="nh 59")
    sc.up(st, udp6("2001:db8:3::1", "2001:db8:ff::1"), nh=17, expect="drop:bad_next_header",
          note="tunnel SA carrying nh 17")
    sc.up(st, None, plain=b"\x45\x00\x00\xff" + b"\0" * 30, nh=4,
          plain_outcome="drop:malformed_inner", expect="drop:malformed_inner",
          note="tunnel inner IPv4 total length > payload")
    sc.up(s1, good(), udp_dport=1702, expect="drop:selector_mismatch", note="UDP dport 1702")
    udp_bad = bytearray(udp_datagram(si_ip, acc4, 1701, 1701, b"\0" * 20))
    udp_bad[4:6] = struct.pack("!H", 200)
    sc.up(s1, None, plain=bytes(udp_bad), nh=17, plain_outcome="drop:malformed_udp",
          expect="drop:malformed_udp", note="inner UDP length 200 > datagram")
    sc.up(s1, None, plain=b"\x06\xa5\x06", nh=17, plain_outcome="drop:malformed_udp",
          expect="drop:malformed_udp", note="3-byte UDP")

    def l2(body_l2tp: bytes, outcome: str, note: str, sa_s=s1):
        u = udp_datagram(si_ip if sa_s is s1 else sa_s.sa_in.remote, acc4, 1701, 1701, body_l2tp)
        sc.up(sa_s, None, plain=u, nh=17, plain_outcome=outcome, expect=outcome, note=note)
    inner_b = bytes(good())
    l2(l2tp_data(7, 9, ppp_header(PPP_IPV6) + inner_b, version=3), "drop:malformed_l2tp", "L2TP version 3")
    l2(b"\x00\x02\x00", "drop:malformed_l2tp", "L2TP header 3 bytes")
    hdr = bytearray(l2tp_data(7, 9, ppp_header(PPP_IPV6) + inner_b, length=True))
    hdr[2:4] = struct.pack("!H", len(hdr) + 50)
    l2(bytes(hdr), "drop:malformed_l2tp", "L2TP length beyond the datagram")
    hello = l2tp_data(7, 0, bytes.fromhex("8008000000000006"), control=True, length=True, ns_nr=(0, 0))
    l2(hello, "punt:l2tp_control", "L2TP HELLO")
    sc.up(s1, good(), session_id=999, expect="drop:unknown_session")
    sc.up(s1, good(), tunnel_id=99, expect="drop:unknown_session", note="unknown tunnel id")
    sc.up(s2, good(), tunnel_id=7, session_id=9, expect="drop:session_sa_mismatch",
          note="si2's SA injecting into si1's session")
    l2(l2tp_data(7, 9, b""), "drop:malformed_ppp", "empty PPP")
    l2(l2tp_data(7, 9, b"\xff\x03"), "drop:malformed_ppp", "PPP ff 03 only")
    l2(l2tp_data(7, 9, b"\xff\x03\x00"), "drop:malformed_ppp", "PPP protocol truncated")
    sc.up(s1, good(), ppp_proto=PPP_LCP, expect="punt:ppp_control", note="LCP in place of IPv6")
    lcp_echo = bytes.fromhex("09010008") + b"\0\0\0\0"
    sc.up(s1, Raw(lcp_echo), ppp_proto=PPP_LCP, expect="punt:ppp_control", note="LCP echo")
    sc.up(s1, Raw(b"\x01\x01\x00\x04"), ppp_proto=0x8021, expect="punt:ppp_control", note="IPCP")
    sc.up(s1, good(), ppp_proto=PPP_IPV4, expect="drop:malformed_inner", note="IPv6 in PPP IPv4")
    l2(l2tp_data(7, 9, ppp_header(PPP_IPV4) + b"\x45\x00\x00\x50" + b"\0" * 16),
       "drop:malformed_inner", "inner IPv4 total length > data")
    l2(l2tp_data(7, 9, ppp_header(PPP_IPV6) + b"\x60" + b"\0" * 20),
       "drop:malformed_inner", "inner IPv6 shorter than its header")
    sc.up(s1, udp6("2001:db8:2::1", "2001:db8:ff::1"), expect="drop:spoofed_source",
          note="si2's prefix from si1")
    sc.up(s1, udp4("10.1.0.9", "198.18.0.1"), expect="drop:spoofed_source", note="outside /30")
    sc.up(s1, udp6(a6, "2001:db8:ff::1", hlim=1), expect="drop:ttl_expired")
    sc.up(s1, udp4(a4, "198.18.0.1", ttl=1), expect="drop:ttl_expired")
    sc.up(s1, udp4(a4, "198.18.0.1", ttl=0), expect="drop:ttl_expired", note="TTL 0")
    sc.up(s1, udp4(a4, "198.18.0.1", ttl=2), expect="forward", note="TTL 2 -> 1")
    sc.up(s2, udp6("2001:db8:2::1", "2001:db8:ff::1"), expect="forward", note="si2 own session")
    # --- ARP / ND ---
    sc.arp_request(sc.access, "198.51.100.1")
    sc.arp_request(sc.access, "198.51.100.50", expect_reply=False)
    sc.nd_solicit(sc.access, "2001:db8:a::1")
    sc.arp_request(sc.core, "203.0.113.1")
    sc.nd_solicit(sc.core, "2001:db8:c::1")
    # --- downstream ---
    C = Ether(src=sc.core.gateway_mac, dst=sc.core.mac)
    sc.down_raw(bytes(C)[:9], "drop:malformed_l2", "9-byte core frame")
    b = bytearray(bytes(C / udp4("198.18.0.1", "10.1.0.1")))
    b[24] ^= 0x55
    sc.down_raw(bytes(b), "drop:malformed_ip", "core IPv4 checksum")
    sc.down_raw(bytes(C / IPv6(src="2001:db8:ff::1", dst="2001:db8:1::1", plen=500) / Raw(b"0" * 8)),
                "drop:malformed_ip", "core IPv6 payload length > frame")
    sc.down(udp6("2001:db8:ff::1", "2001:db8:99::1"), expect="drop:no_route")
    sc.down(udp4("198.18.0.1", "10.1.0.4"), expect="drop:no_route", note="just outside the /30")
    sc.down(udp6("2001:db8:ff::1", "2001:db8:1::1", hlim=1), expect="drop:ttl_expired")
    sc.down(udp4("198.18.0.1", "10.1.0.1", ttl=1), expect="drop:ttl_expired")
    sc.down(sized("2001:db8:ff::1", "2001:db8:1::1", 1401), expect="drop:mtu_exceeded")
    sc.down(sized("2001:db8:ff::1", "2001:db8:1::1", 1400), expect="forward", note="exactly the MTU")
    sc.down(sized("198.18.0.1", "10.1.0.1", 1401), expect="drop:mtu_exceeded")
    for i in range(2):
        sc.down(udp4("198.18.0.1", "10.9.0.1"), expect="forward", note=f"out life {i + 1}/2")
    sc.down(udp4("198.18.0.1", "10.9.0.1"), expect="drop:sa_expired")
    sc.down(udp6("2001:db8:ff::1", "2001:db8:1::1"), expect="forward")
    return sc


def scenario_replay() -> Scenario:
    """Anti-replay details: a forged packet does not move the window; the
    replay_window = 0 SA accepts duplicates; window 64 boundaries."""
    sc = Scenario("replay")
    si, s = _si1(sc)
    a6 = "2001:db8:1::2"
    g = lambda: udp6(a6, "2001:db8:ff::1")  # noqa: E731
    n = 10
    for q in range(1, n + 1):
        sc.up(s, g(), seq=q, expect="forward")
    sc.up(s, g(), seq=n + 100, tamper="icv", expect="drop:auth_failed", note="forged N+100")
    sc.up(s, g(), seq=n + 1, expect="forward", note="valid N+1 after forged N+100")
    sc.up(s, g(), seq=n + 100, expect="forward", note="valid N+100 after forged N+100")
    sc.up(s, g(), seq=n + 100 + 5000, tamper="body", expect="drop:auth_failed", note="forged far ahead")
    sc.up(s, g(), seq=n + 50, expect="forward", note="inside the window, not seen")
    sc.up(s, g(), seq=n + 50, expect="drop:replay", note="now seen")
    sc.burst_gap()
    sc.up(s, g(), seq=n + 100, tamper="icv", expect="drop:replay",
          note="replayed and forged: the pre-check drops it as replay")
    si0 = sc.add_si("nowin", "192.0.2.10", spi_in=0x1010, spi_out=0x2010, replay_window=0)
    s0 = sc.add_session(si0, "nowin@example.net", 7, 40, ["10.10.0.0/24"])
    for q in (1, 1, 1, 2, 1):
        sc.up(s0, udp4("10.10.0.1", "198.18.0.1"), seq=q, expect="forward", note=f"window 0 seq {q}")
    si64 = sc.add_si("w64", "192.0.2.11", spi_in=0x1011, spi_out=0x2011, replay_window=64)
    s64 = sc.add_session(si64, "w64@example.net", 7, 41, ["10.11.0.0/24"])
    p = lambda: udp4("10.11.0.1", "198.18.0.1")  # noqa: E731
    sc.up(s64, p(), seq=200, expect="forward")
    sc.up(s64, p(), seq=137, expect="forward", note="200-63: oldest in window")
    sc.up(s64, p(), seq=136, expect="drop:replay", note="200-64")
    sc.up(s64, p(), seq=264, expect="forward", note="slide by 64")
    sc.up(s64, p(), seq=201, expect="forward", note="264-63")
    sc.up(s64, p(), seq=200, expect="drop:replay", note="264-64")
    return sc


def scenario_truncation() -> Scenario:
    """A valid packet (NAT-T over IPv4, and ESP over IPv6) truncated at
    every byte offset, frames as cut (IP length no longer matching: outer
    checks must catch it), plus the ESP part cut consistently (IP and UDP
    lengths fixed) at every length: the crypto layer must catch it."""
    sc = Scenario("truncation")
    si, s = _si1(sc)
    si6 = sc.add_si("si6", "2001:db8:f::2", spi_in=0x1006, spi_out=0x2006)
    s6 = sc.add_session(si6, "si6@example.net", 7, 12, ["10.6.0.0/24"])
    tn = sc.add_si("nt", "192.0.2.77", spi_in=0x3003, spi_out=0x4003, nat_t=True, remote_port=31337)
    st = sc.add_session(tn, "nt@example.net", 8, 1, ["10.7.0.0/24"])
    full4 = sc.up(s, udp6("2001:db8:1::2", "2001:db8:ff::1"), expect="forward")
    full6 = sc.up(s6, udp4("10.6.0.1", "198.18.0.1"), expect="forward")
    fulln = sc.up(st, udp4("10.7.0.1", "198.18.0.1"), expect="forward")
    for full in (full4, full6, fulln):
        for cut in range(len(full)):
            sc.up_raw(full[:cut], "drop:malformed_l2" if cut < 14 else "drop:malformed_ip",
                      f"cut at {cut}")
    # Consistent truncation of the ESP part: INTERPRETATION: ESP shorter
    # than SPI+seq+IV+ICV+4 (36 bytes) or not 4-aligned is malformed_esp,
    # otherwise the ICV fails (auth_failed). NAT-T: a UDP payload of 1..3
    # bytes could also be read as malformed_udp / keepalive, so those are
    # left to the ambiguous set.
    # The template has a fresh sequence number (never accepted: the cut
    # copies must not be caught by the replay pre-check).
    tmpl4 = sc.up(s, udp6("2001:db8:1::2", "2001:db8:ff::1"), seq=500, dry=True)
    tmpln = sc.up(st, udp4("10.7.0.1", "198.18.0.1"), seq=500, dry=True)
    for full, sa, natt in ((tmpl4, si.sa_in, False), (tmpln, tn.sa_in, True)):
        ip = IP(full[14:])
        esp = bytes(ip[UDP].payload) if natt else bytes(ip.payload)
        for cut in range(len(esp)):
            part = esp[:cut]
            if natt:
                pkt = Ether(full[:14]) / IP(src=ip.src, dst=ip.dst, flags="DF", id=ip.id) / \
                    UDP(sport=ip[UDP].sport, dport=ip[UDP].dport, chksum=0) / Raw(part)
            else:
                pkt = Ether(full[:14]) / IP(src=ip.src, dst=ip.dst, proto=50, flags="DF", id=ip.id) / Raw(part)
            if natt and cut < 8:
                sc.up_raw(bytes(pkt), "ambiguous", f"NAT-T ESP cut to {cut}")
                sc.ambiguous_drops(["malformed_esp", "malformed_udp", "unexpected_protocol"], 1)
            elif cut < 36 or cut % 4:
                sc.up_raw(bytes(pkt), "drop:malformed_esp", f"ESP cut to {cut}")
            else:
                sa.auth_failed += 1
                sc.up_raw(bytes(pkt), "drop:auth_failed", f"ESP cut to {cut}")
    _merge_ambiguous(sc)
    sc.up(s, udp6("2001:db8:1::2", "2001:db8:ff::1"), expect="forward", note="still alive")
    return sc


def _merge_ambiguous(sc: Scenario):
    merged = {}
    for a in sc.ambiguous:
        k = tuple(a["reasons"])
        merged[k] = merged.get(k, 0) + a["count"]
    sc.ambiguous = [{"reasons": list(k), "count": v} for k, v in merged.items()]


def scenario_multiworker() -> Scenario:
    """workers = [1, 2], two RX/TX pcap queues per port: SAs of one SI show
    up on both queues, so packets are handed to the owning worker; output
    order is not fixed, the sequence numbers per SA must be unique, strictly
    increasing per output file, and no false replays."""
    sc = Scenario("multiworker", workers=[1, 2], queues=2, ordered=False)
    sess = []
    for i in range(8):
        prop = ["aes128gcm16", "aes256gcm16", "aes128gmac", "aes256gmac"][i % 4]
        si = sc.add_si(f"m{i}", f"192.0.2.{10 + i}", spi_in=0x7000 + i, spi_out=0x7100 + i,
                       proposal=prop, esn=bool(i % 2))
        sess.append(sc.add_session(si, f"m{i}@example.net", 30, i + 1,
                                   [f"10.{50 + i}.0.0/24", f"2001:db8:50:{i:x}::/64"]))
    for rnd in range(60):
        for i, s in enumerate(sess):
            sc.up(s, udp4(f"10.{50 + i}.0.1", "198.18.0.1", payload=b"SWTG" + struct.pack("!HH", rnd, i) * 3),
                  expect="forward", fast=True)
            sc.down(udp6("2001:db8:ff::1", f"2001:db8:50:{i:x}::1", payload=b"SWTG" + struct.pack("!HH", rnd, i) * 3),
                    expect="forward", fast=True)
    return sc


def scenario_demo(load: int = 0) -> Scenario:
    """The demo: IPv6-over-IPv4, IPv4-over-IPv6, NAT-T tunnel mode, plus
    spoofed, replayed and forged packets; `load` adds that many valid
    upstream and downstream packets (AESGCM fast path) for throughput runs."""
    sc = Scenario("demo")
    si1, s1 = _si1(sc)
    si2 = sc.add_si("si2", "2001:db8:f::2", spi_in=0xC0A81002, spi_out=0xC0A82002,
                    proposal="aes256gcm16", esn=True, replay_window=4096)
    s2 = sc.add_session(si2, "si2@example.net", 7, 10, ["10.2.0.0/24"])
    si3 = sc.add_si("laptop3", "192.0.2.77", spi_in=0x3003, spi_out=0x4003, proposal="aes128gmac",
                    nat_t=True, remote_port=31337, mode="tunnel", local_ts="198.51.100.1/32",
                    remote_ts="10.0.0.5/32", replay_window=64)
    s3 = sc.add_session(si3, "laptop3@example.net", 8, 1, ["2001:db8:3::/48"], mtu=1280,
                        peer_port=40001)
    for i in range(4):
        sc.up(s1, udp6("2001:db8:1::2", "2001:db8:ff::1", payload=b"a" * (i + 1)), expect="forward")
        sc.up(s2, udp4("10.2.0.7", "198.18.0.1", payload=b"b" * (i + 1)), expect="forward")
        sc.up(s3, udp6("2001:db8:3::1", "2001:db8:ff::1", payload=b"c" * (i + 1)), expect="forward")
    sc.up(s1, syn("2001:db8:1::2", "2001:db8:ff::1", mss=1460), expect="forward")
    sc.up(s1, udp6("2001:db8:2::66", "2001:db8:ff::1"), expect="drop:spoofed_source", note="spoofed")
    sc.up(s2, udp4("10.2.0.7", "198.18.0.1"), seq=2, expect="drop:replay", note="replayed")
    sc.up(s3, udp6("2001:db8:3::1", "2001:db8:ff::1"), tamper="icv", expect="drop:auth_failed",
          note="forged")
    sc.up(s2, udp4("10.2.0.7", "198.18.0.1"), tunnel_id=8, session_id=1,
          expect="drop:session_sa_mismatch", note="si2 into laptop3's session")
    for i in range(4):
        sc.down(udp6("2001:db8:ff::1", "2001:db8:1::2", payload=b"A" * (i + 1)), expect="forward")
        sc.down(udp4("198.18.0.1", "10.2.0.7", payload=b"B" * (i + 1)), expect="forward")
        sc.down(udp6("2001:db8:ff::1", "2001:db8:3::1", payload=b"C" * (i + 1)), expect="forward")
    sc.down(udp4("198.18.0.1", "10.99.0.1"), expect="drop:no_route")
    if load:
        add_load(sc, [s1, s2, s3], load)
    return sc


def add_load(sc: Scenario, sessions: list[Session], n: int):
    """n upstream and n downstream packets spread over `sessions`, built
    from one scapy template per session: only the ESP (AESGCM, checked
    against scapy by test_generator) is computed per packet, so tens of
    thousands of packets take seconds."""
    tmpl_up, tmpl_down = [], []
    for s in sessions:
        pfx = _net(s.prefixes[0])
        src = str(pfx.network_address + 1)
        dst = "198.18.0.1" if pfx.version == 4 else "2001:db8:ff::1"
        mk = udp4 if pfx.version == 4 else udp6
        inner = bytes(mk(src, dst, payload=b"L" * 64))
        tmpl_up.append(inner)
        tmpl_down.append(bytes(mk(dst, src, payload=b"l" * 64)))
    # Templates: the first packet per session goes through the full model;
    # the rest reuse its layers with new sequence numbers.
    for i in range(n):
        k = i % len(sessions)
        s = sessions[k]
        sc.up(s, tmpl_up[k], expect="forward", note=f"load up {i}", fast=True)
        sc.down(tmpl_down[k], expect="forward", note=f"load down {i}", fast=True)


SCENARIOS: dict[str, Callable[[], Scenario]] = {
    "v6_over_v4": scenario_v6_over_v4,
    "v4_over_v6": scenario_v4_over_v6,
    "v6_over_v6": scenario_v6_over_v6,
    "natt": scenario_natt,
    "many": scenario_many,
    "drops": scenario_drops,
    "replay": scenario_replay,
    "truncation": scenario_truncation,
    "multiworker": scenario_multiworker,
    "demo": scenario_demo,
}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    sub.add_parser("list", help="list the scenarios")
    d = sub.add_parser("demo", help="write the demo scenario")
    d.add_argument("--out", required=True)
    d.add_argument("--load", type=int, default=0, help="add N upstream and N downstream packets")
    s = sub.add_parser("scenario", help="write one scenario")
    s.add_argument("name", choices=sorted(SCENARIOS))
    s.add_argument("--out", required=True)
    c = sub.add_parser("check", help="compare softwire-dp's outputs in DIR with expected.json")
    c.add_argument("dir")
    a = ap.parse_args(argv)
    if a.cmd == "list":
        for name, fn in SCENARIOS.items():
            print(f"{name:12} {(fn.__doc__ or '').strip().splitlines()[0]}")
        return 0
    if a.cmd in ("demo", "scenario"):
        sc = scenario_demo(a.load) if a.cmd == "demo" else SCENARIOS[a.name]()
        exp = sc.write(a.out)
        n_in = sum(len(q) for p in (sc.access, sc.core) for q in p.rx)
        print(f"{sc.name}: {n_in} input frames, {len(exp['core_out'])} expected core-out, "
              f"{len(exp['access_out'])} expected access-out -> {os.path.abspath(a.out)}")
        print(f"run: softwire-dp -c {os.path.join(os.path.abspath(a.out), 'softwire.conf')} --run-for 2 "
              f"--stats-json {os.path.join(os.path.abspath(a.out), 'stats.json')} -- --no-huge -m 1024 "
              f"--no-shconf --file-prefix demo --no-pci -l 0,1")
        return 0
    problems = check_outputs(a.dir)
    for p in problems:
        print(p)
    print("PASS" if not problems else f"FAIL ({len(problems)} problems)")
    return 0 if not problems else 1


if __name__ == "__main__":
    sys.exit(main())
