#!/usr/bin/python3
"""Live traffic for the control-plane tests: sends frames from pcap files on
interfaces at a fixed rate and captures what arrives on others, inside the
network namespace it is started in (`ip netns exec NS softwire_pump.py ...`).

    softwire_pump.py --send IFACE=FILE.pcap[@RATE] ...   frames to send (RATE frames/s, default 2000)
            --capture IFACE=OUT.pcap ...        what the data plane sends out of IFACE
            --gate FILE                         before sending the frames after a frame
                                                marked in FILE.gates, wait until FILE exists
            --linger SECONDS                    after the last send, keep capturing until nothing
                                                arrived for this long (default 1; at most 60 s more)
            --summary FILE.json                 per interface: sent, captured

A send list can be split into phases: FILE.pcap.gates (one frame index per
line) names frame indices before which the sender waits for the gate file
`--gate PATH.N` (N = 1, 2, ... in order) to exist. The tests use this to make
an SI switch to a new SA only after the control plane installed it.

Sends with a raw AF_PACKET socket; captures skip the frames this host sent
itself (PACKET_OUTGOING). Stops early on SIGTERM (writing what it has).

Nothing here depends on the machine being fast: sending starts once every
capture socket is bound, a sender that fell behind (descheduled) resumes at
its rate instead of bursting to catch up (a burst the data plane's receive
ring or a policer would not take), and capturing ends only after the
captured traffic went quiet, with every frame already queued read.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import struct
import sys
import threading
import time

ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4
# A sender up to this far behind its schedule catches up (sleep overshoot);
# one further behind (it was descheduled) does not.
MAX_LAG = 0.02


def read_pcap(path: str) -> list[bytes]:
    with open(path, "rb") as f:
        data = f.read()
    magic = struct.unpack("<I", data[:4])[0]
    endian = "<" if magic in (0xA1B2C3D4, 0xA1B23C4D) else ">"
    frames, off = [], 24
    while off + 16 <= len(data):
        _, _, incl, _ = struct.unpack(endian + "IIII", data[off:off + 16])
        off += 16
        frames.append(data[off:off + incl])
        off += incl
    return frames


def write_pcap(path: str, frames: list[tuple[float, bytes]]):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for ts, fr in frames:
            sec = int(ts)
            f.write(struct.pack("<IIII", sec, int((ts - sec) * 1e6), len(fr), len(fr)))
            f.write(fr)


class Stop:
    def __init__(self):
        self.event = threading.Event()


def sender(iface: str, path: str, rate: float, gate: str | None, stop: Stop, result: dict):
    frames = read_pcap(path)
    gates = []
    if os.path.exists(path + ".gates"):
        with open(path + ".gates") as f:
            gates = [int(line) for line in f if line.strip()]
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 << 20)
    s.bind((iface, 0))
    interval = 1.0 / rate
    sent = 0
    next_gate = 0
    began = start = time.monotonic()
    for i, fr in enumerate(frames):
        if stop.event.is_set():
            break
        if next_gate < len(gates) and i == gates[next_gate]:
            next_gate += 1
            gate_file = f"{gate}.{next_gate}"
            while not os.path.exists(gate_file) and not stop.event.is_set():
                time.sleep(0.005)
            start = time.monotonic() - sent * interval
        delay = start + sent * interval - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        elif delay < -MAX_LAG:  # descheduled: carry on at the rate, no long burst
            start -= delay
        while True:
            try:
                s.send(fr)
                break
            except BlockingIOError:
                time.sleep(0.0005)
            except OSError as e:  # ENOBUFS: the kernel queue is full, retry
                if e.errno != 105:
                    raise
                time.sleep(0.0005)
        sent += 1
    result["sent"] = sent
    result["seconds"] = time.monotonic() - began


class Arrivals:
    """When the last captured frame arrived (monotonic), over all captures."""

    def __init__(self):
        self.lock = threading.Lock()
        self.last = time.monotonic()

    def note(self):
        with self.lock:
            self.last = time.monotonic()


def capturer(iface: str, bound: threading.Event, done: threading.Event, arrivals: Arrivals,
             out: list):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 32 << 20)
    s.bind((iface, 0))
    bound.set()
    s.settimeout(0.05)
    finishing = False
    while True:
        if not finishing and done.is_set():
            finishing = True
            s.settimeout(0.0)  # read what is already queued, without waiting
        try:
            fr, addr = s.recvfrom(65535)
        except (socket.timeout, BlockingIOError):
            if finishing:
                break
            continue
        if addr[2] == PACKET_OUTGOING:
            continue
        out.append((time.time(), fr))
        arrivals.note()


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--send", action="append", default=[])
    ap.add_argument("--capture", action="append", default=[])
    ap.add_argument("--gate", default=None)
    ap.add_argument("--linger", type=float, default=1.0)
    ap.add_argument("--summary", required=True)
    ap.add_argument("--ready", default=None, help="file created once capturing started")
    args = ap.parse_args()

    stop = Stop()
    signal.signal(signal.SIGTERM, lambda *_: stop.event.set())
    done = threading.Event()
    arrivals = Arrivals()
    captures = {}
    threads = []
    bound = []
    for spec in args.capture:
        iface, path = spec.split("=", 1)
        captures[iface] = (path, [])
        bound.append(threading.Event())
        t = threading.Thread(target=capturer, args=(iface, bound[-1], done, arrivals,
                                                    captures[iface][1]))
        t.start()
        threads.append(t)
    # Nothing is sent before every capture socket is bound.
    for event, t in zip(bound, threads):
        while not event.wait(0.05):
            if not t.is_alive():
                done.set()
                return 1  # the thread printed why
    if args.ready:
        open(args.ready, "w").close()
    senders, results = [], {}
    for spec in args.send:
        iface, rest = spec.split("=", 1)
        path, _, rate = rest.partition("@")
        results.setdefault(iface, {})
        r = results[iface][path] = {}
        t = threading.Thread(target=sender, args=(iface, path, float(rate or 2000), args.gate,
                                                  stop, r))
        t.start()
        senders.append(t)
    for t in senders:
        t.join()
    # Keep capturing while the data plane still sends (it may lag behind on
    # a loaded machine): until nothing arrived for `linger` seconds.
    sent_all = time.monotonic()
    limit = sent_all + args.linger + 60
    while not stop.event.is_set():
        now = time.monotonic()
        with arrivals.lock:
            quiet_since = max(arrivals.last, sent_all)
        if now - quiet_since >= args.linger or now >= limit:
            break
        time.sleep(0.02)
    done.set()
    for t in threads:
        t.join()
    summary = {"sent": results, "captured": {}}
    for iface, (path, frames) in captures.items():
        write_pcap(path, frames)
        summary["captured"][iface] = len(frames)
    with open(args.summary, "w") as f:
        json.dump(summary, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
