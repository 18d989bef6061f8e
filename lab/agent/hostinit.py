"""socklab-host: the main process of a lab host with more to it than links
and DNS, which socklab-init (init.sh) has set before it hands over.

It makes the host what the scenario says (exactly the declared routes,
firewall rules, impairments, a capture if asked), then starts the services
in order, waiting for each to be ready, and prints one marker line that the
orchestrator waits for:

    socklab-init: ready
    socklab-init: failed: <why>

Everything the services print goes to this process's stdout, which is the
container's log. Configuration comes as JSON in SOCKLAB_HOST.
"""
import collections
import json
import os
import re
import select
import shlex
import signal
import subprocess
import sys
import threading
import time

from . import contract, netconf
from .launch import kill_group, spawn, status

_out = threading.Lock()
LOGS = contract.LOGS  # services.log and service-N.log, for service-log


def say(line):
    with _out:
        sys.stdout.buffer.write(f"{contract.INIT}: {line}\n".encode())
        sys.stdout.buffer.flush()


LOG_FIRST = 1 << 20  # bytes of a service's output in the host log, first
FIRST = 16 << 20     # and in its files (service-log), from its start
LAST = 256 << 10     # and of its end, past those: a flood is bounded
_combined = []     # services.log, opened once (all services, whole lines)


def _write(data, own, log=True):
    """Whole lines to the host log (the container's stdout) and the files
    service-log reads, as one batch: one write and flush for whatever the
    program printed at once, not one per line. A full log folder (a tmpfs
    of its own) stops the files, not the log."""
    with _out:
        if log:
            sys.stdout.buffer.write(data)
            sys.stdout.buffer.flush()
        for handle in (own, *_combined):
            try:
                handle.write(data)
                handle.flush()
            except (OSError, ValueError):
                handle.close()


def _pump(process, number, pattern, matched):
    """Copy a service's output, as it comes, in whole lines; watch for the
    `ready: {log: REGEX}` pattern. Past FIRST bytes, only the last LAST
    are kept (in service-N.last, and in the log when it ends), with what
    was cut said."""
    if not _combined:
        _combined.append(open(f"{LOGS}/services.log", "ab"))
    own = open(f"{LOGS}/service-{number}.log", "ab")
    fd, partial, kept, cut = process.stdout.fileno(), b"", 0, 0
    tail, held, shown = collections.deque(), 0, 0.0
    while True:
        chunk = _gather(fd)
        data = partial + chunk if chunk else \
            (partial + b"\n" if partial else b"")
        end = data.rfind(b"\n") + 1
        if len(data) - end >= 1 << 16:  # a line without end: hand it on
            end = len(data)
        lines, partial = data[:end], data[end:]
        if pattern and lines and not matched.is_set() and any(
                pattern.search(line.decode("utf-8", "replace"))
                for line in lines.splitlines()):
            matched.set()
        if lines and kept < FIRST:
            if kept < LOG_FIRST <= kept + len(lines):
                say(f"service {number} printed more than {LOG_FIRST >> 20}"
                    f" MiB: the host log has its first MiB and will have its"
                    f" last part; service-log, its first {FIRST >> 20} MiB")
            _write(lines, own, log=kept < LOG_FIRST)
            kept += len(lines)
        elif lines:
            cut += len(lines)
            tail.append(lines)
            held += len(lines)
            while held - len(tail[0]) > LAST:
                held -= len(tail.popleft())
            if time.monotonic() - shown > 2:  # endless: keep it readable
                shown = time.monotonic()
                _last(number, tail)
        if not chunk:
            break
    if cut:
        _last(number, tail)
        last = b"".join(tail)[-LAST:]
        _write(f"[socklab: service {number} printed {kept + cut} bytes; "
               f"{cut - len(last)} cut here; its last part follows]\n"
               .encode() + last, own)


def _gather(fd, linger=0.005, most=1 << 16):
    """What the program printed: at least one read, then whatever more it
    prints within `linger` seconds (a program that prints line by line,
    unbuffered, makes a write per line; copying each on its own would cost
    a flush and three writes per line)."""
    chunk = os.read(fd, most)
    while chunk and len(chunk) < most and \
            select.select([fd], [], [], linger)[0]:
        more = os.read(fd, most - len(chunk))
        if not more:
            break
        chunk += more
    return chunk


