"""Holes found by trying to break socklab (issue 24), each reproduced as
found and shown closed, on real labs: a helper removed under a live run, a
`clean` that reads another state folder, labs a killed `up` or `down` left
half made, lock files of killed runs."""
import json
import os
import subprocess
import sys
import time

import docker
import pytest

from tests.conftest import ROOT, leftovers, socklab
from tests.test_robustness import SLOW, containers, hosts, start, wait_for

pytestmark = pytest.mark.docker


def _lab(name, net, sleep=3):
    return (f"name: {name}\nnetworks:\n  lan: {{subnet: {net}.0/24}}\n"
            f"hosts:\n  a: {{interfaces: {{lan: {net}.10}}, services: "
            f"[tcp-server --port 9000]}}\n  b: {{interfaces: {{lan: "
            f"{net}.11}}}}\nsteps:\n  - on: b\n    run: connect --to a:9000\n"
            f"    expect: {{outcome: connected}}\n  - sleep: {sleep}\n"
            f"  - on: b\n    run: connect --to a:9000\n"
            f"    expect: {{outcome: connected}}\n")


def test_a_wiring_helper_removed_mid_run_leaves_nothing(write, tmp_path):
    path = write(_lab("helper-gone", "10.79.1", sleep=4))
    proc = start(path, "--results", tmp_path)
    api = docker.from_env().api

    def helper():
        return [c for c in containers("helper-gone")
                if c["Labels"].get("socklab.helper") == "wire"]
    wait_for(lambda: len([h for h in hosts("helper-gone")
                          if h["State"] == "running"]) == 2 and helper())
    time.sleep(2)  # wired and ready: the run is in its sleep step
    api.remove_container(helper()[0]["Id"], force=True)
    out, err = proc.communicate(timeout=120)
    # The lab kept working (its links were made), and teardown, without
    # the helper, still removed all of it, saying what happened.
    assert proc.returncode == 0, out + err
    assert "wiring helper of run" in out + err and "was removed" in out + err
    assert leftovers() == []


def test_a_wiring_helper_removed_during_bring_up_exits_3(write, tmp_path):
    path = write(SLOW.format(name="wiring-gone", net="10.79.6"))
    proc = start(path, "--results", tmp_path)
    api = docker.from_env().api
    wait_for(lambda: [c for c in containers("wiring-gone")
                      if c["Labels"].get("socklab.helper") == "wire"])
    for c in containers("wiring-gone"):
        if c["Labels"].get("socklab.helper") == "wire":
            api.remove_container(c["Id"], force=True)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 3, out + err
    assert "wiring helper" in err and "was removed" in err, err
    assert "Traceback" not in err
    assert leftovers() == []


