"""Full port capture through rte_pdump: softwire-dp (hugepages, multi-process
channel on) forwards generated softwire traffic from net_pcap, and Debian's
dpdk-dumpcap attaches as a secondary process and writes pcapng, which tshark
reads back: every captured frame is one of the frames softwire-dp received."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import softwire_live as live  # noqa: E402
import softwire_traffic as st  # noqa: E402
from test_control_live import inner_up  # noqa: E402

ARGS = harness.ARGS
DUMPCAP = shutil.which("dpdk-dumpcap")
HUGEPAGES = "/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages"
NEEDED_PAGES = 300  # 600 MB: softwire-dp's pool and tables plus dpdk-dumpcap's ring


class PortCapture(unittest.TestCase):
    def setUp(self):
        if not ARGS.dp:
            self.fail("--dp is required")
        self.assertIsNotNone(DUMPCAP, "dpdk-dumpcap (Debian package dpdk) is required")
        with open(HUGEPAGES) as f:
            pages = int(f.read())
        if pages < NEEDED_PAGES:  # root: reserve them (freed again in tearDown)
            with open(HUGEPAGES, "w") as f:
                f.write(str(NEEDED_PAGES))
        self.restore_pages = pages if pages < NEEDED_PAGES else None

    def tearDown(self):
        if self.restore_pages is not None:
            with open(HUGEPAGES, "w") as f:
                f.write(str(self.restore_pages))

    def test_dpdk_dumpcap_reads_the_access_port(self):
        # A short path: the secondary process gets the device string over the
        # multi-process channel, which cuts long ones (its probe then fails).
        d = tempfile.mkdtemp(prefix="swpd", dir="/tmp")
        self.addCleanup(shutil.rmtree, d, True)
        sc = st.Scenario("pdump")
        si = sc.add_si("si1", "192.0.2.10", spi_in=0x1001, spi_out=0x2001)
        alice = sc.add_session(si, "alice@example.net", 10, 20, ["100.64.0.0/30"])
        frames = [sc.up(alice, inner_up("100.64.0.1", i), fast=True) for i in range(512)]
        st.write_pcap(os.path.join(d, "in.pcap"), frames)
        prefix = f"pdump{os.getpid()}"
        conf = os.path.join(d, "softwire.conf")
        with open(conf, "w") as f:
            f.write(sc.config_text(d, ["--no-pci", "-l", "0,1", "--file-prefix", prefix,
                                       "--log-level", "*:warning"],
                                   instance=prefix,
                                   devices={"access": "net_pcap0,rx_pcap=" +
                                            os.path.join(d, "in.pcap") + ",infinite_rx=1",
                                            "core": "net_null1"}))
        # Stopped with SIGTERM below; --run-for only bounds a test that dies
        # half way, and must outlast the start and dpdk-dumpcap's attempts.
        dp = live.Process([ARGS.dp, "-c", conf, "--run-for", "600"], os.path.join(d, "dp.log"))
        try:
            # Ports are open once it prints its start line.
            live.wait_for(lambda: "softwire-dp: instance" in dp.output() or not dp.alive(),
                          live.WAIT_SECONDS, "softwire-dp start")
            self.assertTrue(dp.alive(), dp.output())
            out = os.path.join(d, "access.pcapng")
            # dpdk-dumpcap's device probe fails while the primary is still
            # setting its ports up: try again for a while.
            def dumpcap():
                r = subprocess.run([DUMPCAP, "--file-prefix", prefix, "-i", "net_pcap0", "-c",
                                    "20", "-w", out, "-q"], capture_output=True, text=True,
                                   timeout=60)
                attempts.append(r)
                return r.returncode == 0
            attempts = []
            try:
                live.wait_for(dumpcap, live.WAIT_SECONDS, "dpdk-dumpcap attached", 0.5)
            except TimeoutError:
                self.fail(attempts[-1].stdout + attempts[-1].stderr)
        finally:
            self.assertEqual(dp.stop(), 0, dp.output())
        rows = harness.tshark_rows(out, dict(os.environ), ["esp.spi", "esp.sequence"])
        self.assertGreaterEqual(len(rows), 20)
        received = {bytes(fr) for fr in frames}
        captured = live_frames(out)
        self.assertEqual(len(captured), len(rows))
        for fr in captured:
            self.assertIn(fr, received)
        self.assertTrue(all(int(r[0], 16) == 0x1001 for r in rows), rows[:3])


def live_frames(pcapng: str) -> list[bytes]:
    """Frames of a pcapng file (scapy's reader)."""
    from scapy.utils import rdpcap
    return [bytes(p) for p in rdpcap(pcapng)]


if __name__ == "__main__":
    harness.main()
