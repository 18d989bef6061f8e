"""Expectations -> verdicts. Pure functions, no Docker.

A step's result is socklab-step's envelope (exit, stdout, stderr,
elapsed_ms, step_timed_out) plus the fields of the JSON object the program
printed as its last line, which win where names clash (a built-in's own
`elapsed_ms` times the socket call, not the process).
"""
import json
import re
from dataclasses import dataclass

MISSING = object()


@dataclass(frozen=True)
class Verdict:
    field: str
    op: str
    expected: object
    actual: object
    ok: bool
    note: str = ""

    def describe(self):
        actual = "(missing)" if self.actual is MISSING else repr(self.actual)
        text = f"{self.field} {self.op} {self.expected!r}: got {actual}"
        return text + (f" ({self.note})" if self.note else "")


def result_fields(envelope):
    """The fields expectations are checked against."""
    fields = {k: envelope.get(k) for k in
              ("exit", "stdout", "stderr", "elapsed_ms", "step_timed_out")}
    fields["output_cut"] = envelope.get("cut", [])
    lines = (envelope.get("stdout") or "").strip().splitlines()
    if lines:
        try:
            last = json.loads(lines[-1])
        except ValueError:
            last = None
        if isinstance(last, dict):
            fields.update({k: v for k, v in last.items()
                           if k not in ("exit", "stdout", "stderr",
                                        "step_timed_out", "output_cut")})
    return fields


def _number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _contains(actual, expected):
    if isinstance(actual, str):
        return isinstance(expected, str) and expected in actual
    if isinstance(actual, (list, dict)):
        return expected in actual
    return False


OPS = {
    "eq": lambda a, e: a == e,
    "ne": lambda a, e: a != e,
    "lt": lambda a, e: _number(a) and a < e,
    "le": lambda a, e: _number(a) and a <= e,
    "gt": lambda a, e: _number(a) and a > e,
    "ge": lambda a, e: _number(a) and a >= e,
    "in": lambda a, e: a in e,
    "contains": _contains,
    "matches": lambda a, e: a is not None and
    re.search(e, a if isinstance(a, str) else json.dumps(a)) is not None,
    "between": lambda a, e: _number(a) and e[0] <= a <= e[1],
}


def verdict(expectation, fields):
    actual = fields.get(expectation.field, MISSING)
    if actual is MISSING:
        return Verdict(expectation.field, expectation.op, expectation.value,
                       actual, False, "the result has no such field")
    ok = bool(OPS[expectation.op](actual, expectation.value))
    return Verdict(expectation.field, expectation.op, expectation.value,
                   actual, ok)


def check(step, fields):
    """Every verdict for one host's run of a step (fields: result_fields).
    A step that timed out fails; one with no expectation on `exit` must
    exit 0."""
    verdicts = [verdict(e, fields) for e in step.expect]
    if fields.get("step_timed_out"):
        verdicts.insert(0, Verdict("step_timed_out", "eq", False, True, False,
                                   f"killed at its {step.timeout} s timeout"))
    elif not any(e.field == "exit" for e in step.expect):
        verdicts.insert(0, Verdict("exit", "eq", 0, fields["exit"],
                                   fields["exit"] == 0, "implicit"))
    return tuple(verdicts)
