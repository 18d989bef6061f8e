"""Command lines of the built-in programs.

One parser per program, shared by the programs themselves (inside the hosts)
and by the scenario validator (on the machine running socklab), so a typo in
a scenario is reported before anything starts. Standard library only.
"""
import argparse
import errno

from .common import FAILURES

# Fields each program puts in its one-line JSON result. The validator uses
# them to catch misspelt expectations; `exit`, `stdout`, `stderr` and
# `elapsed_ms` exist for every command.
RESULT_FIELDS = {
    "connect": ("outcome", "errno", "elapsed_ms", "to", "address"),
    "connect-many": ("established", "refused", "timed_out", "reset",
                     "unreachable", "elapsed_ms"),
    "tcp-server": ("outcome", "errno", "connections", "messages"),
    "tcp-client": ("outcome", "errno", "sent", "replies", "received",
                   "sent_bytes", "received_bytes", "peer_closed",
                   "elapsed_ms", "address"),
    "udp-server": ("outcome", "errno", "messages"),
    "udp-client": ("outcome", "errno", "sent", "replies", "lost",
                   "received"),
    "udp-send": ("outcome", "errno", "sent"),
    "udp-listen": ("outcome", "errno", "received", "messages", "senders"),
    "service-log": ("lines", "count", "matches"),
}
COMMON_FIELDS = ("exit", "stdout", "stderr", "elapsed_ms",
                 "step_timed_out", "output_cut")

# The values a program can put in a field, where they are few: an
# expectation of any other (`outcome: rejected`) could never hold. errno is
# the name errno.errorcode gives (EAGAIN, never its alias EWOULDBLOCK).
ERRNO_NAMES = (None, *sorted(set(errno.errorcode.values())))
RESULT_VALUES = {
    "connect": {"outcome": ("connected", *FAILURES), "errno": ERRNO_NAMES},
    # the others say ok when every socket call went through
    **{program: {"outcome": ("ok", *FAILURES), "errno": ERRNO_NAMES}
       for program in ("tcp-server", "tcp-client", "udp-server",
                       "udp-client", "udp-send", "udp-listen")},
}

# Programs that signal readiness: servers once bound (as services they are
# awaited until they listen, as background steps until they are bound),
# tcp-client once its first message was sent (and answered, if it waits
# for replies).
SIGNALS_READY = frozenset({"tcp-server", "udp-server", "udp-listen",
                           "tcp-client"})


class UsageError(Exception):
    """A built-in program's command line is wrong."""


class Parser(argparse.ArgumentParser):
    # argparse exits the process on errors; the validator needs an exception
    # it can turn into "file:line: field: message".
    def error(self, message):
        raise UsageError(f"{self.prog}: {message}")


def _parser(prog, description):
    return Parser(prog=prog, description=description, allow_abbrev=False)


def _to(p):
    p.add_argument("--to", required=True, metavar="HOST:PORT",
                   help="a host name, HOST.NETWORK or an address ([IPv6] in "
                   "brackets), and a port")
    p.add_argument("--family", choices=("4", "6"), default=None,
                   help="only addresses of this family (a name may have "
                   "both; default: each, in the resolver's order)")


def _bind(p):
    p.add_argument("--bind", default=None, metavar="ADDRESS",
                   help="default: every address of the host (:: where it "
                   "has IPv6, which takes IPv4 too, else 0.0.0.0)")


def _port(p):
    p.add_argument("--port", required=True, type=int, metavar="P")


def _message(p):
    p.add_argument("--message", default="hello", metavar="M")
    p.add_argument("--count", type=int, default=1, metavar="N")
    p.add_argument("--size", type=int, default=0, metavar="BYTES",
                   help="pad or repeat the message to this many bytes")


def _lifetime(p):
    p.add_argument("--for", dest="duration", type=float, default=0,
                   metavar="S", help="stop after S seconds (0: run on)")


