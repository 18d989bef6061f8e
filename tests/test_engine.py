"""The engine seam, without Docker: every registered engine has every member
of the declared Engine (lab/engine/__init__.py) with its parameters; fault
steps ask the engine only what Engine declares; the shell half of the
host-to-agent contract spells the strings lab/agent/contract.py names."""
import inspect

import pytest

from lab import engine as engines
from lab.agent import contract
from lab.scenario import actions, model

from .conftest import ROOT


def _declared():
    """{name: function} of Engine's methods, and its attributes' names."""
    methods = {name: value for name, value in vars(engines.Engine).items()
               if not name.startswith("_") and
               callable(getattr(value, "__func__", value))}
    return methods, set(engines.Engine.__annotations__)


def _parameters(function):
    return list(inspect.signature(function).parameters.values())


def missing(cls):
    """What of Engine the class lacks or takes differently: a list of
    one line each; [] when it is an Engine."""
    methods, attributes = _declared()
    problems = []
    for name, declared in methods.items():
        found = inspect.getattr_static(cls, name, None)
        if found is None or not callable(getattr(cls, name)):
            problems.append(f"{name}: missing")
            continue
        want = _parameters(getattr(declared, "__func__", declared))
        have = _parameters(getattr(found, "__func__", found))
        names = [p.name for p in have[:len(want)]]
        extra = [p.name for p in have[len(want):] if p.default is p.empty]
        if names != [p.name for p in want] or extra:
            problems.append(f"{name}{inspect.signature(declared)}: takes "
                            f"{[p.name for p in have]}")
    for name in sorted(attributes):
        init = inspect.getsource(cls.__init__)
        if inspect.getattr_static(cls, name, None) is None and \
                f"self.{name} =" not in init:
            problems.append(f"{name}: no such attribute")
    return problems


@pytest.mark.parametrize("kind", sorted(engines.KINDS))
def test_every_engine_has_all_of_the_declared_interface(kind):
    assert missing(engines.kind(kind)) == []


def test_an_engine_short_of_a_member_is_caught():
    cls = engines.kind("docker")
    lacking = type("Lacking", (), {k: v for k, v in vars(cls).items()
                                   if k not in ("heal", "__init__")})
    lacking.__init__ = lambda self: None
    assert missing(lacking) == ["heal: missing", "image: no such attribute",
                                "subnets_clash: no such attribute"]
    other = type("Other", (cls,), {"kill": lambda self, plan: None})
    assert missing(other) == [
        "kill(self, plan: lab.plan.Plan, host: str) -> None: takes "
        "['self', 'plan']"]


class _Recorder:
    """An engine that records which of its members a step calls."""

    def __init__(self):
        self.called = []

    def __getattr__(self, name):
        return lambda *args: self.called.append(name)


EXAMPLES = [actions.Partition("h", "lan"), actions.Heal("h", "lan"),
            actions.Kill("h"), actions.Restart("h"),
            actions.Impair("h", "lan", model.Impairment(loss=0.1)),
            actions.Sleep(0)]


def test_every_fault_step_asks_only_what_engine_declares():
    assert {type(a) for a in EXAMPLES} == set(actions.ACTIONS)
    methods, _ = _declared()
    for action in EXAMPLES:
        engine = _Recorder()
        action.apply(engine, plan=None)
        assert set(engine.called) <= set(methods), action
        assert action.key in actions.BY_KEY and action.describe()
    labels = [model.Step(number=3, line=9, name="", on=(), run="",
                         program=None, action=a).label for a in EXAMPLES]
    assert labels == ["step 3: partition h off lan", "step 3: heal h on lan",
                      "step 3: kill h", "step 3: restart h",
                      "step 3: impair h on lan (loss 0.1)",
                      "step 3: sleep 0 s"]


def test_the_init_scripts_spell_the_contracts_strings():
    init = (ROOT / "lab/agent/init.sh").read_text()
    links = (ROOT / "lab/agent/links.sh").read_text()
    assert f'echo "{contract.INIT_READY}"' in init
    assert f'echo "{contract.INIT_FAILED} $why"' in init
    for variable in (contract.LINKS, contract.SIMPLE):
        assert f"${variable}" in init
    assert f"${contract.LINKS}" in links
