"""Expectations against results: every operator, missing fields, the
implicit exit-0 rule, timeouts, and reading the program's JSON line."""
import pytest

from lab.checks import check, result_fields, verdict
from lab.scenario.model import Expectation, Step


def step(*expect, timeout=30):
    return Step(number=1, line=1, name="", on=("h",), run="x", program=None,
                expect=tuple(expect), timeout=timeout)


@pytest.mark.parametrize("op, expected, actual, ok", [
    ("eq", 3, 3, True), ("eq", 3, 4, False), ("eq", "ok", "ok", True),
    ("eq", None, None, True), ("eq", ["a", "b"], ["a", "b"], True),
    ("ne", 3, 4, True), ("ne", 3, 3, False),
    ("lt", 5, 4, True), ("lt", 5, 5, False), ("le", 5, 5, True),
    ("gt", 1, 2, True), ("gt", 2, 2, False), ("ge", 2, 2, True),
    ("lt", 5, "4", False),            # text is not a number
    ("gt", 0, True, False),           # nor is a boolean
    ("in", ["refused", "timeout"], "timeout", True),
    ("in", ["refused"], "connected", False),
    ("contains", "via 10.0.0.1", "x via 10.0.0.1 dev eth0", True),
    ("contains", "b", ["a", "b"], True), ("contains", "c", ["a"], False),
    ("contains", 3, 12345, False),
    ("matches", r"^E[A-Z]+$", "EACCES", True),
    ("matches", r"^E", "connected", False), ("matches", "x", None, False),
    ("between", [1, 3], 3, True), ("between", [1, 3], 3.5, False),
    ("between", [1, 3], 0, False),
])
def test_operators(op, expected, actual, ok):
    v = verdict(Expectation("f", op, expected), {"f": actual})
    assert v.ok is ok


def test_a_missing_field_fails_and_says_so():
    v = verdict(Expectation("replies", "eq", 3), {"sent": 3})
    assert not v.ok and "no such field" in v.describe()


def test_result_fields_read_the_last_json_line():
    envelope = {"exit": 0, "stdout": 'noise\n{"outcome": "ok", "n": 2}\n',
                "stderr": "", "elapsed_ms": 80.0, "step_timed_out": False}
    fields = result_fields(envelope)
    assert fields["outcome"] == "ok" and fields["n"] == 2
    assert fields["exit"] == 0 and fields["elapsed_ms"] == 80.0


def test_the_programs_elapsed_ms_wins_but_not_exit():
    envelope = {"exit": 1, "stdout": '{"elapsed_ms": 1.5, "exit": 0}',
                "stderr": "", "elapsed_ms": 80.0, "step_timed_out": False}
    fields = result_fields(envelope)
    assert fields["elapsed_ms"] == 1.5 and fields["exit"] == 1


def test_output_without_json_has_only_the_common_fields():
    fields = result_fields({"exit": 0, "stdout": "hello\n", "stderr": "",
                            "elapsed_ms": 3, "step_timed_out": False})
    assert fields["stdout"] == "hello\n" and "outcome" not in fields


def test_exit_zero_is_implicit_unless_exit_is_expected():
    fields = {"exit": 2, "stdout": "", "step_timed_out": False}
    assert not all(v.ok for v in check(step(), fields))
    assert all(v.ok for v in check(step(Expectation("exit", "eq", 2)),
                                   fields))


def test_a_timed_out_step_fails_whatever_was_expected():
    fields = {"exit": None, "stdout": "", "step_timed_out": True}
    verdicts = check(step(Expectation("exit", "eq", None), timeout=2), fields)
    assert not verdicts[0].ok and "2 s timeout" in verdicts[0].describe()
