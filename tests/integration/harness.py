"""Shared plumbing of the integration tests: command line, scratch
directories, running softwire-dp on generated pcaps, and tshark.

The tests run with Debian's /usr/bin/python3 (scapy, cryptography) and take

    --dp PATH        softwire-dp to test
    --cp PATH        softwire-cp (control-plane tests)
    --ctl PATH       softwire-ctl (control-plane tests)
    --scratch DIR    where scenarios are written (default: a fresh temp dir)
    --keep           keep the scratch directories of passing tests

Everything else on the command line goes to unittest.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "scripts"))

import softwire_traffic as st  # noqa: E402

_parser = argparse.ArgumentParser(add_help=False)
_parser.add_argument("--dp", default=os.environ.get("SOFTWIRE_DP"))
_parser.add_argument("--cp", default=os.environ.get("SOFTWIRE_CP"))
_parser.add_argument("--ctl", default=os.environ.get("SOFTWIRE_CTL"))
# The control-plane issue's add rate; 0 for sanitizer builds, whose
# instrumented binaries are several times slower (the rate is a property of
# the optimised build).
_parser.add_argument("--min-add-rate", type=float, default=50_000)
_parser.add_argument("--scratch", default=None)
_parser.add_argument("--keep", action="store_true")
ARGS, _REST = _parser.parse_known_args()

TSHARK = shutil.which("tshark")
ESP_GCM = "AES-GCM with 16 octet ICV [RFC4106]"


def main():
    unittest.main(argv=[sys.argv[0]] + _REST, verbosity=2)


def scratch(name: str) -> str:
    """A directory for one scenario run. Its path goes into net_pcap device
    strings, which cannot hold ',' or '='."""
    base = ARGS.scratch or os.environ.get("MESON_BUILD_ROOT")
    if base:
        base = os.path.join(os.path.abspath(base), "integration-scratch")
        os.makedirs(base, exist_ok=True)
    d = tempfile.mkdtemp(prefix=f"{name}-", dir=base)
    if "," in d or "=" in d:
        raise RuntimeError(f"scratch path {d} unusable in a net_pcap device string")
    return d


# ---------------------------------------------------------------------------
# tshark

def tshark_env(sas: list[dict], workdir: str) -> dict:
    """An environment whose Wireshark profile holds an esp_sa UAT entry per
    AES-GCM SA and enables ESP decryption. Wireshark 4.0 has no
    ENCR_NULL_AUTH_AES_GMAC and no ESN: GMAC SAs are not listed (their
    frames go through `decap_frames`), ESN SAs decrypt anyway because
    Wireshark does not verify the GCM ICV (it reports it unchecked)."""
    cfg = os.path.join(workdir, "wireshark-cfg")
    os.makedirs(os.path.join(cfg, "wireshark"), exist_ok=True)
    lines = []
    for sa in sas:
        if "gcm" not in sa["proposal"]:
            continue
        fam = "IPv6" if ":" in sa["local"] else "IPv4"
        src, dst = (sa["remote"], sa["local"]) if sa["direction"] == "in" else (sa["local"], sa["remote"])
        lines.append(f'"{fam}","{src}","{dst}","0x{sa["spi"]:08x}","{ESP_GCM}","0x{sa["key"]}","NULL",""')
    with open(os.path.join(cfg, "wireshark", "esp_sa"), "w") as f:
        f.write("\n".join(lines) + "\n")
    with open(os.path.join(cfg, "wireshark", "preferences"), "w") as f:
        f.write("esp.enable_encryption_decode: TRUE\nip.check_checksum: TRUE\n"
                "udp.check_checksum: TRUE\ntcp.check_checksum: TRUE\n")
    env = dict(os.environ)
    env["XDG_CONFIG_HOME"] = cfg
    env["HOME"] = cfg
    return env


def tshark_rows(pcap: str, env: dict, fields: list[str]) -> list[list[str]]:
    """One row per frame with the requested fields (tab separated)."""
    cmd = [TSHARK, "-n", "-r", pcap, "-T", "fields", "-E", "occurrence=a", "-E", "aggregator=,"]
    for f in fields:
        cmd += ["-e", f]
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True).stdout
    return [line.split("\t") for line in out.splitlines()]


def tshark_verbose(pcap: str, env: dict) -> str:
    return subprocess.run([TSHARK, "-n", "-r", pcap, "-V"], env=env, capture_output=True,
                          text=True, check=True).stdout


def tshark_problems(pcap: str, env: dict, required: list[list[str] | None],
                    what: str) -> list[str]:
    """Decode `pcap` with tshark: no frame may be malformed or carry an
    expert error, and frame i's protocol chain must contain required[i] in
    order (None: no requirement)."""
    problems = []
    rows = tshark_rows(pcap, env, ["frame.number", "frame.protocols", "_ws.expert.severity",
                                   "_ws.malformed", "_ws.expert.message"])
    if len(rows) != len(required):
        problems.append(f"{what}: tshark read {len(rows)} frames, expected {len(required)}")
    for row, req in zip(rows, required):
        row += [""] * (5 - len(row))
        num, protos, sev, malformed, msg = row[:5]
        sevs = [int(s) for s in sev.split(",") if s]
        if malformed or "malformed" in protos:
            problems.append(f"{what} frame {num}: tshark: malformed ({protos})")
        if any(s >= 0x800000 for s in sevs):
            problems.append(f"{what} frame {num}: tshark expert error: {msg} ({protos})")
        if req is not None:
            chain = protos.split(":")
            pos = 0
            for p in req:
                try:
                    pos = chain.index(p, pos) + 1
                except ValueError:
                    problems.append(f"{what} frame {num}: tshark sees {protos}, wants {':'.join(req)}")
                    break
    return problems


def decap_frames(frames: list[bytes], sas: dict[int, st.Sa]) -> list[bytes]:
    """Decrypted views of ESP frames for tshark, by our second decryption
    path (AESGCM directly): the outer IPv4/IPv6 header followed by the ESP
    payload (protocol = next header), as a transport-mode receiver sees it
    after removing ESP; tunnel mode yields the inner IP packet."""
    out = []
    for fr in frames:
        parsed = st.parse_esp_frame(fr)
        info, esp = parsed
        sa = sas[info["spi"]]
        hi = 0
        if sa.esn:
            hi = int.from_bytes(esp[8:12], "big") if sa.direction == "out" else sa_hint_hi(sa, esp)
        plain = st.esp_open_direct(sa, esp, hi)
        if sa.tunnel:
            ip = plain.payload
        else:
            ip = st.ip_header_for(info["src"], info["dst"], plain.nh, plain.payload,
                                  ttl=64, df=True)
        eth = fr[:12] + (b"\x08\x00" if ip[0] >> 4 == 4 else b"\x86\xdd")
        out.append(eth + ip)
    return out


def sa_hint_hi(sa: st.Sa, esp: bytes) -> int:
    """The generator writes IV = 64-bit sequence number, so the IV tells the
    high half for SI-side frames too."""
    return int.from_bytes(esp[8:12], "big")


def protocol_chain(inner: bytes, tunnel: bool = False) -> list[str]:
    fam = "ip" if inner[0] >> 4 == 4 else "ipv6"
    return ["esp", "udp", "l2tp", "ppp", fam]


# ---------------------------------------------------------------------------
# Running softwire-dp

def eal_args(prefix: str, workers: list[int]) -> list[str]:
    if len(workers) > 1:
        lc = ["--lcores", "0@0," + ",".join(f"{w}@1" for w in workers)]
    else:
        lc = ["-l", "0," + ",".join(str(w) for w in workers)]
    return ["--no-huge", "-m", "1024", "--no-shconf", "--file-prefix", prefix, "--no-pci",
            *lc, "--log-level=*:warning"]


def run_dp(dp: str, out_dir: str, workers: list[int], run_for: float = 2) -> subprocess.CompletedProcess:
    prefix = f"swit{os.getpid()}_{os.path.basename(out_dir)}".replace("-", "_")[:40]
    cmd = [dp, "-c", os.path.join(out_dir, "softwire.conf"), "--run-for", str(run_for),
           "--stats-json", os.path.join(out_dir, "stats.json"), "--", *eal_args(prefix, workers)]
    with open(os.path.join(out_dir, "cmd.txt"), "w") as f:
        f.write(" ".join(cmd) + "\n")
    return subprocess.run(cmd, cwd=out_dir, capture_output=True, text=True, timeout=120)


class DpTestCase(unittest.TestCase):
    """Base for tests that run softwire-dp on a scenario."""

    maxDiff = None

    dp = None  # subclasses may fix it (test_generator uses fake_dp.py)

    def setUp(self):
        if self.dp is None:
            if not ARGS.dp:
                self.skipTest("no --dp given")
            self.dp = ARGS.dp
        if not os.access(self.dp, os.X_OK):
            self.fail(f"--dp {self.dp} is not executable")

    def run_scenario(self, sc: st.Scenario, tshark: bool = True) -> tuple[str, dict]:
        d = scratch(sc.name)
        exp = sc.write(d)
        r = run_dp(self.dp, d, sc.workers)
        with open(os.path.join(d, "dp.log"), "w") as f:
            f.write(r.stdout + "\n--- stderr ---\n" + r.stderr)
        self.assertEqual(r.returncode, 0, f"softwire-dp exited {r.returncode} in {d}:\n{r.stderr[-3000:]}")
        problems = st.check_outputs(d)
        if tshark and TSHARK:
            problems += self.tshark_outputs(d, exp)
        if problems:
            self.fail(f"{sc.name} ({d}): {len(problems)} problems:\n" + "\n".join(problems[:40]))
        if not ARGS.keep:
            shutil.rmtree(d, ignore_errors=True)
        return d, exp

    def tshark_outputs(self, d: str, exp: dict) -> list[str]:
        """tshark must decode every output frame cleanly; ESP frames must
        show ESP/UDP/L2TP/PPP/inner IP after decryption (tshark's own for
        GCM, our AESGCM path then tshark for GMAC)."""
        problems = []
        env = tshark_env(exp["sas"], d)
        sas = {s["spi"]: st.sa_from_desc(s) for s in exp["sas"] if s["direction"] == "out"}
        for name in exp["outputs"]["access"]:
            path = os.path.join(d, name)
            if not os.path.exists(path):
                continue
            frames = st.read_pcap(path)
            req, gmac = [], []
            for fr in frames:
                parsed = st.parse_esp_frame(fr)
                if parsed is None or parsed[0]["spi"] not in sas:
                    req.append(None)
                    continue
                sa = sas[parsed[0]["spi"]]
                if sa.encrypts:
                    req.append(["esp", "udp", "l2tp", "ppp"])
                else:
                    req.append(["esp"])
                    gmac.append(fr)
            problems += tshark_problems(path, env, req, name)
            if gmac:
                dec = os.path.join(d, name + ".gmac-decrypted.pcap")
                st.write_pcap(dec, decap_frames(gmac, sas))
                problems += tshark_problems(dec, env, [["udp", "l2tp", "ppp"]] * len(gmac),
                                            name + " (GMAC, decrypted by AESGCM)")
        for name in exp["outputs"]["core"]:
            path = os.path.join(d, name)
            if os.path.exists(path):
                problems += tshark_problems(path, env, [None] * len(st.read_pcap(path)), name)
        return problems
