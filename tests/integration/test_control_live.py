"""The control-plane issue's tests, live: softwire-dp on net_af_packet in a
network namespace, softwire-cp and softwire-ctl beside it, and a pump that
sends scapy-made softwire traffic at a fixed rate while the tests add
sessions, kill and restart either process, rekey and flood the punt path.

1. 100,000 sessions added while traffic flows: established sessions lose
   nothing; the control plane sustains >= 50,000 adds/s.
2. kill -9 of the control plane under traffic: zero loss; the restarted
   control plane reconciles; no session lost or duplicated.
3. Data-plane restart: the control plane replays everything; traffic resumes.
4. Make-before-break rekey under traffic: nothing lost, no replay drops.
5. LCP Echo-Request -> Echo-Reply, decrypted and decoded by scapy.
6. A punt flood from one SI is policed and counted; another SI's data and
   LCP echoes are unaffected.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import softwire_live as live  # noqa: E402
import softwire_traffic as st  # noqa: E402
from scapy.all import IP, UDP, Raw  # noqa: E402
from scapy.layers.ppp import PPP, PPP_LCP_Echo  # noqa: E402

ARGS = harness.ARGS
LCP = 0xC021


def inner_up(session_prefix_host: str, i: int, size: int = 64):
    return IP(src=session_prefix_host, dst="203.0.113.99") / UDP(sport=1024 + i % 50000,
                                                                  dport=9) / Raw(bytes(size))


def inner_down(host: str, i: int, size: int = 64):
    return IP(src="203.0.113.99", dst=host) / UDP(sport=9, dport=1024 + i % 50000) / Raw(
        i.to_bytes(4, "big") + bytes(size - 4))


def lcp_echo_request(ident: int, magic: int = 0x01020304, data: bytes = b"ping") -> bytes:
    return bytes(PPP_LCP_Echo(code=9, id=ident, magic_number=magic, data=data))


class LiveSc:
    """One test's namespace, processes and scratch directory."""

    def __init__(self, test: unittest.TestCase, name: str, sc: st.Scenario, *,
                 dataplane_extra: str = "", control_extra: str = ""):
        self.test = test
        self.sc = sc
        self.dir = harness.scratch(name)
        self.instance = f"{name[:12]}{os.getpid()}"
        self.socket = os.path.join(self.dir, "cp.sock")
        self.ns = live.Netns(name[:6])
        self.ns.link("swacc", "genacc", sc.access.mac, sc.access.gateway_mac)
        self.ns.link("swcore", "gencore", sc.core.mac, sc.core.gateway_mac)
        eal = ["--no-huge", "-m", "1024", "--no-pci", "-l", "0,1", "--file-prefix", self.instance,
               "--log-level", "*:warning"]
        control = (f'control = {{ socket = "{self.socket}"; {control_extra} }};')
        self.conf = os.path.join(self.dir, "softwire.conf")
        with open(self.conf, "w") as f:
            f.write(sc.config_text(self.dir, eal, instance=self.instance,
                                   devices={"access": "net_af_packet0,iface=swacc",
                                            "core": "net_af_packet1,iface=swcore"},
                                   dataplane_extra=dataplane_extra, extra=control))
        self.dp = None
        self.cp = None
        self.dp_runs = 0
        self.cp_runs = 0

    # ---- processes ------------------------------------------------------
    def start_dp(self):
        before = live.segment_generation(self.instance)
        self.dp_runs += 1
        self.dp = live.Process([ARGS.dp, "-c", self.conf, "--stats-json",
                                os.path.join(self.dir, f"dp-stats-{self.dp_runs}.json")],
                               os.path.join(self.dir, f"dp-{self.dp_runs}.log"), self.ns)
        live.wait_for(lambda: (not self.dp.alive()) or
                      (live.segment_generation(self.instance) not in (None, before)),
                      live.WAIT_SECONDS, "softwire-dp's shared memory")
        self.test.assertTrue(self.dp.alive(), self.dp.output())

    def stop_dp(self):
        rc = self.dp.stop()
        self.test.assertEqual(rc, 0, "softwire-dp exit status\n" + self.dp.output())

    def start_cp(self):
        self.cp_runs += 1
        self.cp = live.Process([ARGS.cp, "-c", self.conf],
                               os.path.join(self.dir, f"cp-{self.cp_runs}.log"))

    def close(self):
        try:
            if self.cp is not None and self.cp.alive():
                self.cp.stop()
            if self.dp is not None and self.dp.alive():
                self.stop_dp()
        finally:
            self.ns.close()

    # ---- softwire-ctl ---------------------------------------------------
    def ctl(self, *args, check: bool = True, stdin: str | None = None) -> dict:
        r = subprocess.run([ARGS.ctl, "-s", self.socket, "--json", *args], capture_output=True,
                           text=True, input=stdin, timeout=120)
        if check and r.returncode != 0:
            self.test.fail(f"softwire-ctl {' '.join(args)}: exit {r.returncode}\n"
                           f"{r.stdout}\n{r.stderr}\ncp log:\n{self.cp.output()[-3000:]}")
        return json.loads(r.stdout) if r.stdout.strip() else {}

    def status(self) -> dict | None:
        """None while softwire-cp does not answer (yet): callers poll."""
        try:
            r = subprocess.run([ARGS.ctl, "-s", self.socket, "--json", "show", "status"],
                               capture_output=True, text=True, timeout=live.WAIT_SECONDS)
        except subprocess.TimeoutExpired:
            return None
        return json.loads(r.stdout) if r.returncode == 0 else None

    def wait_synced(self, sessions: int, timeout: float = 60) -> dict:
        def synced():
            s = self.status()
            if s and s.get("connected") and s.get("synced") and s.get("pending", 1) == 0 \
                    and s.get("sessions", {}).get("active") == sessions:
                return s
            return None
        try:
            return live.wait_for(synced, timeout, f"softwire-cp in sync with {sessions} sessions",
                                 0.05)
        except TimeoutError:
            self.test.fail(f"not in sync: {self.status()}\ncp log:\n{self.cp.output()[-3000:]}")

    def counters(self) -> dict:
        return self.ctl("show", "counters")

    # ---- traffic --------------------------------------------------------
    def pcap(self, name: str, frames: list[bytes]) -> str:
        path = os.path.join(self.dir, name)
        st.write_pcap(path, frames)
        return path

    def pump(self, sends, captures, gate=None, linger=1.0):
        return live.pump(self.ns, self.dir, sends, captures, gate, linger)


