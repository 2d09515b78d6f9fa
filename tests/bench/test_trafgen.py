#!/usr/bin/python3
"""Proves softwire-trafgen's pcaps and configurations right, independently.

Nothing here shares code with the generator or the data plane: every field
of every frame is checked against RFC 4303 / RFC 4106 / RFC 2661 / RFC 1661
and docs/architecture.md, using keys and addresses read back from the
written configuration text.

* ESP decrypts twice: scapy's SecurityAssociation (AES-GCM, ICV verified)
  and python3-cryptography's AESGCM (nonce = salt || IV, AAD = SPI || seq);
* the plaintext is UDP 1701 / L2TPv2 data / PPP ff03 / inner IP / UDP of the
  requested size, with the ESP trailer's monotonic minimal padding;
* addresses and L2TP ids belong to session i % N of the configuration, and
  sequence numbers count 1, 2, ... per SA;
* tshark decodes every frame (ESP decrypted by its own UAT) with checksums
  verified and no malformed frame or expert error;
* every byte matters: each single-byte corruption of a frame is rejected;
* softwire-check-config accepts the configurations (with --check-config),
  including one with a million sessions.
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import unittest

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from scapy.layers.inet import IP, UDP
from scapy.layers.inet6 import IPv6
from scapy.layers.ipsec import ESP, SecurityAssociation
from scapy.layers.l2tp import L2TP
from scapy.utils import RawPcapReader

_p = argparse.ArgumentParser(add_help=False)
_p.add_argument("--trafgen", required=True)
_p.add_argument("--check-config", default=None)
ARGS, _rest = _p.parse_known_args()
sys.argv = [sys.argv[0]] + _rest

TSHARK = shutil.which("tshark")
ESP_GCM_UAT = "AES-GCM with 16 octet ICV [RFC4106]"
ETH_IPV4, ETH_IPV6 = 0x0800, 0x86DD
PPP_IPV4, PPP_IPV6 = 0x0021, 0x0057
L2TP_PORT = 1701


class Bad(Exception):
    """A frame that breaks the contract."""


def need(cond: bool, what: str) -> None:
    if not cond:
        raise Bad(what)


# ---------------------------------------------------------------------------
# Configuration, read back from the text (the libconfig subset it uses).

def _section(text: str, name: str) -> str:
    m = re.search(r"^%s\s*=\s*\((.*?)^\);" % name, text, re.S | re.M)
    return m.group(1) if m else ""


def _value(raw: str):
    raw = raw.strip()
    if raw.startswith('"'):
        return raw[1:-1]
    if raw.startswith("["):
        if '"' in raw:
            return re.findall(r'"([^"]*)"', raw)
        return [int(x, 0) for x in re.findall(r"[0-9a-fx]+", raw[1:-1])]
    if raw in ("true", "false"):
        return raw == "true"
    return int(raw.rstrip("L"), 0)


def _blocks(section: str) -> list[dict]:
    out = []
    for block in re.finditer(r"\{([^{}]*)\}", section):
        fields = {}
        for m in re.finditer(r'(\w+)\s*=\s*("[^"]*"|\[[^\]]*\]|[^;]+);', block.group(1)):
            fields[m.group(1)] = _value(m.group(2))
        out.append(fields)
    return out


class Config:
    def __init__(self, text: str):
        self.ports = {p["name"]: p for p in _blocks(_section(text, "ports"))}
        self.sas = {}
        for sa in _blocks(_section(text, "sas")):
            blob = bytes.fromhex(sa["key"][2:])
            sa["aes"], sa["salt"], sa["blob"] = blob[:-4], blob[-4:], blob
            self.sas[(sa["spi"], sa["direction"])] = sa
        self.sessions = _blocks(_section(text, "sessions"))
        for s in self.sessions:
            s["nets"] = [ipaddress.ip_network(p) for p in s["prefixes"]]
        m = re.search(r"^dataplane\s*=\s*\{(.*?)^\};", text, re.S | re.M)
        self.dataplane = _blocks("{" + m.group(1) + "}")[0]

    def mac(self, port: str, key: str = "mac") -> bytes:
        return bytes.fromhex(self.ports[port][key].replace(":", ""))

    def addresses(self, port: str) -> list:
        return [ipaddress.ip_interface(a).ip for a in self.ports[port]["addresses"]]


# ---------------------------------------------------------------------------
# Checks of one frame. `spec` is what the command line asked for.

def ones_sum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return s


def check_udp_checksum(src, dst, udp: bytes, zero_ok: bool, what: str) -> None:
    csum = struct.unpack("!H", udp[6:8])[0]
    if csum == 0:
        need(zero_ok, f"{what}: UDP checksum 0 where one is required")
        return
    pseudo = src.packed + dst.packed + struct.pack("!IxxxB", len(udp), 17)
    need(ones_sum(pseudo + udp) == 0xFFFF, f"{what}: bad UDP checksum")


def check_inner(inner: bytes, spec: dict, session: dict, up: bool, cfg: Config) -> None:
    """The inner IP/UDP packet: size, every header field, the payload
    pattern, and addresses inside the session's prefix of its family."""
    need(len(inner) == spec["inner_size"], f"inner is {len(inner)} bytes, want {spec['inner_size']}")
    if spec["inner"] == "v4":
        need(inner[0] == 0x45, "inner IPv4 version/IHL")
        ver, tos, tot, ident, frag, ttl, proto, _ = struct.unpack("!BBHHHBBH", inner[:12])
        need(tos == 0 and tot == len(inner) and frag == 0x4000, "inner IPv4 tos/length/DF")
        need(ident == 0, "inner IPv4 id")
        need(ttl == 64 and proto == 17, "inner IPv4 ttl/protocol")
        need(ones_sum(inner[:20]) == 0xFFFF, "inner IPv4 header checksum")
        src, dst = ipaddress.IPv4Address(inner[12:16]), ipaddress.IPv4Address(inner[16:20])
        udp = inner[20:]
    else:
        vtf, plen, nh, hlim = struct.unpack("!IHBB", inner[:8])
        need(vtf == 0x60000000, "inner IPv6 version/class/flow label")
        need(plen == len(inner) - 40 and nh == 17 and hlim == 64, "inner IPv6 length/next header/hop limit")
        src, dst = ipaddress.IPv6Address(inner[8:24]), ipaddress.IPv6Address(inner[24:40])
        udp = inner[40:]
    ulen = struct.unpack("!H", udp[4:6])[0]
    need(ulen == len(udp), "inner UDP length")
    check_udp_checksum(src, dst, udp, False, "inner")
    need(udp[8:] == bytes(i & 0xFF for i in range(len(udp) - 8)), "inner UDP payload pattern")
    own, far = (src, dst) if up else (dst, src)
    nets = [n for n in session["nets"] if n.version == own.version]
    need(any(own in n for n in nets), f"{own} is not in session {session['identity']}'s prefixes")
    need(not any(far in n for s in cfg.sessions for n in s["nets"]), f"far end {far} is a session address")
    need(far.is_global or far in ipaddress.ip_network("198.18.0.0/15") or
         far in ipaddress.ip_network("2001:2::/48"), f"far end {far} is not routable")


