#!/usr/bin/python3
"""softwire-dp with workers = [1, 2] and two pcap queues per port.

Packets of each SA arrive on both queues, so they must be handed to the SA's
owning worker: outputs must hold every expected packet (any order), each
outbound SA's sequence numbers unique, 1..n, strictly increasing within each
output file, frames byte-exact for their sequence number, and no replay
drop (stats exact).

    test_multiworker.py --dp build/dataplane/softwire-dp [--scratch DIR]
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import st  # noqa: E402


class MultiWorker(harness.DpTestCase):
    def test_two_workers_two_queues(self):
        self.run_scenario(st.scenario_multiworker())


if __name__ == "__main__":
    harness.main()
