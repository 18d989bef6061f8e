"""The results folder of a run: results/<scenario>/

    hosts/<host>.log   each host's log (its init's and services' output)
    steps.jsonl        one line per step and host: result and verdicts
    summary.json       the verdict of the run
    report.html        all of it for people, with the topology picture
    <network>.pcap     captures, where the scenario asks for them
    <host>.pcap
"""
import json
import shutil

from ..checks import MISSING
from . import html, sequence


def _plain(value):
    return None if value is MISSING else value


def step_record(result):
    step = result.step
    return {
        "step": step.number, "name": step.label, "line": step.line,
        "host": result.host, "run": step.run, "ok": result.ok,
        "error": result.error or None,
        "verdicts": [{"field": v.field, "op": v.op, "expected": v.expected,
                      "actual": _plain(v.actual), "ok": v.ok,
                      "note": v.note or None} for v in result.verdicts],
        "result": result.fields,
    }


def summary(report):
    return {
        "scenario": report.scenario.name,
        "file": str(report.scenario.path),
        "run": report.run_id,
        "status": "passed" if report.ok else "failed",
        "error": report.error or None,
        "elapsed_s": round(report.elapsed, 2),
        "steps": [{"step": r.step.number, "name": r.step.label,
                   "host": r.host, "ok": r.ok} for r in report.results],
        "not_run": [s.label for s in report.not_run],
    }


def prepare(folder):
    """An empty results folder before the run: captures are written into
    it while the run goes on, and no file of an older run may linger."""
    shutil.rmtree(folder, ignore_errors=True)
    (folder / "hosts").mkdir(parents=True)


def write(report):
    folder = report.directory
    (folder / "hosts").mkdir(parents=True, exist_ok=True)
    for host, log in report.logs.items():
        (folder / "hosts" / f"{host}.log").write_text(log, encoding="utf-8")
    with open(folder / "steps.jsonl", "w", encoding="utf-8") as out:
        for result in report.results:
            out.write(json.dumps(step_record(result), ensure_ascii=False,
                                 default=str) + "\n")
    (folder / "summary.json").write_text(
        json.dumps(summary(report), indent=2, ensure_ascii=False) + "\n",
        encoding="utf-8")
    names = report.scenario.host_names()
    captures = {p.name: p.read_bytes() for p in sorted(folder.glob("*.pcap"))}
    (folder / "report.html").write_text(
        html.render(report, [sequence.section(captures, names)]),
        encoding="utf-8")
