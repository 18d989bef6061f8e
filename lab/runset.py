"""A `socklab run` of many scenarios: which files, running them one after
another or each in a process of its own (--jobs), and what it writes about
them all (results/index.html, the JUnit file of --junit)."""
import concurrent.futures
import os
import re
import signal
import subprocess
import sys
import threading
from pathlib import Path

from . import interrupts, runner
from .errors import ScenarioInvalid, file_fault
from .report import suite
from .report.failure import explain
from .scenario import load_scenario


def scenario_files(paths):
    """Files named, and every *.yaml / *.yml below directories named."""
    files, problems = [], []
    for name in paths:
        path = Path(name)
        if path.is_dir():
            found = sorted(p for p in path.rglob("*.y*ml")
                           if p.suffix in (".yaml", ".yml"))
            if not found:
                problems.append(f"{path}: no scenario files (*.yaml) here")
            files += found
        elif path.is_file():
            files.append(path)
        else:
            problems.append(f"{path}: no such file or directory")
    if problems:
        raise ScenarioInvalid(problems)
    return files


def load_all(paths):
    """Load every scenario, reporting the problems of all files at once."""
    scenarios, problems = [], []
    for path in scenario_files(paths):
        try:
            scenarios.append(load_scenario(path))
        except ScenarioInvalid as exc:
            problems += exc.problems
    names = {}
    for s in scenarios:
        if s.name in names:
            problems.append(f"{s.path}: scenario name {s.name!r} is also "
                            f"used by {names[s.name]}; names must differ "
                            "(they name the results folders)")
        names[s.name] = s.path
    if problems:
        raise ScenarioInvalid(problems)
    return scenarios


def one_after_another(args, scenarios, engine, statuses, progress):
    """Each scenario in this process; statuses[name] = its exit status."""
    for scenario in scenarios:  # with --jobs, each process says its own
        progress.say(*scenario.warnings)
        report = runner.run(scenario, engine, args.results, progress,
                            args.keep_going)
        statuses[scenario.name] = 0 if report.ok else 1
        if not report.ok:  # as pytest says it (one formatter)
            progress.say(explain(report))
        progress.say(f"{scenario.name}: "
                     f"{'passed' if report.ok else 'FAILED'} in "
                     f"{report.elapsed:.1f} s; report: "
                     f"{report.directory}/report.html")


def in_processes(args, scenarios, statuses, say):
    """Up to args.jobs scenarios at once, each a `socklab run` of its own:
    its signals, teardown and evidence are exactly a single run's. Each
    one's output is printed whole when it ends, so lines do not
    interleave. Runs whose subnets overlap take turns (lab/runs.py).
    The lessons mostly wait (timeouts, ARP, listeners), so a 2-core
    machine runs two at once, measuring the same.
    statuses[name] = each child's exit status, as it ends."""
    base = [sys.executable, "-m", "lab.cli", "run", "--jobs", "1",
            "--engine", args.engine, "--results", args.results] + \
        (["--keep-going"] if args.keep_going else [])
    children, lock, stopping = [], threading.Lock(), threading.Event()

    def one(scenario):
        with lock:  # none starts once we are stopping
            if stopping.is_set():
                return scenario.name, None, b""
            child = subprocess.Popen(base + [str(scenario.path)],
                                     stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT)
            children.append(child)
        output, _ = child.communicate()  # read as it comes: no full pipe
        return scenario.name, child.returncode, output

    pool = concurrent.futures.ThreadPoolExecutor(args.jobs)
    try:
        for future in concurrent.futures.as_completed(
                [pool.submit(one, s) for s in scenarios]):
            name, status, output = future.result()
            if status is not None:
                statuses[name] = status
            for line in output.decode("utf-8", "replace").splitlines():
                if not re.fullmatch(r"\d+ passed, \d+ failed", line):
                    say(line)
    except BaseException:
        # Stop the others too; each tears its own lab down. Held back
        # while they do, like a single run's teardown.
        with interrupts.deferred():
            with lock:
                stopping.set()
            for child in children:
                if child.poll() is None:
                    child.send_signal(signal.SIGTERM)
            pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown()


def check_junit(path):
    """--junit names a file it can write, never a folder: said (exit 2)
    before anything starts, not after the whole run."""
    if not path:
        return
    if Path(path).is_dir():
        raise ScenarioInvalid([f"--junit {path}: is a directory; name the "
                               "XML file to write, e.g. --junit "
                               f"{Path(path) / 'socklab.xml'}"])
    folder = Path(path).parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ScenarioInvalid([f"--junit {path}: cannot make its folder: "
                               f"{exc.strerror}"]) from None
    if not os.access(folder, os.W_OK):
        raise ScenarioInvalid([f"--junit {path}: cannot write in {folder}"])


def write_reports(args, scenarios, statuses, since, say):
    """The JUnit file (with --junit) and, for several scenarios,
    results/index.html, covering every scenario named: those that ran from
    their results folders, the others as not run."""
    if not args.junit and len(scenarios) < 2:
        return
    outcomes = [suite.outcome(s, args.results, statuses.get(s.name), since)
                for s in scenarios]
    try:
        if len(scenarios) > 1:
            index = Path(args.results) / "index.html"
            index.parent.mkdir(parents=True, exist_ok=True)
            index.write_text(suite.index(outcomes, args.results),
                             encoding="utf-8")
            say(f"index: {index}")
        if args.junit:
            junit = Path(args.junit)
            junit.write_text(suite.junit(outcomes), encoding="utf-8")
            say(f"junit: {junit}")
    except OSError as exc:
        raise file_fault("the run's reports cannot be written at", exc,
                         "free space there or choose another --results "
                         "DIR or --junit FILE") from None
