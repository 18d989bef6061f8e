"""Reading a scenario file: YAML to plain data, keeping every value's line.

PyYAML's safe_load drops line numbers, so we compose the node graph (whose
marks carry them) and convert it ourselves. Mapping keys are taken as
written: YAML 1.1 would read the contract's `on:` key as the boolean True.
"""
from dataclasses import dataclass
from pathlib import Path

import yaml

from ..errors import ScenarioInvalid


@dataclass(frozen=True)
class Document:
    path: Path
    data: object
    lines: dict  # (key, index, ...) -> 1-based line of that value

    def line(self, where):
        """The line of `where`, or of its nearest enclosing value."""
        where = tuple(where)
        while where not in self.lines and where:
            where = where[:-1]
        return self.lines.get(where, 1)

    def problem(self, where, message):
        # A key that is no plain word (a newline in a host's name) is
        # quoted, so the message stays one readable line.
        field = "".join(f"[{part}]" if isinstance(part, int) else
                        f".{part}" if str(part).isprintable() and " " not in
                        str(part) else f"[{part!r}]"
                        for part in where).lstrip(".")
        return f"{self.path}:{self.line(where)}: " + \
            (f"{field}: {message}" if field else message)


MAX_VALUES = 200_000  # aliases can make a small file expand without end


class TooLarge(Exception):
    pass


class _Converter:
    def __init__(self, path):
        self.path = path
        self.lines = {}
        self.problems = []
        self.constructor = yaml.SafeLoader("")
        self.count = 0

    def convert(self, node, where):
        self.count += 1
        if self.count > MAX_VALUES or len(where) > 50:
            raise TooLarge()
        self.lines[where] = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, where)
        if isinstance(node, yaml.SequenceNode):
            return [self.convert(item, where + (index,))
                    for index, item in enumerate(node.value)]
        try:
            return self.constructor.construct_object(node)
        except (yaml.YAMLError, ValueError, TypeError, OverflowError) as exc:
            # e.g. a date that does not exist (2024-13-45) is a ValueError
            self._add(node, "cannot read this value: "
                      f"{getattr(exc, 'problem', None) or exc}")
            return None

    def _mapping(self, node, where):
        out = {}
        # `<<: *anchor` merges: let PyYAML flatten them first.
        self.constructor.flatten_mapping(node)
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                self._add(key_node, "a key must be a plain name")
                continue
            key = key_node.value
            if key in out:
                self._add(key_node, f"duplicate key {key!r}")
            out[key] = self.convert(value_node, where + (key,))
            self.lines.setdefault(where + (key,), key_node.start_mark.line + 1)
        return out

    def _add(self, node, message):
        self.problems.append(
            f"{self.path}:{node.start_mark.line + 1}: {message}")


def load(path):
    """Read `path` into a Document; raise ScenarioInvalid if it isn't YAML."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioInvalid([f"{path}: cannot read the file: {exc}"])
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except RecursionError:
        raise ScenarioInvalid([f"{path}: nested too deeply to be a "
                               "scenario"])
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}" if mark else ""
        what = getattr(exc, "problem", None) or str(exc)
        raise ScenarioInvalid([f"{path}{where}: not valid YAML: {what}"])
    if node is None:
        raise ScenarioInvalid([f"{path}:1: the file is empty; a scenario "
                               "needs at least `networks` and `hosts`"])
    converter = _Converter(path)
    try:
        data = converter.convert(node, ())
    except (TooLarge, RecursionError):
        raise ScenarioInvalid([f"{path}: too large or nested too deeply "
                               f"(more than {MAX_VALUES} values, or 50 "
                               "levels, once aliases are expanded)"])
    if converter.problems:
        raise ScenarioInvalid(converter.problems)
    return Document(path, data, converter.lines)
