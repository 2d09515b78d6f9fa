#!/usr/bin/python3
"""Demo part two: softwire-dp in control mode and softwire-cp beside it, live.

softwire-dp runs on net_af_packet inside a network namespace (veth pairs to a
traffic pump); softwire-cp pushes the configuration's sessions, and
softwire-ctl adds a third subscriber while its traffic is already arriving.
Then an LCP keepalive, the counters, and a Prometheus scrape.

    demo_control.py BUILD_DIR OUT_DIR
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import softwire_live as live  # noqa: E402
import softwire_traffic as st  # noqa: E402
from scapy.all import IP, IPv6, UDP, Raw  # noqa: E402
from scapy.layers.ppp import PPP_LCP_Echo  # noqa: E402


def free_port(preferred: int) -> int:
    for port in (preferred, 0):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return s.getsockname()[1]
    raise RuntimeError("no free port")


def step(text: str):
    print(f"\n-- {text}", flush=True)


def main() -> int:
    build, out = sys.argv[1], os.path.abspath(sys.argv[2])
    dp_bin = os.path.join(build, "dataplane/softwire-dp")
    cp_bin = os.path.join(build, "control/softwire-cp")
    ctl_bin = os.path.join(build, "control/softwire-ctl")
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    sock = os.path.join(out, "cp.sock")
    metrics_port = free_port(9550)

    sc = st.Scenario("demo-control")
    si1 = sc.add_si("cpe-1", "192.0.2.10", spi_in=0x1001, spi_out=0x2001)
    si2 = sc.add_si("laptop", "2001:db8:5::20", spi_in=0x1002, spi_out=0x2002, nat_t=True,
                    remote_port=40001, proposal="aes256gcm16")
    alice = sc.add_session(si1, "alice@isp.example", 10, 20, ["2001:db8:100::/56"])
    bob = sc.add_session(si2, "bob@isp.example", 11, 21, ["100.64.0.4/30"])
    ns = live.Netns("demo")
    dp = cp = None
    try:
        ns.link("swacc", "genacc", sc.access.mac, sc.access.gateway_mac)
        ns.link("swcore", "gencore", sc.core.mac, sc.core.gateway_mac)
        instance = f"demo{os.getpid()}"
        conf = os.path.join(out, "softwire.conf")
        with open(conf, "w") as f:
            f.write(sc.config_text(out, ["--no-huge", "-m", "1024", "--no-pci", "-l", "0,1",
                                         "--file-prefix", instance, "--log-level", "*:warning"],
                                   instance=instance,
                                   devices={"access": "net_af_packet0,iface=swacc",
                                            "core": "net_af_packet1,iface=swcore"},
                                   extra=f'control = {{ socket = "{sock}"; metrics_listen = '
                                         f'"127.0.0.1:{metrics_port}"; }};'))
        print(f"configuration: {conf} (2 static sessions, control section)")

        def ctl(*args, show=True) -> str:
            r = subprocess.run([ctl_bin, "-s", sock, *args], capture_output=True, text=True,
                               timeout=60)
            if show:
                print(f"$ softwire-ctl {' '.join(args)}")
                print((r.stdout + r.stderr).rstrip())
            if r.returncode != 0:
                raise RuntimeError(f"softwire-ctl {' '.join(args)} failed")
            return r.stdout

        step("softwire-dp (control mode, net_af_packet in a namespace) and softwire-cp")
        dp = live.Process([dp_bin, "-c", conf], os.path.join(out, "dp.log"), ns)
        live.wait_for(lambda: live.segment_generation(instance) or not dp.alive(), 30,
                      "softwire-dp")
        cp = live.Process([cp_bin, "-c", conf], os.path.join(out, "cp.log"))
        live.wait_for(lambda: os.path.exists(sock) or not cp.alive(), 20, "softwire-cp's socket")
        ctl("wait-synced", "20")
        ctl("show", "sessions")

        step("carol's CPE starts sending before the SC knows her")
        si3 = st.Si("cpe-3", "192.0.2.30",
                    st.Sa(spi=0x1003, direction="in", local="198.51.100.1", remote="192.0.2.30"),
                    st.Sa(spi=0x2003, direction="out", local="198.51.100.1", remote="192.0.2.30"))
        carol = st.Session("carol@isp.example", si3.sa_in, si3.sa_out, 12, 22, 1012, 2022,
                           ["100.64.0.8/30"], 1500, 1701)
        sc.sas += [si3.sa_in, si3.sa_out]
        sc.sessions.append(carol)
        up = []
        for i in range(600):
            up.append(sc.up(carol, IP(src="100.64.0.9", dst="203.0.113.80") /
                            UDP(sport=5000, dport=53) / Raw(bytes(40)), fast=True, dry=True,
                            seq=1 + i))
            if i % 3 == 0:
                up.append(sc.up(alice, IPv6(src="2001:db8:100::1", dst="2001:db8:c::80") /
                                UDP(sport=6000, dport=443) / Raw(bytes(60)), fast=True))
        down = [sc.down(IP(src="203.0.113.80", dst="100.64.0.9") / UDP(sport=53, dport=5000) /
                        Raw(bytes(80)), fast=True) for _ in range(400)]
        up_pcap = os.path.join(out, "si.pcap")
        st.write_pcap(up_pcap, up)
        live.write_gates(up_pcap, [30])  # 30 frames, then wait for the gate
        down_pcap = os.path.join(out, "core.pcap")
        st.write_pcap(down_pcap, down)
        live.write_gates(down_pcap, [0])
        gate = os.path.join(out, "carol-added")
        pump, summary = live.pump(ns, out, [("genacc", up_pcap, 400), ("gencore", down_pcap, 400)],
                                  [("gencore", os.path.join(out, "core-out.pcap")),
                                   ("genacc", os.path.join(out, "access-out.pcap"))], gate=gate)
        time.sleep(0.5)
        drops = json.loads(ctl("--json", "show", "counters", show=False))["dataplane"]["drops"]
        print(f"before the add: {drops['unknown_spi']} of carol's packets dropped as unknown_spi")

        step("softwire-ctl adds carol live (keys from files, never on the command line)")
        for sa in (si3.sa_in, si3.sa_out):
            key = os.path.join(out, f"carol-{sa.direction}.key")
            with open(key, "w") as f:
                f.write(sa.key.hex() + "\n")
            os.chmod(key, 0o600)
            ctl("sa", "add", f"spi={sa.spi:#x}", f"direction={sa.direction}", f"local={sa.local}",
                f"remote={sa.remote}", f"proposal={sa.proposal}", f"key=@{key}")
        ctl("session", "add", "identity=carol@isp.example", "sa_in=0x1003", "sa_out=0x2003",
            "tunnel_id=12", "session_id=22", "peer_tunnel_id=1012", "peer_session_id=2022",
            "prefixes=100.64.0.8/30", "mtu=1500")
        for n in (1, 2):
            open(f"{gate}.{n}", "w").close()
        result = live.finish_pump(pump, summary)
        print(f"pump: sent {sum(r['sent'] for r in result['sent']['genacc'].values())} frames "
              f"from the SIs and {sum(r['sent'] for r in result['sent']['gencore'].values())} "
              f"from the core; the core received {result['captured'].get('gencore', 0)}, "
              f"the SIs {result['captured'].get('genacc', 0)}")
        ctl("show", "sessions")

        step("an LCP Echo-Request from alice's CPE, answered by softwire-cp via the inject ring")
        echo = [sc.up(alice, bytes(PPP_LCP_Echo(code=9, id=1, magic_number=0x11223344,
                                                data=b"keepalive")), ppp_proto=0xC021)]
        echo_pcap = os.path.join(out, "echo.pcap")
        st.write_pcap(echo_pcap, echo)
        p, s = live.pump(ns, out, [("genacc", echo_pcap, 10)],
                         [("genacc", os.path.join(out, "echo-reply.pcap"))])
        got = live.finish_pump(p, s)["captured"].get("genacc", 0)
        print(f"echo replies received by the CPE: {got} (ESP from SPI 0x2001)")

        step("counters (softwire-ctl show counters)")
        ctl("show", "counters")

        step(f"Prometheus scrape of http://127.0.0.1:{metrics_port}/metrics (excerpt)")
        text = urllib.request.urlopen(f"http://127.0.0.1:{metrics_port}/metrics",
                                      timeout=5).read().decode()
        wanted = ("softwire_port_packets_total", "softwire_dataplane_sessions ",
                  "softwire_cp_sessions", "softwire_cp_command_latency_seconds_count",
                  "softwire_cp_lcp_echo_replies_total", "softwire_dataplane_up")
        for line in text.splitlines():
            if line.startswith(wanted) or (line.startswith("softwire_drops_total")
                                           and not line.endswith(" 0")):
                print("  " + line)
        series = sum(1 for line in text.splitlines() if line and not line.startswith("#"))
        promtool = shutil.which("promtool")
        verdict = "not run"
        if promtool:
            r = subprocess.run([promtool, "check", "metrics"], input=text, text=True,
                               capture_output=True)
            verdict = "no problem" if r.returncode == 0 and not r.stdout + r.stderr else \
                (r.stdout + r.stderr).strip()
        print(f"{series} series; promtool check metrics: {verdict}")
        print(f"Point Prometheus at it:  scrape_configs: [{{job_name: softwire, static_configs: "
              f"[{{targets: ['127.0.0.1:{metrics_port}']}}]}}]")
        print("Grafana: import docs/grafana/softwire.json and pick that Prometheus data source.")
        ok = result["captured"].get("gencore", 0) > 0 and got == 1
        return 0 if ok else 1
    finally:
        if cp is not None and cp.alive():
            cp.stop()
        if dp is not None and dp.alive():
            rc = dp.stop()
            print(f"softwire-dp exit status {rc} (non-zero if any mbuf was not back in its pool)")
        ns.close()


if __name__ == "__main__":
    sys.exit(main())
