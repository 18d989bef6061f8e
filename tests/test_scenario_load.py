"""The loader and validator: valid files become the typed model; every
kind of mistake is reported with file, line, field and what is valid."""
from ipaddress import IPv4Address

import pytest

from lab.errors import ScenarioInvalid
from lab.scenario import load_scenario

GOOD = """\
name: two-lans
networks:
  lan_a: {subnet: 10.10.1.0/24}
  lan_b: {subnet: 10.10.2.0/24}
hosts:
  router:
    interfaces: {lan_a: 10.10.1.1, lan_b: 10.10.2.1}
    forward: true
  server:
    interfaces: {lan_b: 10.10.2.10}
    gateway: 10.10.2.1
    services:
      - tcp-server --port 9000
      - run: python3 server.py
        ready: {log: listening}
  client:
    interfaces: {lan_a: 10.10.1.10}
    routes: [{to: 10.10.2.0/24, via: 10.10.1.1}]
steps:
  - on: client
    run: tcp-client --to server:9000 --message hello --count 3
    expect: {outcome: ok, replies: {ge: 3}}
  - on: [client, router]
    run: connect --to server.lan_b:9001
    timeout: 5
    expect: {outcome: {in: [refused, timeout]}}
"""


def test_every_comparison_becomes_an_expectation(write):
    # Each of OPS once; none may be dropped (matches once was, silently).
    s = load_scenario(write(GOOD.replace(
        "expect: {outcome: ok, replies: {ge: 3}}",
        "expect: {outcome: ok, errno: {ne: ECONNREFUSED}, sent: {lt: 9},\n"
        "             replies: {le: 3, gt: 0, ge: 3, between: [1, 3]},\n"
        "             received: {contains: hello}, stdout: {matches: "
        "'^.'},\n             elapsed_ms: {in: [1, 2]}}")))
    assert sorted(e.op for e in s.steps[0].expect) == sorted(
        ["eq", "ne", "lt", "le", "gt", "ge", "between", "contains",
         "matches", "in"])


def problems(write, text):
    with pytest.raises(ScenarioInvalid) as caught:
        load_scenario(write(text))
    return caught.value.problems


def test_a_valid_scenario_becomes_the_model(write):
    s = load_scenario(write(GOOD))
    assert s.name == "two-lans"
    assert [h.name for h in s.hosts] == ["router", "server", "client"]
    server = s.host("server")
    assert server.gateway == IPv4Address("10.10.2.1")
    assert server.services[0].ready.kind == "signal"   # built-in server
    assert server.services[1].ready.kind == "log"
    assert s.host("client").routes[0].to == "10.10.2.0/24"
    step = s.steps[1]
    assert step.on == ("client", "router") and step.timeout == 5
    assert step.expect[0].op == "in"
    assert s.steps[0].line == 20


def test_the_name_defaults_to_the_file_stem(write):
    s = load_scenario(write(GOOD.replace("name: two-lans\n", ""),
                            "my-lab.yaml"))
    assert s.name == "my-lab"


def test_on_is_a_key_not_a_yaml_boolean(write):
    # YAML 1.1 reads a bare `on` as True; the contract means the word.
    s = load_scenario(write(GOOD))
    assert s.steps[0].on == ("client",)


