"""softwire-dp creates the control channel's shared-memory segment in
standalone mode too (metrics), with mode 0600, and removes it at a clean
exit."""

from __future__ import annotations

import os
import stat
import subprocess
import time

import harness

CONFIG = """instance = "{instance}";
dataplane = {{ workers = [ 1 ]; }};
ports = (
  {{ name = "access"; role = "access"; device = "net_null{a},no-rx=1"; mac = "02:00:00:00:00:02";
    addresses = [ "198.51.100.1/24" ]; gateway_mac = "02:00:00:00:00:01"; }},
  {{ name = "core"; role = "core"; device = "net_null{c},no-rx=1"; mac = "02:00:00:00:01:02";
    addresses = [ "203.0.113.1/24" ]; gateway_mac = "02:00:00:00:01:01"; }}
);
"""


class SegmentTest(harness.DpTestCase):
    def test_standalone_segment_lifecycle(self):
        d = harness.scratch("segment")
        instance = f"segtest{os.getpid()}"
        path = f"/dev/shm/softwire-{instance}"
        with open(os.path.join(d, "softwire.conf"), "w") as f:
            f.write(CONFIG.format(instance=instance, a=0, c=1))
        prefix = f"swseg{os.getpid()}"
        cmd = [self.dp, "-c", os.path.join(d, "softwire.conf"), "--run-for", "3", "--",
               *harness.eal_args(prefix, [1])]
        proc = subprocess.Popen(cmd, cwd=d, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True)
        try:
            # Wait for the segment (EAL start-up takes a moment), not for a fixed time.
            deadline = time.monotonic() + 30
            while not os.path.exists(path) and proc.poll() is None and time.monotonic() < deadline:
                time.sleep(0.02)
            self.assertTrue(os.path.exists(path), f"{path} never appeared")
            mode = stat.S_IMODE(os.stat(path).st_mode)
            self.assertEqual(mode, 0o600, oct(mode))
            with open(path, "rb") as f:
                self.assertEqual(f.read(8), b"NSWESHM1", "magic")
            out, err = proc.communicate(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        self.assertEqual(proc.returncode, 0, err[-3000:])
        self.assertIn("standalone", err)
        self.assertFalse(os.path.exists(path), f"{path} left behind at exit")


if __name__ == "__main__":
    harness.main()
