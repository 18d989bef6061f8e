"""The scenario format's shape, declared once.

The same declaration checks a document's shape (unknown keys with a
did-you-mean, types, required fields) and prints the JSON Schema that
editors use (`socklab schema`). Meaning (addresses inside subnets, hosts
that exist, commands that parse) is checked afterwards, in validate.py.
"""
import difflib
import math
from dataclasses import dataclass, field

from . import names


def _kind(value):
    return {bool: "true/false", int: "a number", float: "a number",
            str: "text", list: "a list", dict: "a mapping",
            type(None): "nothing"}.get(type(value), type(value).__name__)


@dataclass(frozen=True)
class Str:
    doc: str = ""
    examples: tuple = ()
    pattern: str = None  # for editors; validate.py checks with a message
    longest: int = None

    def check(self, value, where, report):
        if not isinstance(value, str):
            report(where, f"expected text, got {_kind(value)} {value!r}")

    def schema(self):
        return {"type": "string", "description": self.doc,
                **({"examples": list(self.examples)} if self.examples else {}),
                **({"pattern": self.pattern} if self.pattern else {}),
                **({"maxLength": self.longest} if self.longest else {})}


@dataclass(frozen=True)
class Num:
    doc: str = ""
    minimum: float = 0
    integer: bool = False
    maximum: float = 86400

    def check(self, value, where, report):
        ok = (isinstance(value, int) if self.integer
              else isinstance(value, (int, float)))
        if not ok or isinstance(value, bool) or not math.isfinite(value):
            wanted = "a whole number" if self.integer else "a number"
            report(where, f"expected {wanted}, got {_kind(value)} {value!r}")
        elif not self.minimum <= value <= self.maximum:
            report(where, f"must be from {self.minimum} to {self.maximum}, "
                   f"got {value}")

    def schema(self):
        return {"type": "integer" if self.integer else "number",
                "minimum": self.minimum, "maximum": self.maximum,
                "description": self.doc}


@dataclass(frozen=True)
class Bool:
    doc: str = ""

    def check(self, value, where, report):
        if not isinstance(value, bool):
            report(where, f"expected true or false, got {value!r}")

    def schema(self):
        return {"type": "boolean", "description": self.doc}


@dataclass(frozen=True)
class Anything:
    doc: str = ""

    def check(self, value, where, report):
        pass

    def schema(self):
        return {"description": self.doc}


def _check_items(value, kind, what, min_items, pairs, where, report):
    """The part lists and name mappings share: type, size, each item."""
    if not isinstance(value, kind):
        report(where, f"expected {what}, got {_kind(value)} {value!r}")
        return
    if len(value) < min_items:
        report(where, f"needs at least {min_items} item(s)")
    for key, (spec, item) in pairs(value):
        spec.check(item, where + (key,), report)


@dataclass(frozen=True)
class ListOf:
    item: object
    doc: str = ""
    min_items: int = 0

    def check(self, value, where, report):
        _check_items(value, list, "a list", self.min_items, lambda v: (
            (i, (self.item, x)) for i, x in enumerate(v)), where, report)

    def schema(self):
        return {"type": "array", "items": self.item.schema(),
                "minItems": self.min_items, "description": self.doc}


@dataclass(frozen=True)
class MapOf:
    """A mapping from user-chosen names (hosts, networks) to values. The
    names themselves are checked in names.py; their pattern and longest
    length are here for editors."""
    value: object
    doc: str = ""
    min_items: int = 0
    longest: int = None

    def check(self, value, where, report):
        _check_items(value, dict, "a mapping of names", self.min_items,
                     lambda v: ((k, (self.value, x)) for k, x in v.items()),
                     where, report)

    def schema(self):
        return {"type": "object", "minProperties": self.min_items,
                "propertyNames": {"pattern": names.PATTERN, **(
                    {"maxLength": self.longest} if self.longest else {})},
                "additionalProperties": self.value.schema(),
                "description": self.doc}


