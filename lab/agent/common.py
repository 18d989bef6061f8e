"""What every built-in program shares: targets, outcomes, results, readiness.

Standard library only: this runs inside the lab's hosts.
"""
import errno
import json
import os
import signal
import socket
import sys
import threading
import time

from . import contract
from .addressing import plain

# errno -> the outcome words of the scenario format.
OUTCOMES = {
    errno.ECONNREFUSED: "refused",
    errno.ETIMEDOUT: "timeout",
    errno.EHOSTUNREACH: "unreachable",
    errno.ENETUNREACH: "unreachable",
    errno.ECONNRESET: "reset",
    errno.EPIPE: "reset",
}
UNKNOWN = "error"  # any other errno
# Every outcome a failed socket call can give (the validator checks
# expectations against them).
FAILURES = (*dict.fromkeys(OUTCOMES.values()), UNKNOWN)

_out = threading.Lock()


def classify(exc):
    """An exception from a socket call -> (outcome, errno name or None)."""
    if isinstance(exc, socket.timeout):
        return "timeout", "ETIMEDOUT"
    code = getattr(exc, "errno", None)
    return OUTCOMES.get(code, UNKNOWN), errno.errorcode.get(code)


def emit(record):
    """Print one JSON line (a log event or the final result)."""
    line = json.dumps(record, ensure_ascii=False)
    with _out:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


def log(event, **fields):
    emit({"event": event, **fields})


def ready():
    """Tell whoever started us (host init or step runner) that we are bound."""
    fd = os.environ.pop(contract.READY_FD, None)
    if fd is not None:
        try:
            os.write(int(fd), b"ready\n")
            os.close(int(fd))
        except OSError:
            pass  # nobody listens: readiness is only a courtesy


def name_of(address):
    """The scenario's host name for an address, else the address (an
    IPv4 peer of a `::` socket as IPv4)."""
    names = json.loads(os.environ.get(contract.NAMES, "{}"))
    address = plain(address)
    return names.get(address, address)


def payload(message, size):
    """The bytes to send: the message, repeated or cut to `size` if given."""
    data = message.encode("utf-8")
    if size and data:
        data = (data * (size // len(data) + 1))[:size]
    return data


def text(data):
    return data.decode("utf-8", errors="replace")


def ms_since(start):
    return round((time.monotonic() - start) * 1000, 1)


_interrupted = threading.Event()


def _interrupt(*_):
    if _interrupted.is_set():  # a second Ctrl-C: stop now (main.py)
        raise KeyboardInterrupt
    _interrupted.set()


def interrupted():
    """Has Ctrl-C ended a server's lifetime?"""
    return _interrupted.is_set()


def run_for(duration):
    """A deadline check: True while a `--for S` lifetime has not passed.
    Ctrl-C ends it too, so a server run by hand (`socklab shell`) says its
    result as at its end, not a traceback. (Where SIGINT is ignored, as for
    a background job of a shell, it stays ignored.)"""
    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
        signal.signal(signal.SIGINT, _interrupt)
    end = time.monotonic() + duration if duration else None
    return lambda: not _interrupted.is_set() and (
        end is None or time.monotonic() < end)
