"""Whole runs on the real Docker engine, through the real command line:
exit statuses, what a failure says, and that nothing is ever left."""
import json
import os
import subprocess
import time

import docker
import pytest

from lab import runs
from tests.conftest import ROOT, leftovers, socklab

ECHO = """\
name: {name}
networks:
  lan: {{subnet: {subnet}}}
hosts:
  server:
    interfaces: {{lan: {server}}}
    services: [tcp-server --port 9000]
  client:
    interfaces: {{lan: {client}}}
steps:
{steps}
"""


def echo(steps, name="probe", net="10.77.0"):
    return ECHO.format(name=name, subnet=f"{net}.0/24", server=f"{net}.10",
                       client=f"{net}.20", steps=steps)


def test_invalid_scenario_exits_2_without_touching_docker(write):
    path = write(echo("  - on: client\n    run: connect --to nobody:1\n"))
    # An unreachable daemon proves nothing was even asked of Docker.
    env = dict(os.environ, DOCKER_HOST="unix:///nonexistent.sock")
    done = socklab("run", path, env=env)
    assert done.returncode == 2
    assert f"{path}:12: steps[0].run: --to 'nobody'" in done.stderr
    assert "Traceback" not in done.stderr


def test_validate_gives_0_or_2(write):
    good = write(echo("  - on: client\n    run: connect --to server:9000\n"))
    assert socklab("validate", good).returncode == 0
    assert socklab("validate", good.parent / "missing.yaml").returncode == 2


def test_no_daemon_exits_3_with_a_fix_and_no_traceback(write):
    path = write(echo("  - on: client\n    run: connect --to server:9000\n"))
    env = dict(os.environ, DOCKER_HOST="unix:///nonexistent.sock")
    done = socklab("run", path, env=env)
    assert done.returncode == 3
    assert "no Docker daemon answers" in done.stderr
    assert "dockerd" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.docker
def test_a_wrong_expectation_exits_1_and_says_what_happened(
        write, tmp_path, nothing_left):
    path = write(echo(
        "  - on: client\n    run: connect --to server:9000\n"
        "    expect: {outcome: connected}\n"
        "  - name: wrong on purpose\n    on: client\n"
        "    run: connect --to server:9001\n"
        "    expect: {outcome: connected}\n"
        "  - on: client\n    run: connect --to server:9000\n"))
    done = socklab("run", path, "--results", tmp_path / "out")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "FAIL wrong on purpose [client]" in done.stdout
    assert "expected outcome eq 'connected': got 'refused'" in done.stdout
    assert "0 passed, 1 failed" in done.stdout
    summary = json.loads((tmp_path / "out/probe/summary.json").read_text())
    assert summary["status"] == "failed"
    assert summary["not_run"] == ["step 3: connect --to server:9000"]
    steps = (tmp_path / "out/probe/steps.jsonl").read_text().splitlines()
    assert [json.loads(s)["ok"] for s in steps] == [True, False]
    log = (tmp_path / "out/probe/hosts/server.log").read_text()
    assert '"event": "listening"' in log


@pytest.mark.docker
def test_a_service_that_dies_fails_fast_with_its_log(
        write, tmp_path, nothing_left):
    path = write("""\
        networks: {lan: {subnet: 10.77.1.0/24}}
        hosts:
          server:
            interfaces: {lan: 10.77.1.10}
            services:
              - run: echo "cannot open config.ini" && exit 4
                ready: {tcp: 9000}
        steps:
          - on: server
            run: "true"
        """)
    start = time.monotonic()
    done = socklab("run", path, "--results", tmp_path / "out")
    assert done.returncode == 1
    assert time.monotonic() - start < 30
    assert "exited with status 4 before it was ready" in done.stdout
    assert "cannot open config.ini" in done.stdout


@pytest.mark.docker
def test_a_hanging_step_fails_at_its_timeout(write, tmp_path, nothing_left):
    path = write(echo("  - on: client\n    run: sleep 600\n    timeout: 2\n"))
    start = time.monotonic()
    done = socklab("run", path, "--results", tmp_path / "out")
    assert done.returncode == 1
    assert "killed at its 2 s timeout" in done.stdout
    assert time.monotonic() - start < 20


