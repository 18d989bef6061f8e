"""`socklab grade` on real labs: the example class (examples/echo-upper)
graded to exact scores, hostile submissions included; a student's
feedback shows nothing of the hidden step; the four outputs exist and
parse; and nothing is left behind, also after Ctrl-C or kill -9 of the
grading process mid-class.

Other runs may share the daemon while these run (the library, other
people's tests): what must be gone is what these runs made, found by their
scenario's label and their run ids among everything leftovers() lists."""
import csv
import json
import re
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET

import docker
import pytest

from tests.conftest import ROOT, leftovers, on_a_terminal, socklab

pytestmark = pytest.mark.docker

EXAMPLE = ROOT / "examples" / "echo-upper"
# submission -> points per step (the assignment's steps, in order)
EXPECTED = {
    "busy-loop": [0, 0, 0, 0, 0],      # never listens: not ready in 5 s
    "correct": [2, 1, 1, 1, 2],
    "flood": [2, 1, 1, 1, 2],          # megabytes of output, still right
    "fork-bomb": [0, 0, 0, 1, 0],      # the kernel still queues a connect
    "localhost": [0, 0, 0, 0, 0],      # refused from every other host
    "no-upper": [0, 0, 0, 1, 0],
    "single-client": [2, 0, 0, 0, 0],
}
HIDDEN = ("port 9000, ok?", "PORT 9000, OK?")  # its input, expected output


def left_of(scenario, run_ids):
    """What is left of the scenario's runs: containers and networks by its
    label, host rules and links (named by run id) among leftovers()."""
    api = docker.from_env().api
    found = [c["Names"][0] for c in api.containers(
        all=True, filters={"label": f"socklab.scenario={scenario}"})]
    found += [n["Name"] for n in api.networks(
        filters={"label": f"socklab.scenario={scenario}"})]
    return found + [x for x in leftovers() if any(r in x for r in run_ids)]


def test_the_example_class_gets_exactly_its_scores(tmp_path):
    out = tmp_path / "grades"
    start = time.monotonic()
    done = socklab("grade", EXAMPLE / "assignment.yaml",
                   EXAMPLE / "submissions", "--out", out)
    took = time.monotonic() - start
    assert done.returncode == 0, done.stdout + done.stderr
    rows = list(csv.DictReader(open(out / "grades.csv", encoding="utf-8")))
    steps = list(rows[0])[3:-1]
    assert len(steps) == 5
    got = {r["submission"]: [int(r[s]) for s in steps] for r in rows}
    assert got == EXPECTED, done.stdout
    for row in rows:
        assert int(row["score"]) == sum(EXPECTED[row["submission"]])
        assert row["maximum"] == "7"
    reasons = {r["submission"]: r["reason"] for r in rows}
    assert "was not ready within 5 s" in reasons["busy-loop"]
    assert "Connection refused" in reasons["localhost"]
    assert "timed out" in reasons["fork-bomb"]
    assert reasons["correct"] == reasons["flood"] == ""

    suites = ET.parse(out / "junit.xml").getroot()
    assert sorted(s.get("name") for s in suites) == sorted(EXPECTED)
    for suite in suites:
        assert len(suite.findall("testcase")) == 5
        assert int(suite.get("failures")) == sum(
            1 for p in EXPECTED[suite.get("name")] if p == 0)
    page = (out / "index.html").read_text(encoding="utf-8")
    assert "The steps most submissions fail" in page

    for name in EXPECTED:
        folder = out / name
        assert (folder / "evidence" / "report.html").exists()
        assert (folder / "evidence" / "steps.jsonl").exists()
        grade = json.loads((folder / "evidence" / "grade.json").read_text())
        assert grade["score"] == sum(EXPECTED[name])
        feedback = (folder / "feedback.html").read_text(encoding="utf-8")
        assert "a line with digits and punctuation" in feedback
        assert f"Score: {sum(EXPECTED[name])} of 7" in feedback
        for text in HIDDEN:
            assert text.lower() not in feedback.lower(), name
        # Nothing next to the feedback but the teacher's evidence folder.
        assert sorted(p.name for p in folder.iterdir()) == \
            ["evidence", "feedback.html"]
    for text in HIDDEN:
        for output in ("grades.csv", "junit.xml", "index.html"):
            assert text.lower() not in (out / output).read_text().lower()
    # The hidden step did run: the teacher's evidence has it.
    assert HIDDEN[1] in (out / "correct/evidence/steps.jsonl").read_text()
    print(f"graded the example class in {took:.1f} s")
    runs = [json.loads((out / n / "evidence/summary.json").read_text())[
        "run"] for n in EXPECTED]
    assert len(set(runs)) == len(EXPECTED)  # a lab each
    assert left_of("echo-upper", runs) == []


