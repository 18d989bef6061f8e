"""The hosts have the tools a person reaches for first in a lab: ping,
tracepath and nc (netcat-openbsd), working across a router as steps, with
the capabilities steps run with."""
import pytest

from tests.conftest import socklab

pytestmark = pytest.mark.docker

LAB = r"""
name: host-tools
networks:
  lan_a: {subnet: 10.77.1.0/24}
  lan_b: {subnet: 10.77.2.0/24}
hosts:
  router: {interfaces: {lan_a: 10.77.1.1, lan_b: 10.77.2.1}, forward: true}
  server:
    interfaces: {lan_b: 10.77.2.10}
    gateway: 10.77.2.1
    services: [tcp-server --port 9000]
  client: {interfaces: {lan_a: 10.77.1.10}, gateway: 10.77.1.1}
steps:
  - on: client
    run: ping -c 1 -W 2 server
    expect: {stdout: {contains: "1 received"}}
  - on: client
    run: tracepath -n -m 4 server
    expect: {stdout: {matches: "10\\.77\\.1\\.1 (.|\\n)*10\\.77\\.2\\.10 "}}
  - on: client
    run: nc -z -w 2 server 9000
  - on: client
    run: nc -z -w 2 server 9001
    expect: {exit: 1}
"""


def test_ping_tracepath_and_nc_work_across_a_router(write, tmp_path,
                                                    nothing_left):
    done = socklab("run", "--jobs", "1", "--results", tmp_path / "out",
                   write(LAB, "host-tools.yaml"))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "4 steps: done" in done.stdout


def test_no_program_of_the_host_image_reads_as_a_misspelt_builtin():
    # Validation calls a command close to a built-in's name (`tcp-sever`)
    # misspelt (lab/scenario/commands.py): true only while no program on
    # the image's PATH is that close to one.
    import subprocess
    from lab.agent.main import PROGRAMS
    from lab.scenario.commands import close_to_builtin
    listed = subprocess.run(
        ["docker", "run", "--rm", "--network", "none", "--entrypoint", "sh",
         "socklab-host:latest", "-c", 'ls $(echo "$PATH" | tr : " ")'],
        capture_output=True, text=True, timeout=120)
    names = {n for n in listed.stdout.split() if not n.endswith(":")}
    assert {"ping", "nc", "tcp-server"} <= names, listed.stderr
    assert {n: close_to_builtin(n, PROGRAMS) for n in names
            if close_to_builtin(n, PROGRAMS)} == {}


def test_the_tools_exec_names_are_those_the_image_is_checked_for():
    from pathlib import Path
    from lab.agent import contract
    dockerfile = (Path(__file__).parents[1] / "lab" / "Dockerfile").read_text()
    checked = dockerfile.split("for tool in ", 1)[1].split(";", 1)[0].split()
    assert set(contract.TOOLS) - {"python3", "bash"} <= set(checked)