def check_up_frame(frame: bytes, spec: dict, session: dict, seq: int, cfg: Config) -> None:
    need(frame[:6] == cfg.mac("access"), "Ethernet destination is not the access port")
    need(frame[6:12] == cfg.mac("access", "gateway_mac"), "Ethernet source is not the access gateway")
    etype = struct.unpack("!H", frame[12:14])[0]
    sa = cfg.sas[(session["sa_in"], "in")]
    local, remote = ipaddress.ip_address(sa["local"]), ipaddress.ip_address(sa["remote"])
    need(local in cfg.addresses("access"), "SA local is not an access address")
    l3 = frame[14:]
    if spec["outer"] == "v4":
        need(etype == ETH_IPV4 and local.version == 4, "outer: want IPv4")
        ver, tos, tot, ident, frag, ttl, proto, _ = struct.unpack("!BBHHHBBH", l3[:12])
        need(ver == 0x45 and tos == 0 and tot == len(l3), "outer IPv4 version/tos/length")
        need(frag == 0x4000 and ttl == 64 and proto == 50, "outer IPv4 DF/ttl/protocol")
        need(ident == 0, "outer IPv4 id")
        need(ones_sum(l3[:20]) == 0xFFFF, "outer IPv4 header checksum")
        src, dst = ipaddress.IPv4Address(l3[12:16]), ipaddress.IPv4Address(l3[16:20])
        esp = l3[20:]
        outer_pkt = IP(l3)
    else:
        need(etype == ETH_IPV6 and local.version == 6, "outer: want IPv6")
        vtf, plen, nh, hlim = struct.unpack("!IHBB", l3[:8])
        need(vtf == 0x60000000 and plen == len(l3) - 40, "outer IPv6 version/flow/length")
        need(nh == 50 and hlim == 64, "outer IPv6 next header/hop limit")
        src, dst = ipaddress.IPv6Address(l3[8:24]), ipaddress.IPv6Address(l3[24:40])
        esp = l3[40:]
        outer_pkt = IPv6(l3)
    need(src == remote and dst == local, f"outer {src} -> {dst}, want {remote} -> {local}")

    spi, sn = struct.unpack("!II", esp[:8])
    need(spi == session["sa_in"], f"SPI {spi:#x}, want {session['sa_in']:#x}")
    need(sn == seq, f"sequence number {sn}, want {seq}")
    iv, body = esp[8:16], esp[16:]
    need(len(body) >= 16 + 4 and (len(body) - 16) % 4 == 0, "ESP payload not 4-byte aligned")
    # Path 1: python3-cryptography, by the RFC.
    try:
        plain = AESGCM(sa["aes"]).decrypt(sa["salt"] + iv, body, esp[:8])
    except Exception as e:  # InvalidTag
        raise Bad(f"AES-GCM authentication failed ({type(e).__name__})")
    # Path 2: scapy's SecurityAssociation on the whole outer packet.
    ssa = SecurityAssociation(ESP, spi=spi, crypt_algo="AES-GCM", crypt_key=sa["blob"])
    try:
        dec = ssa.decrypt(outer_pkt)
    except Exception as e:
        raise Bad(f"scapy could not decrypt: {e}")
    padlen, nh = plain[-2], plain[-1]
    payload = plain[:len(plain) - 2 - padlen]
    need(nh == 17, f"ESP next header {nh}, want 17 (UDP, transport mode)")
    need(plain[len(payload):-2] == bytes(range(1, padlen + 1)), "ESP padding not 1, 2, 3, ...")
    need(padlen < 4 and (len(payload) + padlen + 2) % 4 == 0, "ESP padding not minimal")
    need(bytes(dec.payload) == payload, "scapy and cryptography disagree on the plaintext")
    need(isinstance(dec.payload, UDP), "scapy does not see UDP in the plaintext")

    # UDP / L2TP / PPP / inner.
    sport, dport, ulen, _ = struct.unpack("!HHHH", payload[:8])
    need(sport == L2TP_PORT and dport == L2TP_PORT, f"UDP {sport} -> {dport}, want 1701 -> 1701")
    need(ulen == len(payload), "UDP length")
    check_udp_checksum(src, dst, payload, spec["outer"] == "v4", "L2TP UDP")
    l2 = L2TP(payload[8:])
    need(payload[8:10] == b"\x00\x02", "L2TP flags/version not 0x0002 (data, v2, no options)")
    need(l2.tunnel_id == session["tunnel_id"] and l2.session_id == session["session_id"],
         f"L2TP ids {l2.tunnel_id}/{l2.session_id}, want {session['tunnel_id']}/{session['session_id']}")
    ppp = payload[14:18]
    want_proto = PPP_IPV4 if spec["inner"] == "v4" else PPP_IPV6
    need(ppp == b"\xff\x03" + struct.pack("!H", want_proto), f"PPP header {ppp.hex()}")
    check_inner(payload[18:], spec, session, True, cfg)


