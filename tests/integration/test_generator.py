#!/usr/bin/python3
"""Proves scripts/softwire_traffic.py right without softwire-dp.

The generator decides every expected byte of the integration tests, so it is
checked against implementations that are not ours and against itself:

* every generated ESP frame decrypts by two paths: scapy's
  SecurityAssociation (AES-GCM) and python3-cryptography's AESGCM driven by
  hand (nonce = salt || IV; AAD = SPI || seq, or SPI || seq_hi || seq_lo
  with ESN; GMAC: AAD = SPI || seq || IV || payload || trailer);
* tshark decodes the generated SI pcaps with its own ESP decryption (esp_sa
  UAT, AES-GCM), and the GMAC ones after our decryption, and must see
  ESP/UDP/L2TP/PPP/inner IP with no malformed frame or expert error;
* tshark decodes the expected core-out and access-out frames, checksums
  verified;
* the forwarded inner packets, decrypted from the SI pcap, become the
  expected core-out frames after TTL-1 / MSS clamping;
* the demo's counters add up: every input has one outcome;
* the fast (--load) path produces the same bytes as scapy.

Optional: --check-config PATH runs softwire-check-config on every generated
configuration.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import unittest
from collections import Counter

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
_p = argparse.ArgumentParser(add_help=False)
_p.add_argument("--check-config", default=None)
_CC, _rest = _p.parse_known_args()
sys.argv = [sys.argv[0]] + _rest

import harness  # noqa: E402
from harness import st  # noqa: E402
from scapy.layers.inet import IP, TCP  # noqa: E402
from scapy.layers.inet6 import IPv6  # noqa: E402
from scapy.layers.l2tp import L2TP  # noqa: E402

SCENARIO_NAMES = [n for n in st.SCENARIOS]


def frames_with_outcomes(d: str, exp: dict, port: str):
    """[(frame, log entry)] for one input port, in file order."""
    names = exp["inputs"][port]
    files = [st.read_pcap(os.path.join(d, n)) for n in names]
    out = []
    for e in exp["log"]:
        if e["port"] == port:
            out.append((files[e["queue"]][e["index"]], e))
    return out


def parse_l2tp_ppp(udp_payload: bytes):
    """L2TP + PPP parsed with scapy's L2TP layer; PPP header by RFC 1661
    (ACFC/PFC). Returns (l2tp packet, ppp protocol, inner bytes)."""
    l2 = L2TP(udp_payload)
    hlen = len(udp_payload) - len(bytes(l2.payload))
    ppp = udp_payload[hlen:]
    if ppp[:2] == b"\xff\x03":
        ppp = ppp[2:]
    if ppp[0] & 1:
        proto, inner = ppp[0], ppp[1:]
    else:
        proto, inner = struct.unpack("!H", ppp[:2])[0], ppp[2:]
    return l2, proto, inner


class Generated:
    """Each scenario written once for the whole test run."""
    root = None
    cache: dict = {}

    @classmethod
    def get(cls, name: str):
        if name not in cls.cache:
            if cls.root is None:
                cls.root = tempfile.mkdtemp(prefix="swgen-")
            d = os.path.join(cls.root, name)
            sc = st.SCENARIOS[name]()
            exp = sc.write(d)
            cls.cache[name] = (d, exp, sc)
        return cls.cache[name]


def tearDownModule():
    if Generated.root and not harness.ARGS.keep:
        shutil.rmtree(Generated.root, ignore_errors=True)


class EspPaths(unittest.TestCase):
    """scapy and the direct AESGCM path agree byte for byte."""

    def test_gcm_scapy_equals_direct(self):
        for prop in ("aes128gcm16", "aes256gcm16"):
            for esn in (False, True):
                sa = st.Sa(spi=0x1234, direction="in", local="198.51.100.1", remote="192.0.2.1",
                           proposal=prop, esn=esn)
                for seq in (1, 2, 0xFFFFFFFF, 0x100000000 if esn else 7, 0x123456789 if esn else 9):
                    for n in range(0, 9):
                        payload = bytes(range(n)) * 3
                        for nh in (17, 4, 41):
                            a = st.esp_seal_scapy(sa, seq, payload, nh)
                            b = st.esp_seal_direct(sa, seq, payload, nh)
                            self.assertEqual(a, b, (prop, esn, seq, n, nh))
                            for opener in (st.esp_open_scapy, st.esp_open_direct):
                                p = opener(sa, a, seq >> 32)
                                self.assertEqual((p.payload, p.nh, p.seq_lo), (payload, nh, seq & 0xFFFFFFFF))
                                self.assertEqual(p.padding, st.monotonic_padding(len(payload)))
                            self.assertEqual(len(a) % 4, 0)

    def test_gcm_wrong_aad_fails(self):
        sa = st.Sa(spi=0x1234, direction="in", local="198.51.100.1", remote="192.0.2.1", esn=True)
        e = st.esp_seal_direct(sa, 0x100000005, b"abcd", 17)
        with self.assertRaises(Exception):
            st.esp_open_direct(sa, e, 0)  # wrong high half
        with self.assertRaises(Exception):
            st.esp_open_scapy(sa, e, 0)

    def test_gmac(self):
        """GMAC leaves the payload in clear, authenticates everything."""
        for prop in ("aes128gmac", "aes256gmac"):
            for esn in (False, True):
                sa = st.Sa(spi=0x4321, direction="in", local="2001:db8:a::1", remote="2001:db8:f::1",
                           proposal=prop, esn=esn)
                for n in range(6):
                    payload = b"P" * n
                    seq = 0x100000002 if esn else 2
                    e = st.esp_seal_direct(sa, seq, payload, 17)
                    self.assertEqual(e[16:16 + n], payload)  # not encrypted
                    self.assertEqual(st.esp_open_direct(sa, e, seq >> 32).payload, payload)
                    for pos in range(0, len(e)):
                        bad = bytearray(e)
                        bad[pos] ^= 1
                        with self.assertRaises(Exception, msg=f"{prop} flip at {pos}"):
                            p = st.esp_open_direct(sa, bytes(bad), seq >> 32)
                            if struct.unpack("!I", bad[:4])[0] != sa.spi:
                                raise ValueError("spi differs")  # SPI is not verified by the AEAD call itself
                    if esn:
                        with self.assertRaises(Exception):
                            st.esp_open_direct(sa, e, 0)

    def test_gmac_equals_gcm_of_empty_text(self):
        """RFC 4543: GMAC is GCM with everything in the AAD; cross-check the
        AESGCM one-shot API against the incremental Cipher/GCM API."""
        from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
        sa = st.Sa(spi=0x4321, direction="in", local="198.51.100.1", remote="192.0.2.1",
                   proposal="aes128gmac")
        e = st.esp_seal_direct(sa, 3, b"hello", 17)
        iv = e[8:16]
        enc = Cipher(algorithms.AES(sa.aes_key), modes.GCM(sa.salt + iv)).encryptor()
        enc.authenticate_additional_data(e[:-16])
        enc.finalize()
        self.assertEqual(enc.tag, e[-16:])

    def test_outer_fast_equals_scapy(self):
        sc = st.Scenario("fast")
        for addr, natt in (("192.0.2.1", False), ("192.0.2.1", True), ("2001:db8:f::1", False),
                           ("2001:db8:f::1", True)):
            si = sc.add_si("x", addr, spi_in=0x9000 + len(sc.sas), spi_out=0x9100 + len(sc.sas),
                           nat_t=natt, remote_port=31337)
            esp = st.esp_seal(si.sa_out, 5, b"x" * 33, 17)
            for to_sc in (True, False):
                a = sc.outer_frame(si.sa_out, esp, to_sc=to_sc, nat_t=natt, seq=5)
                b = sc.outer_frame(si.sa_out, esp, to_sc=to_sc, nat_t=natt, seq=5, fast=True)
                self.assertEqual(a, b, (addr, natt, to_sc))

    def test_load_matches_reference(self):
        """--load frames equal what the scapy path writes for the same seq."""
        a = st.scenario_demo(load=30)
        n_base = len(st.scenario_demo().access.rx[0])
        b = st.scenario_demo()
        b_sessions = b.sessions
        tmpl_frames = a.access.rx[0][n_base:]
        # Rebuild the same packets through the reference path.
        ref = []
        for i in range(30):
            s = b_sessions[i % 3]
            pfx = st._net(s.prefixes[0])
            src = str(pfx.network_address + 1)
            dst = "198.18.0.1" if pfx.version == 4 else "2001:db8:ff::1"
            mk = st.udp4 if pfx.version == 4 else st.udp6
            ref.append(b.up(s, bytes(mk(src, dst, payload=b"L" * 64)), expect="forward"))
            b.down(bytes(mk(dst, src, payload=b"l" * 64)), expect="forward")
        self.assertEqual(tmpl_frames, ref)
        self.assertEqual([e["frame"] for e in a.access_out], [e["frame"] for e in b.access_out])
        self.assertEqual(a.core_out[-30:][0]["frame"], b.core_out[-30:][0]["frame"])


class ScenarioDecoding(unittest.TestCase):
    """Every scenario's generated and expected frames, decoded by others."""

    def setUp(self):
        if not harness.TSHARK:
            self.skipTest("tshark not installed")

    def _sas(self, exp, direction):
        return {s["spi"]: st.sa_from_desc(s) for s in exp["sas"] if s["direction"] == direction}

    def test_si_pcaps_tshark(self):
        """Forwarded SI frames decode in tshark to ESP/UDP/L2TP/PPP/inner
        (tshark's own AES-GCM decryption; GMAC after ours)."""
        for name in SCENARIO_NAMES:
            with self.subTest(name):
                d, exp, _ = Generated.get(name)
                env = harness.tshark_env(exp["sas"], d)
                sas = self._sas(exp, "in")
                gcm, gcm_req, gmac, gmac_req = [], [], [], []
                for fr, e in frames_with_outcomes(d, exp, "access"):
                    if e["outcome"] != "forward":
                        continue
                    info, esp = st.parse_esp_frame(fr)
                    sa = sas[info["spi"]]
                    plain = st.esp_open_direct(sa, esp, int.from_bytes(esp[8:12], "big"))
                    inner_fam = None
                    if sa.tunnel:
                        chain_tail = ["ip" if plain.payload[0] >> 4 == 4 else "ipv6", "udp", "l2tp", "ppp"]
                    else:
                        chain_tail = ["udp", "l2tp", "ppp"]
                    del inner_fam
                    if sa.encrypts:
                        gcm.append(fr)
                        gcm_req.append(["esp"] + chain_tail)
                    else:
                        gmac.append(fr)
                        gmac_req.append(chain_tail)
                problems = []
                if gcm:
                    p = os.path.join(d, "fwd-gcm.pcap")
                    st.write_pcap(p, gcm)
                    problems += harness.tshark_problems(p, env, gcm_req, f"{name} SI (GCM)")
                if gmac:
                    p = os.path.join(d, "fwd-gmac-decrypted.pcap")
                    st.write_pcap(p, harness.decap_frames(gmac, sas))
                    problems += harness.tshark_problems(p, env, gmac_req, f"{name} SI (GMAC)")
                self.assertEqual(problems, [])

    def test_tshark_decrypts_esn_and_natt(self):
        """Show, in tshark -V text, that tshark's UAT decryption worked for an
        ESN SA (v4_over_v6) and a NAT-T tunnel SA (natt)."""
        d, exp, _ = Generated.get("v4_over_v6")
        env = harness.tshark_env(exp["sas"], d)
        text = harness.tshark_verbose(os.path.join(d, "si.pcap"), env)
        self.assertIn("Layer 2 Tunneling Protocol", text)
        self.assertIn("ESP Decrypted Data", text)
        d, exp, _ = Generated.get("natt")
        env = harness.tshark_env(exp["sas"], d)
        text = harness.tshark_verbose(os.path.join(d, "si.pcap"), env)
        self.assertIn("UDP Encapsulation of IPsec Packets", text)
        self.assertIn("Layer 2 Tunneling Protocol", text)

    def test_expected_outputs_tshark(self):
        """Expected core-out and access-out frames decode cleanly, with good
        IPv4/TCP/UDP checksums (UDP over IPv4 may be 0 = unverified)."""
        for name in SCENARIO_NAMES:
            with self.subTest(name):
                d, exp, _ = Generated.get(name)
                env = harness.tshark_env(exp["sas"], d)
                problems = []
                core = [bytes.fromhex(e["frame"]) for e in exp["core_out"]]
                acc = [bytes.fromhex(e["frame"]) for e in exp["access_out"]]
                sas = self._sas(exp, "out")
                for label, frames, req in (
                        ("core-out", core, [None] * len(core)),
                        ("access-out", acc, [["esp", "udp", "l2tp", "ppp"] if sas[st.parse_esp_frame(f)[0]["spi"]].encrypts
                                             else ["esp"] for f in acc])):
                    if not frames:
                        continue
                    p = os.path.join(d, f"expected-{label}.pcap")
                    st.write_pcap(p, frames)
                    problems += harness.tshark_problems(p, env, req, f"{name} expected {label}")
                    rows = harness.tshark_rows(p, env, ["ip.checksum.status", "udp.checksum.status",
                                                        "tcp.checksum.status"])
                    for i, row in enumerate(rows):
                        for v in ",".join(row).split(","):
                            if v == "0":
                                problems.append(f"{name} expected {label}[{i}]: a bad checksum: {row}")
                gm = [f for f in acc if not sas[st.parse_esp_frame(f)[0]["spi"]].encrypts]
                if gm:
                    p = os.path.join(d, "expected-access-out-gmac.pcap")
                    st.write_pcap(p, harness.decap_frames(gm, sas))
                    problems += harness.tshark_problems(p, env, [["udp", "l2tp", "ppp"]] * len(gm),
                                                        f"{name} expected access-out (GMAC)")
                self.assertEqual(problems, [])

    def test_core_out_fields_by_tshark(self):
        """Fields of the expected core-out frames, read by tshark: inner TTL
        or hop limit is the SI's minus one, MSS clamped, MACs per contract."""
        d, exp, sc = Generated.get("v6_over_v4")
        env = harness.tshark_env(exp["sas"], d)
        p = os.path.join(d, "expected-core.pcap")
        st.write_pcap(p, [bytes.fromhex(e["frame"]) for e in exp["core_out"]])
        rows = harness.tshark_rows(p, env, ["eth.src", "eth.dst", "ip.ttl", "ipv6.hlim",
                                            "tcp.options.mss_val", "ipv6.dst"])
        sis = [fr for fr, e in frames_with_outcomes(d, exp, "access") if e["outcome"] == "forward"]
        self.assertEqual(len(rows), len(sis))
        for row in rows:
            self.assertEqual(row[0], "02:00:00:00:01:02")
            self.assertEqual(row[1], "02:00:00:00:01:53" if row[5] == "2001:db8:ff::53" else "02:00:00:00:01:01")
            self.assertEqual(row[2] or row[3], "63")
        mss = [r[4] for r in rows if r[4]]
        self.assertEqual(mss, ["1340", "1360", "536"])

    def test_decrypted_si_matches_expected_core_out(self):
        """Second decryption path: decrypt every SI frame with AESGCM by
        hand (and scapy for GCM), parse UDP/L2TP/PPP/inner with scapy, and
        check the forwarded ones against the expected core-out frames."""
        for name in SCENARIO_NAMES:
            if name == "multiworker":
                continue  # unordered; covered through the same code by the others
            with self.subTest(name):
                d, exp, _ = Generated.get(name)
                sas = self._sas(exp, "in")
                sessions = {(s.tunnel_id, s.session_id): s for s in Generated.get(name)[2].sessions}
                core = [bytes.fromhex(e["frame"]) for e in exp["core_out"]]
                k = 0
                for fr, e in frames_with_outcomes(d, exp, "access"):
                    parsed = st.parse_esp_frame(fr) if e["outcome"] == "forward" or e["outcome"] in (
                        "drop:auth_failed", "drop:bad_padding") else None
                    if parsed is None:
                        continue
                    info, esp = parsed
                    sa = sas[info["spi"]]
                    hi = int.from_bytes(esp[8:12], "big")
                    if e["outcome"] == "drop:auth_failed":
                        with self.assertRaises(Exception, msg=e["note"]):
                            st.esp_open_direct(sa, esp, hi)
                        continue
                    plain = st.esp_open_direct(sa, esp, hi)
                    if sa.encrypts:
                        ps = st.esp_open_scapy(sa, esp, hi)
                        self.assertEqual((ps.payload, ps.nh), (plain.payload, plain.nh))
                    if e["outcome"] == "drop:bad_padding":
                        self.assertNotEqual(plain.padding, bytes(range(1, len(plain.padding) + 1)))
                        continue
                    self.assertEqual(plain.padding, st.monotonic_padding(len(plain.payload)))
                    body = plain.payload
                    if sa.tunnel:
                        self.assertEqual(plain.nh, 4 if body[0] >> 4 == 4 else 41)
                        tip = IP(body) if body[0] >> 4 == 4 else IPv6(body)
                        body = bytes(tip.payload)
                    else:
                        self.assertEqual(plain.nh, 17)
                    self.assertEqual(struct.unpack("!H", body[2:4])[0], 1701)
                    self.assertEqual(struct.unpack("!H", body[4:6])[0], len(body))
                    l2, proto, inner = parse_l2tp_ppp(body[8:])
                    self.assertEqual(l2.version, 2)
                    s = sessions[(l2.tunnel_id, l2.session_id)]
                    self.assertIs(s.sa_in.spi, s.sa_in.spi)
                    self.assertEqual(s.sa_in.spi, sa.spi)
                    self.assertIn(proto, (0x21, 0x57))
                    want = core[k]
                    k += 1
                    self.assertEqual(want[14:], st.forward_transform(inner, s.mtu), e["note"])
                self.assertEqual(k, len(core))

    def test_truncation_frames(self):
        d, exp, _ = Generated.get("truncation")
        cuts = [e for e in exp["log"] if e["note"].startswith("cut at")]
        self.assertGreater(len(cuts), 300)
        for e in cuts:
            self.assertEqual(e["len"], int(e["note"].split()[-1]))


