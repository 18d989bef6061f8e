"""service-log: expectations on what a host's services printed.

    service-log [--service N] [--match REGEX] [--event NAME]
                [--where KEY=VALUE ...]

Reads the output socklab-init saved for this host's services and reports
{lines, count, matches}: every line, those that match, and the matching
lines themselves (the first 100).
"""
import json
import re

from . import contract
from .common import emit



def _record(line):
    """A JSON log line as {key: text}; {} for any other line."""
    try:
        record = json.loads(line)
    except ValueError:
        return {}
    if not isinstance(record, dict):
        return {}
    return {k: v if isinstance(v, str) else json.dumps(v)
            for k, v in record.items()}


def _wanted(line, pattern, conditions):
    if pattern and not pattern.search(line):
        return False
    if not conditions:
        return True
    record = _record(line)
    return all(record.get(k) == v for k, v in conditions)


def service_log(args):
    name = f"service-{args.service}.log" if args.service else "services.log"
    try:
        with open(f"{contract.LOGS}/{name}", encoding="utf-8",
                  errors="replace") as log:
            lines = log.read().splitlines()
    except FileNotFoundError:
        lines = []
    pattern = re.compile(args.match) if args.match else None
    conditions = [tuple(w.split("=", 1)) for w in args.where if "=" in w]
    if args.event:
        conditions.append(("event", args.event))
    matches = [line for line in lines if _wanted(line, pattern, conditions)]
    emit({"lines": len(lines), "count": len(matches),
          "matches": matches[:100]})
    return 0