def check_down_frame(frame: bytes, spec: dict, session: dict, cfg: Config) -> None:
    need(frame[:6] == cfg.mac("core"), "Ethernet destination is not the core port")
    need(frame[6:12] == cfg.mac("core", "gateway_mac"), "Ethernet source is not the core gateway")
    etype = struct.unpack("!H", frame[12:14])[0]
    need(etype == (ETH_IPV4 if spec["inner"] == "v4" else ETH_IPV6), "ethertype")
    check_inner(frame[14:], spec, session, False, cfg)


# ---------------------------------------------------------------------------
# Running the generator.

def run_trafgen(workdir: str, name: str, spec: dict, extra: list[str] | None = None):
    pcap = os.path.join(workdir, name + ".pcap")
    conf = os.path.join(workdir, name + ".conf")
    cmd = [ARGS.trafgen, "--sessions", str(spec["sessions"]), "--sas", str(spec["sas"]),
           "--packets", str(spec["packets"]), "--inner-size", str(spec["inner_size"]),
           "--inner", spec["inner"], "--outer", spec["outer"], "--proposal", spec["proposal"],
           "--direction", spec["direction"], "--seed", str(spec.get("seed", 7)),
           "--out-pcap", pcap, "--out-config", conf] + (extra or [])
    subprocess.run(cmd, check=True, capture_output=True)
    with open(conf) as f:
        cfg = Config(f.read())
    reader = RawPcapReader(pcap)
    linktype = reader.linktype
    frames = [bytes(data) for data, _ in reader]
    reader.close()
    return pcap, conf, cfg, frames, linktype


