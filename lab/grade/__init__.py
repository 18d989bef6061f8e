"""Grading a class: `socklab grade ASSIGNMENT.yaml SUBMISSIONS/`.

    assignment.py  the assignment, its submissions, the grades folder
    folders.py     a submission's lab folder (its files, the assignment's
                   over them)
    session.py     every submission at once, a process each; progress
    one.py         one submission's run, grade and feedback (that process)
    scores.py      a run -> a grade (points all or nothing per step)
    feedback.py    feedback.html, what the student sees
    outputs.py     grades.csv, junit.xml, index.html
"""
import argparse


def add_command(command):
    """Register `socklab grade` with the command line's `command` helper
    (lab/cli.py's parser), which gives it --engine."""
    p = command("grade", _grade, "Grade a class: run an assignment (a "
                "scenario whose steps may carry `points` and `hidden`) "
                "against each submission folder, several at once, each in a "
                "lab of its own. Writes grades.csv, junit.xml, index.html "
                "and a folder per submission (feedback.html, evidence). "
                "Exit 0 when every submission was graded, whatever the "
                "scores; 2 invalid assignment; 3 no usable Docker.",
                "socklab grade assignment.yaml submissions/ --out grades")
    p.add_argument("assignment", metavar="ASSIGNMENT.yaml")
    p.add_argument("submissions", metavar="SUBMISSIONS",
                   help="a folder with one folder per submission, named "
                   "after its student")
    p.add_argument("--out", default="grades", metavar="DIR",
                   help="where the grades go (default: grades/)")
    p.add_argument("--jobs", "-j", type=_positive, default=0, metavar="N",
                   help="submissions graded at once (default: two per "
                   "core, fewer if memory is short)")
    return p


def _positive(text):
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: give a whole number "
                                         "of at least 1")
    return value


def _grade(args):
    from .session import grade_class  # only when grading: keeps cli light
    return grade_class(args)
