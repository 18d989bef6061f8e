"""The scenario format's shape, declared once.

The same declaration checks a document's shape (unknown keys with a
did-you-mean, types, required fields) and prints the JSON Schema that
editors use (`socklab schema`). Meaning (addresses inside subnets, hosts
that exist, commands that parse) is checked afterwards, in validate.py.
"""
import json

from . import actions, names
from .actions import IMPAIR_FIELDS
from .shapes import Anything, Bool, ListOf, MapOf, Num, Obj, OneOf, Str


# ---------------------------------------------------------------- the format

READY = Obj({
    "tcp": Num("ready when something listens on this TCP port", 1, True,
               65535),
    "udp": Num("ready when something is bound to this UDP port", 1, True,
               65535),
    "log": Str("ready when the program prints a line matching this regex"),
    "timeout": Num("seconds to wait for readiness (default 30)", 0.1),
}, doc="when the program counts as ready")

SERVICE = OneOf((
    Str("a command line; built-in servers are ready once listening",
        ("tcp-server --port 9000",)),
    Obj({"run": Str("the command line"), "ready": READY},
        doc="a command with a readiness check", required=("run",)),
), doc="a long-running program started before the first step")

IMPAIR = Obj(IMPAIR_FIELDS, doc="impairments of one interface")

def one_or_per_family(item, doc):
    """One value, or a list with one per family (IPv4, IPv6)."""
    return OneOf((item, ListOf(item, f"{doc}, one per family", min_items=1)),
                 doc=doc)


ROUTE = Obj({
    "to": Str("destination CIDR of either family, or default",
              ("10.10.2.0/24", "fd00:2::/64")),
    "via": Str("next hop: an address on one of the host's networks"),
}, doc="a static route", required=("to", "via"))

HOST = Obj({
    "interfaces": MapOf(one_or_per_family(
        Str("an address inside the network's subnet"),
        "the interface's address(es)"),
        "network name -> address, or a list of one IPv4 and one IPv6",
        min_items=1, longest=names.NETWORK_MAX),
    "gateway": one_or_per_family(Str("default route via this address"),
                                 "default route(s)"),
    "routes": ListOf(ROUTE, "extra static routes"),
    "forward": Bool("route packets between the host's networks"),
    "image": Str("the host runs this image, which the engine already has "
                 "(socklab never pulls); it needs nothing of socklab's",
                 ("myteam/server:1.4",)),
    "build": Str("the host runs the image built from this folder (next to "
                 "the scenario, with a Dockerfile), rebuilt when it changes",
                 ("server",)),
    "services": ListOf(SERVICE, "long-running programs, started in order"),
    "firewall": ListOf(Str("iptables arguments, e.g. "
                           "'-A INPUT -p tcp --dport 9001 -j DROP'"),
                       "firewall rules set in the host before its services"),
    "net_admin": Bool("let the host's programs change its routes and "
                      "firewall (CAP_NET_ADMIN in its own namespace)"),
    "limits": Obj({
        "pids": Num("most processes and threads at once (default 512)",
                    16, True, 100_000),
        "memory": Str("memory limit, e.g. 256m or 1g (default 512m)"),
        "disk": Str("what its programs may write, together, e.g. 128m "
                    "(default 256m, at most half the memory); past it, "
                    "ENOSPC in the host. Less than memory: the files are "
                    "in the host's memory"),
        "cpus": Num("CPUs it may use, e.g. 0.5 (default 1)", 0.01, False,
                    64),
    }, doc="resource limits of the host (its programs share them)"),
    "impair": MapOf(IMPAIR, "per interface (network name -> impairments); "
                    "overrides the network's", longest=names.NETWORK_MAX),
    "capture": Bool("a pcap of all the host's interfaces, <host>.pcap"),
    "node": Str("with --engine swarm: the swarm node (hostname or ID) to "
                "run on; ignored on one engine"),
}, doc="a lab host (one container)", required=("interfaces",))

NETWORK = Obj({
    "subnet": one_or_per_family(
        Str("a subnet: IPv4 in a private range, IPv6 in fc00::/7",
            ("10.10.1.0/24", "fd00:1::/64")), "the segment's subnet(s)"),
    **IMPAIR_FIELDS,
    "capture": Bool("a pcap of everything on the network, <network>.pcap"),
}, doc="an isolated L2 segment", required=("subnet",))

OPS = ("eq", "ne", "lt", "le", "gt", "ge", "in", "contains", "matches",
       "between")
EXPECT_VALUE = OneOf((
    Obj({op: Anything(f"`{op}` comparison") for op in OPS},
        doc="{OP: VALUE}"),
    Anything("the value the field must equal"),
), doc="VALUE or {OP: VALUE}")

STEP = Obj({
    "name": Str("a label shown in reports"),
    "on": OneOf((Str("a host"), ListOf(Str("a host"), min_items=1)),
                doc="the host, or hosts, the step runs on"),
    "run": Str("a built-in program or any command line",
               ("tcp-client --to server:9000 --message hello",)),
    "expect": MapOf(EXPECT_VALUE, "result field -> expectation"),
    "timeout": Num("seconds before the step fails as timed out "
                   "(default 30)", 0.1),
    "background": Bool("start it, go on once it is ready, check it at the "
                       "end"),
    "points": Num("what the step is worth when graded (`socklab grade`; "
                  "default 1): all if it held on each host, else none",
                  0, False, 10_000),
    "hidden": Bool("graded, but a student's feedback shows only its name "
                   "and verdict, never its command, expectation or output"),
    **{action.key: action.shape for action in actions.ACTIONS},
}, doc="a step: `run` a command `on` hosts and check its result, or one "
    f"fault action ({', '.join(a.key for a in actions.ACTIONS)})")

SCENARIO = Obj({
    "name": Str("the scenario's name (default: the file's stem)",
                pattern=names.SCENARIO_PATTERN, longest=names.SCENARIO_MAX),
    "description": Str("what the scenario shows"),
    "networks": MapOf(NETWORK, "the lab's networks", min_items=1,
                      longest=names.NETWORK_MAX),
    "hosts": MapOf(HOST, "the lab's hosts", min_items=1,
                   longest=names.HOST_MAX),
    "steps": ListOf(STEP, "what to run and check, in order"),
}, doc="a socklab scenario", required=("networks", "hosts"))


def json_schema():
    return {"$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": "https://socklab.invalid/scenario.schema.json",
            "title": "socklab scenario", **SCENARIO.schema()}


def show(args=None):
    """`socklab schema`: the format's JSON Schema, for editors."""
    print(json.dumps(json_schema(), indent=2, ensure_ascii=False))
    return 0