def build() -> dict:
    """Return {program name: parser} for every built-in program."""
    parsers = {}

    p = parsers["connect"] = _parser(
        "connect", "Open one TCP connection and report how it went.")
    _to(p)
    p.add_argument("--timeout", type=float, default=5, metavar="S")
    p.add_argument("--hold", type=float, default=0, metavar="S",
                   help="keep the connection open S seconds before closing")

    p = parsers["connect-many"] = _parser(
        "connect-many", "Open N TCP connections at once; count outcomes.")
    _to(p)
    p.add_argument("--count", type=int, required=True, metavar="N")
    p.add_argument("--timeout", type=float, default=3, metavar="S")
    p.add_argument("--hold", type=float, default=0, metavar="S")

    p = parsers["tcp-server"] = _parser(
        "tcp-server", "A TCP server that logs every connection and message.")
    _port(p)
    _bind(p)
    p.add_argument("--backlog", type=int, default=128, metavar="N")
    p.add_argument("--no-accept", action="store_true")
    p.add_argument("--concurrency", default="thread",
                   choices=("none", "thread", "process"))
    p.add_argument("--framing", default="none", choices=("none", "length"))
    p.add_argument("--reply", default="echo", choices=("echo", "ack", "none"))
    p.add_argument("--no-reuseaddr", action="store_true")
    p.add_argument("--delay", type=float, default=0, metavar="S",
                   help="wait S seconds before each reply")
    p.add_argument("--close", default="peer", choices=("peer", "after-reply"),
                   help="who closes: wait for the peer, or close first")
    p.add_argument("--count", type=int, default=0, metavar="N",
                   help="exit after N connections have ended")
    _lifetime(p)

    p = parsers["tcp-client"] = _parser(
        "tcp-client", "Send messages over one TCP connection; read replies.")
    _to(p)
    _message(p)
    p.add_argument("--framing", default="none", choices=("none", "length"))
    p.add_argument("--timeout", type=float, default=5, metavar="S")
    p.add_argument("--burst", action="store_true",
                   help="send every message first, then read replies")
    p.add_argument("--interval", type=float, default=0, metavar="S")
    p.add_argument("--send-call", default="sendall",
                   choices=("sendall", "send"))
    p.add_argument("--no-reply", action="store_true",
                   help="only send; read nothing back")
    p.add_argument("--hold", type=float, default=0, metavar="S")
    p.add_argument("--wait-close", type=float, default=0, metavar="S",
                   help="after the last reply, read on up to S seconds for "
                   "the peer to close (recv() == b'')")

    p = parsers["udp-server"] = _parser(
        "udp-server", "A UDP server that logs and answers each datagram.")
    _port(p)
    _bind(p)
    p.add_argument("--reply", default="echo", choices=("echo", "ack", "none"))
    p.add_argument("--count", type=int, default=0, metavar="N")
    _lifetime(p)

    p = parsers["udp-client"] = _parser(
        "udp-client", "Send datagrams one by one, waiting for each reply.")
    _to(p)
    _message(p)
    p.add_argument("--timeout", type=float, default=1, metavar="S",
                   help="how long to wait for each reply")
    p.add_argument("--interval", type=float, default=0, metavar="S")

    p = parsers["udp-send"] = _parser(
        "udp-send", "Send datagrams and read nothing back.")
    _to(p)
    _message(p)
    p.add_argument("--broadcast", action="store_true",
                   help="set SO_BROADCAST (needed to send to a broadcast "
                   "address)")
    p.add_argument("--from", dest="source", metavar="NETWORK|ADDRESS",
                   help="send from this interface (default: the first)")
    p.add_argument("--ttl", type=int, default=1, metavar="N",
                   help="hops a datagram to a multicast group may take "
                   "(default 1: its own LAN)")
    p.add_argument("--interval", type=float, default=0, metavar="S")

    p = parsers["udp-listen"] = _parser(
        "udp-listen", "Receive datagrams on a port for a while.")
    _port(p)
    p.add_argument("--for", dest="duration", type=float, default=5,
                   metavar="S")
    p.add_argument("--count", type=int, default=0, metavar="N",
                   help="stop after N datagrams")
    _bind(p)
    p.add_argument("--join", metavar="GROUP",
                   help="join this multicast group on each interface")
    p = parsers["service-log"] = _parser(
        "service-log", "Count lines of this host's service output (all "
        "services, or one) that match.")
    p.add_argument("--service", type=int, default=0, metavar="N",
                   help="only the N-th service (1-based); default: all")
    p.add_argument("--match", default="", metavar="REGEX")
    p.add_argument("--event", default="", metavar="NAME",
                   help="only JSON log lines of this event (built-in "
                   "servers: listening, connection, message, closed)")
    p.add_argument("--where", action="append", default=[],
                   metavar="KEY=VALUE", help="only JSON log lines whose KEY "
                   "is VALUE (repeatable), e.g. --where peer=client")
    return parsers
