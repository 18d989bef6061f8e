"""One run of one scenario: plan -> engine -> steps -> checks -> evidence.

Teardown always runs: after success, a failed step, a failed set-up, an
exception or an interrupt, everything labelled with the run's id goes;
and it goes first: the hosts' logs and captures are read before it, but
written only after it, so a disk that fills (or any fault while
collecting) cannot keep the lab alive. What could not be written is named
after teardown (FileUnusable, exit 3).
"""
import concurrent.futures
import contextlib
import dataclasses
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from . import checks, interrupts, plan as plans, runs, timings
from .errors import RunFailed
from .progress import Progress
from .report import evidence
from .report.failure import ended_services, note_lines


@dataclass(frozen=True)
class HostResult:
    """One host's run of one step."""
    step: object
    host: str
    fields: dict
    verdicts: tuple
    error: str = ""
    ended: tuple = ()  # the services that had ended when it failed

    @property
    def ok(self):
        return not self.error and all(v.ok for v in self.verdicts)


@dataclass(frozen=True)
class RunReport:
    scenario: object
    run_id: str
    results: tuple
    error: str
    logs: dict
    elapsed: float
    directory: Path
    not_run: tuple = field(default=())
    stopped: str = ""  # "running" (not over yet), "interrupted", "error"

    @property
    def ok(self):
        return not self.error and all(r.ok for r in self.results)

    @property
    def status(self):
        """How the run ended: passed, failed, interrupted or error (a fault
        of Docker or of the machine); running while it goes on."""
        return self.stopped or ("passed" if self.ok else "failed")

    def failures(self):
        return [r for r in self.results if not r.ok]


def _execute(engine, plan, step, host, on_ready=lambda: None):
    try:
        envelope = engine.execute(plan, host, step.run, step.timeout,
                                  on_ready)
    except RunFailed as exc:
        return HostResult(step, host, {}, (), str(exc))
    fields = checks.result_fields(envelope)
    return HostResult(step, host, fields, checks.check(step, fields))


def _act(engine, plan, step):
    """A fault step (scenario/actions.py)."""
    start = time.monotonic()
    try:
        step.action.apply(engine, plan)
        error = ""
    except RunFailed as exc:
        error = str(exc)
    fields = {"action": step.action.key,
              "elapsed_ms": round((time.monotonic() - start) * 1000, 1)}
    return HostResult(step, step.action.host, fields, (), error)


def _noted(engine, plan, scenario, batch):
    """The batch, each failed result naming the services that have ended
    (a server that crashed during the steps is the likely cause of a
    refused connect, and is otherwise only in its host's log). Read only
    when something failed: the logs of every host with services."""
    if all(r.ok for r in batch):
        return batch
    notes = ()
    for host in scenario.hosts:
        if host.services:
            apps = plan.host(host.name).app_services
            numbered = None if not apps else apps \
                if len(apps) == len(host.services) else ()
            notes += ended_services(host, engine.logs(plan, host.name),
                                    numbered)
    return [r if r.ok else dataclasses.replace(r, ended=notes)
            for r in batch]


class _Steps:
    """Runs the steps in order; background ones on their own threads.
    `record` gets each HostResult as it ends (the evidence journal)."""

    def __init__(self, engine, plan, scenario, record):
        self.engine, self.plan, self.record = engine, plan, record
        self.scenario = scenario
        self.pool = concurrent.futures.ThreadPoolExecutor(64)
        self.background = []  # futures of HostResult

    def foreground(self, step):
        futures = [self.pool.submit(_execute, self.engine, self.plan, step, h)
                   for h in step.on]
        batch = self.noted([f.result() for f in futures])
        for result in batch:
            self.record(result)
        return batch

    def noted(self, batch):
        return _noted(self.engine, self.plan, self.scenario, batch)

    def start_background(self, step):
        for host in step.on:
            ready = threading.Event()
            future = self.pool.submit(_execute, self.engine, self.plan, step,
                                      host, ready.set)
            if step.ready.kind != "signal":
                ready.set()  # nothing to wait for: started is ready
            # A program that ends before saying it is bound is "ready" too.
            future.add_done_callback(lambda _: ready.set())
            future.add_done_callback(self._ended)
            ready.wait()
            self.background.append(future)

    def _ended(self, future):
        if not future.cancelled() and future.exception() is None:
            self.record(future.result())

    def await_background(self):
        return [f.result() for f in self.background]


def _show(say, result):
    mark = "ok  " if result.ok else "FAIL"
    took = result.fields.get("elapsed_ms")
    say(f"  {mark} {result.step.label} [{result.host}]" +
        (f" ({took} ms)" if took is not None else ""))
    if result.error:
        say("       " + result.error.replace("\n", "\n       "))
    if result.fields.get("output_cut"):
        say(f"       (output cut to the first and last part: "
            f"{', '.join(result.fields['output_cut'])})")
    for v in result.verdicts:
        if not v.ok:
            say(f"       expected {v.describe()}")
    for note in result.ended:
        say(note_lines(note, "       "))


