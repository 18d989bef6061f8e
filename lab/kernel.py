"""What this machine's kernel can do, probed once, without touching any
network: a throwaway network namespace (`unshare -n`) is enough."""
import functools
import os
import shutil
import subprocess


@functools.lru_cache(maxsize=None)
def has_netem():
    """True or False; None when it can't be told here (not root, no tools),
    in which case the host's init reports it when it applies the delay."""
    if os.geteuid() != 0 or not (shutil.which("unshare") and
                                 shutil.which("tc")):
        return None
    done = subprocess.run(["unshare", "-n", "tc", "qdisc", "add", "dev", "lo",
                           "root", "netem", "delay", "1ms"],
                          capture_output=True)
    return done.returncode == 0
