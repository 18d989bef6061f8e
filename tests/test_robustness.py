"""Nothing lost, nothing left: interrupts in every phase, kill -9, parallel
runs, limits for hostile programs, a Docker daemon that goes away, and the
security promises. Each test ends with nothing of socklab's left."""
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time

import docker
import pytest

from tests.conftest import ROOT, leftovers, socklab

pytestmark = pytest.mark.docker  # every test here runs real labs


class _Slow:
    """Six hosts with a server each, then a long step."""

    @staticmethod
    def format(name, net):
        hosts = "".join(
            f"  h{i}: {{interfaces: {{lan: {net}.{10 + i}}}, "
            "services: [tcp-server --port 9000]}\n" for i in range(6))
        return (f"name: {name}\nnetworks:\n  lan: {{subnet: {net}.0/24}}\n"
                f"hosts:\n{hosts}steps:\n  - on: h0\n"
                "    run: connect --to h1:9000\n  - on: h0\n"
                "    run: sleep 60\n")


SLOW = _Slow()


def start(path, *extra, env=None):
    return subprocess.Popen(
        [sys.executable, "-m", "lab.cli", "run", str(path), *extra],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env=env)


def containers(scenario):
    return docker.from_env().api.containers(
        all=True, filters={"label": f"socklab.scenario={scenario}"})


def hosts(scenario):
    """The scenario's hosts (not its helpers: wiring, captures)."""
    return [c for c in containers(scenario) if "socklab.host" in c["Labels"]]


def wait_for(condition, seconds=60):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(0.05)
    raise AssertionError("condition not reached")


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_mid_run_tears_everything_down(write, tmp_path, sig):
    path = write(SLOW.format(name="interrupted", net="10.78.1"))
    proc = start(path, "--results", tmp_path)
    wait_for(lambda: len([c for c in hosts("interrupted")
                          if c["State"] == "running"]) == 6)
    time.sleep(1.5)  # the long step is running now
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, out + err
    assert "interrupted" in err and "Traceback" not in err
    assert leftovers() == []


def test_a_signal_to_a_parallel_run_stops_every_scenario(write, tmp_path):
    first = write(SLOW.format(name="first", net="10.78.2"), "first.yaml")
    second = write(SLOW.format(name="second", net="10.78.3"), "second.yaml")
    proc = start(first, second, "--jobs", "2", "--results", tmp_path)
    wait_for(lambda: all(len([c for c in hosts(name)
                              if c["State"] == "running"]) == 6
                         for name in ("first", "second")))
    time.sleep(1.5)
    proc.send_signal(signal.SIGTERM)  # to the parent only
    out, err = proc.communicate(timeout=90)
    assert proc.returncode == 130, out + err
    assert "Traceback" not in out + err
    assert leftovers() == []


