"""Grading a class at once against its submissions one after another.

    .venv/bin/python bench/grade.py [--sizes 7,40] [--jobs N] [--repeat 3]

Two classes of 3-host assignments, each at every size N:

  correct  a generated assignment (a student's TCP echo server, two client
           hosts, three steps) and N copies of a correct submission: labs
           with nothing to wait for, the worst case for grading at once
  example  examples/echo-upper's assignment and N submissions taken in
           turn from its seven (right, 127.0.0.1, one client, no upper
           case, fork bomb, busy loop, flood): a class with the usual
           mistakes, whose clients wait for their timeouts

and two ways, timed one after the other:

  grade       `socklab grade ASSIGNMENT SUBMISSIONS/` (default --jobs)
  one by one  `socklab run --keep-going` (every step, as grading runs
              them) of each submission's folder (the assignment's files
              over the submission's, made beforehand), one after another

The ratio grade / one by one is the figure (target: at most 0.6 from 7
submissions on). It rewrites its own section of BENCHMARKS.md
(bench/sections.py).
"""
import argparse
import csv
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import sections  # noqa: E402
from bench.run import machine  # noqa: E402
from lab.grade import folders  # noqa: E402
from lab.grade.assignment import default_jobs  # noqa: E402
from lab.scenario import load_scenario  # noqa: E402

SOCKLAB = [sys.executable, "-m", "lab.cli"]
HEADING = "## Grading a class"
EXAMPLE = ROOT / "examples" / "echo-upper"

ASSIGNMENT = """\
name: bench-grade
networks: {lan: {subnet: 10.152.0.0/24}}
hosts:
  server:
    interfaces: {lan: 10.152.0.10}
    limits: {pids: 64, memory: 256m, cpus: 0.5}
    services: [{run: python3 server.py, ready: {tcp: 9000, timeout: 5}}]
  a: {interfaces: {lan: 10.152.0.21}}
  b: {interfaces: {lan: 10.152.0.22}}
steps:
  - {on: a, run: tcp-client --to server:9000 --message hello,
     expect: {replies: 1}, points: 2}
  - {on: [a, b], run: tcp-client --to server:9000 --message hi --count 3,
     expect: {replies: 3}}
  - {on: b, run: connect --to server:9000, expect: {outcome: connected}}
"""

SERVER = """\
import socket

server = socket.socket()
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(("", 9000))
server.listen(5)
while True:
    conn, _ = server.accept()
    with conn:
        while data := conn.recv(4096):
            conn.sendall(data)
"""


def run(argv, allowed=(0,)):
    done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True)
    if done.returncode not in allowed:
        raise SystemExit(f"{' '.join(map(str, argv[2:5]))}... exit "
                         f"{done.returncode}:\n{done.stdout}{done.stderr}")
    return done


def timed(function):
    start = time.monotonic()
    function()
    return time.monotonic() - start


def make_class(kind, home, n):
    """(assignment file, submissions folder, what each must score)."""
    (home / "subs").mkdir(parents=True)
    if kind == "correct":
        (home / "assignment.yaml").write_text(ASSIGNMENT)
        for i in range(n):
            (home / "subs" / f"s{i:03}").mkdir()
            (home / "subs" / f"s{i:03}" / "server.py").write_text(SERVER)
        return home / "assignment.yaml", {f"s{i:03}": 4 for i in range(n)}
    shutil.copy(EXAMPLE / "assignment.yaml", home)
    shutil.copy(EXAMPLE / "client.py", home)
    kinds = sorted(p for p in (EXAMPLE / "submissions").iterdir())
    scores = {"correct": 7, "flood": 7, "single-client": 2, "no-upper": 1,
              "fork-bomb": 1}
    wanted = {}
    for i in range(n):
        source = kinds[i % len(kinds)]
        shutil.copytree(source, home / "subs" / f"s{i:03}-{source.name}")
        wanted[f"s{i:03}-{source.name}"] = scores.get(source.name, 0)
    return home / "assignment.yaml", wanted