@pytest.mark.docker
def test_host_rules_live_exactly_as_long_as_the_run(write, tmp_path):
    # A background step keeps the lab up while we look at the host.
    path = write(echo("  - on: client\n    run: sleep 8\n", net="10.77.2"))
    proc = subprocess.Popen(
        ["python3", "-m", "lab.cli", "run", str(path), "--results",
         str(tmp_path)], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        for _ in range(200):
            rules = [r for r in leftovers() if "socklab:" in r]
            if len(rules) >= 4:
                break
            time.sleep(0.1)
        accept = [r for r in rules if "-j ACCEPT" in r and "FORWARD" not in r]
        assert len(accept) == 1
        assert "-i slb" in accept[0] and "DOCKER-USER" in accept[0]
        bridge = accept[0].split("-i ")[1].split()[0]
        assert f"-o {bridge}" in accept[0]   # the segment talks to itself
        # and the machine takes nothing from it, in either family
        drops = [r for r in rules if "-A INPUT" in r]
        assert len(drops) == 2, rules
        assert all(f"-i {bridge}" in r and "-j DROP" in r for r in drops)
    finally:
        proc.wait(60)
    assert proc.returncode == 0
    assert leftovers() == []


@pytest.mark.docker
def test_clean_sweeps_dead_runs_but_never_a_live_one(tmp_path):
    api = docker.from_env().api
    dead, live = "dead0001", "cafe0001"
    for run_id, subnet in ((dead, "10.77.3.0/24"), (live, "10.77.4.0/24")):
        api.create_network(f"socklab-{run_id}-lan", internal=True,
                           labels={"socklab.run": run_id},
                           ipam=docker.types.IPAMConfig(pool_configs=[
                               docker.types.IPAMPool(subnet=subnet)]))
        subprocess.run(["iptables", "-I", "DOCKER-USER", "-i", "slx", "-o",
                        "slx", "-m", "comment", "--comment",
                        f"socklab:{run_id}", "-j", "ACCEPT"], check=True)
    try:
        with runs.registered(live, "test", [], print):
            done = socklab("clean")
            assert done.returncode == 0, done.stderr
            left = leftovers()
            assert f"socklab-{live}-lan" in left
            assert any(f"socklab:{live}" in r for r in left)
            assert not any(dead in item for item in left)
    finally:
        api.remove_network(f"socklab-{live}-lan")
        subprocess.run(["iptables", "-D", "DOCKER-USER", "-i", "slx", "-o",
                        "slx", "-m", "comment", "--comment",
                        f"socklab:{live}", "-j", "ACCEPT"], check=True)
    assert leftovers() == []


@pytest.mark.docker
def test_pytest_shows_step_expectation_result_and_logs(pytester,
                                                       nothing_left):
    (pytester.path / "scenarios").mkdir()
    (pytester.path / "scenarios" / "wrong.yaml").write_text(echo(
        "  - on: client\n    run: tcp-client --to server:9000 --message hi\n"
        "    expect: {replies: 2}\n", name="wrong", net="10.77.5"))
    (pytester.path / "scenarios" / "right.yaml").write_text(echo(
        "  - on: client\n    run: tcp-client --to server:9000 --message hi\n"
        "    expect: {replies: 1, received: [hi]}\n", name="right",
        net="10.77.6"))
    result = pytester.runpytest_subprocess(
        "--socklab-results",
        str(pytester.path / "out"), "-v")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines([
        "*scenarios/right.yaml::right PASSED*",
        "*scenarios/wrong.yaml::wrong FAILED*",
        "*step 1: tcp-client --to server:9000 --message hi (line 11) on "
        "client:*",
        "*expected replies eq 2: got 1*",
        "*result: {*\"outcome\": \"ok\"*",
        "*last lines of server's log*",
        '*"event": "message"*',
    ])
