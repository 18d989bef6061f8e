"""Names: validation refuses every name a run could not use (characters,
the kernel's and Docker's lengths, file names), with file, line and field,
and exit 2 from `socklab validate`."""
import re
import socket

import pytest

from lab import plan
from lab.errors import ScenarioInvalid
from lab.scenario import load_scenario, names
from tests.conftest import socklab

# Swarm's rule for a network's name (swarmkit controlapi isValidDNSName and
# its 63-character limit): an overlay is made under the Docker name.
SWARM_NAME = r"[a-zA-Z0-9](?:[-_]*[A-Za-z0-9]+)*"


def scenario(host="a", network="lan", name=None):
    head = f"name: {name}\n" if name is not None else ""
    return (head + f"networks: {{{network}: {{subnet: 10.70.0.0/24}}}}\n"
            f"hosts:\n  {host}: {{interfaces: {{{network}: 10.70.0.2}}}}\n")


def problems(write, text, file="s.yaml"):
    with pytest.raises(ScenarioInvalid) as caught:
        load_scenario(write(text, file))
    return caught.value.problems


@pytest.mark.parametrize("host, expected", [
    ('"nl\\n"', "s.yaml:3: hosts['nl\\n']: host name 'nl\\n': use letters,"
     " digits, - and _, starting and ending with a letter or digit"),
    ("h" * 64, "is 64 characters long; at most 63 (it is the host's "
     "hostname)"),
    ("a.b", "host name 'a.b': use letters, digits, - and _"),
    ("web-", "host name 'web-': use letters"),
    ("_x", "host name '_x': use letters"),
    ('"a b"', "s.yaml:3: hosts['a b']: host name 'a b'"),
    ("Ünï", "host name 'Ünï': use letters"),
    ("localhost", "s.yaml:3: hosts.localhost: host name 'localhost' is "
     "taken"),
    ("IP6-LOOPBACK", "host name 'IP6-LOOPBACK' is taken"),
    ('"10"', "host name '10' reads as an IPv4 address (0.0.0.10)"),
    ("0x1f", "host name '0x1f' reads as an IPv4 address (0.0.0.31)"),
])
def test_host_names_a_run_cannot_use_are_refused(write, host, expected):
    found = problems(write, scenario(host=host))
    assert any(expected in p for p in found), found


@pytest.mark.parametrize("network, expected", [
    ("lan_", "s.yaml:1: networks.lan_: network name 'lan_': use letters"),
    ("n" * 47, "is 47 characters long; at most 46 (the Docker network is "
     "socklab-<run id>-<network>, and a swarm takes 63 characters at most)"),
    ("a.b", "network name 'a.b': use letters"),
])
def test_network_names_a_run_cannot_use_are_refused(write, network,
                                                     expected):
    found = problems(write, scenario(network=network))
    assert any(expected in p for p in found), found


@pytest.mark.parametrize("name, expected", [
    ("s" * 300, "s.yaml:1: name: scenario name 'ssssssssssssssssssssssssssss"
     "ssss'...: it names the results folder (results/<name>/); use letters,"
     " digits, ., - and _, starting and ending with a letter or digit, at "
     "most 128 characters"),
    ("../up", "scenario name '../up'"),
    ("'a/b'", "scenario name 'a/b'"),
    ("'.hidden'", "scenario name '.hidden'"),
])
def test_scenario_names_a_run_cannot_use_are_refused(write, name, expected):
    found = problems(write, scenario(name=name))
    assert any(expected in p for p in found), found


def test_a_file_stem_that_is_no_name_says_to_give_one(write):
    found = problems(write, scenario(), "my lab.yaml")
    assert found == ["{}:1: name: the file's name gives the scenario's name "
                     "'my lab': it names the results folder (results/<name>/)"
                     "; use letters, digits, ., - and _, starting and ending "
                     "with a letter or digit, at most 128 characters; or give"
                     " one with `name:`".format(found[0].split(":")[0])]


def test_names_that_differ_only_in_case_are_refused(write):
    text = ("networks: {lan: {subnet: 10.70.0.0/24}, LAN: {subnet: "
            "10.70.1.0/24}}\nhosts:\n  Bob: {interfaces: {lan: 10.70.0.2}}\n"
            "  bob: {interfaces: {LAN: 10.70.1.2}}\n")
    found = problems(write, text)
    assert any(p.endswith(":4: hosts.bob: host name 'bob' differs from 'Bob'"
                          " only in case; names resolve regardless of case, "
                          "so make them differ") for p in found), found
    assert any(":1: networks.LAN: network name 'LAN' differs from 'lan'" in p
               for p in found), found


@pytest.mark.parametrize("host, network, name", [
    ("h" * 63, "n" * 46, "s" * 128),
    ("a", "b", "lesson.v2"),
    ("Web_1-x", "lan_A-2", "x-1_y.z"),
    ("h10", "10", "'7'"),
])
def test_names_at_the_limits_are_valid(write, host, network, name):
    s = load_scenario(write(scenario(host, network, name)))
    assert (s.hosts[0].name, s.networks[0].name, s.name) == (
        host, network, name.strip("'"))


def test_the_longest_valid_names_are_what_docker_and_a_swarm_take(write):
    """What names.py allows is what plan.make builds: a hostname of at most
    63 characters, container and network names Docker takes, a network
    name a swarm takes (its overlay has the same name)."""
    s = load_scenario(write(scenario("h" * names.HOST_MAX,
                                     "n" * names.NETWORK_MAX)))
    made = plan.make(s, plan.new_run_id())
    network, host = made.networks[0], made.hosts[0]
    assert len(network.docker_name) == 63
    assert re.fullmatch(SWARM_NAME, network.docker_name)
    assert re.fullmatch(r"[a-zA-Z0-9][a-zA-Z0-9_.-]+", host.container)
    assert len(host.name) == 63 and len(network.bridge) <= 15
    # and the scenario's name is one file name
    assert len(("s" * names.SCENARIO_MAX).encode()) <= 255


def test_reserved_names_are_the_hosts_files_own():
    for name in ("localhost", "ip6-localhost", "ip6-loopback"):
        assert name in plan.hosts_file({})
    assert names.RESERVED == {"localhost", "ip6-localhost", "ip6-loopback"}
    assert socket.inet_aton("10")  # why a number is no host name


def test_validate_exits_2_naming_file_line_and_field(write):
    path = write(scenario(host="h" * 70))
    done = socklab("validate", path)
    assert done.returncode == 2, done
    assert f"{path}:3: hosts.{'h' * 70}: host name" in done.stderr
    assert "at most 63" in done.stderr
