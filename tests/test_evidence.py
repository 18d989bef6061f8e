"""Evidence on a machine that fights back, and evidence as it happens.

A state or results folder socklab cannot use, a disk that fills during
the run, a log that cannot be written: exit 3 with one line naming the
path and what to do, the lab removed all the same, and whatever evidence
could be written kept. A run killed with kill -9 leaves the steps it
finished and a summary saying it was running; a second run of the same
scenario leaves the first's results alone while it waits for its turn.
"""
import errno
import json
import os
import signal
import subprocess
import sys
import time

import pytest

from lab.report import evidence
from tests.conftest import ROOT, leftovers, socklab
from tests.test_robustness import start, wait_for

pytestmark = pytest.mark.docker  # (the pure ones run in seconds anyway)

ECHO = """\
name: {name}
networks:
  lan: {{subnet: {net}.0/24{capture}}}
hosts:
  server:
    interfaces: {{lan: {net}.10}}
    services: [tcp-server --port 9000]{host_capture}
  client:
    interfaces: {{lan: {net}.20}}
steps:
  - on: client
    run: tcp-client --to server:9000 --message hi{size}
  - on: client
    run: sleep {sleep}
"""


def echo(name, net, sleep=0, capture=False, size=""):
    return ECHO.format(
        name=name, net=net, sleep=sleep, size=size,
        capture=", capture: true" if capture else "",
        host_capture="\n    capture: true" if capture else "")


def one_line(done):
    """The run's error: exactly one line on stderr, no traceback."""
    err = done.stderr.strip()
    assert "Traceback" not in done.stderr + (done.stdout or ""), done.stderr
    assert len(err.splitlines()) == 1, done.stderr
    return err


def lines(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


@pytest.fixture
def small_disk(tmp_path):
    """A 64 KiB file system, as a results folder that fills up."""
    folder = tmp_path / "small"
    folder.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs",
                    str(folder)], check=True)
    yield folder
    subprocess.run(["umount", "-l", str(folder)], check=True)


# ------------------------------------------------- folders socklab can't use

@pytest.mark.parametrize("command", [
    ["run", "scenarios/tcp-echo.yaml"], ["up", "scenarios/tcp-echo.yaml"],
    ["down", "tcp-echo"], ["clean"], ["build"]])
@pytest.mark.parametrize("state", ["/proc/nope", "a file"])
def test_an_unusable_state_folder_is_one_line_for_every_command(
        command, state, tmp_path, nothing_left):
    if state == "a file":
        state = tmp_path / "state"
        state.write_text("not a folder")
    env = dict(os.environ, SOCKLAB_STATE=str(state))
    done = socklab(*command, "--results", tmp_path, env=env) \
        if command[0] in ("run", "up") else socklab(*command, env=env)
    assert done.returncode == 3, done.stdout + done.stderr
    assert one_line(done).startswith(
        f"socklab: the state folder (SOCKLAB_STATE) is unusable at {state}")
    assert "point SOCKLAB_STATE at a folder socklab may write" in done.stderr


@pytest.mark.parametrize("command", ["run", "up"])
def test_a_results_folder_that_cannot_be_made_is_one_line(
        command, write, tmp_path, nothing_left):
    paths = [write(echo("nowhere", "10.79.1"))]
    if command == "run":  # two at once: still one line, not one each
        paths.append(write(echo("nowhere2", "10.79.9"), "s2.yaml"))
    blocker = tmp_path / "blocker"
    blocker.write_text("a file where a folder should be")
    for results in ("/proc/nope", blocker):
        done = socklab(command, *paths, "--results", results)
        assert done.returncode == 3, done.stdout + done.stderr
        assert one_line(done).startswith(
            f"socklab: the results folder cannot be made at {results}")
        assert "--results DIR" in done.stderr


# --------------------------------------------- a disk that fills, a bad log

def test_a_disk_that_fills_during_the_run_still_removes_the_lab(
        write, small_disk, nothing_left):
    # 30 echoes of 8 KB: the network's capture (written by tcpdump as
    # packets come) and the server's own fill 64 KiB several times over.
    path = write(echo("filled", "10.79.2", capture=True,
                      size=" --size 8000 --count 30"))
    done = socklab("run", path, "--results", small_disk)
    assert done.returncode == 3, done.stdout + done.stderr
    err = one_line(done)
    assert err.startswith(f"socklab: the evidence in {small_disk}/filled is "
                          "incomplete (No space left on device): ")
    assert "server.pcap" in err and "not written; the lab was removed; " \
        "free space there or choose a results folder" in err
    # What could be written was kept: the summary from the run's start.
    summary = json.loads((small_disk / "filled/summary.json").read_text())
    assert summary["scenario"] == "filled"
    assert not list(small_disk.glob("filled/*.part"))


def test_an_unwritable_host_log_is_named_and_the_rest_written(
        write, tmp_path, nothing_left):
    path = write(echo("badlog", "10.79.3", sleep=3))
    proc = start(path, "--results", tmp_path)
    steps = tmp_path / "badlog/steps.jsonl"
    wait_for(lambda: steps.exists() and steps.read_text())
    (tmp_path / "badlog/hosts/server.log").mkdir()  # no file can go there
    out, err = proc.communicate(timeout=120)
    done = subprocess.CompletedProcess(proc.args, proc.returncode, out, err)
    assert done.returncode == 3, out + err
    assert one_line(done) == (
        f"socklab: the evidence in {tmp_path}/badlog is incomplete (Is a "
        "directory): hosts/server.log not written; the lab was removed; "
        "choose a results folder socklab may write (socklab --results DIR; "
        "pytest --socklab-results DIR)")
    folder = tmp_path / "badlog"
    assert json.loads((folder / "summary.json").read_text())["status"] \
        == "passed"
    assert [s["ok"] for s in lines(folder / "steps.jsonl")] == [True, True]
    assert "client" in (folder / "report.html").read_text()
    assert (folder / "hosts/client.log").is_file()


