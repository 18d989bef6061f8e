"""Delay and jitter on any kernel: a delay line in each host, made of an
iptables NFQUEUE rule per interface and socklab-delay, the daemon that
holds each queued packet until its time and then lets it go.

Where: on ingress (mangle PREROUTING -i IFACE). A packet crossing a network
enters exactly one host's interface on it (each host's copy of a broadcast
enters its own), so it is delayed once, by the receiving interface's delay,
and a round trip between two hosts is twice the delay. Not on egress: there
the held packet would still count against the sender's socket (its send
buffer, TCP's small-queue limit) for the whole delay, throttling TCP and
blocking UDP senders as no real link does; on ingress the kernel has
already let go of it (ip_rcv orphans it). netem, where a kernel has it, is
not used: one mechanism, the one measured here, gives the same round trips
anywhere.

What a packet sees: released `delay` after it arrived (the kernel's stamp),
give or take `jitter`, uniformly (netem's default), and never before the
packet ahead of it on the same interface: jitter does not reorder, so each
delay stays within delay +- jitter and TCP sees a clean, if uneven, path.
A packet the queue can't take (nfqueue.MAXLEN held) or that finds no daemon
is dropped, never passed undelayed: nothing is faked.

    socklab-delay            the daemon (started by apply(), below)
    socklab-delay --probe    delays lo by 10 ms and prints UDP round trips
                             (`socklab doctor` runs it in a throwaway host)
"""
import collections
import json
import os
import random
import select
import signal
import socket
import subprocess
import time

from . import contract, nfqueue

RUN = "/run/socklab"
CONFIG = f"{RUN}/delay.json"    # {"generation": G, "queues": {Q: [d, j]}}
STATE = f"{RUN}/delay.state"    # the generation the daemon has taken
PIDFILE = f"{RUN}/delay.pid"
LOG = f"{contract.LOGS}/delay.log"
CHAIN = "socklab-delay"
BATCH = 256  # notices taken in a row before due packets are let go again
UNITS = {"us": 1e-6, "ms": 1e-3, "s": 1.0}
SO_TIMESTAMP = 29  # asm-generic/socket.h; Python's socket module lacks it


def seconds(text):
    """'50ms' -> 0.05 (the scenario's durations: us, ms, s)."""
    text = str(text).strip()
    for unit in ("us", "ms", "s"):
        if text.endswith(unit):
            return float(text[:-len(unit)]) * UNITS[unit]
    return float(text)


# ------------------------------------------------------ the host's side

def _run(*argv):
    done = subprocess.run(argv, capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"{' '.join(argv)}: {done.stderr.strip()}")


def _rules(queues):
    """Exactly these interfaces' packets go to their queues, IPv4 and IPv6
    (where the kernel has it)."""
    tools = ["iptables"] + (["ip6tables"] if os.path.exists(
        "/proc/net/if_inet6") else [])
    for tool in tools:
        if subprocess.run([tool, "-t", "mangle", "-n", "-L", CHAIN],
                          capture_output=True).returncode:
            _run(tool, "-t", "mangle", "-N", CHAIN)
            _run(tool, "-t", "mangle", "-I", "PREROUTING", "1", "-j", CHAIN)
        _run(tool, "-t", "mangle", "-F", CHAIN)
        for interface, queue in queues.items():
            _run(tool, "-t", "mangle", "-A", CHAIN, "-i", interface, "-j",
                 "NFQUEUE", "--queue-num", str(queue))


def _running():
    try:
        with open(PIDFILE) as file:
            pid = int(file.read())
        with open(f"/proc/{pid}/cmdline", "rb") as file:
            return pid if contract.DELAY.encode() in file.read() else None
    except (OSError, ValueError):
        return None  # none yet, or the pid of one before a restart


def _configure(settings):
    """Give the daemon these {queue: (delay, jitter)}, starting it if need
    be; return once it has bound every queue (a rule filling a queue that
    no one reads would drop its packets)."""
    generation = time.time_ns()
    os.makedirs(RUN, exist_ok=True)
    with open(CONFIG + ".new", "w") as file:
        json.dump({"generation": generation, "queues": settings}, file)
    os.replace(CONFIG + ".new", CONFIG)
    pid, started = _running(), None
    if pid:
        os.kill(pid, signal.SIGHUP)
    else:
        os.makedirs(contract.LOGS, exist_ok=True)
        with open(LOG, "ab") as log:  # not our pipes: docker exec would wait
            started = subprocess.Popen(
                [contract.DELAY], stdin=subprocess.DEVNULL, stdout=log,
                stderr=log, start_new_session=True)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and \
            (started is None or started.poll() is None):
        try:
            with open(STATE) as file:
                if file.read().strip() == str(generation):
                    return
        except OSError:
            pass
        time.sleep(0.005)
    with open(LOG, errors="replace") as log:
        said = " ".join(log.read().splitlines()[-2:])
    raise RuntimeError(f"delay: {said or 'no answer from ' + contract.DELAY}"
                       " (delay needs the kernel's NFQUEUE target and "
                       "nfnetlink_queue; `socklab doctor` checks)")


