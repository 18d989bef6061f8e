"""Ctrl-C and SIGTERM: stop the run, but never in the middle of teardown.

SIGTERM is turned into KeyboardInterrupt so one code path (the runner's
`finally`) cleans up after both. While teardown runs, both signals are held
back and re-raised after it, so a second Ctrl-C cannot leave things behind.
"""
import contextlib
import signal
import threading


def _raise(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


def install():
    """Make SIGTERM behave like Ctrl-C (main thread only)."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _raise)


@contextlib.contextmanager
def deferred():
    """Hold SIGINT and SIGTERM back for the duration of the block."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    held = []
    previous = {s: signal.getsignal(s) for s in (signal.SIGINT,
                                                 signal.SIGTERM)}
    for sig in previous:
        signal.signal(sig, lambda signum, frame: held.append(signum))
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if held:
            raise KeyboardInterrupt(f"signal {held[0]} (after teardown)")