def dp_drops(counters: dict) -> dict:
    return {k: v for k, v in counters["dataplane"]["drops"].items() if v}


def decrypt_all(frames: list[bytes], sas: dict[int, st.Sa]) -> list[tuple[int, int, bytes]]:
    """(spi, seq, plaintext payload) of every ESP frame, via scapy."""
    out = []
    for fr in frames:
        parsed = st.parse_esp_frame(fr)
        assert parsed is not None, fr.hex()
        info, esp = parsed
        plain = st.esp_open_scapy(sas[info["spi"]], esp)
        out.append((info["spi"], info["seq"], plain.payload))
    return out


def read_frames(path: str) -> list[bytes]:
    return live_pcap(path)


def live_pcap(path: str) -> list[bytes]:
    sys.path.insert(0, os.path.dirname(live.PUMP))
    import softwire_pump as pump
    return pump.read_pcap(path)


class ControlPlaneLive(unittest.TestCase):
    def setUp(self):
        for tool in ("dp", "cp", "ctl"):
            if not getattr(ARGS, tool):
                self.fail(f"--{tool} is required")
        if os.geteuid() != 0:
            self.fail("these tests create network namespaces: run as root")

    def two_si_scenario(self, name: str) -> tuple[st.Scenario, list]:
        sc = st.Scenario(name)
        si1 = sc.add_si("si1", "192.0.2.10", spi_in=0x1001, spi_out=0x2001)
        si2 = sc.add_si("si2", "192.0.2.20", spi_in=0x1002, spi_out=0x2002, nat_t=True,
                        remote_port=40001)
        alice = sc.add_session(si1, "alice@example.net", 10, 20, ["100.64.0.0/30"])
        bob = sc.add_session(si2, "bob@example.net", 11, 21, ["100.64.0.4/30"])
        return sc, [si1, si2, alice, bob]

    def traffic(self, sc: st.Scenario, sessions: list[tuple], count: int, tag: str):
        """`count` upstream and downstream packets per session, interleaved;
        returns (upstream frames, downstream frames)."""
        up_start, down_start = len(sc.access.rx[0]), len(sc.core.rx[0])
        for i in range(count):
            for s, host in sessions:
                sc.up(s, inner_up(host, i), expect="forward", note=f"{tag} up {i}", fast=True)
                sc.down(inner_down(host, i), expect="forward", note=f"{tag} down {i}", fast=True)
        return sc.access.rx[0][up_start:], sc.core.rx[0][down_start:]

    def assert_no_loss(self, summary: dict, up: list, down: list, lv: LiveSc, what: str):
        self.assertEqual(summary["captured"].get("gencore"), len(up),
                         f"{what}: upstream packets out of the core port")
        self.assertEqual(summary["captured"].get("genacc"), len(down),
                         f"{what}: downstream packets out of the access port")

    # -- 2 -------------------------------------------------------------------
    def test_2_kill_cp_under_traffic(self):
        sc, (si1, si2, alice, bob) = self.two_si_scenario("killcp")
        lv = LiveSc(self, "killcp", sc)
        try:
            lv.start_dp()
            lv.start_cp()
            lv.wait_synced(2)
            up, down = self.traffic(sc, [(alice, "100.64.0.1"), (bob, "100.64.0.5")], 1500,
                                    "kill")
            p, summary = lv.pump([("genacc", lv.pcap("up.pcap", up), 1500),
                                  ("gencore", lv.pcap("down.pcap", down), 1500)],
                                 [("gencore", os.path.join(lv.dir, "core-out.pcap")),
                                  ("genacc", os.path.join(lv.dir, "access-out.pcap"))])
            time.sleep(0.5)
            self.assertNotEqual(lv.cp.kill9(), 0)
            time.sleep(0.5)
            lv.start_cp()
            status = lv.wait_synced(2)
            self.assertGreaterEqual(status.get("reconciles", 1), 1)
            result = live.finish_pump(p, summary)
            self.assert_no_loss(result, up, down, lv, "kill -9 of softwire-cp")
            sessions = lv.ctl("show", "sessions")["sessions"]
            self.assertEqual(sorted(s["identity"] for s in sessions),
                             ["alice@example.net", "bob@example.net"])
            counters = lv.counters()
            self.assertEqual(counters["dataplane"]["sessions_in_use"], 2)
            self.assertEqual(dp_drops(counters), {})
            # Byte-exact downstream output, in order, as the model says.
            out = live_pcap(os.path.join(lv.dir, "access-out.pcap"))
            self.assertEqual([bytes.fromhex(e["frame"]) for e in sc.access_out], out)
        finally:
            lv.close()

    # -- 1 -------------------------------------------------------------------
    def test_1_add_100k_sessions_under_traffic(self):
        sc, (si1, si2, alice, bob) = self.two_si_scenario("bulkadd")
        lv = LiveSc(self, "bulkadd", sc, dataplane_extra="max_sessions = 131072;")
        try:
            lv.start_dp()
            lv.start_cp()
            lv.wait_synced(2)
            # A third SI whose SAs carry all the new sessions.
            si3 = st.Si("si3", "192.0.2.30",
                        st.Sa(spi=0x1003, direction="in", local="198.51.100.1",
                              remote="192.0.2.30"),
                        st.Sa(spi=0x2003, direction="out", local="198.51.100.1",
                              remote="192.0.2.30"))
            lines = []
            for sa in (si3.sa_in, si3.sa_out):
                key = os.path.join(lv.dir, f"key-{sa.spi:x}")
                with open(key, "w") as f:
                    f.write(sa.key.hex() + "\n")
                os.chmod(key, 0o600)
                lines.append(f"sa add spi={sa.spi:#x} direction={sa.direction} local={sa.local} "
                             f"remote={sa.remote} proposal={sa.proposal} key=@{key}")
            count = 100_000
            for i in range(count):
                host = f"10.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}"
                lines.append(f"session add identity=user{i}@bulk.example sa_in={si3.sa_in.spi:#x} "
                             f"sa_out={si3.sa_out.spi:#x} tunnel_id={100 + i // 60000} "
                             f"session_id={1 + i % 60000} peer_tunnel_id=7 "
                             f"peer_session_id={1 + i % 60000} prefixes={host}/32 mtu=1400")
            batch = os.path.join(lv.dir, "bulk.txt")
            with open(batch, "w") as f:
                f.write("\n".join(lines) + "\n")
            up, down = self.traffic(sc, [(alice, "100.64.0.1"), (bob, "100.64.0.5")], 2500,
                                    "bulk")
            p, summary = lv.pump([("genacc", lv.pcap("up.pcap", up), 2000),
                                  ("gencore", lv.pcap("down.pcap", down), 2000)],
                                 [("gencore", os.path.join(lv.dir, "core-out.pcap")),
                                  ("genacc", os.path.join(lv.dir, "access-out.pcap"))])
            time.sleep(0.3)
            result = lv.ctl("batch", batch)
            live.log("batch:", json.dumps(result))
            self.assertEqual(result["failed"], 0, result)
            self.assertEqual(result["ok"], count + 2)
            self.assertGreaterEqual(result["adds_per_second"], ARGS.min_add_rate,
                                    f"the control plane must sustain {ARGS.min_add_rate:.0f} adds/s")
            pumped = live.finish_pump(p, summary)
            self.assert_no_loss(pumped, up, down, lv, "adding 100,000 sessions")
            lv.wait_synced(count + 2)
            counters = lv.counters()
            self.assertEqual(counters["dataplane"]["sessions_in_use"], count + 2)
            self.assertEqual(dp_drops(counters), {})
            out = live_pcap(os.path.join(lv.dir, "access-out.pcap"))
            self.assertEqual([bytes.fromhex(e["frame"]) for e in sc.access_out], out)
        finally:
            lv.close()

    # -- 3 -------------------------------------------------------------------
    def test_3_restart_dp(self):
        sc, (si1, si2, alice, bob) = self.two_si_scenario("restartdp")
        lv = LiveSc(self, "restartdp", sc)
        try:
            lv.start_dp()
            lv.start_cp()
            first = lv.wait_synced(2)
            up, down = self.traffic(sc, [(alice, "100.64.0.1"), (bob, "100.64.0.5")], 500, "one")
            p, summary = lv.pump([("genacc", lv.pcap("up1.pcap", up), 2000),
                                  ("gencore", lv.pcap("down1.pcap", down), 2000)],
                                 [("gencore", os.path.join(lv.dir, "core-out1.pcap")),
                                  ("genacc", os.path.join(lv.dir, "access-out1.pcap"))])
            self.assert_no_loss(live.finish_pump(p, summary), up, down, lv, "before the restart")
            time.sleep(0.3)  # one stats period: the cp has seen the last sequence numbers
            lv.stop_dp()
            lv.start_dp()
            second = lv.wait_synced(2)
            self.assertNotEqual(first["generation"], second["generation"])
            self.assertGreaterEqual(second["replays"], 1)
            up, down = self.traffic(sc, [(alice, "100.64.0.1"), (bob, "100.64.0.5")], 500, "two")
            p, summary = lv.pump([("genacc", lv.pcap("up2.pcap", up), 2000),
                                  ("gencore", lv.pcap("down2.pcap", down), 2000)],
                                 [("gencore", os.path.join(lv.dir, "core-out2.pcap")),
                                  ("genacc", os.path.join(lv.dir, "access-out2.pcap"))])
            self.assert_no_loss(live.finish_pump(p, summary), up, down, lv, "after the restart")
            self.assertEqual(dp_drops(lv.counters()), {})
            # Outbound sequence numbers continue past the ones sent before the
            # restart, so the SIs' anti-replay accepts them.
            sas = {sa.spi: sa for sa in sc.sas}
            before = decrypt_all(live_pcap(os.path.join(lv.dir, "access-out1.pcap")), sas)
            after = decrypt_all(live_pcap(os.path.join(lv.dir, "access-out2.pcap")), sas)
            for spi in (si1.sa_out.spi, si2.sa_out.spi):
                last = max(seq for s, seq, _ in before if s == spi)
                seqs = [seq for s, seq, _ in after if s == spi]
                self.assertEqual(len(seqs), 500)
                self.assertGreater(min(seqs), last, f"SA {spi:#x} reused sequence numbers")
                self.assertEqual(seqs, sorted(seqs))
            # And the new windows still refuse what was accepted before.
            stale = [sc.up(alice, inner_up("100.64.0.1", 1), seq=1, dry=True, fast=True)]
            p, summary = lv.pump([("genacc", lv.pcap("stale.pcap", stale), 100)], [])
            live.finish_pump(p, summary)
            live.wait_for(lambda: lv.counters()["dataplane"]["drops"].get("replay") == 1,
                          live.WAIT_SECONDS, "the replayed packet dropped as replay")
        finally:
            lv.close()

    # -- 4 -------------------------------------------------------------------
    def test_4_make_before_break_rekey(self):
        sc, (si1, si2, alice, bob) = self.two_si_scenario("rekey")
        # The grace time must outlast the late old-SA packets sent just after
        # the rekey (0.2 s at the pump's rate), even on a loaded machine.
        lv = LiveSc(self, "rekey", sc, control_extra="rekey_grace = 3;")
        try:
            lv.start_dp()
            lv.start_cp()
            lv.wait_synced(2)
            new_in = st.Sa(spi=0x1101, direction="in", local="198.51.100.1", remote="192.0.2.10")
            new_out = st.Sa(spi=0x2101, direction="out", local="198.51.100.1",
                            remote="192.0.2.10")
            for sa in (new_in, new_out):
                key = os.path.join(lv.dir, f"key-{sa.spi:x}")
                with open(key, "w") as f:
                    f.write(sa.key.hex() + "\n")
                os.chmod(key, 0o600)
                lv.ctl("sa", "add", f"spi={sa.spi:#x}", f"direction={sa.direction}",
                       f"local={sa.local}", f"remote={sa.remote}", f"proposal={sa.proposal}",
                       f"key=@{key}")
            # Upstream: 600 packets on the old SA, then (after the rekey) a mix
            # of 100 late old-SA packets and the new SA, then the new SA only.
            host = "100.64.0.1"
            up = [sc.up(alice, inner_up(host, i), seq=1 + i, dry=True, fast=True) for i in range(600)]
            mixed = []
            for i in range(600):
                if i < 200 and i % 2 == 0:
                    mixed.append(sc.up(alice, inner_up(host, 600 + i // 2), seq=601 + i // 2,
                                       dry=True, fast=True))
                mixed.append(sc.up(alice, inner_up(host, 1000 + i), sa=new_in, seq=1 + i,
                                   dry=True, fast=True))
            up_frames = up + mixed
            gate = os.path.join(lv.dir, "rekeyed")
            up_pcap = lv.pcap("up.pcap", up_frames)
            live.write_gates(up_pcap, [len(up)])
            down = [sc.down(inner_down(host, i), note=f"rekey down {i}", fast=True) for i in range(2400)]
            # Downstream flows through the rekey (0.6 s + a softwire-ctl run
            # in); if the rekey takes longer than 1.8 s (a loaded machine),
            # the last 600 wait for it, so that some always use the new SA.
            down_pcap = lv.pcap("down.pcap", down)
            live.write_gates(down_pcap, [1800])
            p, summary = lv.pump([("genacc", up_pcap, 1000),
                                  ("gencore", down_pcap, 1000)],
                                 [("gencore", os.path.join(lv.dir, "core-out.pcap")),
                                  ("genacc", os.path.join(lv.dir, "access-out.pcap"))],
                                 gate=gate)
            time.sleep(0.6)
            lv.ctl("session", "rekey", "alice@example.net", f"sa_in={new_in.spi:#x}",
                   f"sa_out={new_out.spi:#x}")
            open(gate + ".1", "w").close()
            result = live.finish_pump(p, summary)
            self.assertEqual(result["captured"].get("gencore"), len(up_frames))
            self.assertEqual(result["captured"].get("genacc"), len(down))
            counters = lv.counters()
            self.assertEqual(dp_drops(counters), {})
            # Downstream: every packet exactly once and in order; each SPI's
            # sequence numbers contiguous from 1; the switch happens once.
            sas = {sa.spi: sa for sa in sc.sas}
            sas[new_out.spi] = new_out
            plain = decrypt_all(live_pcap(os.path.join(lv.dir, "access-out.pcap")), sas)
            spis = [spi for spi, _, _ in plain]
            switch = spis.index(new_out.spi)
            self.assertTrue(all(s == si1.sa_out.spi for s in spis[:switch]))
            self.assertTrue(all(s == new_out.spi for s in spis[switch:]))
            self.assertEqual([seq for _, seq, _ in plain[:switch]], list(range(1, switch + 1)))
            self.assertEqual([seq for _, seq, _ in plain[switch:]],
                             list(range(1, len(plain) - switch + 1)))
            # The inner packets' running numbers (UDP 8 + L2TP 6 + PPP 4 +
            # inner IPv4 20 + inner UDP 8 bytes in): all of them, in order.
            self.assertEqual([int.from_bytes(pl[46:50], "big") for _, _, pl in plain],
                             list(range(len(down))))
            # After the grace time the old SAs are gone.
            live.wait_for(lambda: {s["spi"] for s in lv.ctl("show", "sas")["sas"]}.isdisjoint(
                {si1.sa_in.spi, si1.sa_out.spi}), live.WAIT_SECONDS,
                "the old SAs deleted after the grace time")
        finally:
            lv.close()

    # -- 5 -------------------------------------------------------------------
    def test_5_lcp_echo(self):
        sc, (si1, si2, alice, bob) = self.two_si_scenario("lcpecho")
        lv = LiveSc(self, "lcpecho", sc)
        try:
            lv.start_dp()
            lv.start_cp()
            lv.wait_synced(2)
            frames = [sc.up(alice, lcp_echo_request(7, data=b"are you there?"), ppp_proto=LCP,
                            expect="punt:ppp_control", fast=True),
                      sc.up(bob, lcp_echo_request(9, data=b""), ppp_proto=LCP,
                            expect="punt:ppp_control", fast=True)]
            p, summary = lv.pump([("genacc", lv.pcap("echo.pcap", frames), 100)],
                                 [("genacc", os.path.join(lv.dir, "replies.pcap"))], linger=2)
            self.assertEqual(live.finish_pump(p, summary)["captured"].get("genacc"), 2)
            sas = {sa.spi: sa for sa in sc.sas}
            replies = live_pcap(os.path.join(lv.dir, "replies.pcap"))
            for fr, (s, ident, data) in zip(replies, [(alice, 7, b"are you there?"),
                                                     (bob, 9, b"")]):
                info, esp = st.parse_esp_frame(fr)
                self.assertEqual(info["spi"], s.sa_out.spi)
                self.assertEqual(info["dst"], s.sa_out.remote)
                plain = st.esp_open_scapy(sas[info["spi"]], esp)
                self.assertEqual(plain.nh, 17)
                udp = UDP(plain.payload)
                self.assertEqual((udp.sport, udp.dport), (1701, s.peer_port))
                l2tp = bytes(udp.payload)
                # L2TP data header without options: flags/version, tunnel, session.
                self.assertEqual(l2tp[:6], bytes([0x00, 0x02]) + s.peer_tunnel_id.to_bytes(2, "big")
                                 + s.peer_session_id.to_bytes(2, "big"))
                ppp = PPP(l2tp[6:])
                self.assertEqual(bytes(ppp)[:4], bytes([0xFF, 0x03, 0xC0, 0x21]))
                echo = ppp[PPP_LCP_Echo]
                self.assertEqual(echo.code, 10)
                self.assertEqual(echo.id, ident)
                self.assertEqual(bytes(echo.data), data)
                self.assertEqual(echo.len, 8 + len(data))
            counters = lv.counters()
            self.assertEqual(counters["dataplane"]["punts"]["ppp_control"], 2)
            self.assertEqual(counters["controlplane"]["lcp_echo_replies"], 2)
        finally:
            lv.close()

    # -- 6 -------------------------------------------------------------------
    def test_6_punt_flood_is_policed_per_peer(self):
        sc, (si1, si2, alice, bob) = self.two_si_scenario("puntflood")
        rate, burst = 50, 10
        lv = LiveSc(self, "puntflood", sc,
                    control_extra=f"punt_rate_per_peer = {rate}; punt_burst_per_peer = {burst};")
        try:
            lv.start_dp()
            lv.start_cp()
            lv.wait_synced(2)
            flood = [sc.up(alice, lcp_echo_request(i & 255), ppp_proto=LCP, fast=True) for i in range(3000)]
            bob_frames = []
            for i in range(600):
                bob_frames.append(sc.up(bob, inner_up("100.64.0.5", i), fast=True))
                if i % 30 == 0:
                    bob_frames.append(sc.up(bob, lcp_echo_request(i // 30), ppp_proto=LCP, fast=True))
            bob_down = [sc.down(inner_down("100.64.0.5", i), fast=True) for i in range(600)]
            p, summary = lv.pump([("genacc", lv.pcap("flood.pcap", flood), 2000),
                                  ("genacc", lv.pcap("bob.pcap", bob_frames), 400),
                                  ("gencore", lv.pcap("bob-down.pcap", bob_down), 400)],
                                 [("gencore", os.path.join(lv.dir, "core-out.pcap")),
                                  ("genacc", os.path.join(lv.dir, "access-out.pcap"))], linger=2)
            result = live.finish_pump(p, summary)
            seconds = max(r["seconds"] for r in result["sent"]["genacc"].values())
            self.assertEqual(result["captured"].get("gencore"), 600, "bob's data upstream")
            sas = {sa.spi: sa for sa in sc.sas}
            out = decrypt_all(live_pcap(os.path.join(lv.dir, "access-out.pcap")), sas)
            bob_out = [pl for spi, _, pl in out if spi == bob.sa_out.spi]
            alice_replies = [pl for spi, _, pl in out if spi == alice.sa_out.spi]
            bob_replies = [pl for pl in bob_out if len(pl) > 14 and pl[14:18] == b"\xff\x03\xc0\x21"]
            self.assertEqual(len(bob_replies), 20, "every one of bob's LCP echoes answered")
            self.assertEqual(len(bob_out) - len(bob_replies), 600, "bob's data downstream")
            allowed = burst + rate * (seconds + 2)
            self.assertGreater(len(alice_replies), 0)
            self.assertLessEqual(len(alice_replies), allowed)
            counters = lv.counters()
            workers = counters["dataplane"]["workers"]
            policed = sum(w["punt_policed_peer"] for w in workers)
            self.assertEqual(policed, 3000 - len(alice_replies))
            self.assertEqual(sum(w["punt_policed_global"] for w in workers), 0)
            self.assertEqual(dp_drops(counters), {})
        finally:
            lv.close()

    # -- metrics issue: capture of dropped packets ---------------------------
    def test_capture_drops_to_pcapng(self):
        sc, (si1, si2, alice, bob) = self.two_si_scenario("capture")
        lv = LiveSc(self, "capture", sc)
        try:
            lv.start_dp()
            lv.start_cp()
            lv.wait_synced(2)
            out = os.path.join(lv.dir, "drops.pcapng")
            # --identity needs the session in the data plane's statistics,
            # which softwire-cp looks for during 0.3 s only: wait until they
            # show it (a loaded machine may publish them later).
            live.wait_for(lambda: lv.counters()["dataplane"]["sessions_in_use"] == 2,
                          live.WAIT_SECONDS, "the sessions in the data plane's statistics")
            capture = subprocess.Popen(
                [ARGS.ctl, "-s", lv.socket, "--json", "capture", "drops", "--reason",
                 "spoofed_source", "--identity", "alice@example.net", "--count", "3", "--timeout",
                 str(live.WAIT_SECONDS), "--write", out], stdout=subprocess.PIPE,
                stderr=subprocess.PIPE, text=True)
            frames = []
            for i in range(20):
                frames.append(sc.up(alice, inner_up("100.64.0.1", i), expect="forward", fast=True))
                # Spoofed by bob (another session: must not be captured) and by alice.
                frames.append(sc.up(bob, inner_up("100.64.9.8", i), expect="drop:spoofed_source",
                                    fast=True))
                frames.append(sc.up(alice, inner_up("100.64.9.9", i),
                                    expect="drop:spoofed_source", fast=True))
            # The capture is armed once softwire-ctl started and the data plane
            # acknowledged the command, which takes as long as the machine
            # makes it: the traffic goes again until the capture is complete.
            up = lv.pcap("up.pcap", frames)
            rounds = 0
            while capture.poll() is None and rounds < 20:
                p, summary = lv.pump([("genacc", up, 500)], [])
                live.finish_pump(p, summary)
                rounds += 1
            stdout, stderr = capture.communicate(timeout=live.WAIT_SECONDS + 30)
            self.assertEqual(capture.returncode, 0, stdout + stderr)
            self.assertEqual(len(json.loads(stdout)["packets"]), 3, stdout)
            rows = harness.tshark_rows(out, dict(os.environ),
                                       ["frame.number", "ip.src", "ip.dst", "frame.comment"])
            self.assertEqual(len(rows), 3, rows)
            for row in rows:
                self.assertEqual(row[1], "100.64.9.9")  # alice's spoofed packets only
                self.assertEqual(row[2], "203.0.113.99")
                self.assertIn("spoofed_source", row[3])
                self.assertIn("alice@example.net", row[3])
            # Every round's drops, once the data plane published them.
            live.wait_for(lambda: lv.counters()["dataplane"]["drops"]["spoofed_source"]
                          >= 40 * rounds, live.WAIT_SECONDS, "the drops counted")
            counters = lv.counters()
            self.assertEqual(counters["dataplane"]["drops"]["spoofed_source"], 40 * rounds)
        finally:
            lv.close()


if __name__ == "__main__":
    harness.main()
