"""What a run of several scenarios writes for CI and people: `--junit FILE`
(one test case per scenario, the failed step and expectation as the
failure's message, the report's path) and results/index.html (every
verdict, time and report, failures first), in one process and with
--jobs, where each scenario runs in a child."""
import json
import os
import time
import xml.etree.ElementTree as ET

import pytest

from lab.report import suite
from lab.scenario import load_scenario
from tests.conftest import socklab

ECHO = """\
description: TCP echo.
networks: {lan: {subnet: 10.217.1.0/24}}
hosts:
  server: {interfaces: {lan: 10.217.1.10}, services: [tcp-server --port 9000]}
  client: {interfaces: {lan: 10.217.1.20}}
steps:
  - {on: client, run: tcp-client --to server:9000 --message hi,
     expect: {outcome: ok, replies: 1}}
"""
WRONG = """\
description: expects a refusal where a server listens.
networks: {lan: {subnet: 10.217.2.0/24}}
hosts:
  server: {interfaces: {lan: 10.217.2.10}, services: [tcp-server --port 9000]}
  client: {interfaces: {lan: 10.217.2.20}}
steps:
  - name: connect <to> the "server" & fail
    on: client
    run: connect --to server:9000
    expect: {outcome: refused}
"""


@pytest.mark.docker
@pytest.mark.parametrize("jobs", ["1", "2"])
def test_junit_and_index_name_every_scenario_failures_first(
        tmp_path, jobs, nothing_left):
    (tmp_path / "labs").mkdir()
    (tmp_path / "labs" / "echo.yaml").write_text(ECHO)
    (tmp_path / "labs" / "wrong.yaml").write_text(WRONG)
    results, junit = tmp_path / "results", tmp_path / "ci" / "junit.xml"
    done = socklab("run", "--jobs", jobs, "--results", results, "--junit",
                   junit, tmp_path / "labs")
    assert done.returncode == 1, done.stdout + done.stderr
    assert f"junit: {junit}" in done.stdout
    suites = ET.parse(junit).getroot()
    assert suites.attrib["tests"] == "2" and suites.attrib["failures"] == "1"
    cases = {c.attrib["name"]: c for c in suites.iter("testcase")}
    assert set(cases) == {"echo", "wrong"}
    assert cases["echo"].find("failure") is None
    failure = cases["wrong"].find("failure")
    assert failure.attrib["message"] == (
        'connect <to> the "server" & fail (line 7) on client: expected '
        "outcome eq 'refused': got 'connected'")
    assert f"report: {results}/wrong/report.html" in failure.text
    assert cases["echo"].find("system-out").text == \
        f"report: {results}/echo/report.html"
    assert float(cases["echo"].attrib["time"]) > 0
    page = (results / "index.html").read_text()
    assert page.index('href="wrong/report.html"') < \
        page.index('href="echo/report.html"')
    assert "FAILED" in page and "PASSED" in page
    assert "<h1>socklab: 1 failed, 1 passed</h1>" in page


@pytest.mark.parametrize("where, said", [
    ("{tmp}", "--junit {tmp}: is a directory; name the XML file to write, "
     "e.g. --junit {tmp}/socklab.xml"),
    ("/proc/socklab/j.xml", "--junit /proc/socklab/j.xml: cannot make its "
     "folder: No such file or directory"),
])
def test_a_junit_file_it_cannot_write_is_refused_before_anything_starts(
        tmp_path, where, said):
    (tmp_path / "echo.yaml").write_text(ECHO)
    done = socklab("run", "--results", tmp_path / "results", "--junit",
                   where.format(tmp=tmp_path), tmp_path / "echo.yaml")
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == said.format(tmp=tmp_path) + "\n"
    assert not (tmp_path / "results").exists()


