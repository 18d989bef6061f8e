"""IPv6 in the format (SCENARIOS.md, "IPv6 and multicast"): subnets,
addresses and next hops of either family, one per family, names to every
address; each mistake named by file, line and field. Pure: no Docker."""
import json
from ipaddress import ip_address

import pytest

from lab import plan
from lab.errors import ScenarioInvalid
from lab.scenario import load_scenario

DUAL = """\
networks:
  dual: {subnet: [10.0.1.0/24, "fd00:1::/64"]}
  six:  {subnet: "fd00:2::/64"}
hosts:
  r:
    interfaces: {dual: [10.0.1.1, "fd00:1::1"], six: "fd00:2::1"}
    forward: true
  a:
    interfaces: {dual: [10.0.1.5, "fd00:1::5"]}
    gateway: [10.0.1.1, "fd00:1::1"]
  b:
    interfaces: {six: "fd00:2::5"}
    gateway: "fd00:2::1"
    routes: [{to: "fd00:1::/64", via: "fd00:2::1"}]
"""


def problems(write, text):
    with pytest.raises(ScenarioInvalid) as caught:
        load_scenario(write(text))
    return caught.value.problems


def test_both_families_become_the_model(write):
    s = load_scenario(write(DUAL))
    assert [str(n) for n in s.network("dual").subnets] == [
        "10.0.1.0/24", "fd00:1::/64"]
    a = s.host("a")
    assert a.addresses_on("dual") == (ip_address("10.0.1.5"),
                                      ip_address("fd00:1::5"))
    assert a.address == ip_address("10.0.1.5")  # IPv4 is the primary
    assert set(a.gateways) == {ip_address("10.0.1.1"),
                               ip_address("fd00:1::1")}
    assert s.host("b").address == ip_address("fd00:2::5")
    assert s.host("b").routes[0].to == "fd00:1::/64"
    assert s.host_names()["fd00:1::5"] == "a"


def test_names_resolve_to_every_address(write):
    p = plan.make(load_scenario(write(DUAL)), "abcd1234")
    lines = plan.hosts_file(p.host("b").extra_hosts).splitlines()
    for line in ("10.0.1.5\ta", "fd00:1::5\ta", "fd00:1::5\ta.dual",
                 "10.0.1.1\tr", "fd00:1::1\tr", "fd00:2::1\tr.six",
                 "fd00:2::5\tb"):
        assert line in lines
    assert "fd00:2::1\tr" not in lines  # HOST: its first interface's


def test_links_carry_every_address_and_ipv6_is_on_only_where_used(write):
    text = (DUAL + "  v4:\n    interfaces: {four: 10.0.3.5}\n").replace(
        "  six:", "  four: {subnet: 10.0.3.0/24}\n  six:")
    p = plan.make(load_scenario(write(text)), "abcd1234")
    r = p.host("r")
    assert [link.address for link in r.links] == [
        "10.0.1.1/24,fd00:1::1/64", "fd00:2::1/64"]
    assert r.links[0].mac == "02:42:0a:00:01:01"  # Docker's, from IPv4
    assert r.links[1].mac == "02:42:00:00:00:01"  # last 4 bytes of IPv6
    assert r.ipv6 and p.host("b").ipv6 and not p.host("v4").ipv6
    config = json.loads(p.host("a").environment["SOCKLAB_HOST"])
    assert config["routes"] == [{"to": "default", "via": "10.0.1.1"},
                                {"to": "default", "via": "fd00:1::1"}]


