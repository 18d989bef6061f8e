"""pytest collects every scenarios/**/*.yaml as one test per scenario.

Registered by entry point (pytest11), so a plain `pytest` in a project
with a scenarios/ folder runs them, and so does one of an installed
socklab in a user's own project. The ini option `socklab_scenarios` names
other folders instead. A failure shows the step, the expectation, the
actual result and the tail of the involved hosts' logs.
"""
import os
from pathlib import Path

import pytest

from . import engine as engines, runner
from .errors import ScenarioInvalid, SocklabError
from .progress import Progress
from .report.failure import explain
from .scenario import load_scenario

ENGINE = pytest.StashKey()


def pytest_addoption(parser):
    group = parser.getgroup("socklab")
    group.addoption("--socklab-results", default="results", metavar="DIR",
                    help="where scenario evidence goes (default: results/)")
    group.addoption("--socklab-keep-going", action="store_true",
                    help="run a scenario's remaining steps after a failure")
    group.addoption("--socklab-engine", choices=engines.KINDS,
                    default=os.environ.get("SOCKLAB_ENGINE", "docker"),
                    help="docker (one engine, default) or swarm (the nodes "
                    "of the swarm DOCKER_HOST manages)")
    parser.addini("socklab_scenarios", type="args", help="folders (or "
                  "files) whose *.yaml are scenarios, relative to the ini "
                  "file; default: every folder named scenarios")


def pytest_configure(config):
    # Also where socklab is a plugin of another project: `-m "not docker"`
    # leaves out every scenario, as it does socklab's own tests on Docker.
    config.addinivalue_line(
        "markers", "docker: runs real containers on a Docker daemon")


def pytest_collect_file(file_path, parent):
    # Below the scenario folders, and wherever it lies when named on the
    # command line (`pytest lesson.yaml`): other YAML in a project (compose
    # files, CI settings) is no scenario, unless someone says so.
    if file_path.suffix in (".yaml", ".yml") and (
            parent.session.isinitpath(file_path) or
            _in_scenario_folders(file_path, parent.config)):
        return ScenarioFile.from_parent(parent, path=file_path)
    return None


def _in_scenario_folders(file_path, config):
    named = config.getini("socklab_scenarios")
    if named:
        # As the ini file says them; with `-o` and no ini file, from
        # the rootdir.
        base = config.inipath.parent if config.inipath else config.rootpath
        folders = [Path(os.path.abspath(base / name)) for name in named]
        return any(f == file_path or f in file_path.parents for f in folders)
    # A folder named scenarios inside the project: the project's own
    # folder may well lie in one (~/scenarios/mine/), and its other YAML
    # is still none.
    try:
        where = file_path.parent.relative_to(config.rootpath)
    except ValueError:
        where = file_path.parent
    return "scenarios" in where.parts


class ScenarioFile(pytest.File):
    def collect(self):
        scenario = load_scenario(self.path)
        yield ScenarioItem.from_parent(self, name=scenario.name,
                                       scenario=scenario)

    def repr_failure(self, excinfo):
        if isinstance(excinfo.value, ScenarioInvalid):
            return f"invalid scenario (nothing started):\n{excinfo.value}"
        return super().repr_failure(excinfo)


class ScenarioFailed(Exception):
    def __init__(self, report):
        super().__init__(report.scenario.name)
        self.report = report


def _engine(config):
    """One engine per pytest process, made on first use."""
    if ENGINE not in config.stash:
        engine = engines.connect(Progress(None),
                                 config.getoption("socklab_engine"))
        engine.prepare()
        config.stash[ENGINE] = engine
    return config.stash[ENGINE]


class ScenarioItem(pytest.Item):
    def __init__(self, *, scenario, **kwargs):
        super().__init__(**kwargs)
        self.scenario = scenario
        self.add_marker("docker")

    def runtest(self):
        report = runner.run(
            self.scenario, _engine(self.config),
            self.config.getoption("socklab_results"), Progress(None),
            self.config.getoption("socklab_keep_going"))
        if not report.ok:
            raise ScenarioFailed(report)

    def repr_failure(self, excinfo):
        if isinstance(excinfo.value, ScenarioFailed):
            return explain(excinfo.value.report)
        if isinstance(excinfo.value, SocklabError):
            return f"socklab: {excinfo.value}"
        return super().repr_failure(excinfo)

    def reportinfo(self):
        return self.path, 0, f"scenario {self.scenario.name}"

