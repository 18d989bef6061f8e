"""A step's `expect`: each field one its program reports, each comparison
one that exists, with an operand of the kind it compares."""
import errno
import re

from ..agent import programs
from . import model, schema
from .shapes import hint

NUMERIC_OPS = ("lt", "le", "gt", "ge")


def expectations(where, spec, program, report):
    """Yield the model.Expectation of each comparison in `spec` (a step's
    `expect`) that can be checked; report the others."""
    fields = None
    if program:
        fields = tuple(dict.fromkeys(programs.RESULT_FIELDS[program] +
                                     programs.COMMON_FIELDS))
    for name, value in spec.items():
        spot = where + (name,)
        if fields and name not in fields:
            report(spot, f"{program} has no result field {name!r}"
                   f"{hint(name, fields)}; its fields are "
                   f"{', '.join(fields)}")
        checks = value.items() if isinstance(value, dict) else \
            [("eq", value)]
        values = programs.RESULT_VALUES.get(program, {}).get(name)
        for op, operand in checks:
            if _operand(spot + (op,), op, operand, report) and (
                    not values or _reportable(spot + (op,), op, operand,
                                              values, program, report)):
                yield model.Expectation(name, op, operand)


def regex(where, text, report):
    try:
        re.compile(text)
        return True
    except (re.error, TypeError) as exc:
        report(where, f"{text!r} is not a regular expression: {exc}")
        return False


def _operand(where, op, value, report):
    if op not in schema.OPS:
        report(where, f"unknown comparison `{op}`{hint(op, schema.OPS)}; "
               f"use one of {', '.join(schema.OPS)}")
    elif op == "between" and not (
            isinstance(value, list) and len(value) == 2 and
            all(_number(v) for v in value)):
        report(where, f"`between` takes [LOW, HIGH], got {value!r}")
    elif op in NUMERIC_OPS and not _number(value):
        report(where, f"`{op}` compares numbers, got {value!r}")
    elif op == "in" and not isinstance(value, list):
        report(where, f"`in` takes a list of values, got {value!r}")
    elif op != "matches" or regex(where, value, report):
        return True
    return False


def _reportable(where, op, operand, values, program, report):
    """Whether what `op` compares with is a value the program can report
    (`outcome: rejected` never holds, nor `outcome: connected` from a
    tcp-client: it says ok)."""
    if op not in ("eq", "ne", "in"):
        return True  # contains, matches: parts of a value, left to the user
    wrong = [v for v in (operand if op == "in" else [operand])
             if v not in values]
    shown = [_yaml(v) for v in values]
    valid = ", ".join(shown) if len(shown) <= 12 else \
        f"{', '.join(shown[:4])}... ({len(shown)} in all)"
    for value in wrong:
        # EWOULDBLOCK is EAGAIN's number: the program names it EAGAIN
        alias = isinstance(value, str) and value.startswith("E") and \
            errno.errorcode.get(getattr(errno, value, None))
        close = f" (it is {alias}'s number, reported as {alias})" if alias \
            else hint(_yaml(value), shown)
        report(where[:-1] if op == "eq" else where,
               f"{program} never reports {where[-2]} {_yaml(value)}{close};"
               f" it reports one of: {valid}")
    return not wrong


def _yaml(value):
    """A value as the scenario writes it."""
    return "null" if value is None else str(value)


def _number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)
