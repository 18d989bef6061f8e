"""Shared helpers for socklab's own tests."""
import os
import pty
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import docker
import pytest

ROOT = Path(__file__).resolve().parents[1]
# No test reaches a registry: these machines have none, and must send
# nothing outside the labs (socklab's own runs inherit this).
os.environ.setdefault("SOCKLAB_NO_PULL", "1")


@pytest.fixture
def write(tmp_path):
    """write(text, name="s.yaml") -> path of a scenario file in tmp_path."""
    def _write(text, name="s.yaml"):
        path = tmp_path / name
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path
    return _write


def socklab(*args, env=None, timeout=300):
    """Run the real command line; return the CompletedProcess."""
    return subprocess.run([sys.executable, "-m", "lab.cli", *map(str, args)],
                          capture_output=True, text=True, cwd=ROOT, env=env,
                          timeout=timeout)


def on_a_terminal(*args):
    """Run the real command line on a pseudo-terminal; return (exit
    status, what it printed)."""
    pid, fd = pty.fork()
    if pid == 0:
        os.chdir(ROOT)
        os.execv(sys.executable, [sys.executable, "-m", "lab.cli",
                                  *map(str, args)])
    output = b""
    while True:
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        output += chunk
    _, status = os.waitpid(pid, 0)
    return (os.waitstatus_to_exitcode(status),
            output.decode("utf-8", "replace"))


def leftovers():
    """Everything of socklab's still on the engine, in the host's
    DOCKER-USER, INPUT and ip6tables FORWARD chains and among its
    interfaces (the outside ends
    of the hosts' links, v<run id><host><n>, and the bridges, sl<run id><n>):
    must be empty after every run."""
    api = docker.from_env().api
    found = [c["Names"][0] for c in api.containers(
        all=True, filters={"label": "socklab.run"})]
    found += [n["Name"] for n in api.networks(
        filters={"label": "socklab.run"})]
    found += [v["Name"] for v in api.volumes(
        filters={"label": "socklab.run"}).get("Volumes") or ()]
    for tool, chain in (("iptables", "DOCKER-USER"), ("iptables", "INPUT"),
                        ("ip6tables", "FORWARD"), ("ip6tables", "INPUT")):
        rules = subprocess.run([tool, "-S", chain], capture_output=True,
                               text=True).stdout
        found += [r for r in rules.splitlines() if "socklab:" in r]
    links = subprocess.run(["ip", "-o", "link"], capture_output=True,
                           text=True).stdout
    found += re.findall(r"^\d+: (v[0-9a-f]{13}|slb[0-9a-f]{8}\d+)[@:]",
                        links, re.M)
    return found


pytest_plugins = ["pytester"]


@pytest.fixture
def nothing_left():
    """Asserts after the test that no container, network or host rule of
    socklab's remains."""
    yield
    assert leftovers() == []
