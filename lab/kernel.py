"""What this machine's kernel can do, probed once each, without touching any
network: a throwaway network namespace (`unshare -n`) is enough. Each
answers True or False, or None when it can't be told here (not root, no
tools). `socklab doctor` reports them; nothing else depends on them: delay
needs only NFQUEUE, and the hosts' init says so if it is missing."""
import functools
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# In the throwaway namespace: a rule that queues lo's packets, and a reader
# bound to that queue, as every delayed host has (lab/agent/delayd.py).
_BIND = """
import subprocess, sys
sys.path.insert(0, sys.argv[1])
from lab.agent import nfqueue
subprocess.run(["iptables", "-t", "mangle", "-A", "PREROUTING", "-i", "lo",
                "-j", "NFQUEUE", "--queue-num", "1"], check=True,
               capture_output=True)
nfqueue.bind(nfqueue.open_socket(), 1)
"""


def _can_probe(*tools):
    return os.geteuid() == 0 and all(shutil.which(t) for t in
                                     ("unshare",) + tools)


@functools.lru_cache(maxsize=None)
def has_netem():
    if not _can_probe("tc"):
        return None
    done = subprocess.run(["unshare", "-n", "tc", "qdisc", "add", "dev", "lo",
                           "root", "netem", "delay", "1ms"],
                          capture_output=True)
    return done.returncode == 0


@functools.lru_cache(maxsize=None)
def has_nfqueue():
    """The NFQUEUE target and nfnetlink_queue: what socklab's delay uses."""
    if not _can_probe("iptables"):
        return None
    done = subprocess.run(["unshare", "-n", sys.executable, "-c", _BIND,
                           str(ROOT)], capture_output=True, timeout=30)
    return done.returncode == 0
