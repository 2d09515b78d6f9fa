#!/usr/bin/env python3
"""softwire-cp and softwire-ctl as processes, against softwire-fake-dp (a
segment and a command executor without DPDK): exit codes, error texts,
JSON output, batch adds, a kill -9 of the control plane, a data-plane
restart, SIGHUP and the socket's mode."""
import json
import os
import signal
import stat
import subprocess
import sys
import tempfile
import time
import unittest

CP, CTL, FAKE = (os.path.abspath(p) for p in sys.argv[1:4])
del sys.argv[1:4]

# How long to wait for something that takes milliseconds (a process start, a
# sync, a reload): generous, for the sanitizer build on a loaded machine.
WAIT_SECONDS = 60

KEY_HEX = "000102030405060708090a0b0c0d0e0f01020304"

CONFIG = """
instance = "{instance}";
dataplane = {{ workers = [ 1 ]; }};
ports = (
  {{ name = "access"; role = "access"; device = "net_null0"; mac = "02:00:00:00:00:02";
     addresses = [ "198.51.100.1/24" ]; gateway_mac = "02:00:00:00:00:01"; }},
  {{ name = "core"; role = "core"; device = "net_null1"; mac = "02:00:00:00:01:02";
     addresses = [ "203.0.113.1/24" ]; gateway_mac = "02:00:00:00:01:01"; }}
);
sas = (
  {{ spi = 0x1001; direction = "in"; local = "198.51.100.1"; remote = "192.0.2.1";
     proposal = "aes128gcm16"; key = "0x{key}"; }},
  {{ spi = 0x2001; direction = "out"; local = "198.51.100.1"; remote = "192.0.2.1";
     proposal = "aes128gcm16"; key = "0x{key}"; }}
);
sessions = (
  {{ identity = "static-1"; sa_in = 0x1001; sa_out = 0x2001; tunnel_id = 1; session_id = 1;
     peer_tunnel_id = 11; peer_session_id = 11; prefixes = [ "10.1.0.0/24" ]; mtu = {mtu}; }}
  {extra}
);
control = {{ socket = "{socket}"; security_log = "{security}"; rekey_grace = 0.2; }};
"""

EXTRA_SESSION = """,
  { identity = "static-2"; sa_in = 0x1001; sa_out = 0x2001; tunnel_id = 1; session_id = 2;
    peer_tunnel_id = 12; peer_session_id = 12; prefixes = [ "10.2.0.0/24" ]; }"""