@pytest.mark.parametrize("change, expected", [
    (('six:  {subnet: "fd00:2::/64"}', 'six:  {subnet: "2001:db8::/64"}'),
     ":3: networks.six.subnet: 2001:db8::/64 is not a unique local range"),
    (('six:  {subnet: "fd00:2::/64"}', 'six:  {subnet: "fd00:2::1/64"}'),
     ":3: networks.six.subnet: 'fd00:2::1/64' is not an IPv6 subnet"),
    (('[10.0.1.0/24, "fd00:1::/64"]', '[10.0.1.0/24, 10.0.9.0/24]'),
     ":2: networks.dual.subnet[1]: a second IPv4 subnet (10.0.9.0/24"),
    (('{six: "fd00:2::5"}', '{six: "10.0.2.5"}'),
     ":12: hosts.b.interfaces.six: 10.0.2.5: six has no IPv4 subnet"),
    (('{six: "fd00:2::5"}', '{six: "fd00:3::5"}'),
     ":12: hosts.b.interfaces.six: fd00:3::5 is not a host address of six"),
    (('{six: "fd00:2::5"}', '{six: "2001:db8::5"}'),
     ":12: hosts.b.interfaces.six: 2001:db8::5 is not a host address"),
    (('{six: "fd00:2::5"}', '{six: ["fd00:2::5", "fd00:2::6"]}'),
     ":12: hosts.b.interfaces.six[1]: a second IPv6 address (fd00:2::6"),
    (('{six: "fd00:2::5"}', '{six: "fd00:2::1"}'),
     ":12: hosts.b.interfaces.six: fd00:2::1 is already r's address"),
    (('{six: "fd00:2::5"}', '{six: "fd00:2::zz"}'),
     ":12: hosts.b.interfaces.six: 'fd00:2::zz' is not an IPv4 or IPv6"),
    (('gateway: "fd00:2::1"', 'gateway: "fd00:1::1"'),
     ":13: hosts.b.gateway: fd00:1::1 is not on any of this host's"),
    (('gateway: [10.0.1.1, "fd00:1::1"]', 'gateway: ["fd00:1::1", '
      '"fd00:1::2"]'),
     ":10: hosts.a.gateway[1]: a second IPv6 gateway (fd00:1::2"),
    (('{to: "fd00:1::/64", via: "fd00:2::1"}',
      '{to: "10.0.1.0/24", via: "fd00:2::1"}'),
     ":14: hosts.b.routes[0].to: 10.0.1.0/24 is IPv4 and its via"),
    (('{to: "fd00:1::/64", via: "fd00:2::1"}',
      '{to: "fd00:9::/64", via: "fd00:2::1"}'),
     ":14: hosts.b.routes[0].to: fd00:9::/64 covers none of"),
    (('six:  {subnet: "fd00:2::/64"}', 'six:  {subnet: "fd00:1::/80"}'),
     ":3: networks.six.subnet: fd00:1::/80 overlaps dual's fd00:1::/64"),
])
def test_each_ipv6_mistake_names_file_line_and_field(write, change,
                                                     expected):
    text = DUAL.replace(*change)
    assert text != DUAL
    found = problems(write, text)
    assert any(expected in p for p in found), found


STEPS = DUAL + """\
steps:
  - on: a
    run: 'connect --to b:9000'
"""


@pytest.mark.parametrize("run, expected", [
    ("connect --to b:9000 --family 4",
     "--family 4: b has no IPv4 address (fd00:2::5)"),
    ("connect --to [fd00:9::5]:9000",
     "--to fd00:9::5 is outside the scenario's subnets"),
    ("connect --to fd00:2::5:9000", "give HOST:PORT (an IPv6 address in "
     "brackets"),
    ("udp-listen --port 5000 --join 10.0.1.7",
     "--join '10.0.1.7' is not a multicast group"),
    ("connect --to [ff15::1]:5000",
     "--to ff15::1 is outside the scenario's subnets"),  # groups: udp-send
])
def test_each_ipv6_target_mistake_is_named(write, run, expected):
    found = problems(write, STEPS.replace("connect --to b:9000", run))
    assert any(":17: steps[0].run: " in p and expected in p
               for p in found), found


def test_ipv6_targets_and_groups_that_are_valid(write):
    for run in ("connect --to [fd00:2::5]:9000 --family 6",
                "tcp-client --to b.six:9000 --family 6",
                "udp-send --to [ff15::1]:5000 --ttl 2",
                "udp-send --to 239.1.2.3:5000",
                "udp-listen --port 5000 --join ff15::1 --bind ::"):
        load_scenario(write(STEPS.replace("connect --to b:9000", run)))
