"""Metrics end to end with Debian's Prometheus server: softwire-dp (live, in a
namespace) and softwire-cp serve /metrics; Prometheus scrapes it every
second; traffic with known drops goes through; the values Prometheus stores
equal `softwire-ctl show counters` for the same moment (after the traffic,
once Prometheus scraped a snapshot taken after it), and equal what the
traffic generator's model expects. `promtool check metrics` accepts the
exposition."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import unittest
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import softwire_live as live  # noqa: E402
from test_control_live import LiveSc, inner_down, inner_up  # noqa: E402
import softwire_traffic as st  # noqa: E402
from scapy.all import IP, UDP, Raw  # noqa: E402

ARGS = harness.ARGS
PROMETHEUS = shutil.which("prometheus")
PROMTOOL = shutil.which("promtool")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_get(url: str, timeout: float = live.WAIT_SECONDS) -> str:
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.read().decode()


class PrometheusEndToEnd(unittest.TestCase):
    def setUp(self):
        for tool in ("dp", "cp", "ctl"):
            if not getattr(ARGS, tool):
                self.fail(f"--{tool} is required")
        self.assertIsNotNone(PROMETHEUS, "Debian's prometheus package is required")
        self.assertIsNotNone(PROMTOOL, "promtool (package prometheus) is required")

    def query(self, prom: str, expr: str) -> dict:
        url = f"{prom}/api/v1/query?" + urllib.parse.urlencode({"query": expr})
        reply = json.loads(http_get(url))
        self.assertEqual(reply["status"], "success", reply)
        return {json.dumps(r["metric"], sort_keys=True): float(r["value"][1])
                for r in reply["data"]["result"]}

    def by_label(self, prom: str, expr: str, label: str) -> dict:
        out = {}
        for metric, value in self.query(prom, expr).items():
            out[json.loads(metric).get(label, "")] = value
        return out

    def test_prometheus_sees_what_softwire_ctl_sees(self):
        sc = st.Scenario("prom")
        si1 = sc.add_si("si1", "192.0.2.10", spi_in=0x1001, spi_out=0x2001)
        si2 = sc.add_si("si2", "2001:db8:5::10", spi_in=0x1002, spi_out=0x2002)
        alice = sc.add_session(si1, "alice@example.net", 10, 20, ["100.64.0.0/30"], mtu=1400)
        bob = sc.add_session(si2, "bob@example.net", 11, 21, ["2001:db8:100::/56"])
        metrics_port = free_port()
        lv = LiveSc(self, "prom", sc, control_extra=f'metrics_listen = "127.0.0.1:{metrics_port}";')
        prom = None
        try:
            lv.start_dp()
            lv.start_cp()
            lv.wait_synced(2)
            # Traffic with known drops.
            frames = []
            for i in range(300):
                frames.append(sc.up(alice, inner_up("100.64.0.1", i), expect="forward", fast=True))
            for i in range(11):
                frames.append(sc.up(alice, inner_up("100.64.9.9", i), expect="drop:spoofed_source", fast=True))
            for i in range(5):
                frames.append(sc.up(alice, inner_up("100.64.0.1", i), seq=10 + i,
                                    expect="drop:replay", fast=True))
            for i in range(3):
                frames.append(sc.up(alice, inner_up("100.64.0.1", i), tamper="icv",
                                    expect="drop:auth_failed", fast=True))
            stranger = sc.add_sa(spi=0x7777, direction="in", local="198.51.100.1",
                                 remote="192.0.2.99", configured=False)
            for i in range(4):
                frames.append(sc.up(alice, inner_up("100.64.0.1", i), sa=stranger,
                                    expect="drop:unknown_spi", fast=True))
            down = [sc.down(inner_down("100.64.0.2", i), expect="forward", fast=True) for i in range(200)]
            down += [sc.down(IP(src="203.0.113.99", dst="100.65.0.1") / UDP() / Raw(b"x"),
                             expect="drop:no_route", fast=True) for _ in range(6)]
            down += [sc.down(inner_down("100.64.0.2", 999, 1420), expect="drop:mtu_exceeded", fast=True)]

            prom_port = free_port()
            prom_dir = os.path.join(lv.dir, "prometheus")
            os.makedirs(prom_dir)
            with open(os.path.join(prom_dir, "prometheus.yml"), "w") as f:
                f.write("global: { scrape_interval: 1s, evaluation_interval: 1s }\n"
                        "scrape_configs:\n"
                        "  - job_name: softwire\n"
                        f"    static_configs: [ {{ targets: [ '127.0.0.1:{metrics_port}' ] }} ]\n")
            prom = live.Process([PROMETHEUS, f"--config.file={prom_dir}/prometheus.yml",
                                 f"--storage.tsdb.path={prom_dir}/data",
                                 f"--web.listen-address=127.0.0.1:{prom_port}",
                                 "--log.level=warn"], os.path.join(prom_dir, "log"))
            api = f"http://127.0.0.1:{prom_port}"

            p, summary = lv.pump([("genacc", lv.pcap("up.pcap", frames), 2000),
                                  ("gencore", lv.pcap("down.pcap", down), 2000)], [])
            live.finish_pump(p, summary)
            # Wait until the data plane received all of the traffic (it may lag
            # behind the pump on a loaded machine); it publishes every 100 ms:
            # a snapshot taken 0.5 s after that includes all of it.
            def received_all():
                ports = lv.counters()["dataplane"]["ports"]
                return (ports["access"]["rx_packets"] >= len(frames)
                        and ports["core"]["rx_packets"] >= len(down))
            live.wait_for(received_all, live.WAIT_SECONDS, "the data plane to receive the traffic",
                          0.1)
            settled = time.time() + 0.5
            time.sleep(0.5)

            def scraped_after():
                try:
                    v = self.query(api, "softwire_dataplane_stats_timestamp_seconds")
                except OSError:
                    return False
                return v and min(v.values()) > settled
            live.wait_for(scraped_after, live.WAIT_SECONDS,
                          "a Prometheus scrape of a settled snapshot", 0.2)

            ctl = lv.counters()["dataplane"]
            prom_drops = self.by_label(api, "sum by (reason) (softwire_drops_total)", "reason")
            self.assertEqual(set(prom_drops), set(ctl["drops"]))
            for reason, value in ctl["drops"].items():
                self.assertEqual(prom_drops[reason], value, reason)
            expected = {k: v for k, v in sc.stats()["drops"].items() if v}
            self.assertEqual({k: v for k, v in ctl["drops"].items() if v}, expected)
            for direction in ("rx", "tx"):
                packets = self.by_label(
                    api, f'softwire_port_packets_total{{direction="{direction}"}}', "port")
                octets = self.by_label(
                    api, f'softwire_port_bytes_total{{direction="{direction}"}}', "port")
                for port in ("access", "core"):
                    self.assertEqual(packets[port], ctl["ports"][port][f"{direction}_packets"])
                    self.assertEqual(octets[port], ctl["ports"][port][f"{direction}_bytes"])
            self.assertEqual(ctl["ports"]["access"]["rx_packets"], len(frames))
            self.assertEqual(ctl["ports"]["core"]["rx_packets"], len(down))
            self.assertEqual(self.query(api, "softwire_dataplane_up"), {
                json.dumps({"__name__": "softwire_dataplane_up", "instance":
                            f"127.0.0.1:{metrics_port}", "job": "softwire"}, sort_keys=True): 1.0})
            spoofed = self.query(api, 'sum(softwire_drops_total{reason="spoofed_source"})')
            self.assertEqual(list(spoofed.values()), [11.0])

            # The exposition itself passes promtool.
            text = http_get(f"http://127.0.0.1:{metrics_port}/metrics")
            check = subprocess.run([PROMTOOL, "check", "metrics"], input=text, text=True,
                                   capture_output=True)
            self.assertEqual(check.returncode, 0, check.stdout + check.stderr)
            self.assertEqual(check.stdout + check.stderr, "")
        finally:
            if prom is not None:
                prom.stop()
            lv.close()


if __name__ == "__main__":
    harness.main()
