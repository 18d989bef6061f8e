"""Per-phase timestamps, for profiling a run (bench/run.py --phases).

Where SOCKLAB_TIMINGS names a file, every phase appends one JSON line to it:
{"phase": ..., "start": monotonic seconds, "seconds": ...}. Otherwise a
phase costs one environment lookup.
"""
import contextlib
import json
import os
import threading
import time

_LOCK = threading.Lock()


@contextlib.contextmanager
def phase(name):
    path = os.environ.get("SOCKLAB_TIMINGS")
    start = time.monotonic()
    try:
        yield
    finally:
        if path:
            line = json.dumps({"phase": name, "start": round(start, 3),
                               "seconds": round(time.monotonic() - start,
                                                3)})
            with _LOCK, open(path, "a", encoding="utf-8") as out:
                out.write(line + "\n")


def call(name, function, *args, **kwargs):
    """function(*args, **kwargs) as the phase `name` (for a phase that is
    one call passed on, as to api.together)."""
    with phase(name):
        return function(*args, **kwargs)
