"""Impaired links, faults and captures, on real containers: netem is used
where the kernel has it and refused (never faked) where it does not; rate,
loss, partitions and restarts behave; captures are real pcaps."""
import subprocess

import docker
import pytest

from lab import kernel
from lab.report import pcap
from tests.conftest import ROOT, leftovers, socklab

DELAYED = """\
networks:
  lan: {subnet: 10.80.1.0/24, delay: 100ms}
hosts:
  a: {interfaces: {lan: 10.80.1.10}, services: [tcp-server --port 9000]}
  b: {interfaces: {lan: 10.80.1.20}}
steps:
  - on: b
    run: connect --to a:9000
    expect: {elapsed_ms: {ge: 190}}
"""


def test_delay_needs_netem_and_is_never_faked(write):
    done = socklab("validate", write(DELAYED))
    if kernel.has_netem():
        assert done.returncode == 0
    else:
        assert done.returncode == 2
        assert ":2: networks.lan.delay: delay needs netem" in done.stderr
        assert "nothing was started" in done.stderr


@pytest.mark.docker
def test_delay_slows_the_handshake(write, tmp_path, nothing_left):
    if not kernel.has_netem():
        pytest.skip("this kernel has no netem (sch_netem): delay can't be "
                    "tested here, and socklab refuses it at validation")
    done = socklab("run", write(DELAYED), "--results", tmp_path)
    assert done.returncode == 0, done.stdout


@pytest.mark.docker
def test_rate_limits_what_each_interface_sends(write, tmp_path, nothing_left):
    path = write("""\
        name: rated
        networks:
          slow: {subnet: 10.80.2.0/24, rate: 8mbit}
          fast: {subnet: 10.80.3.0/24}
        hosts:
          a:
            interfaces: {slow: 10.80.2.10, fast: 10.80.3.10}
            services: [tcp-server --port 9000 --framing length --reply ack]
          b: {interfaces: {slow: 10.80.2.20, fast: 10.80.3.20}}
        steps:
          - name: 1 MB at 8 Mbit/s takes about a second
            on: b
            run: tcp-client --to a.slow:9000 --size 1000000 --framing length
            expect: {received: [ack 1000000], elapsed_ms: {ge: 800}}
          - name: the same on the unlimited network is far quicker
            on: b
            run: tcp-client --to a.fast:9000 --size 1000000 --framing length
            expect: {received: [ack 1000000], elapsed_ms: {lt: 400}}
        """)
    done = socklab("run", path, "--results", tmp_path)
    assert done.returncode == 0, done.stdout


@pytest.mark.docker
def test_a_hosts_impairment_overrides_its_networks(write, tmp_path,
                                                   nothing_left):
    path = write("""\
        name: override
        networks:
          lan: {subnet: 10.80.4.0/24, loss: 100%}
        hosts:
          deaf:
            interfaces: {lan: 10.80.4.10}
            services: [udp-server --port 5000]
          fine:
            interfaces: {lan: 10.80.4.11}
            impair: {lan: {loss: 0%}}
            services: [udp-server --port 5000]
          client:
            interfaces: {lan: 10.80.4.20}
            impair: {lan: {loss: 0%}}
        steps:
          - on: client
            run: udp-client --to deaf:5000 --count 5 --timeout 0.2
            expect: {replies: 0}
          - on: client
            run: udp-client --to fine:5000 --count 5 --timeout 0.5
            expect: {replies: 5}
        """)
    done = socklab("run", path, "--results", tmp_path)
    assert done.returncode == 0, done.stdout


@pytest.mark.docker
def test_heal_restores_the_routes_of_the_interface(write, tmp_path,
                                                    nothing_left):
    text = (ROOT / "scenarios/cross-host.yaml").read_text().split(
        "steps:")[0] + """steps:
  - partition: {host: server, network: lan_b}
  - on: server
    run: ip route show default
    expect: {stdout: ""}
  - heal: {host: server, network: lan_b}
  - on: server
    run: ip route show default
    expect: {stdout: {contains: via 10.10.2.1}}
  - on: client
    run: tcp-client --to server:9000 --message across-again
    expect: {replies: 1}
"""
    done = socklab("run", write(text.replace("name: cross-host",
                                             "name: healed")),
                   "--results", tmp_path)
    assert done.returncode == 0, done.stdout


def test_fault_steps_are_validated(write):
    done = socklab("validate", write("""\
        networks: {lan: {subnet: 10.80.5.0/24}}
        hosts: {a: {interfaces: {lan: 10.80.5.10}}}
        steps:
          - partition: {host: a, network: wan}
          - kill: b
          - impair: {host: a, network: lan}
          - on: a
            sleep: 1
        """))
    assert done.returncode == 2
    err = done.stderr
    assert "steps[0].partition.network: a has no interface on 'wan'" in err
    assert "steps[1].kill: no host named 'b'" in err
    assert "steps[2].impair: say what to change" in err
    assert "steps[3].on: `on` goes with `run`, not with `sleep`" in err


@pytest.fixture(scope="module")
def lossy_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("lossy")
    done = socklab("run", "scenarios/tcp-vs-udp-loss.yaml",
                   "scenarios/handshake-capture.yaml", "--results", out)
    assert done.returncode == 0, done.stdout
    assert leftovers() == []
    return out


@pytest.mark.docker
def test_the_lossy_networks_pcap_shows_the_handshake(lossy_run):
    data = (lossy_run / "tcp-vs-udp-loss/lossy.pcap").read_bytes()
    talks = pcap.conversations(pcap.packets(data))
    client, server, packets = talks[0]
    assert server[1] == 9000
    # Loss may repeat a packet (a SYN-ACK lost at the client brings a second
    # SYN), but the handshake is there, in order: SYN, SYN-ACK, then the
    # client's ACK.
    labels = iter((p.label(), (p.src, p.sport) == client) for p in packets)
    for wanted in (("SYN", True), ("SYN-ACK", False), ("ACK", True)):
        assert wanted in labels, f"no {wanted[0]} in order"


@pytest.mark.docker
def test_captures_are_readable_by_tcpdump(lossy_run):
    image = docker.from_env().images.get("socklab-host:latest").id
    for name in ("tcp-vs-udp-loss/lossy.pcap",
                 "handshake-capture/lan.pcap",
                 "handshake-capture/server.pcap"):
        folder, file = name.split("/")
        done = subprocess.run(
            ["docker", "run", "--rm", "--network", "none", "-v",
             f"{lossy_run / folder}:/c:ro", image, "tcpdump", "-nr",
             f"/c/{file}"], capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        assert "Flags [S]" in done.stdout


@pytest.mark.docker
def test_the_report_draws_each_conversation(lossy_run):
    page = (lossy_run / "handshake-capture/report.html").read_text()
    assert "TCP conversations (from the captures)" in page
    assert 'class="sequence"' in page
    for label in ("SYN", "SYN-ACK", "PSH-ACK 5 B", "FIN-ACK"):
        assert f">{label}</text>" in page