SLOW = """\
name: slow-class
networks: {lan: {subnet: 10.151.1.0/24}}
hosts:
  server:
    interfaces: {lan: 10.151.1.10}
    services: [{run: python3 server.py, ready: {log: up}}]
  client: {interfaces: {lan: 10.151.1.20}}
steps:
  - {on: client, run: sleep 60, timeout: 90}
"""


def _slow_class(tmp_path, count=3):
    (tmp_path / "slow.yaml").write_text(SLOW)
    for i in range(count):
        sub = tmp_path / "subs" / f"s{i}"
        sub.mkdir(parents=True)
        (sub / "server.py").write_text("print('up')\nimport time\n"
                                       "time.sleep(600)\n")
    return subprocess.Popen(
        [sys.executable, "-m", "lab.cli", "grade", tmp_path / "slow.yaml",
         tmp_path / "subs", "--out", tmp_path / "grades"], cwd=ROOT,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _hosts_up(scenario, seen=None):
    """The scenario's running hosts; their run ids added to seen."""
    hosts = [c for c in docker.from_env().api.containers(filters={
        "label": f"socklab.scenario={scenario}"})
        if "socklab.host" in c["Labels"]]
    if seen is not None:
        seen.update(c["Labels"]["socklab.run"] for c in hosts)
    return hosts


def _wait_for(condition, seconds=90):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError("condition not reached")


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_mid_class_stops_every_run_and_leaves_nothing(tmp_path,
                                                                sig):
    grading, runs = _slow_class(tmp_path), set()
    _wait_for(lambda: len(_hosts_up("slow-class", runs)) >= 2)
    time.sleep(1)  # its step is running
    _hosts_up("slow-class", runs)
    grading.send_signal(sig)
    out, err = grading.communicate(timeout=90)
    assert grading.returncode == 130, out + err
    assert "Traceback" not in out + err
    assert err.strip().splitlines()[-1].startswith("socklab: interrupted")
    assert left_of("slow-class", runs) == []


def test_kill_9_mid_class_leaves_nothing_once_cleaned(tmp_path):
    grading, runs = _slow_class(tmp_path), set()
    _wait_for(lambda: len(_hosts_up("slow-class", runs)) >= 2)
    time.sleep(1)
    _hosts_up("slow-class", runs)
    grading.kill()
    grading.communicate()
    # Each run dies with the grading process, tearing its own lab down
    # (no `clean` needed)...
    _wait_for(lambda: left_of("slow-class", runs) == [], 60)
    # ...and `socklab clean` finds nothing of theirs.
    done = socklab("clean")
    assert done.returncode == 0
    assert left_of("slow-class", runs) == []


QUICK = SLOW.replace("slow-class", "quick-class").replace(
    "run: sleep 60, timeout: 90", "run: sleep 1")


def _quick_class(tmp_path):
    (tmp_path / "quick.yaml").write_text(QUICK)
    for i in range(3):
        (tmp_path / "subs" / f"s{i}").mkdir(parents=True)
        (tmp_path / "subs" / f"s{i}" / "server.py").write_text(
            "print('up')\nimport time\ntime.sleep(600)\n")
    return ["grade", tmp_path / "quick.yaml", tmp_path / "subs", "--out",
            tmp_path / "grades", "--jobs", "2"]


def test_progress_is_a_live_line_on_a_terminal_and_plain_lines_off_it(
        tmp_path):
    argv = _quick_class(tmp_path)
    done = socklab(*argv)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "\x1b" not in done.stdout
    lines = done.stdout.splitlines()
    assert lines[0] == "grading 3 submissions of quick-class, 2 at once"
    assert sorted(re.sub(r" \[.*", "", line) for line in lines[1:4]) == \
        [f"s{i}: 1 of 1" for i in range(3)]
    assert re.search(r"\[3 graded, 0 running, 0 left; about 0 s left\]$",
                     lines[3])
    assert lines[-1].startswith("graded 3 of 3 in ")
    status, text = on_a_terminal(*argv)
    assert status == 0, text
    assert "\r\x1b[Kgrading: 0 graded, 2 running, 1 left; estimating the " \
        "time left" in text
    # Once one is graded there is an estimate (which state is shown then
    # depends on when each submission ends).
    assert re.search(r"\r\x1b\[Kgrading: [12] graded, [12] running, 0 left;"
                     r" about \d+ s left", text)
    assert "graded 3 of 3 in " in text