class ControlPlaneProcesses(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory(prefix="softwire-cp-test-")
        self.instance = "cpt%d-%s" % (os.getpid(), self._testMethodName[-12:].replace("_", ""))
        self.socket = os.path.join(self.dir.name, "cp.sock")
        self.config = os.path.join(self.dir.name, "sc.conf")
        self.keyfile = os.path.join(self.dir.name, "key.hex")
        with open(self.keyfile, "w") as f:
            f.write(KEY_HEX + "\n")
        os.chmod(self.keyfile, 0o600)
        self.write_config(mtu=1500, extra="")
        self.fake = None
        self.cp = None
        self.addCleanup(self.stop_all)  # also when setUp fails half way
        self.start_fake()
        self.start_cp()

    def stop_all(self):
        for p in (self.cp, self.fake):
            if p and p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(10)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
        if self.fake:
            self.fake.stdout.close()
        self.dir.cleanup()

    def write_config(self, mtu, extra):
        with open(self.config, "w") as f:
            f.write(CONFIG.format(instance=self.instance, key=KEY_HEX, socket=self.socket,
                                  security=os.path.join(self.dir.name, "security.log"),
                                  mtu=mtu, extra=extra))

    def start_fake(self):
        self.fake = subprocess.Popen([FAKE, self.instance], stdout=subprocess.PIPE, text=True)
        self.assertTrue(self.fake.stdout.readline().startswith("ready"))

    def start_cp(self):
        with open(os.path.join(self.dir.name, "cp.log"), "a") as log:
            self.cp = subprocess.Popen([CP, "-c", self.config], stderr=log)
        # A killed predecessor leaves its socket file: wait for an answer.
        deadline = time.monotonic() + WAIT_SECONDS
        while self.ctl("show", "status").returncode != 0:
            if self.cp.poll() is not None:
                with open(os.path.join(self.dir.name, "cp.log")) as f:
                    self.fail("softwire-cp exited: " + f.read())
            self.assertLess(time.monotonic(), deadline, "softwire-cp does not answer")
            time.sleep(0.01)
        self.assertEqual(self.ctl("wait-synced", str(WAIT_SECONDS)).returncode, 0)

    def ctl(self, *args, input=None):
        return subprocess.run([CTL, "-s", self.socket] + list(args), input=input,
                              capture_output=True, text=True, timeout=60)

    def ctl_json(self, *args):
        r = self.ctl("--json", *args)
        self.assertEqual(r.returncode, 0, r.stderr)
        return json.loads(r.stdout)

    def tables(self):
        self.fake.send_signal(signal.SIGUSR1)
        return json.loads(self.fake.stdout.readline())

    def add_dynamic_pair(self, spi_in=0x3001, spi_out=0x4001):
        for spi, direction in ((spi_in, "in"), (spi_out, "out")):
            r = self.ctl("sa", "add", "spi=%#x" % spi, "direction=" + direction,
                         "local=198.51.100.1", "remote=192.0.2.1", "proposal=aes128gcm16",
                         "key=@" + self.keyfile)
            self.assertEqual(r.returncode, 0, r.stderr)

    def test_show_add_delete_and_errors(self):
        status = self.ctl_json("show", "status")
        self.assertTrue(status["connected"])
        self.assertTrue(status["synced"])
        self.assertEqual(status["sessions"], {"pending": 0, "active": 1, "failed": 0})
        self.add_dynamic_pair()
        r = self.ctl("session", "add", "identity=dyn-1", "sa_in=0x3001", "sa_out=0x4001",
                     "tunnel_id=2", "session_id=1", "peer_tunnel_id=21", "peer_session_id=21",
                     "prefixes=10.9.0.0/24,2001:db8:9::/48", "mtu=1400")
        self.assertEqual(r.returncode, 0, r.stderr)
        sessions = {s["identity"]: s for s in self.tables()["sessions"]}
        self.assertEqual(sessions["dyn-1"]["prefixes"], ["10.9.0.0/24", "2001:db8:9::/48"])
        self.assertEqual(sessions["dyn-1"]["mtu"], 1400)
        self.assertEqual(sessions["dyn-1"]["origin"], 1)
        shown = {s["identity"]: s for s in self.ctl_json("show", "sessions")["sessions"]}
        self.assertEqual(shown["dyn-1"]["state"], "active")
        self.assertEqual(shown["dyn-1"]["origin"], "dynamic")
        self.assertEqual(shown["static-1"]["origin"], "static")
        sas = self.ctl_json("show", "sas")["sas"]
        self.assertEqual(len(sas), 4)
        self.assertNotIn(KEY_HEX[:16], json.dumps(sas))
        text = self.ctl("show", "sessions")
        self.assertIn("dyn-1  active dynamic", text.stdout)

        # Argument errors: exit 2, the argument named, nothing sent.
        r = self.ctl("session", "add", "identity=x", "sa_in=0x3001", "sa_out=0x4001",
                     "tunnel_id=2", "session_id=2", "peer_tunnel_id=1", "peer_session_id=1",
                     "prefixes=10.0.0.1/24")
        self.assertEqual(r.returncode, 2)
        self.assertEqual(r.stderr.strip(), "softwire-ctl: session add: prefixes: '10.0.0.1/24' "
                         "has host bits set (the network is 10.0.0.0/24)")
        r = self.ctl("sa", "add", "spi=0x5001", "direction=in", "local=198.51.100.1",
                     "remote=192.0.2.1", "proposal=aes128gcm16", "key=" + KEY_HEX)
        self.assertEqual(r.returncode, 2)
        self.assertIn("key: key material is never taken from the command line", r.stderr)
        self.assertNotIn(KEY_HEX, r.stderr)
        r = self.ctl("sa", "add", "spi=0x5001", "direction=in", "local=198.51.100.9",
                     "remote=192.0.2.1", "proposal=aes128gcm16", "key=-", input=KEY_HEX + "\n")
        self.assertEqual(r.returncode, 2)
        self.assertEqual(r.stderr.strip(), "softwire-ctl: sa add: local: 198.51.100.9 is not "
                         "an address of an access port")
        # Refusals by the control plane: exit 1 with the reason.
        r = self.ctl("session", "add", "identity=y", "sa_in=0x7777", "sa_out=0x4001",
                     "tunnel_id=2", "session_id=3", "peer_tunnel_id=1", "peer_session_id=1",
                     "prefixes=10.8.0.0/24")
        self.assertEqual(r.returncode, 1)
        self.assertEqual(r.stderr.strip(),
                         "softwire-ctl: session add: sa_in: no inbound SA 0x00007777")
        r = self.ctl("sa", "del", "0x3001")
        self.assertEqual(r.returncode, 1)
        self.assertIn("is in use by session \"dyn-1\"", r.stderr)
        self.assertEqual(self.ctl("session", "del", "dyn-1").returncode, 0)
        self.assertEqual(self.ctl("sa", "del", "0x3001").returncode, 0)
        self.assertNotIn("dyn-1", {s["identity"] for s in self.tables()["sessions"]})
        self.assertEqual(len(self.tables()["sas"]), 3)
        # The security log and the cp's log never show the key.
        with open(os.path.join(self.dir.name, "cp.log")) as f:
            self.assertNotIn(KEY_HEX[:16], f.read())

    def test_batch_adds(self):
        self.add_dynamic_pair()
        lines = ["# 2000 sessions"]
        for i in range(2000):
            lines.append("session add identity=b-%d sa_in=0x3001 sa_out=0x4001 tunnel_id=3 "
                         "session_id=%d peer_tunnel_id=3 peer_session_id=%d prefixes=10.%d.%d.0/24"
                         % (i, i + 1, i + 1, 100 + i // 256, i % 256))
        batch = os.path.join(self.dir.name, "batch.txt")
        with open(batch, "w") as f:
            f.write("\n".join(lines) + "\n")
        summary = self.ctl_json("batch", batch)
        self.assertEqual(summary["commands"], 2000)
        self.assertEqual(summary["ok"], 2000)
        self.assertGreater(summary["commands_per_second"], 0)
        self.assertEqual(summary["adds"], 2000)
        self.assertGreater(summary["adds_per_second"], 0)
        self.assertEqual(len(self.tables()["sessions"]), 2001)
        # A batch with a bad line sends nothing and names the line.
        with open(batch, "w") as f:
            f.write("session del b-1\nsession add identity=z prefixes=10.0.0.0/33\n")
        r = self.ctl("batch", batch)
        self.assertEqual(r.returncode, 2)
        self.assertIn("line 2: session add: sa_in: missing", r.stderr)
        self.assertEqual(len(self.tables()["sessions"]), 2001)
        # Refusals are counted and named, the rest is applied.
        with open(batch, "w") as f:
            f.write("session del b-1\nsession del nobody\n")
        r = self.ctl("batch", batch)
        self.assertEqual(r.returncode, 1)
        self.assertIn("line 2: session del: identity: no session \"nobody\"", r.stderr)
        self.assertEqual(len(self.tables()["sessions"]), 2000)

    def test_cp_killed_and_restarted_reconciles(self):
        self.add_dynamic_pair()
        r = self.ctl("session", "add", "identity=dyn-1", "sa_in=0x3001", "sa_out=0x4001",
                     "tunnel_id=2", "session_id=1", "peer_tunnel_id=21", "peer_session_id=21",
                     "prefixes=10.9.0.0/24")
        self.assertEqual(r.returncode, 0, r.stderr)
        before = self.tables()
        self.cp.send_signal(signal.SIGKILL)
        self.cp.wait(WAIT_SECONDS)
        self.start_cp()  # the stale socket is replaced
        status = self.ctl_json("show", "status")
        self.assertEqual(status["reconciles"], 1)
        after = self.tables()
        self.assertEqual(after["sessions"], before["sessions"])  # nothing lost or duplicated
        self.assertEqual(after["sas"], before["sas"])
        self.assertEqual(after["executed"], before["executed"] + 1)  # the dump only
        shown = {s["identity"]: s for s in self.ctl_json("show", "sessions")["sessions"]}
        self.assertEqual(shown["dyn-1"]["origin"], "dynamic")  # adopted

    def test_dp_restart_replays(self):
        self.add_dynamic_pair()
        self.assertEqual(self.ctl("session", "add", "identity=dyn-1", "sa_in=0x3001",
                                  "sa_out=0x4001", "tunnel_id=2", "session_id=1",
                                  "peer_tunnel_id=21", "peer_session_id=21",
                                  "prefixes=10.9.0.0/24").returncode, 0)
        before = self.tables()
        self.fake.send_signal(signal.SIGTERM)
        self.fake.wait(WAIT_SECONDS)
        self.fake.stdout.close()
        self.start_fake()
        deadline = time.monotonic() + WAIT_SECONDS
        while True:
            status = self.ctl_json("show", "status")
            if status["replays"] == 1 and status["synced"]:
                break
            self.assertLess(time.monotonic(), deadline, status)
            self.ctl("wait-synced", "1")
        after = self.tables()
        self.assertNotEqual(after["generation"], before["generation"])
        self.assertEqual(after["sessions"], before["sessions"])
        self.assertEqual(sorted((s["spi"], s["direction"]) for s in after["sas"]),
                         sorted((s["spi"], s["direction"]) for s in before["sas"]))

    def test_dp_killed_is_detected_and_replayed(self):
        self.fake.send_signal(signal.SIGKILL)  # the segment stays behind
        self.fake.wait(WAIT_SECONDS)
        self.fake.stdout.close()
        deadline = time.monotonic() + WAIT_SECONDS
        while self.ctl_json("show", "status")["connected"]:
            self.assertLess(time.monotonic(), deadline, "the dead data plane went unnoticed")
            time.sleep(0.01)
        self.start_fake()
        self.assertEqual(self.ctl("wait-synced", str(WAIT_SECONDS)).returncode, 0)
        status = self.ctl_json("show", "status")
        self.assertEqual(status["replays"], 1)
        # Responsive once the new data plane's heartbeat is seen (waited for:
        # the timeout is 1 s of real time, which a loaded machine can exceed).
        deadline = time.monotonic() + WAIT_SECONDS
        while not status["responsive"]:
            self.assertLess(time.monotonic(), deadline, status)
            time.sleep(0.05)
            status = self.ctl_json("show", "status")
        self.assertEqual(status["replays"], 1)
        self.assertEqual([s["identity"] for s in self.tables()["sessions"]], ["static-1"])

    def test_sighup_applies_only_the_difference(self):
        self.add_dynamic_pair()
        before = self.tables()
        self.write_config(mtu=1400, extra=EXTRA_SESSION)
        self.cp.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + WAIT_SECONDS
        while self.ctl_json("show", "counters")["controlplane"]["config_reloads"] < 1:
            self.assertLess(time.monotonic(), deadline)
        self.assertEqual(self.ctl("wait-synced", str(WAIT_SECONDS)).returncode, 0)
        after = self.tables()
        self.assertEqual(after["executed"], before["executed"] + 2)  # one modify, one add
        sessions = {s["identity"]: s for s in after["sessions"]}
        self.assertEqual(sessions["static-1"]["mtu"], 1400)
        self.assertIn("static-2", sessions)
        # A broken file changes nothing and is counted.
        with open(self.config, "a") as f:
            f.write("this is not libconfig\n")
        self.cp.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + WAIT_SECONDS
        while self.ctl_json("show", "counters")["controlplane"]["config_reload_errors"] < 1:
            self.assertLess(time.monotonic(), deadline)
        self.assertEqual(self.tables()["sessions"], after["sessions"])

    def test_rekey_make_before_break(self):
        self.add_dynamic_pair(0x3001, 0x4001)
        # The grace time must outlast the check below, even on a loaded machine.
        r = self.ctl("session", "rekey", "static-1", "sa_in=0x3001", "sa_out=0x4001", "grace=5")
        self.assertEqual(r.returncode, 0, r.stderr)
        session = self.tables()["sessions"][0]
        self.assertEqual((session["sa_in"], session["sa_in_old"], session["sa_out"]),
                         (0x3001, 0x1001, 0x4001))
        deadline = time.monotonic() + WAIT_SECONDS
        while self.tables()["sessions"][0]["sa_in_old"] != 0xffffffff:
            self.assertLess(time.monotonic(), deadline)
            self.ctl("wait-synced", "1")
        # The old SAs go after the grace time (the configuration lists them,
        # but the rekey replaced them).
        self.assertEqual(sorted(s["spi"] for s in self.tables()["sas"]), [0x3001, 0x4001])
        r = self.ctl("session", "rekey", "static-1", "sa_in=0x3001", "sa_out=0x9999")
        self.assertEqual(r.returncode, 1)
        self.assertIn("sa_out: no outbound SA 0x00009999", r.stderr)

    def test_socket_mode_second_cp_and_counters(self):
        self.assertEqual(stat.S_IMODE(os.stat(self.socket).st_mode), 0o660)
        security = os.path.join(self.dir.name, "security.log")
        self.assertEqual(stat.S_IMODE(os.stat(security).st_mode) & 0o027, 0)
        second = subprocess.run([CP, "-c", self.config], capture_output=True, text=True,
                                timeout=30)
        self.assertEqual(second.returncode, 1)
        self.assertIn("another softwire-cp answers on " + self.socket, second.stderr)
        counters = self.ctl_json("show", "counters")
        self.assertTrue(counters["dataplane"]["connected"])
        self.assertIn("drops", counters["dataplane"])
        self.assertEqual(counters["controlplane"]["sessions"]["active"], 1)
        self.assertEqual(self.ctl("show", "drops").returncode, 0)
        r = self.ctl("show", "nothing")
        self.assertEqual(r.returncode, 2)
        self.assertIn("show: \"nothing\" is not one of", r.stderr)
        self.cp.send_signal(signal.SIGTERM)
        self.assertEqual(self.cp.wait(WAIT_SECONDS), 0)
        self.assertFalse(os.path.exists(self.socket))  # removed at exit
        r = self.ctl("show", "status")
        self.assertEqual(r.returncode, 1)
        self.assertIn("cannot connect to softwire-cp", r.stderr)

    def test_without_control_section(self):
        with open(self.config) as f:
            text = f.read()
        plain = os.path.join(self.dir.name, "plain.conf")
        with open(plain, "w") as f:
            f.write(text[:text.index("control =")])
        r = subprocess.run([CP, "-c", plain], capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 2)
        self.assertIn("--observe-only", r.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
