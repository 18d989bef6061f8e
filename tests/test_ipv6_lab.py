"""IPv6 in real hosts (issue 17): on only where a network has it, only the
scenario's addresses (and link-local), routed by a forwarding router,
reached by name; the machine keeps no address on the lab's bridges and
veths in either family. Isolation is checked by looking at the machine's
links and by sending between lab hosts only, never to the machine."""
import re
import subprocess

import pytest

from tests.conftest import ROOT, socklab

LAB = """\
name: h17-six
networks:
  dual: {subnet: [10.74.1.0/24, "fd00:74:1::/64"]}
  six:  {subnet: "fd00:74:2::/64"}
  four: {subnet: 10.74.3.0/24}
hosts:
  r:
    interfaces: {dual: [10.74.1.1, "fd00:74:1::1"], six: "fd00:74:2::1",
                 four: 10.74.3.1}
    forward: true
  a:
    interfaces: {dual: [10.74.1.5, "fd00:74:1::5"]}
    gateway: [10.74.1.1, "fd00:74:1::1"]
  b:
    interfaces: {six: "fd00:74:2::5"}
    gateway: "fd00:74:2::1"
  lone:
    interfaces: {six: "fd00:74:2::9"}
  old:
    interfaces: {four: 10.74.3.5}
    gateway: 10.74.3.1
"""


def run_in(host, *argv):
    return socklab("exec", "h17-six", host, "--", *argv)


@pytest.mark.docker
def test_ipv6_hosts_routers_and_the_machine_off_the_segments(write,
                                                             nothing_left):
    path = write(LAB)
    try:
        up = socklab("up", path)
        assert up.returncode == 0, up.stdout + up.stderr
        shown = run_in("a", "ip", "-6", "-o", "addr", "show", "dev", "eth0")
        # The scenario's address and the link-local one, nothing else: no
        # autoconfigured address, none tentative (nodad).
        found = re.findall(r"inet6 (\S+) scope (\w+)", shown.stdout)
        assert sorted(scope for _, scope in found) == ["global", "link"]
        assert ("fd00:74:1::5/64", "global") in found
        assert "tentative" not in shown.stdout
        assert run_in("old", "cat", "/proc/sys/net/ipv6/conf/all/"
                      "disable_ipv6").stdout.strip() == "1"
        assert run_in("r", "cat", "/proc/sys/net/ipv6/conf/all/"
                      "forwarding").stdout.strip() == "1"
        # Across the router, by literal and by name (b has IPv6 only).
        assert run_in("a", "ping", "-c1", "-W3", "fd00:74:2::5"
                      ).returncode == 0
        assert run_in("a", "ping", "-6", "-c1", "-W3", "b").returncode == 0
        assert run_in("b", "ping", "-c1", "-W3", "a").returncode == 0
        # No route, no way: lone has none in either family.
        assert run_in("lone", "ping", "-c1", "-W2", "fd00:74:1::5"
                      ).returncode != 0
        assert run_in("lone", "ip", "-6", "route", "show", "default"
                      ).stdout.strip() == ""
        # The machine: no address of either family on the lab's links.
        run_id = _run_id()
        links = re.findall(rf"^\d+: ((?:slb{run_id}\d+)|(?:v{run_id}\w+))"
                           r"[@:]", _machine("ip", "-o", "link"), re.M)
        assert len(links) == 3 + 7  # bridges, and one veth per interface
        for link in links:
            assert _machine("ip", "-o", "addr", "show", "dev", link) == ""
    finally:
        socklab("down", "h17-six")


def _machine(*argv):
    return subprocess.run(argv, capture_output=True, text=True,
                          check=True).stdout


def _run_id():
    return _machine("docker", "ps", "--filter",
                    "label=socklab.scenario=h17-six", "--format",
                    '{{.Label "socklab.run"}}').split()[0]


def test_links_take_every_address_of_a_link():
    # SOCKLAB_LINKS, as plan.Link.address has it: IPv4 with its broadcast,
    # IPv6 usable at once (nodad: never "tentative").
    script = ("mount -t sysfs sysfs /sys && sysctl -qw "
              "net.ipv6.conf.all.disable_ipv6=0 && "
              "ip link add eth0 type veth peer name peer0 && "
              f"sh {ROOT / 'lab/agent/links.sh'} && ip -o addr show dev eth0")
    done = subprocess.run(
        ["unshare", "--net", "--mount", "sh", "-c", script],
        capture_output=True, text=True, timeout=40,
        env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin",
             "SOCKLAB_LINKS": "eth0=10.77.0.5/24,fd00:77::5/64"})
    assert done.returncode == 0, done.stdout + done.stderr
    assert "inet 10.77.0.5/24 brd 10.77.0.255" in done.stdout
    assert re.search(r"inet6 fd00:77::5/64 scope global nodad",
                     done.stdout), done.stdout


@pytest.mark.docker
def test_loss_takes_ipv6_packets_too(write, tmp_path):
    # Loss is iptables' statistic match on ingress; IPv6 needs ip6tables'.
    path = write("""\
name: h17-loss6
networks:
  six: {subnet: "fd00:75:1::/64", loss: 100%}
hosts:
  a: {interfaces: {six: "fd00:75:1::5"}, services: [tcp-server --port 9000]}
  b: {interfaces: {six: "fd00:75:1::6"}}
steps:
  - on: b
    run: connect --to a:9000 --timeout 2
    expect: {outcome: timeout}
""")
    done = socklab("run", "--results", tmp_path, path)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.docker
def test_firewall_rules_close_a_port_in_both_families(write, tmp_path):
    # Before: the rules went to iptables only, so IPv6 connected past them.
    path = write("""\
name: h17-fw6
networks:
  dual: {subnet: [10.76.1.0/24, "fd00:76:1::/64"]}
hosts:
  s:
    interfaces: {dual: [10.76.1.10, "fd00:76:1::10"]}
    services: [tcp-server --port 9000, tcp-server --port 9001,
               tcp-server --port 9002]
    firewall:
      - -A INPUT -p tcp --dport 9001 -j REJECT --reject-with icmp-port-unreachable
      - -A INPUT -p tcp --dport 9002 -j DROP
      - -A INPUT -s fd00:76:1::20 -p tcp --dport 9000 -j REJECT
  c: {interfaces: {dual: [10.76.1.20, "fd00:76:1::20"]}}
steps:
  - {on: c, run: connect --to s:9001 --family 4, expect: {outcome: refused}}
  - {on: c, run: connect --to s:9001 --family 6,
     expect: {outcome: refused, address: "fd00:76:1::10"}}
  - {on: c, run: connect --to s:9002 --family 4 --timeout 2,
     expect: {outcome: timeout}}
  - {on: c, run: connect --to s:9002 --family 6 --timeout 2,
     expect: {outcome: timeout}}
  - name: a rule naming an IPv6 address holds for IPv6 only
    on: c
    run: connect --to s:9000 --family 6
    expect: {outcome: refused}
  - {on: c, run: connect --to s:9000 --family 4, expect: {outcome: connected}}
""")
    done = socklab("run", "--results", tmp_path, path)
    assert done.returncode == 0, done.stdout + done.stderr
