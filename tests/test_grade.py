"""Grading without Docker: points and hidden in the format, scores from
results (all or nothing, each host), a submission's lab folder (the
assignment's files win; a submission's links are never followed), the
class's outputs (parse, and hold nothing of a hidden step), bad input
(exit 2 naming file, line and field) and no Docker (exit 3, one line)."""
import csv
import io
import os
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

from lab.checks import check, result_fields
from lab.errors import ScenarioInvalid
from lab.grade import assignment as classes, feedback, folders, outputs
from lab.grade import scores
from lab.runner import HostResult, RunReport
from lab.scenario import load_scenario
from tests.conftest import ROOT, socklab

ASSIGNMENT = """\
name: graded
networks: {lan: {subnet: 10.151.0.0/24}}
hosts:
  server: {interfaces: {lan: 10.151.0.10}}
  a: {interfaces: {lan: 10.151.0.21}}
  b: {interfaces: {lan: 10.151.0.22}}
steps:
  - name: first
    on: a
    run: python3 client.py one
    expect: {stdout: "ONE\\n"}
    points: 2
  - on: [a, b]
    run: python3 client.py both
    expect: {stdout: "BOTH\\n"}
  - on: a
    run: python3 client.py SECRET-INPUT
    expect: {stdout: "SECRET-OUTPUT\\n"}
    points: 0.5
    hidden: true
  - sleep: 0
    points: 0
"""


@pytest.fixture
def assignment(write):
    return load_scenario(write(ASSIGNMENT, "assignment.yaml"))


def result(step, host, stdout, exit=0):
    fields = result_fields({"exit": exit, "stdout": stdout, "stderr": "",
                            "elapsed_ms": 5})
    return HostResult(step, host, fields, check(step, fields))


def report(assignment, outputs_by_step, error=""):
    """A run's report: per step, {host: its stdout}; for a fault step,
    {host: its error}."""
    results = []
    for step, by_host in zip(assignment.steps, outputs_by_step):
        results += [
            HostResult(step, host, {"action": step.action.key}, (), out)
            if step.action else result(step, host, out)
            for host, out in by_host.items()]
    return RunReport(assignment, "r1", tuple(results), error, {}, 1.0, None)


# ------------------------------------------------------------------ format

def test_points_default_to_one_and_hidden_to_false(assignment):
    assert [s.points for s in assignment.steps] == [2, 1, 0.5, 0]
    assert [s.hidden for s in assignment.steps] == [False, False, True,
                                                    False]
    assert scores.maximum(assignment) == 3.5


@pytest.mark.parametrize("field, value, message", [
    ("points", "-1", "must be from 0 to 10000, got -1"),
    ("points", "many", "expected a number, got text 'many'"),
    ("hidden", "sometimes", "expected true or false, got 'sometimes'"),
])
def test_bad_points_or_hidden_name_file_line_and_field(write, field, value,
                                                       message):
    path = write(ASSIGNMENT.replace("    points: 2", f"    {field}: {value}"),
                 "assignment.yaml")
    with pytest.raises(ScenarioInvalid) as caught:
        load_scenario(path)
    assert caught.value.problems == [
        f"{path}:12: steps[0].{field}: {message}"]


# ------------------------------------------------------------------ scores

def test_points_are_all_or_nothing_and_held_on_each_host(assignment):
    good = [{"a": "ONE\n"}, {"a": "BOTH\n", "b": "BOTH\n"},
            {"a": "SECRET-OUTPUT\n"}, {"-": ""}]
    grade = scores.of_report("ann", assignment, report(assignment, good))
    assert (grade.score, grade.maximum, grade.reason) == (3.5, 3.5, "")
    half = [{"a": "ONE\n"}, {"a": "BOTH\n", "b": "both\n"},
            {"a": "nope\n"}, {"-": "it broke"}]
    grade = scores.of_report("bob", assignment, report(assignment, half))
    assert [s.earned for s in grade.steps] == [2, 0, 0, 0]
    assert grade.score == 2
    assert grade.steps[1].reason.startswith("[b] expected stdout eq")
    assert grade.reason.startswith("step 2: python3 client.py both: [b]")
    assert grade.reason.endswith("(and 2 more)")
    assert grade.steps[3].reason == "[-] it broke"  # a fault step's


def test_a_step_missing_a_host_earns_nothing(assignment):
    runs = [{"a": "ONE\n"}, {"a": "BOTH\n"}, {}, {"-": ""}]
    grade = scores.of_report("cy", assignment, report(assignment, runs))
    assert grade.steps[1].earned == 0
    assert grade.steps[1].reason == "no result from b"


