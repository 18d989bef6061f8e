"""A host's `firewall:` rules by family (lab/agent/firewall.py): a rule
with nothing of one family goes to both tools where the host has IPv6,
reject types turned into ICMPv6's; a rule naming one family's address or
protocol goes to that family's tool; a rule mixing both, or naming IPv6 on
a host without it, is invalid with file, line and field. Pure: no Docker
(the real REJECT over IPv6 is in test_ipv6_lab.py)."""
import json

import pytest

from lab import plan
from lab.agent.firewall import tools
from lab.errors import ScenarioInvalid
from lab.scenario import load_scenario

LAB = """\
networks:
  dual: {subnet: [10.0.1.0/24, "fd00:1::/64"]}
  four: {subnet: 10.0.2.0/24}
hosts:
  a:
    interfaces: {dual: [10.0.1.5, "fd00:1::5"]}
    firewall: %s
  b:
    interfaces: {four: 10.0.2.5}
    firewall: %s
"""


def test_a_rule_of_no_family_goes_to_both_tools_with_icmpv6_rejects():
    rule = "-A INPUT -p tcp --dport 9001 -j REJECT --reject-with " \
        "icmp-port-unreachable"
    assert tools(rule, ipv6=True) == [
        ("iptables", rule),
        ("ip6tables", "-A INPUT -p tcp --dport 9001 -j REJECT "
                      "--reject-with icmp6-port-unreachable")]
    assert tools(rule, ipv6=False) == [("iptables", rule)]
    drop = "-A INPUT -p udp --dport 53 -j DROP"
    assert tools(drop, True) == [("iptables", drop), ("ip6tables", drop)]
    reset = "-A INPUT -p tcp -j REJECT --reject-with tcp-reset"
    assert tools(reset, True)[1] == ("ip6tables", reset)
    prohibited = "-A INPUT -j REJECT --reject-with icmp-host-prohibited"
    assert tools(prohibited, True)[1][1].endswith("icmp6-adm-prohibited")


@pytest.mark.parametrize("rule", [
    "-A INPUT -s 10.0.1.9 -j DROP", "-A INPUT -d 10.0.1.0/24 -j DROP",
    "-A INPUT -p icmp -j DROP", "-A INPUT -p icmp --icmp-type echo-request"
    " -j DROP", "-A INPUT -j REJECT --reject-with icmp-proto-unreachable",
    "-A INPUT -s 10.0.1.9,10.0.1.10 -j DROP"])
def test_a_rule_of_ipv4_goes_to_iptables_only(rule):
    assert tools(rule, ipv6=True) == [("iptables", rule)]


@pytest.mark.parametrize("rule", [
    "-A INPUT -s fd00:1::9 -j DROP", "-A INPUT -d fd00:1::/64 -j DROP",
    "-A INPUT -p icmpv6 --icmpv6-type echo-request -j DROP",
    "-A INPUT -j REJECT --reject-with icmp6-adm-prohibited"])
def test_a_rule_of_ipv6_goes_to_ip6tables_only(rule):
    assert tools(rule, ipv6=True) == [("ip6tables", rule)]


def test_the_plan_hands_the_host_its_tools(write):
    s = load_scenario(write(LAB % ('["-A INPUT -p tcp --dport 9 -j DROP"]',
                                   '["-A INPUT -p tcp --dport 9 -j DROP"]')))
    p = plan.make(s, "abcd1234")
    rules = {h.name: json.loads(h.environment["SOCKLAB_HOST"])["firewall"]
             for h in p.hosts}
    assert rules == {
        "a": [["iptables", "-A INPUT -p tcp --dport 9 -j DROP"],
              ["ip6tables", "-A INPUT -p tcp --dport 9 -j DROP"]],
        "b": [["iptables", "-A INPUT -p tcp --dport 9 -j DROP"]]}


def test_a_rule_mixing_families_is_invalid_by_file_line_and_field(write):
    path = write(LAB % ('["-A INPUT -s 10.0.1.9 -d fd00:1::5 -j DROP"]',
                        '[]'))
    with pytest.raises(ScenarioInvalid) as caught:
        load_scenario(path)
    assert caught.value.problems == [
        f"{path}:7: hosts.a.firewall[0]: '-A INPUT -s 10.0.1.9 -d fd00:1::5"
        " -j DROP' mixes IPv4 (10.0.1.9) and IPv6 (fd00:1::5): a rule goes "
        "to iptables or ip6tables; write one rule per family"]


def test_an_ipv6_rule_on_a_host_without_ipv6_is_invalid(write):
    path = write(LAB % ('[]', '["-A INPUT -p icmpv6 -j DROP"]'))
    with pytest.raises(ScenarioInvalid) as caught:
        load_scenario(path)
    assert len(caught.value.problems) == 1
    assert caught.value.problems[0].startswith(
        f"{path}:10: hosts.b.firewall[0]: '-A INPUT -p icmpv6 -j DROP' is "
        "IPv6's (-p icmpv6) but this host has no IPv6 address")