def test_parallel_runs_report_each_scenario_whole_and_fail_as_one(
        write, tmp_path):
    good = write("""
        name: good
        networks: {lan: {subnet: 10.78.4.0/24}}
        hosts:
          a: {interfaces: {lan: 10.78.4.10}, services: [tcp-server --port 9000]}
          b: {interfaces: {lan: 10.78.4.11}}
        steps:
          - {on: b, run: tcp-client --to a:9000 --message hi,
             expect: {replies: 1}}
        """, "good.yaml")
    bad = write("""
        name: bad
        networks: {lan: {subnet: 10.78.5.0/24}}
        hosts:
          a: {interfaces: {lan: 10.78.5.10}}
          b: {interfaces: {lan: 10.78.5.11}}
        steps:
          - {on: b, run: tcp-client --to a:9000 --message hi,
             expect: {outcome: ok}}
        """, "bad.yaml")
    done = socklab("run", good, bad, "--jobs", "2", "--results", tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert lines[-2:] == ["failed: bad", "1 passed, 1 failed"]
    # Each scenario's lines come together, not interleaved.
    for name in ("good", "bad"):
        mine = [i for i, line in enumerate(lines)
                if line.startswith(f"{name}: ")]
        others = [i for i, line in enumerate(lines)
                  if line.split(":")[0] in ("good", "bad")
                  and not line.startswith(f"{name}: ")]
        assert not [i for i in others if mine[0] < i < mine[-1]]
    assert (tmp_path / "bad/summary.json").exists()
    assert leftovers() == []


def test_a_signal_during_set_up_tears_down_what_was_made(write, tmp_path):
    path = write(SLOW.format(name="early", net="10.78.2"))
    proc = start(path, "--results", tmp_path)
    wait_for(lambda: containers("early"), 60)  # creation under way
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, out + err
    assert leftovers() == []


def test_kill_9_then_clean_leaves_nothing(write, tmp_path):
    path = write(SLOW.format(name="killed", net="10.78.3"))
    proc = start(path, "--results", tmp_path)
    wait_for(lambda: len(containers("killed")) >= 3)
    proc.kill()
    proc.wait()
    assert leftovers() != []          # the dead run left things...
    done = socklab("clean")
    assert done.returncode == 0
    assert "removed the leftovers of 1 run" in done.stdout
    assert leftovers() == []          # ...and clean removed all of them


def test_the_next_run_sweeps_what_a_killed_run_left(write, tmp_path):
    killed = write(SLOW.format(name="killed2", net="10.78.4"), "k.yaml")
    proc = start(killed, "--results", tmp_path)
    wait_for(lambda: len([c for c in hosts("killed2")
                          if c["State"] == "running"]) == 6)
    time.sleep(1)                     # its host rule is in place too
    proc.kill()
    proc.wait()
    other = write(SLOW.format(name="after", net="10.78.5").replace(
        "run: sleep 60", "run: 'true'"), "a.yaml")
    done = socklab("run", other, "--results", tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert leftovers() == []


def test_two_runs_of_one_scenario_run_side_by_side(write, tmp_path):
    """Same subnets, same addresses, at once: each lab is its own bridges
    (Docker's networks, which refuse overlapping subnets, are not used on
    one engine), so a class of submissions is graded in parallel."""
    path = write(SLOW.format(name="twice", net="10.78.6").replace(
        "run: sleep 60", "run: sleep 4"))
    first = start(path, "--results", tmp_path / "1")
    second = start(path, "--results", tmp_path / "2")
    # Both labs are up at once: twelve hosts of one scenario.
    wait_for(lambda: len([h for h in hosts("twice")
                          if h["State"] == "running"]) == 12, 120)
    outs = [p.communicate(timeout=180) for p in (first, second)]
    assert [first.returncode, second.returncode] == [0, 0], outs
    assert "waiting for run" not in "".join(out for out, _ in outs)
    assert leftovers() == []


def test_pytest_xdist_runs_the_library_in_parallel(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-n", "2", "-q", "-p",
         "no:cacheprovider", "scenarios", "--socklab-results",
         str(tmp_path)], cwd=ROOT, capture_output=True, text=True,
        timeout=600)
    assert done.returncode == 0, done.stdout[-3000:]
    assert " passed" in done.stdout.splitlines()[-1]
    assert leftovers() == []


HOSTILE = """\
name: hostile
networks:
  lan: {subnet: 10.78.7.0/24}
hosts:
  victim:
    interfaces: {lan: 10.78.7.10}
    limits: {pids: 64, memory: 96m}
    services: [tcp-server --port 9000]
  peer:
    interfaces: {lan: 10.78.7.20}
steps:
  - name: a fork storm is stopped at the host's pids limit
    on: victim
    run: |
      python3 -c "import json, os, time
      n = 0
      for i in range(2000):
          try:
              pid = os.fork()
          except OSError:
              break
          if pid == 0:
              time.sleep(5); os._exit(0)
          n += 1
      print(json.dumps({'forked': n}))"
    expect: {forked: {lt: 64}}
  - name: a memory hog is killed, its own step fails
    on: victim
    run: python3 -c "b = b'x' * (512 * 1024 * 1024)"
    expect: {exit: 137}
  - name: the host still serves
    on: peer
    run: tcp-client --to victim:9000 --message still-here
    expect: {replies: 1}
  - name: a flood of output is cut, and the result line kept
    on: peer
    run: >-
      python3 -c "print('x' * 5000000); print('{\\"n\\": 1}')"
    expect: {n: 1, output_cut: [stdout], stdout: {contains: "bytes cut]"}}
"""


def test_limits_stop_hostile_programs_in_their_own_step(write, tmp_path):
    start_time = time.monotonic()
    done = socklab("run", write(HOSTILE), "--results", tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert time.monotonic() - start_time < 90
    assert "(output cut" in done.stdout
    steps = [json.loads(line) for line in
             (tmp_path / "hostile/steps.jsonl").read_text().splitlines()]
    assert steps[0]["result"]["forked"] < 64
    assert len(steps[3]["result"]["stdout"]) < 2_000_000
    assert leftovers() == []


class Proxy:
    """A stand-in for the Docker socket that can vanish mid-run."""

    def __init__(self, path):
        self.path, self.conns = path, []
        self.server = socket.socket(socket.AF_UNIX)
        self.server.bind(path)
        self.server.listen(64)
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            upstream = socket.socket(socket.AF_UNIX)
            upstream.connect("/var/run/docker.sock")
            self.conns += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b),
                                 daemon=True).start()

    @staticmethod
    def _pipe(a, b):
        try:
            while data := a.recv(65536):
                b.sendall(data)
        except OSError:
            pass

    def vanish(self):
        self.server.close()
        for conn in self.conns:
            try:
                conn.shutdown(socket.SHUT_RDWR)
                conn.close()
            except OSError:
                pass