def test_a_lab_that_never_came_up_scores_nothing_with_its_reason(
        assignment):
    grade = scores.of_report("dee", assignment, report(
        assignment, [{}] * 4, error="host server could not start: failed: "
        "service 1 was not ready within 5 s\n--- last lines ---\nboom"))
    assert grade.score == 0 and grade.graded
    assert {s.reason for s in grade.steps} == {
        "host server could not start: failed: service 1 was not ready "
        "within 5 s"}
    assert "boom" in grade.error


def test_steps_that_held_before_the_lab_failed_keep_their_points(
        assignment):
    grade = scores.of_report("fay", assignment, report(
        assignment, [{"a": "ONE\n"}, {}, {}, {}], error="lost a host"))
    assert [s.earned for s in grade.steps] == [2, 0, 0, 0]
    assert grade.steps[1].reason == "lost a host"
    assert grade.reason == "lost a host"


def test_a_hidden_step_is_titled_by_its_name_or_number_alone(assignment):
    assert scores.title(assignment.steps[2]) == "step 3"
    assert scores.title(assignment.steps[1]) == \
        "step 2: python3 client.py both"
    assert scores.title(assignment.steps[0]) == "first"


def test_a_grade_survives_its_file(assignment):
    grade = scores.of_report("eve", assignment, report(
        assignment, [{"a": "ONE\n"}, {}, {}, {}]))
    assert scores.Grade.from_json(grade.to_json()) == grade


# ----------------------------------------------------------------- folders

def test_the_assignments_files_win_and_links_are_never_followed(tmp_path):
    home, sub, out = (tmp_path / n for n in ("home", "sub", "lab"))
    (home / "lib").mkdir(parents=True)
    (home / "client.py").write_text("teacher's client")
    (home / "lib" / "check.py").write_text("teacher's check")
    (home / "submissions" / "x").mkdir(parents=True)
    secret = tmp_path / "teachers-file"
    secret.write_text("keep me")
    (sub / "lib").mkdir(parents=True)
    (sub / "server.py").write_text("student's server")
    (sub / "client.py").symlink_to(secret)       # would write through it
    (sub / "lib" / "check.py").write_text("student's check")
    (sub / "peek").symlink_to(secret)            # copied as a link
    os.mkfifo(sub / "pipe")                      # would block a copy
    folders.merged(home, sub, out, skip=[home / "submissions"])
    assert secret.read_text() == "keep me"
    assert (out / "client.py").read_text() == "teacher's client"
    assert not (out / "client.py").is_symlink()
    assert (out / "lib" / "check.py").read_text() == "teacher's check"
    assert (out / "server.py").read_text() == "student's server"
    assert os.readlink(out / "peek") == str(secret)
    assert not (out / "pipe").exists() and not (out / "submissions").exists()


def test_a_folder_of_the_submission_gives_way_to_a_file_of_the_assignment(
        tmp_path):
    home, sub = tmp_path / "home", tmp_path / "sub"
    home.mkdir()
    (home / "client.py").write_text("teacher's")
    (sub / "client.py").mkdir(parents=True)
    (sub / "client.py" / "x").write_text("student's")
    folders.merged(home, sub, tmp_path / "lab")
    assert (tmp_path / "lab" / "client.py").read_text() == "teacher's"


# ------------------------------------------------------------- bad input

def test_the_class_is_checked_before_anything_starts(write, tmp_path):
    path = write(ASSIGNMENT, "assignment.yaml")
    with pytest.raises(ScenarioInvalid) as caught:
        classes.load(path, tmp_path / "none", tmp_path / "grades")
    assert "none: no such folder" in caught.value.problems[0]
    (tmp_path / "subs").mkdir()
    with pytest.raises(ScenarioInvalid) as caught:
        classes.load(path, tmp_path / "subs", tmp_path / "grades")
    assert "no submissions here" in caught.value.problems[0]
    (tmp_path / "subs" / "index.html").mkdir()
    (tmp_path / "subs" / "ann").mkdir()
    with pytest.raises(ScenarioInvalid) as caught:
        classes.load(path, tmp_path / "subs", tmp_path / "subs" / "grades")
    assert len(caught.value.problems) == 2
    assert "cannot be named index.html" in caught.value.problems[0]
    assert "must not hold one another" in caught.value.problems[1]
    (tmp_path / "file").touch()
    with pytest.raises(ScenarioInvalid) as caught:
        classes.load(path, tmp_path / "subs", tmp_path / "file")
    assert caught.value.problems[-1] == \
        f"{tmp_path / 'file'}: not a folder; give a folder for the grades"
    (tmp_path / "subs" / "index.html").rmdir()
    (tmp_path / "subs" / ".git").mkdir()       # not a submission
    (tmp_path / "subs" / "notes.txt").touch()  # nor is a file
    group = classes.load(path, tmp_path / "subs", tmp_path / "out")
    assert [s.name for s in group.submissions] == ["ann"]
    assert group.skip == (tmp_path / "subs", tmp_path / "out")