def _last(number, tail):
    try:
        with open(f"{LOGS}/service-{number}.last", "wb") as last:
            last.write(b"".join(tail)[-LAST:])
    except OSError:
        pass


def _listening(protocol, port):
    """Is some socket of this host bound (udp) or listening (tcp) on port?"""
    tables = []
    for suffix in ("", "6"):
        try:
            with open(f"/proc/net/{protocol}{suffix}") as table:
                tables.append(table.read())
        except OSError:
            continue
    return bound(protocol, port, "\n".join(tables))


def bound(protocol, port, tables):
    """Does /proc/net/tcp[6] (udp[6]) text show a socket bound (udp) or
    listening (tcp) on port? (Also read from outside a host: engine/app.py.)
    """
    for row in tables.splitlines():
        fields = row.split()
        if len(fields) < 4 or ":" not in fields[1] or fields[0] == "sl":
            continue  # a header
        local, state = fields[1], fields[3]
        if int(local.rsplit(":", 1)[1], 16) == port and \
                (protocol == "udp" or state == "0A"):
            return True
    return False


def _wait_ready(service, process, ready_fd, matched):
    ready = service.get("ready") or {}
    deadline = time.monotonic() + service.get("timeout", 30)
    signalled = threading.Event()
    threading.Thread(target=lambda: os.read(ready_fd, 16) and signalled.set(),
                     daemon=True).start()
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return f"exited with status {status(process.returncode)} " \
                   "before it was ready"
        if ("signal" in ready and signalled.is_set()) or \
                ("log" in ready and matched.is_set()) or \
                ("tcp" in ready and _listening("tcp", ready["tcp"])) or \
                ("udp" in ready and _listening("udp", ready["udp"])) or \
                not ready:
            return None
        time.sleep(0.02)
    return f"was not ready within {service.get('timeout', 30)} s ({ready})"


def _capture():
    """tcpdump on every interface of the host; each packet is handed over
    as it arrives (--immediate-mode: libpcap would batch them for up to a
    second) and written at once (-U), so the file is whole at any moment.
    Returns once it is listening. LOGS is a tmpfs that goes with the
    host: the orchestrator reads the capture before it kills the host, and
    names each lifetime's (capture.pcap, capture.restart-1.pcap...)."""
    process = subprocess.Popen(
        ["tcpdump", "-i", "any", "--immediate-mode", "-U", "-Z", "root",
         "-w", f"{LOGS}/capture.pcap"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    said = []
    for line in iter(process.stderr.readline, b""):  # a few lines at most
        said.append(line.decode("utf-8", "replace").strip())
        if "listening on" in said[-1]:
            return process
    raise RuntimeError(f"tcpdump: {' '.join(said)}")


def _configure(config):
    try:
        netconf.routes(config)
        for tool, rule in config.get("firewall", []):  # plan.py's pairs
            netconf.run(tool, *shlex.split(rule))
        netconf.impairments(config)
        return _capture() if config.get("capture") else None
    except RuntimeError as exc:
        raise SystemExit(f"failed: {exc}")


def main(argv):
    config = json.loads(os.environ.get(contract.HOST_CONFIG, "{}"))
    children = []

    def stop(*_):
        for process in children:
            kill_group(process)
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    os.makedirs(LOGS, exist_ok=True)
    try:
        capture = _configure(config)
    except SystemExit as exc:
        say(str(exc))
        return 1
    if capture:
        children.append(capture)
    for number, service in enumerate(config.get("services", []), 1):
        say(f"starting service {number}: {service['run']}")
        process, ready_fd = spawn(service["run"], config.get("net_admin"),
                                  subprocess.PIPE, subprocess.STDOUT)
        children.append(process)
        log = (service.get("ready") or {}).get("log")
        matched = threading.Event()
        threading.Thread(target=_pump, daemon=True, args=(
            process, number, re.compile(log) if log else None,
            matched)).start()
        problem = _wait_ready(service, process, ready_fd, matched)
        if problem:
            time.sleep(0.1)  # let the pump copy the service's last words
            say(f"failed: service {number} ({service['run']}) {problem}")
            stop()
    say("ready")
    reported = set()
    services = children[1:] if capture else children
    while True:
        for number, process in enumerate(services, 1):
            if process.poll() is not None and number not in reported:
                reported.add(number)
                say(f"service {number} exited with status "
                    f"{status(process.returncode)}")
        # Soon after the fact: a step that fails because a service died
        # names it from this line (runner._noted).
        time.sleep(0.2)