def _evidence(results, name, status, steps, error=None, age=0.0):
    folder = results / name
    folder.mkdir(parents=True)
    (folder / "summary.json").write_text(json.dumps({
        "scenario": name, "file": f"{name}.yaml", "status": status,
        "error": error, "elapsed_s": 1.5, "not_run": []}))
    (folder / "steps.jsonl").write_text("".join(
        json.dumps(s) + "\n" for s in steps))
    (folder / "report.html").write_text("<html></html>")
    if age:
        then = time.time() - age
        for f in folder.iterdir():
            os.utime(f, (then, then))


def _scenario(tmp_path, name):
    path = tmp_path / f"{name}.yaml"
    path.write_text(ECHO)
    return load_scenario(path)


def test_outcomes_from_the_results_folders(tmp_path):
    results, since = tmp_path / "results", time.time() - 5
    step = {"step": 2, "name": "step 2", "line": 9, "host": "c", "ok": False,
            "error": None, "verdicts": [
                {"field": "replies", "op": "eq", "expected": 3, "actual": 2,
                 "ok": False, "note": None},
                {"field": "exit", "op": "eq", "expected": 0, "actual": 0,
                 "ok": True, "note": None}]}
    _evidence(results, "failed", "failed", [step])
    _evidence(results, "broke", "failed", [], error="lost the daemon")
    _evidence(results, "stale", "passed", [], age=60)
    _evidence(results, "fine", "passed", [])
    outcomes = {o.name: o for o in (
        suite.outcome(_scenario(tmp_path, n), results, status, since)
        for n, status in [("failed", 1), ("broke", 3), ("stale", 3),
                          ("fine", 0), ("never", None)])}
    assert outcomes["failed"].verdict == "failed"
    assert outcomes["failed"].message == \
        "step 2 (line 9) on c: expected replies eq 3: got 2"
    assert (outcomes["broke"].verdict, outcomes["broke"].message) == \
        ("error", "lost the daemon")
    # An older run's evidence is not this run's result.
    assert (outcomes["stale"].verdict, outcomes["stale"].report) == \
        ("error", None)
    assert outcomes["stale"].message == \
        "no result: its run ended with exit status 3"
    assert outcomes["fine"].verdict == "passed"
    assert outcomes["fine"].report == results / "fine" / "report.html"
    assert outcomes["never"].verdict == "not run"
    xml = ET.fromstring(suite.junit(list(outcomes.values())))
    assert [xml.attrib[k] for k in ("tests", "failures", "errors",
                                    "skipped")] == ["5", "1", "2", "1"]
    page = suite.index(list(outcomes.values()), results)
    order = [page.index(f">{n}<") for n in ("broke", "stale", "failed",
                                             "never", "fine")]
    assert order == sorted(order)


def test_junit_survives_control_characters_a_program_printed():
    outcome = suite.Outcome("x", "x.yaml", "failed", 1.0, None,
                            "got 'a\x1b[0m\x00b'", "got 'a\x1b[0m\x00b'")
    ET.fromstring(suite.junit([outcome]))  # well-formed


def test_half_written_evidence_is_no_traceback(tmp_path):
    # A run killed mid-write: the last line of steps.jsonl cut, or a
    # summary that is no JSON.
    results, since = tmp_path / "results", time.time() - 5
    step = {"step": 1, "name": "step 1", "line": 3, "host": "c", "ok": False,
            "error": "host c is not running", "verdicts": []}
    _evidence(results, "cut", "failed", [step])
    with open(results / "cut" / "steps.jsonl", "a") as steps:
        steps.write('{"step": 2, "na')
    _evidence(results, "garbled", "failed", [])
    (results / "garbled" / "summary.json").write_text("{\"scen")
    cut = suite.outcome(_scenario(tmp_path, "cut"), results, 1, since)
    assert cut.message == "step 1 (line 3) on c: host c is not running"
    garbled = suite.outcome(_scenario(tmp_path, "garbled"), results, 3,
                            since)
    assert (garbled.verdict, garbled.message) == \
        ("error", "no result: its run ended with exit status 3")