def measure(kind, work, n, jobs, repeat):
    """Medians of grade and one by one, interleaved so that the noise of
    a shared machine hits both alike; the one-by-one runs of right
    submissions that failed; the grades that are not what they must be."""
    home = work / f"{kind}-{n}"
    assignment, wanted = make_class(kind, home, n)
    skip = [home / "subs", home / "labs", home / "grades", home / "results"]
    labs = [folders.merged(home, home / "subs" / name, home / "labs" / name,
                           skip) for name in wanted]
    extra = ["--jobs", str(jobs)] if jobs else []
    grades, one_by_ones, odd, wrong = [], [], [], []
    for _ in range(repeat):
        grades.append(timed(lambda: run(SOCKLAB + [
            "grade", assignment, home / "subs", "--out", home / "grades",
            *extra])))
        rows = list(csv.reader(open(home / "grades" / "grades.csv")))[1:]
        wrong += [f"{row[0]} scored {row[1]}, not {wanted[row[0]]} "
                  f"({row[-1]})" for row in rows
                  if int(row[1]) != wanted[row[0]]]
        one_by_ones.append(timed(lambda: odd.extend(
            lab.name for lab in labs if run(SOCKLAB + [
                "run", "--keep-going", lab / assignment.name, "--results",
                home / "results"], allowed=(0, 1)).returncode and
            wanted[lab.name] == max(wanted.values()))))
    return (statistics.median(grades), statistics.median(one_by_ones),
            odd, wrong)


def write(rows, jobs_used, notes):
    table = ["| class | submissions | grade (s) | one by one (s) | "
             "grade / one by one |", "|---|---:|---:|---:|---:|"]
    table += [f"| {kind} | {n} | {g:.1f} | {s:.1f} | {g / s:.2f} |"
              for kind, n, g, s in rows]
    section = [
        HEADING, "",
        f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} "
        f"with `.venv/bin/python bench/grade.py` on {machine()}; load "
        f"average {os.getloadavg()[0]:.1f} when written (the machine is "
        "shared: compare the ratios, which come from one run, not the "
        "seconds).", "",
        "Two classes of a 3-host assignment. *correct*: N copies of a "
        "correct echo server (labs with nothing to wait for: the worst case"
        " for grading at once). *example*: examples/echo-upper's assignment"
        " with N submissions taken in turn from its seven (a class's usual "
        "mistakes: refusals, clients waiting for their timeouts, a lab that"
        f" never comes up). grade: `socklab grade` ({jobs_used}); one by "
        "one: `socklab run --keep-going` of each submission's folder, one "
        "after another. Labs of the same scenario, with the same subnets, "
        "run side by side. Medians of interleaved repetitions below 20 "
        "submissions, one run from 20 on.", "",
        *table, "", *[f"- {note}" for note in notes],
        "", "Target (issue 15): grade / one by one at most 0.6 from 7 "
        "submissions on.", ""]
    sections.replace(ROOT / "BENCHMARKS.md", "bench/grade.py",
                     "\n".join(section))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="7,40")
    parser.add_argument("--classes", default="correct,example")
    parser.add_argument("--repeat", type=int, default=3,
                        help="interleaved repetitions below 20 submissions"
                        " (one at 20 and more); medians")
    parser.add_argument("--jobs", type=int, default=0,
                        help="socklab grade --jobs (default: its own)")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    run(SOCKLAB + ["build"])
    work = Path(tempfile.mkdtemp(prefix="socklab-bench-grade-"))
    rows, notes = [], []
    try:
        (work / "a.yaml").write_text(ASSIGNMENT)
        jobs = args.jobs or default_jobs(load_scenario(work / "a.yaml"))
        for kind in args.classes.split(","):
            for n in (int(x) for x in args.sizes.split(",")):
                grade, one_by_one, odd, wrong = measure(
                    kind, work, n, args.jobs, args.repeat if n < 20 else 1)
                rows.append((kind, n, grade, one_by_one))
                print(f"{kind:8} N={n:3}  grade {grade:6.1f} s  one by one "
                      f"{one_by_one:6.1f} s  ratio {grade / one_by_one:.2f}",
                      flush=True)
                if odd:
                    notes.append(f"{kind}, {n}: {len(odd)} one-by-one runs "
                                 "of a right submission failed (not counted "
                                 f"out of the time): {', '.join(odd[:5])}")
                    print(notes[-1], flush=True)
                if wrong:
                    notes.append(f"{kind}, {n}: {len(wrong)} grades not as "
                                 f"they must be: {'; '.join(wrong[:3])}")
                    print(notes[-1], flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    used = f"--jobs {args.jobs}" if args.jobs else \
        f"default --jobs: {jobs} here, two per core"
    if not args.no_write:
        write(rows, used, notes)
        print("wrote the section of BENCHMARKS.md")


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
