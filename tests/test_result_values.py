"""Validation knows what the built-in programs can report: an expectation
of a value a program never reports is invalid (exit 2, naming the valid
ones); a gateway or route through a host that does not forward is a
warning (exit 0: it may be the lesson) that says what will happen."""
import errno
import socket

import pytest

from lab.agent import common, programs
from lab.errors import ScenarioInvalid
from lab.scenario import load_scenario
from tests.conftest import socklab

LAB = """\
networks:
  lan_a: {subnet: 10.74.1.0/24}
  lan_b: {subnet: 10.74.2.0/24}
hosts:
  router: {interfaces: {lan_a: 10.74.1.1, lan_b: 10.74.2.1}, forward: true}
  server:
    interfaces: {lan_b: 10.74.2.10}
    gateway: 10.74.2.1
    services: [tcp-server --port 9000]
  client:
    interfaces: {lan_a: 10.74.1.10}
    routes: [{to: 10.74.2.0/24, via: 10.74.1.1}]
steps:
  - on: client
    run: RUN
    expect: EXPECT
"""
CONNECT_VALID = ("connected, refused, timeout, unreachable, reset, error")


def lab(run, expect):
    return LAB.replace("RUN", run).replace("EXPECT", expect)


def problems(write, text):
    with pytest.raises(ScenarioInvalid) as caught:
        load_scenario(write(text))
    return caught.value.problems


@pytest.mark.parametrize("run, expect, expected", [
    ("connect --to server:9000", "{outcome: rejected}",
     "s.yaml:16: steps[0].expect.outcome: connect never reports outcome "
     f"rejected (did you mean `reset`?); it reports one of: {CONNECT_VALID}"),
    ("tcp-client --to server:9000", "{outcome: connected}",
     "s.yaml:16: steps[0].expect.outcome: tcp-client never reports outcome "
     "connected; it reports one of: ok, refused, timeout, unreachable, "
     "reset, error"),
    ("connect --to server:9000", "{outcome: {in: [refused, ok]}}",
     "steps[0].expect.outcome.in: connect never reports outcome ok; it "
     f"reports one of: {CONNECT_VALID}"),
    ("connect --to server:9000", "{outcome: {ne: ok}}",
     "steps[0].expect.outcome.ne: connect never reports outcome ok"),
    ("udp-send --to server:9 --broadcast", "{outcome: sent}",
     "udp-send never reports outcome sent"),
    ("tcp-client --to server:9000", "{errno: ECONNREFUSD}",
     "steps[0].expect.errno: tcp-client never reports errno ECONNREFUSD "
     "(did you mean `ECONNREFUSED`?); it reports one of: null, E2BIG"),
    ("tcp-client --to server:9000", "{errno: EWOULDBLOCK}",
     "tcp-client never reports errno EWOULDBLOCK (it is EAGAIN's number, "
     "reported as EAGAIN)"),
    ("connect --to server:9000", "{outcome: true}",
     "connect never reports outcome True"),
])
def test_a_value_the_program_never_reports_is_invalid(write, run, expect,
                                                      expected):
    found = problems(write, lab(run, expect))
    assert any(expected in p for p in found), found


@pytest.mark.parametrize("program, run", [
    ("connect", "connect --to server:9000"),
    ("tcp-client", "tcp-client --to server:9000"),
    ("tcp-server", "tcp-server --port 9001 --count 1"),
    ("udp-server", "udp-server --port 9001 --count 1"),
    ("udp-client", "udp-client --to server:9000"),
    ("udp-send", "udp-send --to server:9000"),
    ("udp-listen", "udp-listen --port 9001"),
])
def test_every_value_a_program_reports_is_valid(write, program, run):
    values = programs.RESULT_VALUES[program]["outcome"]
    expect = "{outcome: {in: [%s]}, errno: {in: [null, EAGAIN, EACCES]}}" % \
        ", ".join(values)
    step = load_scenario(write(lab(run, expect))).steps[0]
    assert [e.value for e in step.expect] == [
        list(values), [None, "EAGAIN", "EACCES"]]


def test_contains_and_matches_are_left_to_the_user(write):
    load_scenario(write(lab("connect --to server:9000",
                            "{outcome: {matches: '^conn'}}")))
    load_scenario(write(lab("echo hi", "{outcome: anything}")))