def _run_steps(engine, plan, scenario, say, keep_going, record, results):
    """Run the steps, adding each HostResult to `results` as it comes (so
    an interrupted run keeps those it has); return the steps not run."""
    steps = _Steps(engine, plan, scenario, record)
    not_run = []
    try:
        for index, step in enumerate(scenario.steps):
            if step.action is not None:
                result, = steps.noted([_act(engine, plan, step)])
                record(result)
                _show(say, result)
                results.append(result)
                if not keep_going and not result.ok:
                    not_run = list(scenario.steps[index + 1:])
                    break
                continue
            if step.background:
                steps.start_background(step)
                say(f"  ...  {step.label} [{', '.join(step.on)}] "
                    "(in the background)")
                continue
            batch = steps.foreground(step)
            for result in batch:
                _show(say, result)
            results += batch
            if not keep_going and not all(r.ok for r in batch):
                not_run = list(scenario.steps[index + 1:])
                break
        if not not_run:  # after a failure, background steps are not awaited
            for result in steps.noted(steps.await_background()):
                _show(say, result)
                results.append(result)
    finally:
        steps.pool.shutdown(wait=False, cancel_futures=True)
        results.sort(key=lambda r: (r.step.number, r.step.on.index(r.host)
                                    if r.host in r.step.on else 0))
    return tuple(not_run)


def _collect(engine, plan, scenario):
    """Read the hosts' logs, {host: text}, and their own captures, {file
    name: bytes}, while they are still there: capture.pcap of host h
    becomes h.pcap, capture.restart-1.pcap (after its first restart)
    h.restart-1.pcap."""
    names = [h.name for h in plan.hosts]
    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        logs = dict(zip(names, pool.map(
            lambda name: engine.logs(plan, name), names)))
    captures = {}
    for host in scenario.hosts:
        if host.capture:
            for name, data in engine.host_captures(plan, host.name).items():
                captures[name.replace("capture", host.name, 1)] = data
    return logs, captures


@contextlib.contextmanager
def claimed(engine, plan, say):
    """Hold the run's registration (first waiting while a live run uses
    one of its subnets, or its results folder), having swept what dead
    runs left."""
    # An IPv6-only network's IPv4 stand-in too (plan.stand_in), on
    # Docker's networks; one engine: labs of one scenario run side by side.
    subnets = [s for n in plan.networks for s in dict.fromkeys(
        (n.subnet, n.subnet4))] if engine.subnets_clash else []
    with runs.registered(plan.run_id, plan.scenario, subnets, say,
                         plan.evidence):
        with timings.phase("sweep"):
            engine.sweep()
        yield


def bring_up(engine, plan, progress):
    with progress.phase(f"{plan.scenario}: bringing up {len(plan.hosts)} "
                        f"hosts on {len(plan.networks)} networks"), \
            timings.phase("up"):
        engine.up(plan)


def run(scenario, engine, results_root="results", progress=Progress(None),
        keep_going=False):
    """Bring the scenario's lab up, run its steps, tear it down; return the
    report (also written under results_root/<scenario>/)."""
    say = progress.say
    run_id = plans.new_run_id()
    directory = Path(results_root) / scenario.name
    plan = plans.make(scenario, run_id, evidence=directory.resolve())
    start = time.monotonic()
    results, not_run, error, logs, captures = [], (), "", {}, {}
    stopped, journal, failed = "", None, {}

    def report(stop):  # as far as the run has come
        return RunReport(scenario, run_id, tuple(results), error, logs,
                         time.monotonic() - start, directory, not_run, stop)

    try:
        with claimed(engine, plan, say):
            # Only now, in our turn: a run of the same scenario before us
            # may still be writing its evidence there.
            evidence.prepare(directory)
            evidence.begin(report("running"))
            journal = evidence.Journal(directory)
            try:
                bring_up(engine, plan, progress)
                with progress.phase(f"{scenario.name}: "
                                    f"{len(scenario.steps)} steps"):
                    not_run = _run_steps(engine, plan, scenario, say,
                                         keep_going, journal.add, results)
            except RunFailed as exc:
                error = str(exc)
                say(f"  FAIL {error}")
            finally:
                journal.close()
                with interrupts.deferred():
                    try:
                        with timings.phase("evidence: logs, captures"):
                            logs, captures = _collect(engine, plan,
                                                      scenario)
                    finally:
                        with timings.phase("down"):
                            engine.down(run_id)
    except BaseException as exc:  # interrupts too: the evidence says why
        error = error or f"{type(exc).__name__}: {exc}".rstrip(": ")
        stopped = "interrupted" if isinstance(exc, KeyboardInterrupt) \
            else "error"
        raise
    finally:
        final = report(stopped)
        if journal:  # else the folder was never ours to write
            with interrupts.deferred():
                with timings.phase("evidence: written"):
                    failed = evidence.write(final, captures)
    if failed:
        raise evidence.unwritten(directory, failed)
    return final
