"""`socklab grade`: every submission graded, --jobs at once, each in a
process and a lab of its own (one.py).

A process per submission, not a thread: a run's signals, teardown and
evidence are then exactly a single `socklab run`'s; whatever a submission
makes its run do (a flood of output, a run that dies) stays in that
process; and Ctrl-C reaches every run at once, each tearing its own lab
down (a thread cannot be stopped mid-step). The children are started and
awaited from this one thread, and each writes its output to a file, so
nothing needs reading while they run. Labs of one assignment use the same
subnets: on one engine they run side by side (runner.claimed).
"""
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from .. import engine as engines, interrupts
from ..errors import EnvironmentUnusable
from ..progress import Progress, tail
from . import assignment as classes, folders, outputs, scores

POLL = 0.2  # s between looks at the running children


@dataclass(frozen=True)
class _Class:
    """What every submission's run shares."""
    assignment: object  # its scenario
    out: Path           # the grades folder
    labs: Path          # where the merged folders are made
    skip: tuple         # not the assignment's files (folders.merged)
    engine: str         # --engine


@dataclass
class _Running:
    submission: object  # assignment.Submission
    process: subprocess.Popen
    folder: Path        # DIR/NAME
    lab: Path           # its merged folder
    started: float = field(default_factory=time.monotonic)


def _start(sub, work):
    """The submission's run, started; its grade instead where its folder
    cannot be copied (a file socklab may not read)."""
    folder = work.out / sub.name
    shutil.rmtree(folder, ignore_errors=True)  # an earlier grading's
    folder.mkdir(parents=True)
    try:
        lab = folders.merged(work.assignment.directory, sub.path,
                             work.labs / sub.name, work.skip)
    except OSError as exc:
        return scores.not_graded(sub.name, work.assignment,
                                 f"its files could not be copied: {exc}")
    with open(folder / ".console.log", "wb") as console:
        process = subprocess.Popen(
            [sys.executable, "-m", "lab.grade.one", "--parent",
             str(os.getpid()), "--engine", work.engine, "--name", sub.name,
             "--out", str(folder), "--copy",
             str(lab / work.assignment.path.name)],
            stdout=console, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL)
    return _Running(sub, process, folder, lab)


def _finish(run, assignment):
    """The submission's grade, once its process has ended. Its console
    output names hidden steps' commands: it joins the evidence."""
    shutil.rmtree(run.lab, ignore_errors=True)
    (run.folder / "evidence").mkdir(exist_ok=True)
    log = (run.folder / ".console.log").replace(
        run.folder / "evidence" / "console.log")
    try:
        return scores.Grade.from_json(
            (run.folder / "evidence" / "grade.json").read_text(
                encoding="utf-8"))
    except (OSError, ValueError, TypeError, KeyError):
        code = run.process.returncode
        said = tail(log.read_text(encoding="utf-8", errors="replace"), 1)
        how = f"signal {-code}" if code < 0 else f"status {code}"
        return scores.not_graded(
            run.submission.name, assignment,
            f"its run ended ({how}): {said or 'no output'}",
            time.monotonic() - run.started)


def _left(grades, running, waiting, jobs):
    """Seconds left, roughly: the mean run so far, for the runs not yet
    started and half a run for those under way; None before the first."""
    if not grades:
        return None
    mean = sum(g.elapsed for g in grades.values()) / len(grades)
    return mean * (len(waiting) + len(running) / 2) / jobs


def _status(grades, running, waiting, jobs):
    seconds = _left(grades, running, waiting, jobs)
    minutes, rest = divmod(round(seconds or 0), 60)
    when = "estimating the time left" if seconds is None else \
        f"about {minutes} min {rest:02d} s left" if minutes else \
        f"about {rest} s left"
    return (f"{len(grades)} graded, {len(running)} running, "
            f"{len(waiting)} left; {when}")


def _stop(running, progress):
    """Ctrl-C, SIGTERM or a failure here: each run tears its own lab down
    on SIGTERM; held back while they do, as a single run's teardown is."""
    with interrupts.deferred():
        progress.live("")
        for run in running:
            if run.process.poll() is None:
                run.process.send_signal(signal.SIGTERM)
        for run in running:
            run.process.wait()


def grade_class(args, progress=None):
    """Grade every submission; write the class's outputs. 0 when each was
    graded, whatever its score; EnvironmentUnusable (3) naming those that
    could not be."""
    progress = progress or Progress(sys.stdout)
    group = classes.load(args.assignment, args.submissions, args.out)
    engine = engines.connect(progress, args.engine)
    engine.prepare()  # built once here, not by every run at once
    jobs = min(args.jobs or classes.default_jobs(group.assignment),
               len(group.submissions))
    group.out.mkdir(parents=True, exist_ok=True)
    progress.say(*group.assignment.warnings,
                 f"grading {len(group.submissions)} submissions of "
                 f"{group.assignment.name}, {jobs} at once")
    labs = Path(tempfile.mkdtemp(prefix="socklab-grade-"))
    work = _Class(group.assignment, group.out, labs, group.skip, args.engine)
    waiting, running, grades = list(group.submissions), [], {}
    begun = time.monotonic()
    try:
        while waiting or running:
            while waiting and len(running) < jobs:
                started = _start(waiting.pop(0), work)
                if isinstance(started, scores.Grade):
                    grades[started.submission] = started
                else:
                    running.append(started)
            time.sleep(POLL)
            for run in [r for r in running if r.process.poll() is not None]:
                running.remove(run)
                g = grades[run.submission.name] = _finish(
                    run, group.assignment)
                progress.say(
                    f"{g.submission}: {scores.number(g.score)} of "
                    f"{scores.number(g.maximum)}" +
                    (f" ({g.reason})" if g.reason else "") +
                    f" [{_status(grades, running, waiting, jobs)}]")
            progress.live("grading: " + _status(grades, running, waiting,
                                                 jobs))
    except BaseException:
        _stop(running, progress)
        raise
    finally:
        shutil.rmtree(labs, ignore_errors=True)
    progress.live("")
    ordered = [grades[s.name] for s in group.submissions]
    outputs.write_all(group.out, group.assignment, ordered)
    lost = [g for g in ordered if not g.graded]
    progress.say(f"graded {len(ordered) - len(lost)} of {len(ordered)} in "
                 f"{time.monotonic() - begun:.1f} s; the class: "
                 f"{group.out / 'index.html'}")
    if lost:
        raise EnvironmentUnusable(
            f"{len(lost)} of {len(ordered)} submissions could not be "
            "graded: " + "; ".join(f"{g.submission} ({g.reason})"
                                   for g in lost))
    return 0
