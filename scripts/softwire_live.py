"""Live set-up for the control-plane tests: a network namespace per test with
two veth pairs, softwire-dp on net_af_packet inside it, softwire-cp and
softwire-ctl outside (the shared memory in /dev/shm and the unix socket are
visible from both), and scripts/softwire_pump.py sending and capturing
inside the namespace.

    access: swacc (softwire-dp) <-> genacc (pump: the SIs)
    core:   swcore (softwire-dp) <-> gencore (pump: the core network)
"""

from __future__ import annotations

import json
import os
import signal
import struct
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PUMP = os.path.join(HERE, "softwire_pump.py")
PYTHON = "/usr/bin/python3"
# How long to wait for what takes a moment (a process start or stop, EAL
# init under ASan): generous, for the sanitizer build on a loaded machine.
WAIT_SECONDS = 60


class Netns:
    def __init__(self, tag: str):
        self.name = f"sw{tag}{os.getpid()}"[:15]
        subprocess.run(["ip", "netns", "del", self.name], capture_output=True)
        self._ip("netns", "add", self.name)
        # No IPv6 autoconfiguration noise (RS, MLD) on the test links.
        for key in ("all", "default"):
            self.run(["sysctl", "-qw", f"net.ipv6.conf.{key}.disable_ipv6=1"])
        self.run(["ip", "link", "set", "lo", "up"])

    def _ip(self, *args):
        subprocess.run(["ip", *args], check=True, capture_output=True)

    def link(self, dp_side: str, gen_side: str, dp_mac: str, gen_mac: str):
        self.run(["ip", "link", "add", dp_side, "address", dp_mac, "type", "veth", "peer", "name",
                  gen_side, "address", gen_mac])
        for dev in (dp_side, gen_side):
            self.run(["ip", "link", "set", dev, "up"])

    def run(self, cmd: list[str], **kw) -> subprocess.CompletedProcess:
        kw.setdefault("check", True)
        kw.setdefault("capture_output", True)
        return subprocess.run(["ip", "netns", "exec", self.name, *cmd], **kw)

    def popen(self, cmd: list[str], **kw) -> subprocess.Popen:
        return subprocess.Popen(["ip", "netns", "exec", self.name, *cmd], **kw)

    def close(self):
        subprocess.run(["ip", "netns", "del", self.name], capture_output=True)


def wait_for(predicate, timeout: float, what: str, interval: float = 0.02):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise TimeoutError(f"timed out after {timeout} s waiting for {what}")


SHM_MAGIC = 0x314D48534557534E


def segment_generation(instance: str) -> int | None:
    """The generation of /softwire-<instance> once its magic is published."""
    try:
        with open(f"/dev/shm/softwire-{instance}", "rb") as f:
            head = f.read(32)
    except FileNotFoundError:
        return None
    if len(head) < 32:
        return None
    magic, _version, _size, _segsize, generation = struct.unpack("<QIIQQ", head)
    return generation if magic == SHM_MAGIC else None


class Process:
    """A child with its output in a file, stopped with SIGTERM (or killed)."""

    def __init__(self, cmd: list[str], log: str, ns: Netns | None = None, env=None):
        self.log_path = log
        self.log = open(log, "ab")
        self.cmd = cmd
        if ns is not None:
            self.proc = ns.popen(cmd, stdout=self.log, stderr=subprocess.STDOUT, env=env)
        else:
            self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT, env=env)

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self, timeout: float = WAIT_SECONDS) -> int:
        if self.alive():
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout)
        finally:
            self.log.close()

    def kill9(self) -> int:
        # `ip netns exec` execs the command, so the pid is the program's.
        self.proc.send_signal(signal.SIGKILL)
        rc = self.proc.wait(WAIT_SECONDS)
        self.log.close()
        return rc

    def output(self) -> str:
        with open(self.log_path, "rb") as f:
            return f.read().decode(errors="replace")


def pump(ns: Netns, workdir: str, sends: list[tuple[str, str, float]],
         captures: list[tuple[str, str]], gate: str | None = None,
         linger: float = 1.0) -> tuple[Process, str]:
    """Starts pump.py in the namespace; returns it and its summary path once
    its capture sockets are bound."""
    summary = os.path.join(workdir, f"pump-{len(os.listdir(workdir))}.json")
    ready = summary + ".ready"
    cmd = [PYTHON, PUMP, "--summary", summary, "--ready", ready, "--linger", str(linger)]
    for iface, path, rate in sends:
        cmd += ["--send", f"{iface}={path}@{rate}"]
    for iface, path in captures:
        cmd += ["--capture", f"{iface}={path}"]
    if gate:
        cmd += ["--gate", gate]
    p = Process(cmd, summary + ".log", ns)
    wait_for(lambda: os.path.exists(ready) or not p.alive(), WAIT_SECONDS, "pump start")
    if not p.alive():
        raise RuntimeError("pump failed: " + p.output())
    return p, summary


def finish_pump(p: Process, summary: str, timeout: float = 120) -> dict:
    rc = p.proc.wait(timeout)
    p.log.close()
    if rc != 0:
        raise RuntimeError(f"pump exited {rc}: " + p.output())
    with open(summary) as f:
        return json.load(f)


def write_gates(pcap: str, indices: list[int]):
    with open(pcap + ".gates", "w") as f:
        f.write("".join(f"{i}\n" for i in indices))


def log(*args):
    print(*args, file=sys.stderr, flush=True)