def test_a_daemon_gone_mid_run_exits_3_in_one_line(write, tmp_path):
    proxy = Proxy(str(tmp_path / "docker.sock"))
    env = dict(os.environ, DOCKER_HOST=f"unix://{tmp_path}/docker.sock")
    path = write(SLOW.format(name="orphaned", net="10.78.8"))
    proc = start(path, "--results", tmp_path, env=env)
    wait_for(lambda: len([c for c in hosts("orphaned")
                          if c["State"] == "running"]) == 6)
    time.sleep(1.5)
    proxy.vanish()
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 3, out + err
    assert "Traceback" not in err
    assert err.strip().startswith("socklab: lost the Docker daemon")
    assert len(err.strip().splitlines()) == 1
    # Best effort could not reach the daemon; the next clean does.
    assert socklab("clean").returncode == 0
    assert leftovers() == []


def test_hosts_are_confined_as_the_readme_says(write, tmp_path):
    path = write("""\
        name: confined
        networks: {lan: {subnet: 10.78.9.0/24}}
        hosts:
          plain: {interfaces: {lan: 10.78.9.10}}
          admin: {interfaces: {lan: 10.78.9.11}, net_admin: true}
        steps:
          - name: a program cannot change its host's routes...
            on: plain
            run: ip route add 10.78.9.128/25 via 10.78.9.11
            expect: {exit: 2, stderr: {contains: Operation not permitted}}
          - name: ...unless the host says net_admin
            on: admin
            run: ip route add 10.78.9.128/25 via 10.78.9.10
          - name: no DNS leads out of the lab
            on: plain
            run: cat /etc/resolv.conf
            expect: {stdout: {matches: "nameserver 127.0.0.1\\\\n$"}}
          - name: a user's program finds lab names and localhost (libc)
            on: plain
            run: getent hosts admin admin.lan localhost
            expect: {stdout: {matches: "^10.78.9.11 +admin\\\\n10.78.9.11 +admin.lan\\\\n(127.0.0.1|::1) +localhost"}}
        """)
    up = socklab("up", path)
    assert up.returncode == 0, up.stderr
    try:
        api = docker.from_env().api
        for info in hosts("confined"):
            inspect = api.inspect_container(info["Id"])
            host = inspect["HostConfig"]
            assert host["Privileged"] is False
            assert host["CapAdd"] == ["NET_ADMIN"]
            assert not any("docker.sock" in m["Source"]
                           for m in inspect["Mounts"])
            # Read-only, all of it: the scenario's folder, and the names
            # socklab gives it; its root too (its writes go to a tmpfs).
            assert sorted((m["Destination"], m["Mode"]) for m in
                          inspect["Mounts"]) == [
                ("/etc/hosts", "ro"), ("/etc/resolv.conf", "ro"),
                ("/lab/scenario", "ro")]
            assert host["ReadonlyRootfs"] is True
            # Docker does no networking for it: the helper wires it.
            assert host["NetworkMode"] == "none"
            assert inspect["Config"]["NetworkDisabled"] is True
        helpers = [c for c in containers("confined")
                   if c["Labels"].get("socklab.helper") == "wire"]
        assert len(helpers) == 1
        helper = api.inspect_container(helpers[0]["Id"])
        assert helper["HostConfig"]["Privileged"] is False
        assert helper["HostConfig"]["CapAdd"] == ["NET_ADMIN"]
        assert helper["Mounts"] == []
        for net in api.networks(filters={"label": "socklab.scenario="
                                         "confined"}):
            net = api.inspect_network(net["Id"])
            assert net["Internal"] is True
            assert net["Options"][
                "com.docker.network.bridge.inhibit_ipv4"] == "true"
    finally:
        socklab("down", "confined")
    done = socklab("run", path, "--results", tmp_path)
    assert done.returncode == 0, done.stdout
    assert leftovers() == []


def test_a_labs_networks_are_its_own_bridges_not_dockers(write, tmp_path):
    """Nothing can be attached to a lab's network from outside (a stray
    container, a debugging shell): on one engine it is a bridge socklab
    makes, with no Docker network for anything to join, and it goes with
    the lab."""
    path = write("""\
        name: visited
        networks: {lan: {subnet: 10.78.10.0/24}}
        hosts: {a: {interfaces: {lan: 10.78.10.10}}}
        """)
    assert socklab("up", path).returncode == 0
    try:
        run = hosts("visited")[0]["Labels"]["socklab.run"]
        assert docker.from_env().api.networks(filters={
            "label": "socklab.scenario=visited"}) == []
        bridge = subprocess.run(["ip", "-o", "link", "show", f"slb{run}0"],
                                capture_output=True, text=True)
        assert "master" not in bridge.stdout and bridge.returncode == 0
    finally:
        done = socklab("down", "visited")
    assert done.returncode == 0, done.stderr
    assert leftovers() == []
