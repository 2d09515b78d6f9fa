#!/usr/bin/python3
"""softwire-dp forwards every encapsulation both ways, byte for byte.

Covers IPv6-over-IPv4, IPv4-over-IPv6, IPv6-over-IPv6; transport and tunnel
mode; NAT-T; AES-GCM-128/256 and AES-GMAC-128/256; ESN across 2^32; ACFC,
PFC; L2TP L/S/O/P; an SI L2TP port other than 1701 (peer_port); many
sessions on one SA and many SAs; the demo, also with --load traffic.

    test_encap.py --dp build/dataplane/softwire-dp [--scratch DIR] [--keep]
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import st  # noqa: E402


class Encapsulations(harness.DpTestCase):
    def test_v6_over_v4(self):
        self.run_scenario(st.scenario_v6_over_v4())

    def test_v4_over_v6_esn(self):
        self.run_scenario(st.scenario_v4_over_v6())

    def test_v6_over_v6_gmac(self):
        self.run_scenario(st.scenario_v6_over_v6())

    def test_natt_tunnel_and_transport(self):
        self.run_scenario(st.scenario_natt())

    def test_many_sessions_and_sas(self):
        self.run_scenario(st.scenario_many())

    def test_demo(self):
        self.run_scenario(st.scenario_demo())

    def test_demo_with_load(self):
        """2,000 packets each way through the pipeline; tshark skipped (the
        load frames are copies of checked templates)."""
        self.run_scenario(st.scenario_demo(load=2000), tshark=False)


if __name__ == "__main__":
    harness.main()
