"""The building blocks of the format's declaration (schema.py): each
checks a value's shape, reporting problems by path, and prints its part
of the JSON Schema."""
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