class Accounting(unittest.TestCase):
    """Counters add up: each input frame has exactly one outcome."""

    def check_accounting(self, name):
        d, exp, sc = Generated.get(name)
        stats = exp["stats"]
        outcomes = Counter(e["outcome"] for e in exp["log"])
        for port in ("access", "core"):
            frames = sum(len(st.read_pcap(os.path.join(d, n))) for n in exp["inputs"][port])
            self.assertEqual(frames, stats["ports"][port]["rx_packets"])
            self.assertEqual(frames, sum(1 for e in exp["log"] if e["port"] == port))
            self.assertEqual(sum(e["len"] for e in exp["log"] if e["port"] == port),
                             stats["ports"][port]["rx_bytes"])
        fwd_up = sum(1 for e in exp["log"] if e["port"] == "access" and e["outcome"] == "forward")
        fwd_down = sum(1 for e in exp["log"] if e["port"] == "core" and e["outcome"] == "forward")
        self.assertEqual(fwd_up, len(exp["core_out"]))
        self.assertEqual(fwd_down, len(exp["access_out"]))
        n_drop = sum(v for k, v in outcomes.items() if k.startswith("drop:"))
        n_amb = outcomes.get("ambiguous", 0)
        self.assertEqual(sum(stats["drops"].values()), n_drop)
        self.assertEqual(n_amb, sum(a["count"] for a in exp["ambiguous"]))
        self.assertEqual(sum(stats["punts"].values()),
                         sum(v for k, v in outcomes.items() if k.startswith("punt:")))
        self.assertEqual(sum(stats["neighbor"].values()),
                         sum(v for k, v in outcomes.items() if k.startswith("reply:")))
        self.assertEqual(len(exp["log"]), fwd_up + fwd_down + n_drop + n_amb +
                         sum(stats["punts"].values()) + sum(stats["neighbor"].values()))
        for r, v in stats["drops"].items():
            self.assertEqual(v, outcomes.get(f"drop:{r}", 0), r)
        self.assertEqual(stats["ports"]["core"]["tx_packets"],
                         len(exp["core_out"]) + len(exp["replies"]["core"]))
        self.assertEqual(stats["ports"]["access"]["tx_packets"],
                         len(exp["access_out"]) + len(exp["replies"]["access"]))
        up = sum(s["up_packets"] for s in stats["sessions"])
        down = sum(s["down_packets"] for s in stats["sessions"])
        self.assertEqual((up, down), (fwd_up, fwd_down))
        out_pk = sum(s["packets"] for s in stats["sas"] if s["direction"] == "out")
        self.assertEqual(out_pk, fwd_down)
        in_pk = sum(s["packets"] for s in stats["sas"] if s["direction"] == "in")
        self.assertGreaterEqual(in_pk, fwd_up)
        self.assertEqual(sum(s["spoofed"] for s in stats["sessions"]), stats["drops"]["spoofed_source"])
        self.assertEqual(sum(s["replay"] for s in stats["sas"]), stats["drops"]["replay"])
        return stats

    def test_demo(self):
        stats = self.check_accounting("demo")
        for r in ("spoofed_source", "replay", "auth_failed", "session_sa_mismatch", "no_route"):
            self.assertEqual(stats["drops"][r], 1, r)

    def test_all_scenarios(self):
        for name in SCENARIO_NAMES:
            with self.subTest(name):
                self.check_accounting(name)

    def test_every_reason_fires(self):
        """Across the scenarios, every drop reason that files can trigger
        and every punt kind is expected at least once."""
        seen = Counter()
        for name in SCENARIO_NAMES:
            _, exp, _ = Generated.get(name)
            seen.update({k: v for k, v in exp["stats"]["drops"].items() if v})
            seen.update({k: v for k, v in exp["stats"]["punts"].items() if v})
        untestable = {"tx_full", "handoff_full", "seq_exhausted", "no_buffer_space", "crypto_error",
                      "sa_deleted"}
        missing = [r for r in st.DROP_REASONS + st.PUNT_KINDS if r not in seen and r not in untestable]
        self.assertEqual(missing, [])

    def test_cli_demo_with_load(self):
        with tempfile.TemporaryDirectory() as d:
            r = subprocess.run([sys.executable, os.path.join(harness.ROOT, "scripts", "softwire_traffic.py"),
                                "demo", "--out", d, "--load", "300"], capture_output=True, text=True)
            self.assertEqual(r.returncode, 0, r.stderr)
            with open(os.path.join(d, "expected.json")) as f:
                exp = json.load(f)
            self.assertEqual(len(st.read_pcap(os.path.join(d, "si.pcap"))),
                             exp["stats"]["ports"]["access"]["rx_packets"])
            self.assertGreaterEqual(len(exp["core_out"]), 300)
            # A fake run: copy the expected outputs where softwire-dp would
            # write them; the checker must pass, and fail on one flipped bit.
            st.write_pcap(os.path.join(d, "core-out.pcap"), [bytes.fromhex(e["frame"]) for e in exp["core_out"]])
            st.write_pcap(os.path.join(d, "access-out.pcap"), [bytes.fromhex(e["frame"]) for e in exp["access_out"]])
            stats = json.loads(json.dumps(exp["stats"]))
            stats["mempool"]["size"] = 16383
            with open(os.path.join(d, "stats.json"), "w") as f:
                json.dump(stats, f)
            self.assertEqual(st.check_outputs(d), [])
            acc = st.read_pcap(os.path.join(d, "access-out.pcap"))
            acc[3] = acc[3][:-1] + bytes([acc[3][-1] ^ 1])
            st.write_pcap(os.path.join(d, "access-out.pcap"), acc)
            self.assertTrue(any("does not decrypt" in p for p in st.check_outputs(d)))

    def test_checker_multiworker_unordered(self):
        """The unordered checker accepts a shuffled, queue-split output and
        rejects a repeated sequence number."""
        d, exp, _ = Generated.get("multiworker")
        acc = [bytes.fromhex(e["frame"]) for e in exp["access_out"]]
        core = [bytes.fromhex(e["frame"]) for e in exp["core_out"]]
        by_spi = {}
        for f in acc:
            by_spi.setdefault(st.parse_esp_frame(f)[0]["spi"], []).append(f)
        q0 = [f for spi, fl in by_spi.items() if spi % 2 == 0 for f in fl]
        q1 = [f for spi, fl in by_spi.items() if spi % 2 == 1 for f in fl]
        self.assertEqual(st.check_access_out(exp, [q0, q1]), [])
        self.assertEqual(st.check_core_out(exp, [core[1::2], core[0::2]]), [])
        bad = [q0[1], q0[0]] + q0[2:]
        self.assertTrue(st.check_access_out(exp, [bad, q1]))


class HarnessOnFakeDp(harness.DpTestCase):
    """The whole harness (run, read outputs, tshark, stats) against
    fake_dp.py, which writes exactly the expectations: proves the checks
    pass on a perfect data plane, multi-queue splitting included."""
    dp = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fake_dp.py")

    def test_drops(self):
        self.run_scenario(st.scenario_drops())

    def test_natt(self):
        self.run_scenario(st.scenario_natt())

    def test_multiworker(self):
        self.run_scenario(st.scenario_multiworker())


class Configs(unittest.TestCase):
    def test_check_config(self):
        """softwire-check-config accepts every generated configuration."""
        if not _CC.check_config:
            self.skipTest("no --check-config given")
        for name in SCENARIO_NAMES:
            with self.subTest(name):
                d, _, _ = Generated.get(name)
                r = subprocess.run([_CC.check_config, "-c", os.path.join(d, "softwire.conf")],
                                   capture_output=True, text=True)
                self.assertEqual(r.returncode, 0, r.stdout + r.stderr)


if __name__ == "__main__":
    harness.main()