def test_grade_exits_2_on_an_invalid_assignment_naming_line_and_field(
        write, tmp_path):
    path = write(ASSIGNMENT.replace("points: 2", "points: -2"), "a.yaml")
    (tmp_path / "subs" / "ann").mkdir(parents=True)
    done = socklab("grade", path, tmp_path / "subs", "--out",
                   tmp_path / "grades")
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip() == \
        f"{path}:12: steps[0].points: must be from 0 to 10000, got -2"
    assert not (tmp_path / "grades").exists()


def test_grade_exits_3_in_one_line_without_docker(write, tmp_path):
    path = write(ASSIGNMENT, "a.yaml")
    (tmp_path / "subs" / "ann").mkdir(parents=True)
    done = socklab("grade", path, tmp_path / "subs", "--out",
                   tmp_path / "grades", env={
                       **os.environ, "DOCKER_HOST": f"unix://{tmp_path}/no"})
    assert done.returncode == 3
    assert done.stderr.startswith("socklab: no Docker daemon answers")
    assert len(done.stderr.strip().splitlines()) == 1


def test_grade_has_help_ending_with_an_example():
    done = socklab("grade", "--help")
    assert done.returncode == 0
    assert done.stdout.strip().splitlines()[-1].strip().startswith(
        "socklab grade ")


# ----------------------------------------------------------------- outputs

def _class(assignment):
    runs = {"ann": [{"a": "ONE\n"}, {"a": "BOTH\n", "b": "BOTH\n"},
                    {"a": "SECRET-OUTPUT\n"}, {"-": ""}],
            "bob": [{"a": "one\n"}, {"a": "BOTH\n", "b": "x\x00\n"},
                    {"a": "secret-output\n"}, {"-": ""}]}
    grades = [scores.of_report(n, assignment, report(assignment, r))
              for n, r in runs.items()]
    grades.append(scores.not_graded("cy", assignment, "lost the daemon"))
    return grades


def test_the_outputs_parse_and_hold_nothing_of_a_hidden_step(assignment,
                                                           tmp_path):
    grades = _class(assignment)
    outputs.write_all(tmp_path, assignment, grades)
    table = (tmp_path / "grades.csv").read_text(encoding="utf-8")
    rows = list(csv.reader(io.StringIO(table)))
    assert rows[0] == ["submission", "score", "maximum", "first",
                       "step 2: python3 client.py both", "step 3",
                       "step 4: sleep 0 s", "reason"]
    assert [r[:3] for r in rows[1:]] == [["ann", "3.5", "3.5"],
                                         ["bob", "0", "3.5"],
                                         ["cy", "0", "3.5"]]
    assert rows[3][-1] == "not graded: lost the daemon"
    suites = ET.parse(tmp_path / "junit.xml").getroot()  # the NUL dropped
    assert [s.get("name") for s in suites] == ["ann", "bob", "cy"]
    assert (suites.get("tests"), suites.get("failures"),
            suites.get("errors")) == ("12", "3", "4")
    assert len(suites[0].findall("testcase")) == 4
    page = (tmp_path / "index.html").read_text(encoding="utf-8")
    for text in (table, (tmp_path / "junit.xml").read_text(), page):
        assert "SECRET" not in text.upper()
    assert "step 3</strong>: failed by 2 of 3 (bob, cy)" in page


def test_feedback_shows_a_hidden_step_by_name_and_verdict_only(assignment):
    runs = [{"a": "ONE\n"}, {"a": "BOTH\n", "b": "BOTH\n"},
            {"a": "secret-output\n"}, {"-": ""}]
    run = report(assignment, runs)
    grade = scores.of_report("ann", assignment, run)
    page = feedback.render(assignment, grade, run)
    assert "SECRET" not in page.upper()
    assert "step 3" in page and "hidden step" in page
    assert "python3 client.py both" in page   # a visible step's command
    assert "Score: 3 of 3.5" in page


def test_a_submissions_run_removes_its_copy_whatever_happens(write,
                                                             tmp_path):
    """The copy of a submission's folder goes with its run, also when the
    run fails (here: no Docker), so a killed grader leaves no copies."""
    lab = tmp_path / "lab"
    lab.mkdir()
    (lab / "a.yaml").write_text(ASSIGNMENT)
    done = subprocess.run(
        [sys.executable, "-m", "lab.grade.one", "--parent", str(os.getpid()),
         "--name", "ann", "--out", str(tmp_path / "out"), "--copy",
         str(lab / "a.yaml")], cwd=ROOT, capture_output=True, text=True,
        env={**os.environ, "DOCKER_HOST": f"unix://{tmp_path}/none"})
    assert done.returncode == 3, done.stderr
    assert done.stderr.startswith("socklab: no Docker daemon answers")
    assert not lab.exists()