@dataclass(frozen=True)
class Obj:
    """A mapping with known keys; `required` lists the mandatory ones."""
    fields: dict
    doc: str = ""
    required: tuple = ()

    def check(self, value, where, report):
        if not isinstance(value, dict):
            report(where, f"expected a mapping with keys "
                          f"{', '.join(self.fields)}; got {_kind(value)}")
            return
        for key, item in value.items():
            if key not in self.fields:
                report(where + (key,), unknown(key, self.fields))
            else:
                self.fields[key].check(item, where + (key,), report)
        for key in self.required:
            if key not in value:
                report(where, f"missing `{key}` ({self.fields[key].doc})")

    def schema(self):
        return {"type": "object", "additionalProperties": False,
                "required": list(self.required), "description": self.doc,
                "properties": {k: v.schema() for k, v in self.fields.items()}}


@dataclass(frozen=True)
class OneOf:
    """A value that may take one of several shapes (e.g. text or a list)."""
    choices: tuple
    doc: str = ""
    names: tuple = field(default=())

    def check(self, value, where, report):
        attempts = []
        for choice in self.choices:
            found = []
            choice.check(value, where, lambda w, m: found.append((w, m)))
            if not found:
                return
            attempts.append(found)
        # Report the attempt that got furthest: the one whose type matched
        # (its problems are not "expected ..."), then the fewest problems.
        def distance(found):
            return (all(m.startswith("expected") for _, m in found),
                    len(found))
        for problem in min(attempts, key=distance):
            report(*problem)

    def schema(self):
        return {"anyOf": [c.schema() for c in self.choices],
                "description": self.doc}


def hint(word, choices):
    """` (did you mean `X`?)` when a choice is close to `word`, else ''."""
    close = difflib.get_close_matches(str(word), list(choices), n=1)
    return f" (did you mean `{close[0]}`?)" if close else ""


def unknown(key, known):
    close = difflib.get_close_matches(str(key), list(known), n=1)
    hint = f"did you mean `{close[0]}`? " if close else ""
    return f"unknown field `{key}`; {hint}valid here: {', '.join(known)}"


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

IMPAIR_FIELDS = {
    "loss": OneOf((Str("a percentage, e.g. 20%"),
                   Num("percent lost, 0 to 100", 0, False, 100)),
                  doc="each packet is lost with this probability"),
    "rate": Str("most bits per second each interface sends, e.g. 1mbit"),
    "delay": Str("added delay, e.g. 50ms (needs netem in the kernel)"),
    "jitter": Str("delay variation, e.g. 10ms (with delay; needs netem)"),
}
IMPAIR = Obj(IMPAIR_FIELDS, doc="impairments of one interface")

ROUTE = Obj({
    "to": Str("destination CIDR", ("10.10.2.0/24",)),
    "via": Str("next hop: an address on one of the host's networks"),
}, doc="a static route", required=("to", "via"))

HOST = Obj({
    "interfaces": MapOf(Str("an address inside the network's subnet"),
                        "network name -> address", min_items=1,
                        longest=names.NETWORK_MAX),
    "gateway": Str("default route via this address"),
    "routes": ListOf(ROUTE, "extra static routes"),
    "forward": Bool("route packets between the host's networks"),
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
    "subnet": Str("the segment's IPv4 subnet (a private range)",
                  ("10.10.1.0/24",)),
    **IMPAIR_FIELDS,
    "capture": Bool("a pcap of everything on the network, <network>.pcap"),
}, doc="an isolated L2 segment", required=("subnet",))

ATTACHMENT = Obj({"host": Str("a host"), "network": Str("one of its "
                                                        "networks")},
                 doc="a host's interface on a network",
                 required=("host", "network"))
ACTIONS = ("partition", "heal", "kill", "restart", "impair", "sleep")

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
    "partition": Obj(ATTACHMENT.fields, doc="cut the host off the network "
                     "(its programs keep running)", required=("host",
                                                               "network")),
    "heal": Obj(ATTACHMENT.fields, doc="reconnect it, same address, routes "
                "restored", required=("host", "network")),
    "kill": Str("stop the host; its services die"),
    "restart": Str("start a killed host again: addresses, routes, services"),
    "impair": Obj({**ATTACHMENT.fields, **IMPAIR_FIELDS},
                  doc="change an interface's impairments while running",
                  required=("host", "network")),
    "sleep": Num("wait this many seconds", 0, False, 3600),
}, doc="a step: `run` a command `on` hosts and check its result, or one "
    "fault action (partition, heal, kill, restart, impair, sleep)")

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
