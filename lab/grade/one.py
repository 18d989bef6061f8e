"""Grading one submission, in a process of its own (lab/grade/session.py
starts one per submission):

    python -m lab.grade.one --parent PID --engine KIND --name NAME \\
        --out DIR/NAME --copy LAB/ASSIGNMENT.yaml

LAB is the submission's merged folder (folders.py). The run is a plain
`socklab run --keep-going` of the assignment from LAB, its evidence moved
to DIR/NAME/evidence; then DIR/NAME/feedback.html and, last,
DIR/NAME/evidence/grade.json (the grade, for the class's outputs). Exit
statuses as `socklab run`'s, but 0 whatever the score.

It dies with the grading process: when that goes (even by kill -9), this
one gets SIGTERM, which tears its lab down as Ctrl-C would.
"""
import argparse
import ctypes
import os
import shutil
import signal
import sys
from pathlib import Path

from .. import engine as engines, interrupts, runner
from ..errors import SocklabError
from ..progress import Progress
from ..scenario import load_scenario
from . import feedback, scores

PR_SET_PDEATHSIG = 1  # linux/prctl.h


def _die_with(parent):
    """SIGTERM when the parent goes. Set, then checked: a parent gone
    before the call would never send it."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG,
                                                signal.SIGTERM)
    except (OSError, AttributeError):
        pass  # not Linux: a killed grader leaves its runs to finish
    if os.getppid() != parent:
        raise KeyboardInterrupt("the grading process is gone")


def grade(name, path, out, kind, progress):
    scenario = load_scenario(path)
    engine = engines.connect(progress, kind)
    engine.prepare()
    work = out / ".run"  # the run writes its results folder in here
    report = runner.run(scenario, engine, work, progress, keep_going=True)
    result = scores.of_report(name, scenario, report)
    shutil.rmtree(out / "evidence", ignore_errors=True)
    os.replace(report.directory, out / "evidence")
    shutil.rmtree(work, ignore_errors=True)
    (out / "feedback.html").write_text(
        feedback.render(scenario, result, report), encoding="utf-8")
    # Written last: it says the rest is there. In the evidence, as it
    # holds hidden steps' reasons: the folder's feedback.html is the
    # student's, evidence/ the teacher's.
    (out / "evidence" / "grade.json").write_text(result.to_json(),
                                                 encoding="utf-8")
    progress.say(f"{name}: {scores.number(result.score)} of "
                 f"{scores.number(result.maximum)}")


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m lab.grade.one")
    parser.add_argument("--parent", type=int, required=True)
    parser.add_argument("--engine", default="docker")
    parser.add_argument("--name", required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--copy", action="store_true",
                        help="the assignment's folder is the submission's "
                        "copy, removed at the end (also when the grading "
                        "process was killed)")
    parser.add_argument("assignment", type=Path)
    args = parser.parse_args(argv)
    interrupts.install()
    try:
        _die_with(args.parent)
        grade(args.name, args.assignment, args.out, args.engine,
              Progress(sys.stdout))
        return 0
    except SocklabError as exc:
        print(f"socklab: {exc}", file=sys.stderr)
        return exc.exit_status
    except KeyboardInterrupt:
        print("socklab: interrupted; its lab was removed", file=sys.stderr)
        return 130
    finally:
        if args.copy:  # its lab is down: nothing mounts it any more
            shutil.rmtree(args.assignment.parent, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
