"""Progress of long work (base bootstrap, image build, bring-up, steps).

On a terminal, a phase shows a live line with a spinner and the seconds
spent, replaced by its outcome when done; without one (CI, pipes) each phase
is one plain line when it starts and one when it ends. Progress(None) is
silent (pytest, library use).
"""
import contextlib
import itertools
import threading
import time

SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"


class Progress:
    def __init__(self, stream):
        self.stream = stream
        self.tty = bool(stream) and stream.isatty()
        self.lock = threading.Lock()
        self.status = ""

    def say(self, *lines):
        """Print lines (none: nothing) above the live line, if any."""
        if not self.stream or not lines:
            return
        with self.lock:
            clear = "\r\033[K" if self.tty and self.status else ""
            try:
                self.stream.write(clear + "".join(f"{line}\n"
                                                  for line in lines))
                if self.tty and self.status:
                    self.stream.write(self.status)
                self.stream.flush()
            except (BrokenPipeError, ValueError):
                # Nobody reads any more (the `run --jobs` parent was
                # killed): the run goes on, silently, and ends as it
                # would, its evidence saying how.
                self.stream = None

    def live(self, text):
        """On a terminal, make text the live line ("" clears it); nothing
        without one, where callers say plain lines instead."""
        if not self.tty:
            return
        with self.lock:
            self.status = f"\r\033[K{text}" if text else ""
            self.stream.write(self.status or "\r\033[K")
            self.stream.flush()

    @contextlib.contextmanager
    def phase(self, text):
        start = time.monotonic()
        done = threading.Event()
        if self.tty:
            def spin():
                for mark in itertools.cycle(SPINNER):
                    if done.wait(0.1):
                        return
                    with self.lock:
                        self.status = (f"\r\033[K{mark} {text} "
                                       f"({time.monotonic() - start:.1f} s)")
                        self.stream.write(self.status)
                        self.stream.flush()
            spinner = threading.Thread(target=spin, daemon=True)
            spinner.start()
        else:
            self.say(f"{text} ...")
        outcome = "failed"
        try:
            yield
            outcome = "done"
        finally:
            done.set()
            if self.tty:
                spinner.join()
                with self.lock:
                    self.status = ""
            self.say(f"{text}: {outcome} in {time.monotonic() - start:.1f} s")


def tail(text, lines):
    """The last lines of a log, for a failure message."""
    return "\n".join(text.rstrip("\n").splitlines()[-lines:])
