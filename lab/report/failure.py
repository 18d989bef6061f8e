"""A failed run as a person needs it, the same for `socklab run` and for
pytest: which step (and its line in the YAML), what was expected, what
happened (errno included), the services that had ended by then, the steps
not run and what the hosts involved said. Pure: from a RunReport.
"""
import json
import re

from ..progress import tail

# What a host's init (agent/hostinit.py) and an image host's services
# script (engine/app.py) say when a service ends.
ENDED = re.compile(r"^socklab-init: service (\d+) exited with status (\S+)",
                   re.M)
LAST_WORDS = 5   # lines of the host's log before a service's end, shown
LOG_TAIL = 15    # lines of each involved host's log


def ended_services(host, log, services=None):
    """Each service of `host` (a scenario Host) that `log` says has ended,
    as one line: host, service, exit status and the log's last lines
    before its end. `services`: those its log numbers (default all; ()
    when the numbers are ambiguous: an image host's sidecar and image
    number theirs apart, in one log)."""
    services = host.services if services is None else services
    notes = []
    for found in ENDED.finditer(log):
        number, status = int(found.group(1)), found.group(2)
        run = f" ({services[number - 1].run})" \
            if number <= len(services) else ""
        before = [line for line in log[:found.start()].splitlines()
                  if line.strip() and not line.startswith("socklab-init:")]
        words = "\n".join(before[-LAST_WORDS:]) or "(nothing)"
        notes.append(f"service {number} of {host.name}{run} ended during "
                     f"the steps, exit status {status}; the host's log "
                     f"before it:\n{words}")
    return tuple(notes)


def note_lines(note, indent):
    """A service's end, its last lines indented below it."""
    return f"{indent}note: " + note.replace("\n", f"\n{indent}    ")


def _step(result):
    step = result.step
    lines = [f"\n{step.label} (line {step.line}) on {result.host}:"]
    if result.error:
        lines.append("  " + result.error.replace("\n", "\n  "))
    lines += [f"  expected {v.describe()}" for v in result.verdicts
              if not v.ok]
    shown = {k: v for k, v in result.fields.items()
             if k not in ("stdout", "stderr") and v not in (None, "")}
    if shown:
        lines.append(f"  result: {json.dumps(shown, ensure_ascii=False)}")
    for stream in ("stdout", "stderr"):
        text = (result.fields.get(stream) or "").strip()
        if text and not (stream == "stdout" and _is_result(text, shown)):
            lines.append(f"  {stream}: {tail(text, 10)}")
    lines += [note_lines(note, "  ") for note in result.ended]
    return lines


def _is_result(text, shown):
    """Is a built-in's stdout its result line, already shown as such?"""
    try:
        said = json.loads(text)
    except ValueError:
        return False
    return isinstance(said, dict) and all(shown.get(k) == v
                                          for k, v in said.items()
                                          if v not in (None, ""))


def explain(report):
    """The whole failure as text, several lines."""
    scenario = report.scenario
    lines = [f"scenario {scenario.name} ({scenario.path}) failed"]
    involved = {h.name for h in scenario.hosts if h.services}
    if report.error:
        lines.append(report.error)
    for result in report.failures():
        involved.add(result.host)
        lines += _step(result)
    if report.not_run:
        lines.append("\nnot run: " + "; ".join(
            f"{s.label} (line {s.line})" for s in report.not_run))
    for host in sorted(involved):
        log = report.logs.get(host, "")
        if log.strip():
            lines.append(f"\n--- last lines of {host}'s log ---\n"
                         f"{tail(log, LOG_TAIL)}")
    lines.append(f"\nevidence: {report.directory}/")
    return "\n".join(lines)