def tshark_env(cfg: Config, workdir: str) -> dict:
    """A Wireshark profile with an esp_sa entry per inbound SA, ESP
    decryption on and every checksum verified."""
    home = os.path.join(workdir, "wireshark-home")
    os.makedirs(os.path.join(home, "wireshark"), exist_ok=True)
    lines = []
    for (spi, direction), sa in cfg.sas.items():
        if direction != "in":
            continue
        fam = "IPv6" if ":" in sa["local"] else "IPv4"
        lines.append(f'"{fam}","{sa["remote"]}","{sa["local"]}","0x{spi:08x}","{ESP_GCM_UAT}",'
                     f'"0x{sa["blob"].hex()}","NULL",""')
    with open(os.path.join(home, "wireshark", "esp_sa"), "w") as f:
        f.write("\n".join(lines) + "\n")
    with open(os.path.join(home, "wireshark", "preferences"), "w") as f:
        f.write("esp.enable_encryption_decode: TRUE\nip.check_checksum: TRUE\n"
                "udp.check_checksum: TRUE\n")
    env = dict(os.environ)
    env["XDG_CONFIG_HOME"] = home
    env["HOME"] = home
    return env


def tshark_problems(pcap: str, env: dict, chain: list[str], count: int) -> list[str]:
    cmd = [TSHARK, "-n", "-r", pcap, "-T", "fields", "-E", "occurrence=a", "-E", "aggregator=,",
           "-e", "frame.number", "-e", "frame.protocols", "-e", "_ws.expert.severity",
           "-e", "_ws.malformed", "-e", "_ws.expert.message"]
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True).stdout
    rows = [line.split("\t") for line in out.splitlines()]
    problems = [] if len(rows) == count else [f"tshark read {len(rows)} frames, want {count}"]
    for row in rows:
        row += [""] * (5 - len(row))
        num, protos, sev, malformed, msg = row[:5]
        if malformed or "malformed" in protos:
            problems.append(f"frame {num}: malformed ({protos})")
        if any(int(s) >= 0x800000 for s in sev.split(",") if s):
            problems.append(f"frame {num}: expert error {msg} ({protos})")
        if protos.split(":")[:len(chain)] != chain:
            problems.append(f"frame {num}: tshark sees {protos}, wants {':'.join(chain)}")
    return problems


