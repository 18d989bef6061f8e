"""Fault steps as types: partition, heal, kill, restart, impair, sleep.

Each knows its YAML key and shape, how it is built from a step (checking
what it names), how it reads in a report, and what it asks of the engine.
To add one: a class here, listed in ACTIONS, and, if it needs one, its
engine method (lab/engine/__init__.py's Engine). Nothing else dispatches
on a step's kind.
"""
import time
from dataclasses import dataclass
from typing import ClassVar

from .shapes import Num, Obj, OneOf, Str

IMPAIR_FIELDS = {
    "loss": OneOf((Str("a percentage, e.g. 20%"),
                   Num("percent lost, 0 to 100", 0, False, 100)),
                  doc="each packet is lost with this probability"),
    "rate": Str("most bits per second each interface sends, e.g. 1mbit"),
    "delay": Str("added one-way delay of each packet crossing it, e.g. "
                 "50ms (a round trip is twice that)"),
    "jitter": Str("delay variation, e.g. 10ms: each packet's delay is "
                  "uniform in delay +- jitter (with delay)"),
}
ATTACHMENT = Obj({"host": Str("a host"), "network": Str("one of its "
                                                        "networks")},
                 doc="a host's interface on a network",
                 required=("host", "network"))


# Each build(value, where, check) gets the step's value for its key, where
# that is in the file, and the validator (validate.py's _Builder), whose
# known_host, interface and impairment report what is wrong.

def _on_interface(cls, value, where, check):
    check.interface(where, value["host"], value["network"])
    return cls(value["host"], value["network"])


def _on_host(cls, value, where, check):
    check.known_host(where, value)
    return cls(value)


@dataclass(frozen=True)
class Partition:
    host: str
    network: str
    key: ClassVar[str] = "partition"
    shape: ClassVar = Obj(ATTACHMENT.fields, doc="cut the host off the "
                          "network (its programs keep running)",
                          required=("host", "network"))
    build = classmethod(_on_interface)

    def describe(self):
        return f"{self.host} off {self.network}"

    def apply(self, engine, plan):
        engine.partition(plan, self.host, self.network)


@dataclass(frozen=True)
class Heal:
    host: str
    network: str
    key: ClassVar[str] = "heal"
    shape: ClassVar = Obj(ATTACHMENT.fields, doc="reconnect it, same "
                          "address, routes restored",
                          required=("host", "network"))
    build = classmethod(_on_interface)

    def describe(self):
        return f"{self.host} on {self.network}"

    def apply(self, engine, plan):
        engine.heal(plan, self.host, self.network)


@dataclass(frozen=True)
class Kill:
    host: str
    key: ClassVar[str] = "kill"
    shape: ClassVar = Str("stop the host; its services die")
    build = classmethod(_on_host)

    def describe(self):
        return self.host

    def apply(self, engine, plan):
        engine.kill(plan, self.host)


@dataclass(frozen=True)
class Restart:
    host: str
    key: ClassVar[str] = "restart"
    shape: ClassVar = Str("start a killed host again: addresses, routes, "
                          "services")
    build = classmethod(_on_host)

    def describe(self):
        return self.host

    def apply(self, engine, plan):
        engine.restart(plan, self.host)


@dataclass(frozen=True)
class Impair:
    host: str
    network: str
    impairment: object  # model.Impairment
    key: ClassVar[str] = "impair"
    shape: ClassVar = Obj({**ATTACHMENT.fields, **IMPAIR_FIELDS},
                          doc="change an interface's impairments while "
                          "running", required=("host", "network"))

    @classmethod
    def build(cls, value, where, check):
        check.interface(where, value["host"], value["network"])
        fields = {k: v for k, v in value.items() if k in IMPAIR_FIELDS}
        if not fields:
            check.report(where, "say what to change: "
                         f"{', '.join(IMPAIR_FIELDS)}")
        return cls(value["host"], value["network"],
                   check.impairment(where, fields))

    def describe(self):
        extra = " ".join(f"{k} {v}" for k, v in
                         self.impairment.spec().items())
        return f"{self.host} on {self.network}" + (
            f" ({extra})" if extra else "")

    def apply(self, engine, plan):
        engine.impair(plan, self.host, self.network, self.impairment)


@dataclass(frozen=True)
class Sleep:
    seconds: float
    host: ClassVar[str] = "-"  # acts on no host
    key: ClassVar[str] = "sleep"
    shape: ClassVar = Num("wait this many seconds", 0, False, 3600)

    @classmethod
    def build(cls, value, where, check):
        return cls(value)

    def describe(self):
        return f"{self.seconds} s"

    def apply(self, engine, plan):
        time.sleep(self.seconds)


ACTIONS = (Partition, Heal, Kill, Restart, Impair, Sleep)
BY_KEY = {action.key: action for action in ACTIONS}
