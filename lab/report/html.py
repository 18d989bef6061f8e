"""report.html: one self-contained page per run (no fetches, no scripts):
the verdict, the topology picture, every step with its expectations
(expected and actual) and the hosts' logs."""
import json
from html import escape

from ..checks import MISSING
from .topology import svg

STYLE = """
body{font-family:DejaVu Sans,Arial,sans-serif;margin:2em;color:#222}
h1 .passed{color:#1a7f37} h1 .failed,h1 .error{color:#c62828}
h1 .interrupted{color:#b26a00}
table{border-collapse:collapse;margin:1em 0;width:100%}
td,th{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}
tr.ok td.verdict{background:#e6f4ea;color:#1a7f37;font-weight:bold}
tr.fail td.verdict{background:#fdecea;color:#c62828;font-weight:bold}
tr.notrun td{color:#888}
code,pre{font-family:DejaVu Sans Mono,monospace;font-size:12px}
pre{background:#f6f8fa;padding:8px;overflow:auto;max-height:30em}
.topology{overflow:auto;border:1px solid #ddd;padding:4px}
.error{background:#fdecea;padding:8px;white-space:pre-wrap}
li.note{white-space:pre-wrap}
"""


def _value(value):
    if value is MISSING:
        return "(missing)"
    text = json.dumps(value, ensure_ascii=False)
    return escape(text if len(text) <= 300 else text[:300] + "…")


def _expectations(result):
    rows = []
    for v in result.verdicts:
        mark = "✔" if v.ok else "✘"
        note = f" <em>({escape(v.note)})</em>" if v.note else ""
        rows.append(f"<li class=\"{'ok' if v.ok else 'fail'}\">{mark} "
                    f"<code>{escape(v.field)} {v.op} {_value(v.expected)}"
                    f"</code> — got <code>{_value(v.actual)}</code>{note}"
                    "</li>")
    if result.error:
        rows.append(f"<li class=\"fail\">✘ {escape(result.error)}</li>")
    rows += [f"<li class=\"fail note\">{escape(note)}</li>"
             for note in result.ended]
    return f"<ul>{''.join(rows)}</ul>"


def _output(result):
    """What the step's program printed: its stdout and stderr, folded."""
    shown = []
    for stream in ("stdout", "stderr"):
        text = (result.fields.get(stream) or "").rstrip("\n")
        if text:
            lines = text.count("\n") + 1
            shown.append(f"<details><summary>{stream} ({lines} line"
                         f"{'s' if lines > 1 else ''})</summary><pre>"
                         f"{escape(text)}</pre></details>")
    return "".join(shown)


def render(report, extra_sections=()):
    scenario = report.scenario
    status = report.status
    rows = []
    for r in report.results:
        rows.append(
            f"<tr class=\"{'ok' if r.ok else 'fail'}\">"
            f"<td>{r.step.number}</td><td>{r.step.line}</td>"
            f"<td>{escape(r.step.label)}</td>"
            f"<td>{escape(r.host)}</td><td><code>{escape(r.step.run)}</code>"
            f"{_output(r)}</td>"
            f"<td class=\"verdict\">{'ok' if r.ok else 'FAIL'}</td>"
            f"<td>{_expectations(r)}</td></tr>")
    for step in report.not_run:
        rows.append(f"<tr class=\"notrun\"><td>{step.number}</td><td>"
                    f"{step.line}</td><td>"
                    f"{escape(step.label)}</td><td>{escape(', '.join(step.on))}"
                    f"</td><td><code>{escape(step.run)}</code></td>"
                    "<td class=\"verdict\">not run</td><td></td></tr>")
    logs = "".join(
        f"<details><summary>{escape(host)}</summary><pre>{escape(log)}</pre>"
        "</details>" for host, log in report.logs.items())
    error = f'<p class="error">{escape(report.error)}</p>' \
        if report.error else ""
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>{escape(scenario.name)}: {status}</title><style>{STYLE}</style></head>
<body>
<h1>{escape(scenario.name)} <span class="{status}">{status}</span></h1>
<p>{escape(scenario.description)}</p>
<p>run <code>{report.run_id}</code> · {report.elapsed:.1f} s ·
<code>{escape(str(scenario.path))}</code></p>
{error}
<h2>Topology</h2><div class="topology">{svg(scenario)}</div>
<h2>Steps</h2>
<table><tr><th>#</th><th>line</th><th>step</th><th>host</th><th>command</th>
<th>verdict</th><th>expected — actual</th></tr>
{''.join(rows)}</table>
{''.join(extra_sections)}
<h2>Host logs</h2>{logs}
</body></html>
"""
