"""Which runs are alive on this machine, and taking turns on subnets.

A run holds an exclusive flock on runs/<id>.lock for its whole life, so a
run whose process is gone (even by kill -9) is seen as dead at once, and
its leftovers can be swept without touching a live run's. Docker refuses
two networks with overlapping subnets: runs that overlap take turns.

A state folder socklab cannot use (SOCKLAB_STATE naming a read-only or
impossible place) is FileUnusable, one line, never a traceback.
"""
import contextlib
import fcntl
import json
import os
import shutil
import socket
import time
from ipaddress import ip_network
from pathlib import Path

from .errors import file_fault

DEFAULT_STATE = "/tmp/socklab-state"


@contextlib.contextmanager
def _state_io():
    """OSError on the state folder -> FileUnusable naming it."""
    try:
        yield
    except OSError as exc:
        raise file_fault(
            "the state folder (SOCKLAB_STATE) is unusable at", exc,
            "point SOCKLAB_STATE at a folder socklab may write (default "
            f"{DEFAULT_STATE})") from None


def state_dir():
    path = Path(os.environ.get("SOCKLAB_STATE", DEFAULT_STATE))
    with _state_io():
        (path / "runs").mkdir(parents=True, exist_ok=True)
    return path


def check_state():
    """Fail at once if the state folder cannot be written: before a
    command makes or removes anything, not halfway through."""
    with _state_io():
        (state_dir() / "registry.lock").touch()


@contextlib.contextmanager
def locked(name):
    """A machine-wide critical section, by flock on state_dir()/name."""
    with _state_io():
        handle = open(state_dir() / name, "a")
    with handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def _lock_path(run_id):
    return state_dir() / "runs" / f"{run_id}.lock"


def alive(run_id):
    """True while the run's process holds its lock."""
    with _state_io():
        try:
            handle = open(_lock_path(run_id))
        except FileNotFoundError:
            return False
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        return False


def live_runs():
    """{run id: its record} of every live run on this machine."""
    found = {}
    for path in (state_dir() / "runs").glob("*.lock"):
        run_id = path.stem
        if alive(run_id):
            try:
                found[run_id] = json.loads(path.read_text() or "{}")
            except (OSError, ValueError):
                found[run_id] = {}
    return found


def _overlapping(subnets, folder, others):
    """The first live run we must wait for: one whose results folder is
    ours (its evidence is being written there), or one whose subnet
    overlaps ours; (run id, its record, what we share) or None."""
    mine = [ip_network(s) for s in subnets]
    for run_id, record in others.items():
        if folder and record.get("folder") == folder:
            return run_id, record, folder
        for theirs in record.get("subnets", []):
            other = ip_network(theirs)
            if any(m.version == other.version and m.overlaps(other)
                   for m in mine):
                return run_id, record, theirs
    return None


@contextlib.contextmanager
def registered(run_id, scenario, subnets, say, folder=""):
    """Hold the run's lock; first wait while a live run uses any of our
    subnets or our results folder (saying once what we wait for)."""
    lock = _lock_path(run_id)
    with _state_io():
        handle = open(lock, "w")
    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    told = None
    try:
        while True:
            with locked("registry.lock"):
                clash = _overlapping(subnets, folder, {
                    k: v for k, v in live_runs().items() if k != run_id})
                if clash is None:
                    with _state_io():
                        handle.write(json.dumps({
                            "scenario": scenario, "subnets": list(subnets),
                            "folder": folder, "pid": os.getpid()}))
                        handle.flush()
                    break
            other, record, subnet = clash
            if told != other:
                say(f"waiting for run {other} (scenario "
                    f"{record.get('scenario', '?')}, pid "
                    f"{record.get('pid', '?')}), which uses {subnet}")
                told = other
            time.sleep(0.3)
        yield
    finally:
        with contextlib.suppress(OSError):
            lock.unlink(missing_ok=True)
        handle.close()


def stuck():
    """Ids of networks Docker refused to remove (a stale endpoint)."""
    try:
        return set(json.loads((state_dir() / "stuck.json").read_text()))
    except (OSError, ValueError):
        return set()


def remember_stuck(network_id):
    with locked("stuck.lock"), _state_io():
        ids = stuck() | {network_id}
        (state_dir() / "stuck.json").write_text(json.dumps(sorted(ids)))


# A run's labels name its process (labels.OWNER): whether it is alive is
# then known from the machine itself, whichever state folder a `clean`
# reads. The process's start time guards against a reused pid.

def _started(pid):
    """The process's start time (clock ticks since boot); None if it is
    gone (a zombie, killed and not yet reaped, is gone too)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return None if len(fields) < 20 or fields[0] in "ZX" else fields[19]


def owner():
    """This process, as a run's labels name it: machine:pid:start."""
    pid = os.getpid()
    return f"{socket.gethostname()}:{pid}:{_started(pid)}"


def owner_alive(owner_label):
    """Is the process the label names alive on this machine?"""
    machine, pid, start = (owner_label.split(":") + ["", ""])[:3]
    if machine != socket.gethostname() or not pid.isdigit():
        return False
    now = _started(int(pid))
    return now is not None and start in ("", now)


def host_files(run_id):
    """The folder of a run's hosts' /etc/hosts files (bound read-only into
    hosts whose root is read-only and for which Docker writes none)."""
    return state_dir() / "hosts" / run_id


def forget(run_id):
    """Remove what the state folder holds of a run that is gone."""
    shutil.rmtree(host_files(run_id), ignore_errors=True)


def prune(keep=(), older_than=60):
    """Remove the lock files and host files of runs that are gone (a
    killed run leaves its own), but those of runs in keep (a lab left up).
    Only old ones: a run creates its file, then locks it."""
    for path in [*(state_dir() / "runs").glob("*.lock"),
                 *(state_dir() / "hosts").glob("*")]:
        with contextlib.suppress(OSError):
            if time.time() - path.stat().st_mtime > older_than and \
                    path.stem not in keep and not alive(path.stem):
                shutil.rmtree(path) if path.is_dir() else path.unlink()
