"""The results folder of a run: results/<scenario>/

    hosts/<host>.log   each host's log (its init's and services' output)
    steps.jsonl        one line per step and host: result and verdicts
    summary.json       the verdict of the run
    report.html        all of it for people, with the topology picture
    <network>.pcap     captures, where the scenario asks for them
    <host>.pcap

Written as the run goes, so a run killed with kill -9 still leaves what it
had: summary.json (status "running") once the run has its turn, a line of
steps.jsonl as each step ends; at teardown the hosts' logs and captures,
then steps.jsonl again in step order, the final summary ("passed",
"failed", "interrupted" or "error") and report.html. A file that cannot be
written (a full disk, a read-only folder) keeps neither the others nor
teardown from happening: it is named afterwards (FileUnusable, exit 3).
"""
import errno
import json
import os
import shutil
import threading
from pathlib import Path

from ..checks import MISSING
from ..errors import FileUnusable, file_fault
from . import html, sequence

OTHER_FOLDER = ("a results folder socklab may write (socklab --results "
                "DIR; pytest --socklab-results DIR)")


def _remedy(exc):
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return f"free space there or choose {OTHER_FOLDER}"
    return f"choose {OTHER_FOLDER}"


def _unmade(exc):
    return file_fault("the results folder cannot be made at", exc,
                      _remedy(exc))


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
        **({"ended": list(result.ended)} if result.ended else {}),
    }


def _line(result):
    return json.dumps(step_record(result), ensure_ascii=False,
                      default=str) + "\n"


def summary(report):
    return {
        "scenario": report.scenario.name,
        "file": str(report.scenario.path),
        "run": report.run_id,
        "status": report.status,
        "error": report.error or None,
        "elapsed_s": round(report.elapsed, 2),
        "steps": [{"step": r.step.number, "name": r.step.label,
                   "host": r.host, "ok": r.ok} for r in report.results],
        "not_run": [s.label for s in report.not_run],
    }


def _save(path, data):
    """Write the whole file or leave the one before: a full disk must not
    leave half a summary where a whole "running" one was."""
    part = path.with_name(path.name + ".part")
    try:
        part.write_bytes(data)
        os.replace(part, path)
    except OSError as exc:
        try:
            part.unlink(missing_ok=True)
        except OSError:
            pass  # the write's own error is the one to report
        exc.filename = str(path)  # the file the user knows, not the .part
        raise


def after_a_kill(folder, logs):
    """What the sweep after a killed run keeps of it: its hosts' logs, and
    a summary that says how it ended. Best effort: the folder may be gone,
    or another run's by now (then its summary is not ours to change)."""
    folder = Path(folder)
    summary_path = folder / "summary.json"
    try:
        record = json.loads(summary_path.read_text(encoding="utf-8"))
        if record.get("status") != "running":
            return  # it ended, or another run of the scenario wrote here
        for host, log in logs.items():
            _save(folder / "hosts" / f"{host}.log", log.encode("utf-8"))
        record.update(status="killed", error=record.get("error") or (
            "the run's process was killed; a later sweep removed its lab "
            "and kept its hosts' logs"))
        _save(summary_path, (json.dumps(record, indent=2, ensure_ascii=False)
                             + "\n").encode("utf-8"))
    except (OSError, ValueError):
        pass


def make_root(root):
    """The folder that holds the results folders: made at once (it holds no
    run's evidence), so one that cannot be made is said once, not per
    scenario."""
    try:
        Path(root).mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _unmade(exc) from None


def prepare(folder):
    """An empty results folder, once the run has its turn (an older run of
    the same scenario may still be writing there until then): captures
    are written into it while the run goes on, and no file of an older run
    may linger."""
    try:
        if folder.is_dir() and not folder.is_symlink():
            shutil.rmtree(folder)
        (folder / "hosts").mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _unmade(exc) from None


def begin(report):
    """summary.json saying the run is under way (report.status "running"):
    if the process is killed, that is what it keeps saying."""
    try:
        _save(report.directory / "summary.json", _summary_bytes(report))
    except OSError as exc:
        raise file_fault("the results folder cannot be written at", exc,
                         _remedy(exc)) from None


def _summary_bytes(report):
    return (json.dumps(summary(report), indent=2, ensure_ascii=False)
            + "\n").encode("utf-8")


class Journal:
    """steps.jsonl as the run goes: a line per step and host as each ends,
    from the steps' threads too (background steps end on their own)."""

    def __init__(self, folder):
        self.path = folder / "steps.jsonl"
        self.lock = threading.Lock()
        self.open = True

    def add(self, result):
        with self.lock:
            if not self.open:
                return  # a background step ending during teardown
            try:
                with open(self.path, "a", encoding="utf-8") as out:
                    out.write(_line(result))
            except OSError:
                pass  # the final steps.jsonl (write) tries again, and says

    def close(self):
        with self.lock:
            self.open = False


def write(report, captures):
    """Everything at the end of teardown, each file on its own, so one
    that cannot be written does not keep the others. `captures`: the
    hosts' pcaps, {file name: bytes}. Returns {file name: OSError} of the
    files not written."""
    folder, failed = report.directory, {}

    def save(name, data):
        try:
            _save(folder / name, data)
        except OSError as exc:
            failed[name] = exc

    for host, log in report.logs.items():
        save(f"hosts/{host}.log", log.encode("utf-8"))
    for name, data in captures.items():
        save(name, data)
    save("steps.jsonl", "".join(map(_line, report.results)).encode("utf-8"))
    save("summary.json", _summary_bytes(report))
    try:  # the network captures, as far as they could be written
        pcaps = {p.name: p.read_bytes() for p in folder.glob("*.pcap")}
    except OSError:
        pcaps = {}
    pcaps.update(captures)
    names = report.scenario.host_names()
    save("report.html", html.render(
        report, [sequence.section(pcaps, names)]).encode("utf-8"))
    return failed


def unwritten(folder, failed, most=6):
    """The one line that names what `write` could not write (the first
    few files of a large lab), and why."""
    first = next(iter(failed.values()))
    reason = first.strerror or str(first) or type(first).__name__
    names = list(failed)[:most] + (
        [f"{len(failed) - most} more"] if len(failed) > most else [])
    return FileUnusable(
        f"the evidence in {folder} is incomplete ({reason}): "
        f"{', '.join(names)} not written; the lab was removed; "
        f"{_remedy(first)}")
