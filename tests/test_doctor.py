"""`socklab doctor` on this machine (a real engine, a real probe of the delay
line in a throwaway host) and against engines that can't be used."""
import os

import docker
import pytest

from tests.conftest import socklab


@pytest.mark.docker
def test_this_machine_can_run_socklab_and_delays_by_nfqueue():
    done = socklab("doctor", env={**os.environ, "DOCKER_HOST": ""})
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    for line in ("ok    Docker", "ok    swarm", "ok    base image",
                 "ok    delay             by NFQUEUE in each host: 20 ms "
                 "round trips asked", "ok    memory", "ok    disk",
                 "bridge netfilter", "IPv6", "socklab can run here."):
        assert line in out
    assert "netem: not in the kernel, not needed" in out  # (this kernel)
    # The probe's throwaway host is gone.
    assert docker.from_env().api.containers(
        all=True, filters={"label": "socklab.doctor"}) == []


def test_a_missing_daemon_is_one_finding_and_exit_3():
    done = socklab("doctor", env={**os.environ,
                                  "DOCKER_HOST": "unix:///nonexistent"})
    assert done.returncode == 3
    assert "FAIL  Docker" in done.stdout
    assert "no Docker daemon answers" in done.stdout
    assert "-> start one" in done.stdout
    assert "socklab cannot run here: Docker" in done.stdout
    assert "Traceback" not in done.stdout + done.stderr


@pytest.mark.docker
def test_the_swarm_engine_needs_a_manager():
    if docker.from_env().info()["Swarm"]["LocalNodeState"] == "active":
        pytest.skip("this engine is in a swarm")
    done = socklab("doctor", "--engine", "swarm")
    assert done.returncode == 3
    assert "FAIL  swarm" in done.stdout
    assert "socklab cannot run here: swarm" in done.stdout
