"""What `socklab grade` is asked to do, checked before anything starts:
the assignment (a scenario), its submissions, where the grades go, and
how many submissions are graded at once."""
import os
import re
from dataclasses import dataclass
from pathlib import Path

from ..errors import ScenarioInvalid
from ..scenario import load_scenario

# The class's own files in the output folder: no submission may be named so.
OUTPUTS = ("grades.csv", "junit.xml", "index.html")
LAB_OVERHEAD = 150 * 2**20  # per lab beyond its hosts: its socklab process,
#                             wiring helper, evidence (bytes)


@dataclass(frozen=True)
class Submission:
    name: str   # its folder's name: names it in every output
    path: Path


@dataclass(frozen=True)
class Class:
    assignment: object   # scenario.model.Scenario
    submissions: tuple   # Submission, by name
    out: Path
    skip: tuple          # folders in the assignment's directory that are
    #                      not its files (the submissions, the grades)


def _inside(path, folder):
    return path == folder or folder in path.parents


def load(assignment_path, submissions_dir, out):
    """The class to grade; ScenarioInvalid (exit 2) naming every problem,
    each with its file, line and field where it has one."""
    assignment = load_scenario(assignment_path)
    problems = []
    folder = Path(submissions_dir)
    if not folder.is_dir():
        raise ScenarioInvalid([f"{folder}: no such folder (give the folder "
                               "that holds one folder per submission)"])
    found = sorted((p for p in folder.iterdir()
                    if p.is_dir() and not p.name.startswith(".")),
                   key=lambda p: p.name)
    if not found:
        problems.append(f"{folder}: no submissions here (each submission "
                        "is a folder of its own, named after the student)")
    for path in found:
        if path.name in OUTPUTS:
            problems.append(f"{path}: a submission cannot be named "
                            f"{path.name}: that is a file of the class's in "
                            "the grades folder; rename the folder")
    out, here = Path(out).resolve(), folder.resolve()
    home = assignment.directory.resolve()
    if _inside(out, here) or _inside(here, out):
        problems.append(f"{out}: the grades folder and the submissions "
                        f"folder ({here}) must not hold one another")
    if out.exists() and not out.is_dir():
        problems.append(f"{out}: not a folder; give a folder for the grades")
    if _inside(home, out):
        problems.append(f"{out}: the grades folder must not hold the "
                        f"assignment's folder ({home}); choose another")
    if problems:
        raise ScenarioInvalid(problems)
    return Class(assignment, tuple(Submission(p.name, p) for p in found),
                 out, (here, out))


def _bytes(text):
    """Docker's memory notation (512m, 1g, 65536) in bytes."""
    number, unit = re.fullmatch(r"(\d+)([kmg]?)", text.lower()).groups()
    return int(number) * 1024 ** " kmg".index(unit or " ")


def _available():
    try:
        with open("/proc/meminfo") as info:
            for line in info:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def default_jobs(assignment):
    """What the machine sustains: the labs mostly wait (on programs, on
    timeouts), so two per core; no more than the memory holds if every
    host of every lab used all its limit allows."""
    jobs = 2 * (os.cpu_count() or 1)
    per_lab = sum(_bytes(h.limits.memory) for h in assignment.hosts) + \
        LAB_OVERHEAD
    available = _available()
    if available:
        jobs = min(jobs, available // per_lab)
    return max(1, jobs)
