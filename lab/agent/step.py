"""socklab-step: runs one step's command inside a host.

    socklab-step [--timeout S] [--cap BYTES] [--net-admin] -- COMMAND

Kills the command's whole process group at its timeout, keeps at most
--cap bytes of each output stream (head and tail, with a note of the cut),
relays the "I am bound" signal of built-in programs as the stderr line
`socklab-step: ready`, and ends by printing one JSON envelope on stdout:
{exit, stdout, stderr, elapsed_ms, step_timed_out, cut}.
"""
import argparse
import collections
import json
import os
import subprocess
import sys
import threading
import time

from . import contract
from .launch import kill_group, spawn, status

TAIL = 64 * 1024  # always keep the end: the result line is the last one


class Capture:
    """Keeps the first `cap` bytes and the last TAIL bytes of a stream."""

    def __init__(self, cap):
        self.cap, self.head, self.tail, self.total = cap, bytearray(), \
            collections.deque(), 0
        self.tail_size = 0

    def add(self, chunk):
        self.total += len(chunk)
        room = self.cap - len(self.head)
        if room > 0:
            self.head += chunk[:room]
            chunk = chunk[room:]
        if chunk:
            self.tail.append(chunk)
            self.tail_size += len(chunk)
            while self.tail_size - len(self.tail[0]) >= TAIL:
                self.tail_size -= len(self.tail.popleft())

    def text(self):
        tail = b"".join(self.tail)[-TAIL:]
        cut = self.total - len(self.head) - len(tail)
        data = bytes(self.head)
        if cut > 0:
            data += f"\n[socklab: {cut} bytes cut]\n".encode()
        return (data + tail).decode("utf-8", "replace"), cut > 0


def _drain(stream, capture):
    for chunk in iter(lambda: stream.read1(65536), b""):
        capture.add(chunk)


def _relay_ready(fd):
    if os.read(fd, 16):
        sys.stderr.write(contract.STEP_READY + "\n")
        sys.stderr.flush()


def main(argv):
    parser = argparse.ArgumentParser(prog="socklab-step")
    parser.add_argument("--timeout", type=float, default=30)
    parser.add_argument("--cap", type=int, default=1 << 20)
    parser.add_argument("--net-admin", action="store_true")
    parser.add_argument("command")
    args = parser.parse_args(argv)
    start = time.monotonic()
    process, ready_fd = spawn(args.command, args.net_admin,
                              subprocess.PIPE, subprocess.PIPE)
    threading.Thread(target=_relay_ready, args=(ready_fd,),
                     daemon=True).start()
    out, err = Capture(args.cap), Capture(args.cap)
    readers = [threading.Thread(target=_drain, args=(s, c), daemon=True)
               for s, c in ((process.stdout, out), (process.stderr, err))]
    for reader in readers:
        reader.start()
    try:
        process.wait(args.timeout)
        timed_out = False
    except subprocess.TimeoutExpired:
        timed_out = True
    elapsed = round((time.monotonic() - start) * 1000, 1)
    # Whatever the command left running in its group goes with it: a step
    # is over when its command is.
    kill_group(process)
    process.wait()
    for reader in readers:
        reader.join(2)
    stdout, out_cut = out.text()
    stderr, err_cut = err.text()
    envelope = {
        "exit": None if timed_out else status(process.returncode),
        "stdout": stdout, "stderr": stderr, "elapsed_ms": elapsed,
        "step_timed_out": timed_out,
        "cut": [name for name, cut in (("stdout", out_cut),
                                       ("stderr", err_cut)) if cut]}
    sys.stdout.write(json.dumps(envelope, ensure_ascii=False) + "\n")
    return 0
