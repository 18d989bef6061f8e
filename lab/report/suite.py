"""What a run says about all its scenarios, for CI and for people: a JUnit
XML file (one test case per scenario) and results/index.html (every
scenario's verdict, time and report, failures first).

Both are read from each scenario's results folder (summary.json and
steps.jsonl), which every run writes, whether it ran in this process or in
a child of `socklab run --jobs N`: one way to learn what happened, whoever
ran it.
"""
import json
import re
import socket
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Optional
from urllib.parse import quote

from ..checks import Verdict
from .html import STYLE

# Worst first: what a person opening the index should see at the top.
ORDER = ("error", "failed", "not run", "passed")


@dataclass(frozen=True)
class Outcome:
    name: str
    file: str
    verdict: str             # one of ORDER
    elapsed: float           # seconds (0 when not run)
    report: Optional[Path]   # its report.html, once written
    message: str             # one line: the first failed step, or why
    details: str             # every failed step and expectation


def _fresh(path, since):
    """The file, if this run wrote it: a run stopped before its own
    evidence (the daemon gone, interrupted) leaves an older one behind."""
    try:
        return path if path.stat().st_mtime >= since else None
    except OSError:
        return None


def _read(summary_file):
    """The summary, or None where there is none to read (a run killed
    before it wrote one whole, the file unreadable)."""
    if summary_file is None:
        return None
    try:
        return json.loads(summary_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _failed_steps(steps_file):
    """'STEP (line N) on HOST: expected ...' for each expectation that did
    not hold (or why the step could not run), as the pytest plugin says it."""
    lines = []
    if steps_file is None:
        return lines
    for text in steps_file.read_text(encoding="utf-8").splitlines():
        try:
            record = json.loads(text)
        except ValueError:  # the last line of a run killed mid-write
            continue
        if record["ok"]:
            continue
        where = f"{record['name']} (line {record['line']}) on {record['host']}"
        if record.get("error"):
            lines.append(f"{where}: {record['error']}")
        for v in record["verdicts"]:
            if not v["ok"]:
                said = Verdict(v["field"], v["op"], v["expected"], v["actual"],
                               v["ok"], v.get("note") or "").describe()
                lines.append(f"{where}: expected {said}")
    return lines


def outcome(scenario, results, status, since):
    """The scenario's outcome from its results folder. status: the exit
    status of its run (0 passed, 1 an expectation failed, else it could not
    finish), or None if the run did not come back with one."""
    folder = Path(results) / scenario.name
    summary = _read(_fresh(folder / "summary.json", since))
    if summary is None:
        why = ("not run" if status is None else
               f"no result: its run ended with exit status {status}")
        return Outcome(scenario.name, str(scenario.path),
                       "not run" if status is None else "error", 0.0, None,
                       why, why)
    failures = _failed_steps(_fresh(folder / "steps.jsonl", since))
    said = ([summary["error"]] if summary.get("error") else []) + failures
    if summary.get("not_run"):
        said.append("not run: " + "; ".join(summary["not_run"]))
    verdict = ("passed" if status == 0 and summary["status"] == "passed" else
               "failed" if status in (0, 1) else "error")
    report = folder / "report.html"
    return Outcome(scenario.name, summary.get("file") or str(scenario.path),
                   verdict, float(summary.get("elapsed_s") or 0),
                   report if report.is_file() else None,
                   said[0].splitlines()[0] if said and verdict != "passed"
                   else "", "\n".join(said) if verdict != "passed" else "")


# --------------------------------------------------------------------- JUnit

_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _xml_text(text):
    """XML 1.0 has no place for most control characters; programs print
    them."""
    return _NOT_XML.sub("\N{REPLACEMENT CHARACTER}", text)


def junit(outcomes):
    """JUnit XML, as CI systems read it: a test case per scenario; an
    expectation that failed is a failure, a run that could not finish an
    error, one never started skipped."""
    counts = {v: sum(o.verdict == v for o in outcomes) for v in ORDER}
    total = f"{sum(o.elapsed for o in outcomes):.3f}"
    attrs = {"name": "socklab", "tests": str(len(outcomes)),
             "failures": str(counts["failed"]), "errors": str(counts["error"]),
             "skipped": str(counts["not run"]), "time": total}
    suites = ET.Element("testsuites", attrs)
    suite = ET.SubElement(suites, "testsuite", {
        **attrs, "hostname": socket.gethostname(),
        "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S")})
    for o in outcomes:
        case = ET.SubElement(suite, "testcase", {
            "classname": "socklab", "name": o.name, "file": o.file,
            "time": f"{o.elapsed:.3f}"})
        report = f"report: {o.report}" if o.report else ""
        tag = {"failed": "failure", "error": "error",
               "not run": "skipped"}.get(o.verdict)
        if tag:
            node = ET.SubElement(case, tag, {"message": _xml_text(o.message)})
            if tag != "skipped":
                node.text = _xml_text("\n".join(filter(None, [o.details,
                                                              report])))
        if report:
            ET.SubElement(case, "system-out").text = report
    ET.indent(suites)
    return ET.tostring(suites, encoding="unicode", xml_declaration=True) + "\n"


# ---------------------------------------------------------------- index.html

def _row(o, results):
    css = {"passed": "ok", "not run": "notrun"}.get(o.verdict, "fail")
    name = escape(o.name)
    if o.report:
        href = quote(o.report.relative_to(results).as_posix())
        name = f'<a href="{href}">{name}</a>'
    return (f'<tr class="{css}"><td class="verdict">{o.verdict.upper()}</td>'
            f"<td>{name}</td><td>{o.elapsed:.1f} s</td>"
            f"<td><code>{escape(o.file)}</code></td>"
            f"<td>{escape(o.message)}</td></tr>")


def index(outcomes, results):
    """results/index.html: self-contained like report.html, failures first,
    each scenario linked to its report."""
    ranked = sorted(outcomes, key=lambda o: ORDER.index(o.verdict))
    counts = [f"{n} {v}" for v in ORDER
              if (n := sum(o.verdict == v for o in outcomes))]
    title = f"socklab: {', '.join(counts)}"
    rows = "\n".join(_row(o, Path(results)) for o in ranked)
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f"<title>{escape(title)}</title><style>{STYLE}</style></head>"
            f"<body>\n<h1>{escape(title)}</h1>\n<p>{len(outcomes)} scenarios,"
            f" {time.strftime('%Y-%m-%d %H:%M:%S %Z')}</p>\n<table>\n"
            "<tr><th>verdict</th><th>scenario</th><th>time</th><th>file</th>"
            f"<th>first failure</th></tr>\n{rows}\n</table>\n</body></html>\n")