def tshark_chain(spec: dict) -> list[str]:
    inner = ["ip" if spec["inner"] == "v4" else "ipv6", "udp"]
    if spec["inner_size"] > (28 if spec["inner"] == "v4" else 48):
        inner.append("data")
    if spec["direction"] == "down":
        return ["eth", "ethertype"] + inner
    outer = "ip" if spec["outer"] == "v4" else "ipv6"
    return ["eth", "ethertype", outer, "esp", "udp", "l2tp", "ppp"] + inner


class TrafgenTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="trafgen-test-")

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def check_config(self, conf: str) -> None:
        if ARGS.check_config:
            r = subprocess.run([ARGS.check_config, "-c", conf], capture_output=True, text=True)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

    def verify(self, name: str, spec: dict) -> None:
        workdir = os.path.join(self.tmp.name, name)
        os.makedirs(workdir)
        pcap, conf, cfg, frames, linktype = run_trafgen(workdir, name, spec)
        self.check_config(conf)
        self.assertEqual(linktype, 1)
        self.assertEqual(len(frames), spec["packets"])
        self.assertEqual(len(cfg.sessions), spec["sessions"])
        self.assertEqual(len(cfg.sas), 2 * spec["sas"])
        up = spec["direction"] == "up"
        pcap_port, null_port = ("access", "core") if up else ("core", "access")
        self.assertRegex(cfg.ports[pcap_port]["device"],
                         r"^net_pcap\d+,rx_pcap=%s,infinite_rx=1$" % re.escape(os.path.abspath(pcap)))
        self.assertRegex(cfg.ports[null_port]["device"], r"^net_null\d+")
        self.assertEqual(cfg.dataplane["workers"], [1])
        self.assertGreaterEqual(cfg.dataplane["mempool_mbufs"], spec["packets"])
        # Session ids, SA pairs and prefixes as the brief asks.
        ids = {(s["tunnel_id"], s["session_id"]) for s in cfg.sessions}
        self.assertEqual(len(ids), len(cfg.sessions))
        for s in cfg.sessions:
            self.assertEqual(sorted(n.version for n in s["nets"]), [4, 6])
            self.assertEqual({n.prefixlen for n in s["nets"]}, {30, 64})
            sa_in, sa_out = cfg.sas[(s["sa_in"], "in")], cfg.sas[(s["sa_out"], "out")]
            self.assertEqual((sa_in["local"], sa_in["remote"]), (sa_out["local"], sa_out["remote"]))
        for (spi, direction), sa in cfg.sas.items():
            self.assertGreaterEqual(spi, 256)
            self.assertEqual(sa["proposal"], spec["proposal"])
            self.assertEqual(len(sa["aes"]), 32 if "256" in spec["proposal"] else 16)
            if direction == "in":
                self.assertEqual(sa["replay_window"], 0)
        spis = [s["sa_in"] for s in cfg.sessions]
        self.assertEqual(len(set(spis)), spec["sas"], "sessions not spread over every SA pair")

        seqs: dict[int, int] = {}
        for i, frame in enumerate(frames):
            session = cfg.sessions[i % spec["sessions"]]
            try:
                if up:
                    seqs[session["sa_in"]] = seqs.get(session["sa_in"], 0) + 1
                    check_up_frame(frame, spec, session, seqs[session["sa_in"]], cfg)
                else:
                    check_down_frame(frame, spec, session, cfg)
            except Bad as e:
                self.fail(f"{name} frame {i}: {e}")
        if TSHARK:
            problems = tshark_problems(pcap, tshark_env(cfg, workdir), tshark_chain(spec), len(frames))
            self.assertEqual(problems, [])
        return cfg, frames

    def test_matrix(self):
        """Each inner size, v4 and v6 inner and outer, both proposals, both
        directions: 5 sessions over 2 SA pairs, 13 packets (sessions wrap)."""
        for direction in ("up", "down"):
            for outer in ("v4", "v6"):
                for proposal in ("aes128gcm16", "aes256gcm16"):
                    for inner in ("v4", "v6"):
                        for size in (64, 512, 1400):
                            if direction == "down" and (outer, proposal) != ("v4", "aes128gcm16"):
                                continue  # the core side has no outer header nor crypto
                            spec = dict(sessions=5, sas=2, packets=13, inner_size=size, inner=inner,
                                        outer=outer, proposal=proposal, direction=direction)
                            name = f"{direction}-{outer}-{proposal}-{inner}-{size}"
                            with self.subTest(name):
                                self.verify(name, spec)

    def test_extremes(self):
        """Smallest and largest inner packets, one session, many SAs."""
        for spec in (dict(sessions=1, sas=1, packets=3, inner_size=28, inner="v4"),
                     dict(sessions=1, sas=1, packets=3, inner_size=48, inner="v6"),
                     dict(sessions=7, sas=7, packets=20, inner_size=1500, inner="v6"),
                     dict(sessions=70000, sas=3, packets=9, inner_size=100, inner="v4")):
            for direction in ("up", "down"):
                full = dict(outer="v6", proposal="aes256gcm16", direction=direction, **spec)
                name = f"x-{direction}-{spec['sessions']}-{spec['inner_size']}"
                with self.subTest(name):
                    self.verify(name, full)

    def test_every_byte_matters(self):
        """A single corrupted byte anywhere in a frame must be rejected, so
        the checks above cannot pass a wrong encapsulation."""
        for direction, outer, inner in (("up", "v4", "v6"), ("up", "v6", "v4"),
                                        ("down", "v4", "v4"), ("down", "v4", "v6")):
            spec = dict(sessions=3, sas=2, packets=3, inner_size=64, inner=inner, outer=outer,
                        proposal="aes128gcm16", direction=direction)
            name = f"mut-{direction}-{outer}-{inner}"
            workdir = os.path.join(self.tmp.name, name)
            os.makedirs(workdir)
            _, _, cfg, frames, _ = run_trafgen(workdir, name, spec)
            frame, session = frames[2], cfg.sessions[2]
            seq = 2  # session 2 is on SA pair 0 again: its second packet

            def check(f: bytes) -> None:
                if direction == "up":
                    check_up_frame(f, spec, session, seq, cfg)
                else:
                    check_down_frame(f, spec, session, cfg)

            check(frame)
            for pos in range(len(frame)):
                for flip in (0x01, 0x80):
                    bad = bytearray(frame)
                    bad[pos] ^= flip
                    with self.assertRaises(Bad, msg=f"{name}: byte {pos} ^ {flip:#x} accepted"):
                        check(bytes(bad))
            for bad in (frame[:-1], frame + b"\0"):
                with self.assertRaises((Bad, Exception), msg=f"{name}: length change accepted"):
                    check(bad)

    def test_sequence_numbers_and_determinism(self):
        """Sequence numbers continue per SA across the whole file; the same
        seed gives the same bytes, another seed other keys."""
        spec = dict(sessions=3, sas=3, packets=30, inner_size=64, inner="v6", outer="v4",
                    proposal="aes128gcm16", direction="up")
        self.verify("seq", spec)
        a = os.path.join(self.tmp.name, "det-a")
        b = os.path.join(self.tmp.name, "det-b")
        c = os.path.join(self.tmp.name, "det-c")
        for d in (a, b, c):
            os.makedirs(d)
        _, _, cfg_a, frames_a, _ = run_trafgen(a, "d", spec)
        _, _, _, frames_b, _ = run_trafgen(b, "d", spec)
        _, _, cfg_c, _, _ = run_trafgen(c, "d", dict(spec, seed=8))
        self.assertEqual(frames_a, frames_b)
        self.assertNotEqual([s["key"] for s in cfg_a.sas.values()], [s["key"] for s in cfg_c.sas.values()])
        seq_by_spi: dict[int, list[int]] = {}
        for f in frames_a:
            spi, sn = struct.unpack("!II", f[34:42])
            seq_by_spi.setdefault(spi, []).append(sn)
        self.assertEqual(sorted(seq_by_spi.values()), [list(range(1, 11))] * 3)

    def test_workers_and_eal(self):
        spec = dict(sessions=2, sas=1, packets=4, inner_size=64, inner="v6", outer="v4",
                    proposal="aes128gcm16", direction="down")
        workdir = os.path.join(self.tmp.name, "workers")
        os.makedirs(workdir)
        pcap, conf, cfg, _, _ = run_trafgen(workdir, "w", spec,
                                            ["--workers", "1,3", "--eal", "--no-huge", "--eal", "-m",
                                             "--eal", "2048"])
        self.check_config(conf)
        self.assertEqual(cfg.dataplane["workers"], [1, 3])
        self.assertEqual(cfg.dataplane["eal"], ["--no-huge", "-m", "2048"])
        self.assertEqual(cfg.ports["core"]["device"].count("rx_pcap=" + os.path.abspath(pcap)), 2)
        self.assertGreaterEqual(cfg.dataplane["mempool_mbufs"], 2 * spec["packets"])

    def test_bad_options(self):
        for args in (["--sessions", "0"], ["--sessions", "3000000"], ["--sas", "5", "--sessions", "4"],
                     ["--inner-size", "40", "--inner", "v6"], ["--inner-size", "1501"],
                     ["--proposal", "aes128gmac"], ["--outer", "v5"], ["--bogus", "1"],
                     ["--workers", "1,1"], ["--packets", "-1"]):
            r = subprocess.run([ARGS.trafgen, "--out-pcap", os.path.join(self.tmp.name, "bad.pcap")] + args,
                               capture_output=True, text=True)
            self.assertEqual(r.returncode, 2, f"{args}: {r.stderr}")
        r = subprocess.run([ARGS.trafgen, "--help"], capture_output=True, text=True)
        self.assertEqual(r.returncode, 0)
        self.assertIn("--sessions", r.stdout)

    def test_million_sessions_config(self):
        """1,000,000 sessions: every prefix and id pair distinct and well
        formed (scanned here), and the loader accepts the file."""
        workdir = os.path.join(self.tmp.name, "million")
        os.makedirs(workdir)
        pcap, conf = os.path.join(workdir, "m.pcap"), os.path.join(workdir, "m.conf")
        n = 1000000
        subprocess.run([ARGS.trafgen, "--sessions", str(n), "--sas", "1000", "--packets", "4",
                        "--direction", "down", "--out-pcap", pcap, "--out-config", conf],
                       check=True, capture_output=True)
        line_re = re.compile(r'^\s*\{ identity = "([^"]+)"; sa_in = (0x[0-9a-f]+); sa_out = (0x[0-9a-f]+); '
                             r'tunnel_id = (\d+); session_id = (\d+); .*prefixes = \[ "([^"]+)", "([^"]+)" \]')
        ids, v6, v4, identities, count = set(), set(), set(), set(), 0
        net10 = ipaddress.ip_network("10.0.0.0/8")
        with open(conf) as f:
            for line in f:
                m = line_re.match(line)
                if not m:
                    continue
                count += 1
                t, s = int(m.group(4)), int(m.group(5))
                self.assertTrue(1 <= t <= 65535 and 1 <= s <= 65535)
                ids.add((t, s))
                identities.add(m.group(1))
                p6, p4 = ipaddress.IPv6Network(m.group(6)), ipaddress.IPv4Network(m.group(7))
                self.assertEqual((p6.prefixlen, p4.prefixlen), (64, 30))
                self.assertTrue(p4.subnet_of(net10))
                v6.add(p6.network_address)
                v4.add(p4.network_address)
        self.assertEqual(count, n)
        self.assertEqual((len(ids), len(v6), len(v4), len(identities)), (n, n, n, n))
        self.check_config(conf)


if __name__ == "__main__":
    unittest.main(verbosity=2)