def test_the_values_are_what_the_programs_classify_errors_as():
    """Every errno, and a socket timeout, classifies into the values the
    validator allows: the two cannot drift apart."""
    seen = set()
    for code in list(errno.errorcode) + [None]:
        outcome, name = common.classify(OSError(code, "x"))
        assert outcome in common.FAILURES and name in programs.ERRNO_NAMES
        seen.add(outcome)
    assert common.classify(socket.timeout())[0] in common.FAILURES
    assert seen == set(common.FAILURES)
    for values in programs.RESULT_VALUES.values():
        assert set(common.FAILURES) <= set(values["outcome"])


def test_a_next_hop_that_does_not_forward_is_a_warning(write):
    text = lab("connect --to server:9000", "{outcome: connected}")
    assert load_scenario(write(text)).warnings == ()
    text = text.replace(", forward: true}", "}")
    warnings = load_scenario(write(text)).warnings
    path = warnings[0].split(":")[0]
    assert warnings == (
        f"{path}:8: hosts.server.gateway: warning: 10.74.2.1 is router's, "
        "which has no `forward: true`: what server sends to other networks "
        "through it is dropped there without an answer (a connect times "
        "out). Add `forward: true` to router if it should route.",
        f"{path}:12: hosts.client.routes[0].via: warning: 10.74.1.1 is "
        "router's, which has no `forward: true`: what client sends to "
        "10.74.2.0/24 through it is dropped there without an answer (a "
        "connect times out). Add `forward: true` to router if it should "
        "route.")


def test_validate_prints_warnings_and_exits_0_and_refuses_values(write):
    text = lab("connect --to server:9000", "{outcome: connected}")
    path = write(text.replace(", forward: true}", "}"))
    done = socklab("validate", path)
    assert done.returncode == 0, done
    assert f"{path}:8: hosts.server.gateway: warning: 10.74.2.1 is " \
        "router's" in done.stdout
    assert done.stdout.splitlines()[-1].startswith(f"ok {path}")
    done = socklab("validate", write(text.replace("connected", "rejected")))
    assert done.returncode == 2
    assert f"it reports one of: {CONNECT_VALID}" in done.stderr


def test_a_default_route_through_a_host_that_does_not_forward(write):
    text = lab("connect --to server:9000", "{outcome: connected}").replace(
        ", forward: true}", "}").replace("to: 10.74.2.0/24", "to: default")
    warnings = load_scenario(write(text)).warnings
    assert "hosts.client.routes[0].via: warning: 10.74.1.1 is router's, " \
        "which has no `forward: true`: what client sends to other " \
        "networks through it" in warnings[1]


@pytest.mark.parametrize("run, said", [
    ("tcp-sever --port 7000", "(did you mean `tcp-server`?)"),
    ("connnect --to server:9000", "(did you mean `connect`?)"),
    ("udp-lisen --port 9", "(did you mean `udp-listen`?)"),
])
def test_a_misspelt_builtin_gets_a_did_you_mean(write, run, said):
    found = problems(write, lab(run, "{}"))
    assert len(found) == 1 and found[0].endswith(
        f"s.yaml:15: steps[0].run: no program {run.split()[0]!r} in "
        f"socklab's host image {said}; the built-in programs are connect, "
        "connect-many, tcp-server, tcp-client, udp-server, udp-client, "
        "udp-send, udp-listen, service-log"), found
    found = problems(write, lab("sleep 0", "{}").replace(
        "tcp-server --port 9000", run))
    assert len(found) == 1 and \
        "s.yaml:9: hosts.server.services[0]: no program" in found[0] and \
        said in found[0], found


@pytest.mark.parametrize("run", ["nc -z server 9000", "./tcp-sever",
                                 "python3 tcp-sever.py", "tcpdump -c 1",
                                 "FOO=1 tcp-server --port 1"])
def test_other_commands_are_left_alone(write, run):
    load_scenario(write(lab(run, "{}")))


def test_an_image_of_the_users_may_have_anything(write):
    load_scenario(write(lab("sleep 0", "{}").replace(
        "services: [tcp-server --port 9000]",
        "image: alpine\n    services: [tcp-sever --port 7000]")))