def test_clean_from_another_state_folder_never_sweeps_a_live_run(
        write, tmp_path):
    path = write(_lab("still-alive", "10.79.2", sleep=6))
    proc = start(path, "--results", tmp_path)
    wait_for(lambda: len([h for h in hosts("still-alive")
                          if h["State"] == "running"]) == 2)
    env = {**os.environ, "SOCKLAB_STATE": str(tmp_path / "elsewhere")}
    done = socklab("clean", env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "nothing left behind" in done.stdout
    assert len(hosts("still-alive")) == 2
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, out + err
    assert leftovers() == []


def test_clean_removes_what_a_killed_down_left(write, tmp_path):
    # A `down` killed after the hosts went: the helper alone stays, and
    # `ls` does not show it.
    whole = write(_lab("half-down", "10.79.4"), "whole.yaml")
    assert socklab("up", whole, "--results", tmp_path).returncode == 0
    api = docker.from_env().api
    run = hosts("half-down")[0]["Labels"]["socklab.run"]
    # What `down` does first (unmark the lab), then the hosts, then killed.
    api.remove_volume(f"socklab-{run}-whole")
    for host in hosts("half-down"):
        api.remove_container(host["Id"], force=True)
    assert "half-down" not in socklab("ls").stdout
    done = socklab("clean")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "removed the leftovers of 1 run(s)" in done.stdout
    assert leftovers() == []


def test_clean_removes_what_a_killed_up_left(write, tmp_path):
    # A killed `up`: a partial lab, not listed (it was never whole).
    path = write(SLOW.format(name="half-up", net="10.79.3"))
    proc = subprocess.Popen([sys.executable, "-m", "lab.cli", "up", path,
                             "--results", tmp_path], cwd=ROOT,
                            stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    wait_for(lambda: len(hosts("half-up")) >= 1, 60)
    proc.kill()
    proc.wait()
    assert leftovers() != []
    assert "half-up" not in socklab("ls").stdout
    done = socklab("clean")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "removed the leftovers of 1 run(s)" in done.stdout
    assert leftovers() == []


def test_a_lab_left_up_on_purpose_survives_clean(write, tmp_path):
    path = write(_lab("kept-up", "10.79.5"))
    assert socklab("up", path, "--results", tmp_path).returncode == 0
    try:
        done = socklab("clean")
        assert "nothing left behind" in done.stdout
        assert len(hosts("kept-up")) == 2
    finally:
        assert socklab("down", "kept-up").returncode == 0
    assert leftovers() == []


def test_clean_removes_lock_files_of_killed_runs(tmp_path):
    state = tmp_path / "state"
    (state / "runs").mkdir(parents=True)
    stale = state / "runs" / "0badc0de.lock"
    stale.write_text("{}")
    old = time.time() - 3600
    os.utime(stale, (old, old))
    fresh = state / "runs" / "0badbeef.lock"  # being made: left alone
    fresh.write_text("")
    done = socklab("clean", env={**os.environ, "SOCKLAB_STATE": str(state)})
    assert done.returncode == 0, done.stdout + done.stderr
    assert not stale.exists() and fresh.exists()


def _tcpdump(folder, file, expression):
    """The packets of a capture that match, read by the host image's
    tcpdump (the machine needs none)."""
    image = docker.from_env().images.get("socklab-host:latest").id
    done = subprocess.run(
        ["docker", "run", "--rm", "--network", "none", "-v",
         f"{folder}:/c:ro", image, "tcpdump", "-nr", f"/c/{file}",
         expression], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


def test_the_machine_is_on_no_lab_segment(write, tmp_path):
    """Checked by looking, never by sending to the machine: its side of
    each lab link has no address of any family, and nothing but the lab's
    hosts speaks on the segment (no MLD or IGMP report, no neighbour or
    router solicitation from the bridge or a host's outside end)."""
    net = "10.79.7"
    path = write(f"""\
        name: no-machine
        networks:
          lan: {{subnet: {net}.0/24, capture: true}}
        hosts:
          a: {{interfaces: {{lan: {net}.10}}, capture: true,
              services: [udp-server --port 7000]}}
          b: {{interfaces: {{lan: {net}.11}}}}
        steps:
          - {{on: b, run: udp-client --to a:7000 --message hi --count 3,
              expect: {{replies: 3}}}}
          - sleep: 6
        """)
    proc = start(path, "--results", tmp_path)
    wait_for(lambda: len([h for h in hosts("no-machine")
                          if h["State"] == "running"]) == 2)
    run = hosts("no-machine")[0]["Labels"]["socklab.run"]
    time.sleep(3)  # past the address checks and router solicitations
    links = subprocess.run(["ip", "-o", "link"], capture_output=True,
                           text=True).stdout
    ours = [line.split(": ")[1].split("@")[0] for line in links.splitlines()
            if f": v{run}" in line or f": slb{run}" in line]
    assert len(ours) == 3, links  # the bridge, a's and b's outside ends
    for name in ours:
        assert subprocess.run(["ip", "-o", "addr", "show", "dev", name],
                              capture_output=True, text=True).stdout == ""
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, out + err
    folder = tmp_path / "no-machine"
    for capture in ("lan.pcap", "a.pcap"):
        assert _tcpdump(folder, capture, "udp port 7000")  # it saw traffic
        assert _tcpdump(folder, capture, "ip6 or igmp") == []
    assert leftovers() == []


def test_a_host_cannot_fill_the_machines_disk(write, tmp_path):
    """What a host's programs write goes to a tmpfs of its `disk` size: past
    it, ENOSPC in that host, which carries on; the root is read-only; the
    machine's disk (the container's writable layer) gets nothing."""
    path = write("""\
        name: filler
        networks: {lan: {subnet: 10.79.8.0/24}}
        hosts:
          a: {interfaces: {lan: 10.79.8.10}, limits: {disk: 64m}}
        """)
    assert socklab("up", path, "--results", tmp_path).returncode == 0
    try:
        filled = socklab("exec", "filler", "a", "--", "dd", "if=/dev/zero",
                         "of=/tmp/big", "bs=1M", "count=200")
        assert filled.returncode != 0
        assert "No space left on device" in filled.stderr
        again = socklab("exec", "filler", "a", "--", "sh", "-c",
                        "rm /tmp/big && echo fine > /root/note && "
                        "cat /root/note && ls /tmp")
        assert again.returncode == 0 and again.stdout == "fine\n", again
        root = socklab("exec", "filler", "a", "--", "touch", "/etc/x")
        assert "Read-only file system" in root.stderr
        api = docker.from_env().api
        size = api.containers(all=True, size=True, filters={"label": [
            "socklab.scenario=filler", "socklab.host=a"]})[0].get(
                "SizeRw", 0)  # Docker leaves it out when it is 0
        assert size < 1 << 20, size
    finally:
        assert socklab("down", "filler").returncode == 0
    assert leftovers() == []


def test_a_host_removed_mid_step_says_so(write, tmp_path):
    path = write(_lab("removed-host", "10.79.9", sleep=0).replace(
        "  - sleep: 0\n", "  - {on: a, run: sleep 20}\n"))
    proc = start(path, "--results", tmp_path)
    wait_for(lambda: any(c["Command"].startswith("socklab-step")
                         or "sleep 20" in c["Command"]
                         for c in containers("removed-host")) or
             _running_step("removed-host"))
    docker.from_env().api.remove_container(
        [h for h in hosts("removed-host")
         if h["Labels"]["socklab.host"] == "a"][0]["Id"], force=True)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 1, out + err
    assert "host a was removed during the step" in out, out
    assert "bytearray" not in out
    assert leftovers() == []


def _running_step(scenario):
    """Is a step's `sleep 20` running in the scenario's host a?"""
    for host in hosts(scenario):
        if host["Labels"]["socklab.host"] == "a" and \
                host["State"] == "running":
            top = docker.from_env().api.top(host["Id"])
            return any("sleep 20" in " ".join(p) for p in top["Processes"])
    return False


def test_a_killed_jobs_parent_leaves_its_childrens_runs_whole(write,
                                                               tmp_path):
    """kill -9 of `socklab run --jobs 2`: its children, whose output nobody
    reads any more, finish their runs and say how they ended."""
    paths = [write(_lab(name, net, sleep=3), f"{name}.yaml")
             for name, net in (("orphan-a", "10.79.10"),
                               ("orphan-b", "10.79.11"))]
    proc = subprocess.Popen(
        [sys.executable, "-m", "lab.cli", "run", "--jobs", "2",
         "--results", str(tmp_path), *map(str, paths)], cwd=ROOT,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    wait_for(lambda: all(hosts(n) for n in ("orphan-a", "orphan-b")))
    proc.kill()
    proc.communicate()

    def status(name):
        path = tmp_path / name / "summary.json"
        return json.loads(path.read_text())["status"] if path.exists() \
            else None
    # Each child ends its run: the lab goes, then the evidence is written.
    wait_for(lambda: status("orphan-a") not in (None, "running") and
             status("orphan-b") not in (None, "running"), 120)
    assert [status("orphan-a"), status("orphan-b")] == ["passed", "passed"]
    assert leftovers() == []


def test_a_service_flooding_without_end_is_bounded(write, tmp_path):
    """A service that prints without end: its first 8 MiB and its last part
    are kept, the cut is said, and the lab goes on at its own pace."""
    path = write("""\
        name: flood
        networks: {lan: {subnet: 10.79.12.0/24}}
        hosts:
          loud: {interfaces: {lan: 10.79.12.10},
                 services: [yes a-line-of-flood, tcp-server --port 9000]}
          quiet: {interfaces: {lan: 10.79.12.20}}
        steps:
          - sleep: 4
          - {on: quiet, run: tcp-client --to loud:9000 --message hi,
             expect: {replies: 1}}
          - {on: loud, run: "ls -l /var/log/socklab", expect: {exit: 0}}
        """)
    done = socklab("run", path, "--results", tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    log = tmp_path / "flood" / "hosts" / "loud.log"
    assert log.stat().st_size < 2 << 20
    text = log.read_text()
    assert "service 1 printed more than 1 MiB: the host log has its first" in text
    assert "a-line-of-flood\n" * 10 in text
    assert leftovers() == []
