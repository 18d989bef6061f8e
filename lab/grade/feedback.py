"""feedback.html: what one student sees of their grade.

Self-contained like report.html (no scripts, no fetches). A visible step
shows what it ran, on which hosts, what was expected and what came back,
and the end of what the step printed to stderr; a hidden step shows its
name, points and verdict, nothing else. The hosts' logs are not shown: a
student's server prints what the hidden steps sent it. A lab that never
came up shows why, with the end of the host's log (written before any
step ran). The teacher's full evidence is the report.html next to it.
"""
import dataclasses
from html import escape

from ..report.html import STYLE, _expectations
from ..progress import tail
from .scores import first_line, number

STDERR_LINES = 15


def _visible(step, results):
    hosts = ", ".join(step.on) if step.action is None else "-"
    command = step.run or f"{step.action.key} {step.action.describe()}"
    parts = [f"<p>on <code>{escape(hosts)}</code>: "
             f"<code>{escape(command)}</code></p>"]
    for result in results:
        # An error's first line says what happened; the rest (a host's log,
        # after a failed restart) can hold what hidden steps sent.
        shown = dataclasses.replace(result, error=first_line(result.error))
        parts.append(f"<div>[{escape(result.host)}] {_expectations(shown)}"
                     "</div>")
        stderr = result.fields.get("stderr") or ""
        if not result.ok and stderr.strip():
            parts.append(f"<pre>{escape(tail(stderr, STDERR_LINES))}</pre>")
    return "".join(parts)


def render(scenario, grade, report):
    rows = []
    for step, score in zip(scenario.steps, grade.steps):
        mine = [r for r in report.results if r.step.number == step.number]
        verdict = "passed" if score.ok else "failed"
        detail = "<em>hidden step</em>" if score.hidden else (
            _visible(step, mine) + (
                f"<p class=\"error\">{escape(score.reason)}</p>"
                if score.reason and not mine else ""))
        rows.append(
            f"<tr class=\"{'ok' if score.ok else 'fail'}\"><td>"
            f"{score.number}</td><td>{escape(score.title)}</td>"
            f"<td>{number(score.earned)} / {number(score.points)}</td>"
            f"<td class=\"verdict\">{verdict}</td><td>{detail}</td></tr>")
    error = f"<h2>Your lab did not come up</h2><p class=\"error\">" \
        f"{escape(grade.error)}</p>" if grade.error else ""
    name = escape(grade.submission)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>{escape(scenario.name)}: {name}</title><style>{STYLE}</style></head>
<body>
<h1>{escape(scenario.name)}: {name}</h1>
<p>{escape(scenario.description)}</p>
<p><strong>Score: {number(grade.score)} of {number(grade.maximum)}</strong>
</p>
{error}
<h2>Steps</h2>
<table><tr><th>#</th><th>step</th><th>points</th><th>verdict</th>
<th>what happened</th></tr>
{''.join(rows)}</table>
</body></html>
"""