@pytest.mark.parametrize("change, expected", [
    (("forward: true", "forwad: true"),
     ":8: hosts.router.forwad: unknown field `forwad`; did you mean "
     "`forward`?"),
    (("lan_b: 10.10.2.10", "lan_c: 10.10.2.10"),
     ":10: hosts.server.interfaces.lan_c: no network named 'lan_c'"),
    (("lan_b: 10.10.2.10", "lan_b: 10.10.3.10"),
     ":10: hosts.server.interfaces.lan_b: 10.10.3.10 is not a host address"),
    (("lan_b: 10.10.2.10", "lan_b: 10.10.2.1"),
     ":10: hosts.server.interfaces.lan_b: 10.10.2.1 is already router's"),
    (("subnet: 10.10.2.0/24", "subnet: 10.10.2.1/24"),
     ":4: networks.lan_b.subnet: '10.10.2.1/24' is not an IPv4 subnet"),
    (("subnet: 10.10.2.0/24", "subnet: 8.8.8.0/24"),
     ":4: networks.lan_b.subnet: 8.8.8.0/24 is not a private range"),
    (("subnet: 10.10.2.0/24", "subnet: 10.10.0.0/16"),
     ":4: networks.lan_b.subnet: 10.10.0.0/16 overlaps lan_a's"),
    (("gateway: 10.10.2.1", "gateway: 10.10.1.1"),
     ":11: hosts.server.gateway: 10.10.1.1 is not on any of this host's"),
    (("to: 10.10.2.0/24", "to: 192.168.7.0/24"),
     ":18: hosts.client.routes[0].to: 192.168.7.0/24 covers none of"),
    (("- on: client\n", "- on: clinet\n"),
     ":20: steps[0].on: no host named 'clinet'"),
    (("--to server:9000", "--to servr:9000"),
     ":21: steps[0].run: --to 'servr' is not a host of this scenario (did "
     "you mean `server`?)"),
    (("--to server:9000", "--to 10.99.0.1:9000"),
     ":21: steps[0].run: --to 10.99.0.1 is outside the scenario's subnets"),
    (("--to server:9000", "--to server:99999"),
     ":21: steps[0].run: --to 'server:99999': give HOST:PORT"),
    (("--message hello", "--mesage hello"),
     ":21: steps[0].run: tcp-client: unrecognized arguments: --mesage"),
    (("tcp-server --port 9000", "tcp-server --port nine"),
     ":13: hosts.server.services[0]: tcp-server: argument --port"),
    (("{outcome: ok,", "{outcom: ok,"),
     ":22: steps[0].expect.outcom: tcp-client has no result field 'outcom'"
     " (did you mean `outcome`?)"),
    (("{ge: 3}", "{gte: 3}"),
     ":22: steps[0].expect.replies.gte: unknown comparison `gte`"),
    (("{ge: 3}", "{between: [1]}"),
     ":22: steps[0].expect.replies.between: `between` takes [LOW, HIGH]"),
    (("ready: {log: listening}", "ready: {log: '('}"),
     ":15: hosts.server.services[1].ready.log: '(' is not a regular"),
    (("timeout: 5", "timeout: soon"),
     ":25: steps[1].timeout: expected a number, got text 'soon'"),
    (("on: [client, router]", "on: []"),
     ":23: steps[1].on: needs at least 1 item"),
])
def test_each_mistake_names_file_line_and_field(write, change, expected):
    text = GOOD.replace(*change)
    assert text != GOOD
    found = problems(write, text)
    assert any(expected in p for p in found), found
    assert all("s.yaml:" in p for p in found)


def test_every_problem_is_reported_at_once(write):
    text = GOOD.replace("--to servr", "").replace(
        "- on: client\n", "- on: nobody\n").replace(
        "lan_b: 10.10.2.10", "lan_b: 10.10.9.10")
    assert len(problems(write, text)) >= 2


def test_broken_yaml_names_the_line(write):
    found = problems(write, "networks:\n  a: {subnet: 10.0.0.0/24\nhosts: {}\n")
    assert len(found) == 1 and "s.yaml:3: not valid YAML" in found[0]


def test_duplicate_keys_are_errors(write):
    found = problems(write, GOOD.replace("    forward: true\n",
                                         "    forward: true\n    forward: false\n"))
    assert any(":9: duplicate key 'forward'" in p for p in found), found


def test_empty_and_missing_sections(write):
    assert "the file is empty" in problems(write, "")[0]
    found = problems(write, "name: x\nnetworks: {a: {subnet: 10.1.0.0/24}}\n")
    assert any("missing `hosts`" in p for p in found)


def test_missing_file():
    with pytest.raises(ScenarioInvalid, match="cannot read"):
        load_scenario("/nonexistent/scenario.yaml")


def test_loopback_and_limited_broadcast_targets_are_in_the_lab(write):
    text = GOOD.replace("connect --to server.lan_b:9001",
                        "connect --to 127.0.0.1:9001")
    load_scenario(write(text))
    text = GOOD.replace("connect --to server.lan_b:9001",
                        "udp-send --to 255.255.255.255:9 --broadcast")
    text = text.replace("{outcome: {in: [refused, timeout]}}", "{sent: 1}")
    load_scenario(write(text))
    bad = GOOD.replace("connect --to server.lan_b:9001",
                       "connect --to 255.255.255.255:9001")
    assert any("outside the scenario's subnets" in p
               for p in problems(write, bad))


def test_host_network_names_must_exist(write):
    found = problems(write, GOOD.replace("server.lan_b:9001",
                                         "server.lan_a:9001"))
    assert any("'server.lan_a' is not a host" in p for p in found)


def test_a_subnet_needs_a_spare_address(write):
    text = "networks: {tiny: {subnet: 10.5.0.0/29}}\nhosts:\n" + "".join(f"  h{i}: {{interfaces: {{tiny: 10.5.0.{i}}}}}\n"
                  for i in range(1, 7))
    found = problems(write, text)
    assert any("needs one spare" in p for p in found), found
