"""A failure told in full, the same by `socklab run` and by pytest (one
formatter, lab/report/failure.py): the step and its YAML line, expected vs
actual, errno, the service that ended during the steps (host, service,
status, last lines), the steps not run and the hosts' log tails; and
report.html with each step's line and output."""
import subprocess
import sys

import pytest

from tests.conftest import socklab

CRASH = """\
description: a server that dies during the steps.
networks: {lan: {subnet: 10.218.1.0/24}}
hosts:
  server:
    interfaces: {lan: 10.218.1.10}
    services:
      - run: sh -c 'tcp-server --port 9000 --for 2; echo going down; exit 3'
        ready: {tcp: 9000}
  client: {interfaces: {lan: 10.218.1.20}}
steps:
  - on: client
    run: connect --to server:9000
    expect: {outcome: connected}
  - {on: client, run: echo waiting; sleep 3}
  - on: client
    run: connect --to server:9000
    expect: {outcome: connected}
  - {on: client, run: "true"}
"""


def _says_it_all(text, folder):
    assert "step 3: connect --to server:9000 (line 15) on client:" in text
    assert "expected outcome eq 'connected': got 'refused'" in text
    assert '"errno": "ECONNREFUSED"' in text
    assert ("service 1 of server (sh -c 'tcp-server --port 9000 --for 2; "
            "echo going down; exit 3') ended during the steps, exit status "
            "3") in text
    assert "going down" in text.split("ended during the steps")[1]
    assert "not run: step 4: true (line 18)" in text
    assert "--- last lines of server's log ---" in text
    assert f"evidence: {folder}/" in text


@pytest.mark.docker
def test_run_and_pytest_tell_the_same_failure(tmp_path, nothing_left):
    lesson = tmp_path / "crash.yaml"
    lesson.write_text(CRASH)
    results = tmp_path / "results"
    done = socklab("run", "--jobs", "1", "--results", results, lesson)
    assert done.returncode == 1, done.stdout + done.stderr
    folder = results / "crash"
    _says_it_all(done.stdout, folder)
    # The journal and the page carry the note; the page each step's line
    # and output.
    assert "going down" in (folder / "steps.jsonl").read_text()
    page = (folder / "report.html").read_text()
    assert "<th>line</th>" in page and "<td>15</td>" in page
    assert "<summary>stdout (1 line)</summary><pre>waiting</pre>" in page
    assert "ended during the steps, exit status 3" in page

    tested = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
         lesson, "--socklab-results", tmp_path / "py"],
        capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert tested.returncode == 1, tested.stdout + tested.stderr
    _says_it_all(tested.stdout, tmp_path / "py" / "crash")


def test_a_service_end_is_named_from_the_log():
    from lab.report.failure import ended_services
    from lab.scenario import model
    started = model.Ready("started")
    host = model.Host(name="server", addresses=(), services=(
        model.Service("tcp-server --port 1", started),
        model.Service("./srv", started)))
    log = ("socklab-init: starting service 1: tcp-server --port 1\n"
           "socklab-init: ready\nhello\nTraceback (most recent call last)\n"
           "ZeroDivisionError: division by zero\n"
           "socklab-init: service 2 exited with status 1\n")
    assert ended_services(host, log) == (
        "service 2 of server (./srv) ended during the steps, exit status 1;"
        " the host's log before it:\nhello\nTraceback (most recent call "
        "last)\nZeroDivisionError: division by zero",)
    # Numbers it cannot tie to a command (an image host's two inits).
    assert ended_services(host, log, ())[0].startswith(
        "service 2 of server ended during")
    assert ended_services(host, "socklab-init: ready\n") == ()