@pytest.mark.parametrize("command", ["run", "up"])
def test_output_that_cannot_be_written_is_one_line(command, write, tmp_path,
                                                   nothing_left):
    path = write(echo("mute", "10.79.8"))
    with open("/dev/full", "w") as full:
        done = subprocess.run(
            [sys.executable, "-m", "lab.cli", command, path, "--results",
             tmp_path], cwd=ROOT, stdout=full, stderr=subprocess.PIPE,
            text=True, timeout=120)
    assert done.returncode == 3, done.stderr
    assert one_line(done) == ("socklab: could not write /dev/full: No space "
                              "left on device; free space there or write "
                              "elsewhere")


def test_the_line_names_a_few_files_of_a_large_lab(tmp_path):
    failed = {f"hosts/h{i}.log": OSError(errno.ENOSPC, "No space left on "
                                         "device") for i in range(10)}
    line = str(evidence.unwritten(tmp_path, failed))
    assert line == (f"the evidence in {tmp_path} is incomplete (No space "
                    "left on device): hosts/h0.log, hosts/h1.log, "
                    "hosts/h2.log, hosts/h3.log, hosts/h4.log, hosts/h5.log, "
                    "4 more not written; the lab was removed; free space "
                    "there or choose a results folder socklab may write "
                    "(socklab --results DIR; pytest --socklab-results DIR)")


def test_pytest_names_the_same_line(pytester, monkeypatch, small_disk,
                                    nothing_left):
    (pytester.path / "scenarios").mkdir()
    (pytester.path / "scenarios" / "s.yaml").write_text(echo(
        "plugin", "10.79.4", capture=True, size=" --size 8000 --count 30"))
    result = pytester.runpytest_subprocess("--socklab-results", small_disk)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([f"socklab: the evidence in {small_disk}/"
                                 "plugin is incomplete (No space left on "
                                 "device): *; the lab was removed; free "
                                 "space there or choose a results folder*"])
    result = pytester.runpytest_subprocess(
        "--socklab-results", "/proc/nope/r")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["socklab: the results folder cannot be made "
                                 "at /proc/nope: No such file or directory; "
                                 "choose a results folder socklab may write*"])
    monkeypatch.setenv("SOCKLAB_STATE", "/proc/nope")
    result = pytester.runpytest_subprocess(
        "--socklab-results", pytester.path / "out")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["socklab: the state folder (SOCKLAB_STATE) "
                                 "is unusable at /proc/nope*"])
    assert "Traceback" not in result.stdout.str()
    assert "runs.py" not in result.stdout.str()


# ------------------------------------------------- evidence as it happens

def test_kill_9_leaves_the_finished_steps_and_a_running_summary(
        write, tmp_path):
    path = write(echo("killed9", "10.79.5", sleep=60))
    proc = start(path, "--results", tmp_path)
    folder = tmp_path / "killed9"
    wait_for(lambda: (folder / "steps.jsonl").exists())
    time.sleep(0.5)  # well into the sleep
    proc.kill()
    proc.wait()
    summary = json.loads((folder / "summary.json").read_text())
    assert summary["status"] == "running" and summary["scenario"] == "killed9"
    steps = lines(folder / "steps.jsonl")
    assert [(s["step"], s["ok"]) for s in steps] == [(1, True)]
    assert steps[0]["result"]["replies"] == 1
    assert socklab("clean").returncode == 0
    # The sweep kept the hosts' logs and says how the run ended.
    summary = json.loads((folder / "summary.json").read_text())
    assert summary["status"] == "killed", summary
    assert "socklab-init: ready" in (folder / "hosts" / "server.log"
                                     ).read_text()
    assert leftovers() == []


def test_the_summary_says_a_run_was_interrupted(write, tmp_path):
    path = write(echo("stopped", "10.79.6", sleep=60))
    proc = start(path, "--results", tmp_path)
    wait_for(lambda: (tmp_path / "stopped/steps.jsonl").exists())
    proc.send_signal(signal.SIGTERM)
    proc.communicate(timeout=60)
    assert proc.returncode == 130
    summary = json.loads((tmp_path / "stopped/summary.json").read_text())
    assert summary["status"] == "interrupted"
    assert [s["ok"] for s in summary["steps"]] == [True]
    assert leftovers() == []


def test_a_second_run_leaves_the_first_runs_results_while_it_waits(
        write, tmp_path):
    path = write(echo("turns", "10.79.7", sleep=6, capture=True))
    first = start(path, "--results", tmp_path)
    folder = tmp_path / "turns"
    wait_for(lambda: (folder / "steps.jsonl").exists())
    mine = json.loads((folder / "summary.json").read_text())["run"]
    said = tmp_path / "second.out"
    with open(said, "w") as out:
        second = subprocess.Popen(first.args, cwd=ROOT, stdout=out,
                                  stderr=subprocess.STDOUT)
    wait_for(lambda: "waiting for run" in said.read_text())
    time.sleep(1)
    # Still the first run's: nothing emptied, the capture still growing.
    assert json.loads((folder / "summary.json").read_text()) \
        ["run"] == mine
    assert (folder / "lan.pcap").stat().st_size > 0
    assert len(lines(folder / "steps.jsonl")) == 1
    first.communicate(timeout=120)
    second.wait(timeout=120)
    assert [first.returncode, second.returncode] == [0, 0], said.read_text()
    summary = json.loads((folder / "summary.json").read_text())
    assert summary["status"] == "passed" and summary["run"] != mine
    assert leftovers() == []
