"""The class's outputs, from its grades (scores.Grade): grades.csv,
junit.xml and index.html. Pure but for writing the files.

None of them holds a hidden step's command, expectation or output: a
hidden step is its title and verdict here too (junit reports are often
shown to students by CI). Only each submission's evidence/ has them.
"""
import csv
import xml.etree.ElementTree as ET
from html import escape
from urllib.parse import quote

from ..report.html import STYLE
from ..report.suite import _xml_text
from .scores import number, title


def columns(assignment):
    """One column title per step: its title, made unique by its number."""
    titles = [title(s) for s in assignment.steps]
    return [t if titles.count(t) == 1 else f"{t} (step {s.number})"
            for t, s in zip(titles, assignment.steps)]


def write_csv(path, assignment, grades):
    with open(path, "w", newline="", encoding="utf-8") as out:
        rows = csv.writer(out)
        rows.writerow(["submission", "score", "maximum",
                       *columns(assignment), "reason"])
        for g in grades:
            rows.writerow([g.submission, number(g.score), number(g.maximum),
                           *(number(s.earned) for s in g.steps), g.reason])


def _xml(text):
    """Text XML 1.0 can hold (a program's output may have control
    characters), as run's JUnit file makes it."""
    return _xml_text(str(text))


def junit(assignment, grades):
    """A test suite per submission, a test case per step."""
    suites = ET.Element("testsuites", name=_xml(assignment.name))
    totals = {"tests": 0, "failures": 0, "errors": 0}
    for g in grades:
        failures = sum(1 for s in g.steps if not s.ok) if g.graded else 0
        errors = 0 if g.graded else len(g.steps)
        suite = ET.SubElement(
            suites, "testsuite", name=_xml(g.submission),
            tests=str(len(g.steps)), failures=str(failures),
            errors=str(errors), time=f"{g.elapsed:.2f}")
        props = ET.SubElement(suite, "properties")
        for key, value in (("score", number(g.score)),
                           ("maximum", number(g.maximum))):
            ET.SubElement(props, "property", name=key, value=value)
        for s, name in zip(g.steps, columns(assignment)):
            case = ET.SubElement(
                suite, "testcase", name=_xml(name),
                classname=_xml(f"{assignment.name}.{g.submission}"),
                time=f"{s.elapsed_ms / 1000:.3f}")
            if s.ok:
                continue
            why = "hidden step failed" if s.hidden and g.graded else \
                s.reason
            ET.SubElement(case, "failure" if g.graded else "error",
                          message=_xml(why)).text = _xml(
                f"{number(s.earned)} of {number(s.points)} points: {why}")
        totals["tests"] += len(g.steps)
        totals["failures"] += failures
        totals["errors"] += errors
    for key, value in totals.items():
        suites.set(key, str(value))
    ET.indent(suites)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + \
        ET.tostring(suites, encoding="unicode") + "\n"


def hardest(grades):
    """(column index, submissions failing it) for the steps most
    submissions fail, most failed first; steps none fails are left out."""
    counted = []
    for index in range(len(grades[0].steps) if grades else 0):
        failing = [g.submission for g in grades if not g.steps[index].ok]
        if failing:
            counted.append((index, failing))
    return sorted(counted, key=lambda item: (-len(item[1]), item[0]))


def index(assignment, grades):
    """The class at a glance: submissions by steps, then the steps most
    submissions fail."""
    names = columns(assignment)
    head = "".join(f"<th title=\"{escape(n)}\">{s.number}</th>"
                   for s, n in zip(assignment.steps, names))
    rows = []
    for g in grades:
        link = escape(quote(g.submission), quote=True)
        cells = "".join(
            f"<td class=\"verdict {'ok' if s.ok else 'fail'}\">"
            f"{'✔' if s.ok else '✘'}</td>" for s in g.steps)
        rows.append(
            f"<tr><td><a href=\"{link}/feedback.html\">{escape(g.submission)}"
            f"</a> (<a href=\"{link}/evidence/report.html\">evidence</a>)"
            f"</td><td>{number(g.score)} / {number(g.maximum)}</td>{cells}"
            f"<td>{escape(g.reason)}</td></tr>")
    legend = "".join(
        f"<li>{s.number}. {escape(n)} ({number(s.points)} point"
        f"{'' if s.points == 1 else 's'}"
        f"{', hidden' if s.hidden else ''})</li>"
        for s, n in zip(assignment.steps, names))
    hard = "".join(
        f"<li><strong>{escape(names[i])}</strong>: failed by {len(who)} of "
        f"{len(grades)} ({escape(', '.join(who))})</li>"
        for i, who in hardest(grades)) or "<li>none: every step held</li>"
    scores = [g.score for g in grades if g.graded]
    mean = number(round(sum(scores) / len(scores), 2)) if scores else "-"
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>{escape(assignment.name)}: the class</title><style>{STYLE}
td.verdict{{text-align:center}} td.ok{{background:#e6f4ea;color:#1a7f37}}
td.fail{{background:#fdecea;color:#c62828}}</style></head>
<body>
<h1>{escape(assignment.name)}: {len(grades)} submissions</h1>
<p>{escape(assignment.description)}</p>
<p>mean score {mean} of {number(grades[0].maximum if grades else 0)}</p>
<h2>Submissions by steps</h2>
<table><tr><th>submission</th><th>score</th>{head}<th>reason</th></tr>
{''.join(rows)}</table>
<h2>Steps</h2><ul>{legend}</ul>
<h2>The steps most submissions fail</h2><ul>{hard}</ul>
</body></html>
"""


def write_all(folder, assignment, grades):
    write_csv(folder / "grades.csv", assignment, grades)
    (folder / "junit.xml").write_text(junit(assignment, grades),
                                      encoding="utf-8")
    (folder / "index.html").write_text(index(assignment, grades),
                                       encoding="utf-8")
