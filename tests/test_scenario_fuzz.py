"""Bad input never crashes: mutated and random scenarios are answered with
a model or a clear ScenarioInvalid (exit 2), never a traceback."""
import copy
import subprocess
import sys

import yaml
from hypothesis import HealthCheck, given, settings, strategies as st

from lab.errors import ScenarioInvalid
from lab.scenario import load_scenario
from tests.conftest import ROOT
from tests.test_scenario_load import GOOD

def _base():
    """GOOD as socklab reads it: typed values, and `on` kept as a key."""
    import tempfile
    from pathlib import Path
    from lab.scenario.load import load
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "good.yaml"
        path.write_text(GOOD)
        return load(path).data


BASE = _base()
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**12),
                    st.floats(allow_nan=True), st.text(max_size=30),
                    st.sampled_from(["10.10.1.0/24", "10.10.1.5", "server",
                                     "tcp-server --port 9000", "lan_a",
                                     "connect --to server:1", "999.1.1.1",
                                     "default", "on", "eq", "{gt: 1}"]))
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=4),
    st.dictionaries(st.text(max_size=10), inner, max_size=4)), max_leaves=12)


def _paths(data, prefix=()):
    yield prefix
    if isinstance(data, dict):
        for key, value in data.items():
            yield from _paths(value, prefix + (key,))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from _paths(value, prefix + (index,))


@st.composite
def mutated(draw):
    data = copy.deepcopy(BASE)
    for _ in range(draw(st.integers(1, 3))):
        paths = [p for p in _paths(data) if p]
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = data
        for part in path[:-1]:
            parent = parent[part]
        action = draw(st.sampled_from(["replace", "delete", "rename",
                                       "add"]))
        key = path[-1]
        if action == "replace":
            parent[key] = draw(VALUES)
        elif action == "delete":
            del parent[key]
        elif action == "rename" and isinstance(parent, dict):
            parent[draw(st.text(max_size=12))] = parent.pop(key)
        elif isinstance(parent, dict):
            parent[draw(st.text(max_size=12))] = draw(VALUES)
        else:
            parent.append(draw(VALUES))
    return yaml.safe_dump(data, allow_unicode=True)


@st.composite
def garbled(draw):
    text = GOOD
    for _ in range(draw(st.integers(1, 5))):
        at = draw(st.integers(0, len(text)))
        cut = draw(st.integers(0, 8))
        text = text[:at] + draw(st.text(max_size=6)) + text[at + cut:]
    return text


def answers(path):
    try:
        load_scenario(path)
        return "valid"
    except ScenarioInvalid as exc:
        assert exc.problems and all(str(path) in p for p in exc.problems)
        return "invalid"


FUZZ = settings(max_examples=500, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])


@FUZZ
@given(st.one_of(mutated(), garbled()))
def test_mutated_and_garbled_scenarios_are_answered(tmp_path, text):
    path = tmp_path / "m.yaml"
    path.write_text(text, encoding="utf-8")
    answers(path)


@FUZZ
@given(VALUES)
def test_any_yaml_document_is_answered(tmp_path, value):
    path = tmp_path / "r.yaml"
    path.write_text(yaml.safe_dump(value), encoding="utf-8")
    answers(path)


def test_alias_bombs_and_deep_nesting_are_refused(tmp_path):
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, "
        f"*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
        f"*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n"
        for i in range(8))
    path = tmp_path / "bomb.yaml"
    path.write_text(bomb)
    assert answers(path) == "invalid"
    path.write_text("a: " + "[" * 5000 + "]" * 5000 + "\n")
    assert answers(path) == "invalid"


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.one_of(mutated(), garbled()))
def test_the_command_line_answers_0_or_2_without_traceback(tmp_path, text):
    path = tmp_path / "c.yaml"
    path.write_text(text, encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "lab.cli", "validate",
                           str(path)], capture_output=True, text=True,
                          cwd=ROOT, timeout=60)
    assert done.returncode in (0, 2), done.stderr
    assert "Traceback" not in done.stderr
    if done.returncode == 2:
        assert f"{path}" in done.stderr
