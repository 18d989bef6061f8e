"""Impaired links, faults and captures, on real containers: delay (held in
the hosts' own kernel queues, on any kernel), rate, loss, partitions and
restarts behave; captures are real pcaps."""
import subprocess

import docker
import pytest

from lab.report import pcap
from tests.conftest import ROOT, leftovers, socklab

DELAYED = """\
name: delayed
networks:
  wan: {subnet: 10.67.20.0/24, delay: 100ms}
  lan: {subnet: 10.67.21.0/24}
hosts:
  a:
    interfaces: {wan: 10.67.20.10, lan: 10.67.21.10}
    services: [tcp-server --port 9000, udp-server --port 5000]
  b: {interfaces: {wan: 10.67.20.20, lan: 10.67.21.20}}
steps:
  - name: the handshake across the delayed network takes 2 x 100 ms
    on: b
    run: connect --to a.wan:9000
    expect: {outcome: connected, elapsed_ms: {between: [195, 390]}}
  - name: the same hosts on an undelayed network
    on: b
    run: connect --to a.lan:9000
    expect: {outcome: connected, elapsed_ms: {lt: 30}}
  - name: a step's program can't take the delay away (no CAP_NET_ADMIN)
    on: a
    run: iptables -t mangle -F socklab-delay
    expect: {exit: {ne: 0}}
  - name: a UDP request waits the round trip for its reply
    on: b
    run: udp-client --to a.wan:5000 --count 1 --timeout 0.15
    expect: {replies: 0}
  - name: a step changes the delay while the hosts run
    impair: {host: a, network: wan, delay: 10ms, loss: 0%}
  - name: now 100 ms one way (b to a's reply) and 10 ms the other
    on: b
    run: connect --to a.wan:9000
    expect: {outcome: connected, elapsed_ms: {between: [108, 200]}}
"""


@pytest.mark.docker
def test_delay_slows_the_handshake(write, tmp_path, nothing_left):
    """Real queues in real hosts: a round trip is twice the delay, an
    undelayed network between the same hosts is not slowed, a step's
    program can't undo it, and an impair step changes one interface's delay
    (the direction into that host)."""
    done = socklab("run", write(DELAYED), "--results", tmp_path)
    assert done.returncode == 0, done.stdout


def test_delay_is_validated(write):
    done = socklab("validate", write("""\
        networks:
          lan: {subnet: 10.67.22.0/24, delay: fast, jitter: 5ms}
          wan: {subnet: 10.67.23.0/24, jitter: 5ms}
          slow: {subnet: 10.67.25.0/24, delay: 50ms}
        hosts:
          a:
            interfaces: {lan: 10.67.22.10, wan: 10.67.23.10,
                         slow: 10.67.25.10}
            impair: {wan: {jitter: 1ms}, slow: {jitter: 9ms}}
        """))
    assert done.returncode == 2
    assert ":2: networks.lan.delay: 'fast': give e.g. 50ms" in done.stderr
    assert ":3: networks.wan.jitter: jitter needs a delay" in done.stderr
    # A host's own jitter keeps its network's delay, where it has one.
    assert ":9: hosts.a.impair.wan.jitter: jitter needs a delay" in \
        done.stderr
    assert "slow.jitter" not in done.stderr


@pytest.mark.docker
def test_jitter_stays_in_its_band_and_keeps_order(write, tmp_path,
                                                   nothing_left):
    """50 ms +- 20 ms each way: no round trip under 60 ms, some under 100
    (without jitter none would be), the median within 60..140 ms, spread
    out, none reordered; rate and loss still work on a delayed
    interface."""
    write((ROOT / "scenarios/delay/rtt.py").read_text(), name="rtt.py")
    done = socklab("run", write("""\
        name: jittered
        networks:
          wan: {subnet: 10.67.24.0/24, delay: 50ms, jitter: 20ms,
                rate: 8mbit}
        hosts:
          a:
            interfaces: {wan: 10.67.24.10}
            services:
              - udp-server --port 5000
              - tcp-server --port 9000 --framing length --reply ack
          b: {interfaces: {wan: 10.67.24.20}}
        steps:
          - on: b
            run: python3 rtt.py a 5000 40 --band 60 140 --spread 15 --below 100
            expect: {exit: 0, stdout: {contains: "order kept: True"}}
          - name: rate still limits what b sends (1 MB at 8 Mbit/s)
            on: b
            run: tcp-client --to a:9000 --size 1000000 --framing length
            expect: {received: [ack 1000000], elapsed_ms: {ge: 800}}
          - impair: {host: a, network: wan, loss: 100%}
          - on: b
            run: udp-client --to a:5000 --count 3 --timeout 0.3
            expect: {replies: 0}
        """), "--results", tmp_path)
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
