#!/usr/bin/python3
"""softwire-dp drops or punts what it must, counting each reason exactly.

Every drop reason of docs/architecture.md that input files can cause; punts
(ike, l2tp_control, ppp_control, icmp); ARP/ND replies; anti-replay (a forged
packet does not advance the window; window 0; window edges); SA lifetimes
both ways; another SI's SA cannot inject into a session it does not own;
a valid packet truncated at every byte offset (all dropped, counted, no
crash, mempool empty at exit).

    test_drops.py --dp build/dataplane/softwire-dp [--scratch DIR] [--keep]
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import st  # noqa: E402


class Drops(harness.DpTestCase):
    def test_every_reason(self):
        self.run_scenario(st.scenario_drops())

    def test_replay_and_forgery(self):
        self.run_scenario(st.scenario_replay())

    def test_truncation_at_every_offset(self):
        self.run_scenario(st.scenario_truncation())


if __name__ == "__main__":
    harness.main()