def apply(delays):
    """delays: {interface: (delay s, jitter s)}, the host's interfaces that
    have a delay now; any other stops being delayed."""
    queues = {}
    for interface in delays:
        with open(f"/sys/class/net/{interface}/ifindex") as file:
            queues[interface] = int(file.read())  # unique in the namespace
    if not delays and not _running():
        return  # never delayed: nothing to undo
    # Bound first, rules second: no packet is queued before a reader is.
    # A queue no rule fills any more stays bound, and empties on time.
    _configure({str(queues[i]): list(d) for i, d in delays.items()})
    _rules(queues)


# --------------------------------------------------------- the daemon

class DelayLine:
    """The held packets of every queue, oldest first, with their times."""

    def __init__(self, sock):
        self.sock, self.settings, self.bound = sock, {}, set()
        self.held = collections.defaultdict(collections.deque)
        self.last = collections.defaultdict(float)  # latest release, per queue

    def reload(self):
        with open(CONFIG) as file:
            config = json.load(file)
        settings = {int(q): tuple(v) for q, v in config["queues"].items()}
        for queue in sorted(set(settings) - self.bound):
            early = nfqueue.bind(self.sock, queue)
            self.bound.add(queue)
            self.take(early, time.monotonic())
        self.settings = settings  # queues left out: no delay from now on
        with open(STATE + ".new", "w") as file:
            file.write(str(config["generation"]))
        os.replace(STATE + ".new", STATE)

    def take(self, notices, now, wall=None):
        """Hold each packet `delay` from its arrival: the kernel's receive
        time where it gave one (so a daemon kept off the CPU by a busy
        machine does not add the time it took to read the notice), else
        now. now is monotonic, wall the same moment in epoch seconds."""
        for queue, packet, arrival in notices:
            delay, jitter = self.settings.get(queue, (0.0, 0.0))
            since = wall - arrival if arrival and wall else 0.0
            due = now - min(max(since, 0.0), delay) + delay + (
                random.uniform(-jitter, jitter) if jitter else 0.0)
            due = max(due, self.last[queue])  # never overtake: no reordering
            self.last[queue] = due
            self.held[queue].append((due, packet))

    def release(self, now):
        """Let every due packet go; return when the next one is due."""
        upcoming = None
        for queue, line in self.held.items():
            last = None
            while line and line[0][0] <= now:
                last = line.popleft()[1]
            if last is not None:
                nfqueue.accept_up_to(self.sock, queue, last)
            if line and (upcoming is None or line[0][0] < upcoming):
                upcoming = line[0][0]
        return upcoming

    def read(self):
        for _ in range(BATCH):
            try:
                data = self.sock.recv(65536)
            except (BlockingIOError, InterruptedError):
                return
            self.take(nfqueue.packets(data), time.monotonic(),
                      time.time())


def serve():
    sock = nfqueue.open_socket()
    wake, woken = os.pipe()
    os.set_blocking(wake, False)
    os.set_blocking(woken, False)
    signal.set_wakeup_fd(woken)  # SIGHUP wakes select(): new settings
    signal.signal(signal.SIGHUP, lambda *_: None)
    # Any socket asking for receive timestamps makes the kernel stamp every
    # packet as it arrives, before it is queued: the notices then say when
    # each packet came (nfqueue.packets).
    stamps = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    stamps.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMP, 1)
    line = DelayLine(sock)
    with open(PIDFILE, "w") as file:
        file.write(str(os.getpid()))
    line.reload()
    while True:
        upcoming = line.release(time.monotonic())
        timeout = None if upcoming is None else \
            max(0.0, upcoming - time.monotonic())
        ready = select.select([sock, wake], [], [], timeout)[0]
        if wake in ready:
            try:
                while os.read(wake, 64):
                    pass
            except BlockingIOError:
                pass
            line.reload()
        if sock in ready:
            line.read()


def probe():
    """The whole mechanism on lo: 10 ms each way, so ~20 ms round trips."""
    apply({"lo": (0.010, 0.0)})
    server = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    server.bind(("127.0.0.1", 0))
    client = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    client.settimeout(2)
    server.settimeout(2)
    trips = []
    for _ in range(5):
        start = time.monotonic()
        client.sendto(b"probe", server.getsockname())
        data, peer = server.recvfrom(64)
        server.sendto(data, peer)
        client.recvfrom(64)
        trips.append(round((time.monotonic() - start) * 1000, 2))
    print(json.dumps({"asked_ms": 20, "round_trips_ms": trips}))
    return 0


def main(argv):
    try:
        return probe() if argv[:1] == ["--probe"] else serve()
    except Exception as exc:
        # The delayed links drop everything from now on: say so where the
        # user reads, the host's log (its first process's output), too.
        line = f"{contract.DELAY}: stopped: {exc}"
        print(line, flush=True)
        try:
            with open("/proc/1/fd/1", "a") as host_log:
                host_log.write(line + "\n")
        except OSError:
            pass
        if not isinstance(exc, (OSError, RuntimeError, nfqueue.QueueError)):
            raise  # (its traceback goes to delay.log)
        return 1
