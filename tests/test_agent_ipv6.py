"""The built-in programs with IPv6 (issue 17), on this machine's loopback
only (no Docker): literals in brackets, --family, a client trying each
address of a name in order, a server's IPv6 bind, a peer's mapped address
named as IPv4."""
import socket
import subprocess

import pytest

from lab.agent.addressing import plain, split_target
from tests.conftest import ROOT
from tests.test_agent import agent, free_port, program


@pytest.fixture
def listening():
    started = []

    def start(bind):
        port = free_port()
        proc = subprocess.Popen(
            agent("tcp-server", "--port", port, "--bind", bind), cwd=ROOT,
            stdout=subprocess.PIPE, text=True)
        started.append(proc)
        assert '"listening"' in proc.stdout.readline()
        return port
    yield start
    for proc in started:
        proc.kill()
        proc.wait()


@pytest.mark.parametrize("text, expected", [
    ("server:9000", ("server", "9000")),
    ("10.0.0.5:9000", ("10.0.0.5", "9000")),
    ("[fd00::5]:9000", ("fd00::5", "9000")),
    ("fd00::5", ("fd00::5", "")),
    ("server", ("server", "")),
])
def test_targets_split_with_ipv6_in_brackets(text, expected):
    assert split_target(text) == expected


def test_a_mapped_peer_is_named_by_its_ipv4_address():
    assert plain("::ffff:10.70.1.20") == "10.70.1.20"
    assert plain("fe80::1%eth0") == "fe80::1"
    assert plain("fd00::5") == "fd00::5"


def test_an_ipv6_literal_and_family(listening):
    port = listening("::1")
    result = program("tcp-client", "--to", f"[::1]:{port}", "--message", "x")
    assert result["outcome"] == "ok" and result["address"] == "::1"
    assert program("connect", "--to", f"[::1]:{port}", "--family",
                   "4")["outcome"] == "error"  # no IPv4 address in it


def test_a_client_tries_each_address_of_a_name_in_order(listening):
    # localhost is ::1 and 127.0.0.1 (/etc/hosts); only IPv4 listens: the
    # IPv6 attempt is refused and the client goes on, as
    # socket.create_connection does.
    port = listening("127.0.0.1")
    found = {info[0] for info in socket.getaddrinfo("localhost", port)}
    if socket.AF_INET6 not in found:
        pytest.skip("localhost has no IPv6 address here")
    result = program("connect", "--to", f"localhost:{port}")
    assert result["outcome"] == "connected"
    assert result["address"] == "127.0.0.1"
    refused = program("connect", "--to", f"localhost:{port}", "--family", "6")
    assert refused["outcome"] == "refused" and refused["address"] == "::1"
