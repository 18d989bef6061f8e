"""Grading a class at once against its submissions one after another.

    .venv/bin/python bench/grade.py [--sizes 7,40] [--jobs N]

For each N: a generated 3-host assignment (a student's TCP echo server on
one host, two client hosts, three steps: one client, both clients at once,
a connect) and N copies of a correct submission. Timed, one after the
other in one run of this script:

  grade       `socklab grade ASSIGNMENT SUBMISSIONS/` (default --jobs)
  one by one  `socklab run` of each submission's folder (the assignment's
              files over the submission's, as grading makes it), N runs
              one after another: what grading replaces

The ratio grade / one by one is the figure (target: at most 0.6 from 7
submissions on). It writes the section "Grading a class" of BENCHMARKS.md
(bench/run.py keeps it).
"""
import argparse
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

from bench.run import machine  # noqa: E402
from lab.grade import folders  # noqa: E402
from lab.grade.assignment import default_jobs  # noqa: E402
from lab.scenario import load_scenario  # noqa: E402

SOCKLAB = [sys.executable, "-m", "lab.cli"]
HEADING = "## Grading a class"

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


def run(argv):
    done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"{' '.join(map(str, argv[2:5]))}... exit "
                         f"{done.returncode}:\n{done.stdout}{done.stderr}")
    return done.stdout


def timed(function):
    start = time.monotonic()
    function()
    return time.monotonic() - start


def measure(work, n, jobs, repeat):
    """Medians of grade and one by one, interleaved so that the noise of
    a shared machine hits both alike."""
    home = work / f"n{n}"
    (home / "subs").mkdir(parents=True)
    (home / "assignment.yaml").write_text(ASSIGNMENT)
    for i in range(n):
        (home / "subs" / f"s{i:03}").mkdir()
        (home / "subs" / f"s{i:03}" / "server.py").write_text(SERVER)
    # The same folders a grading makes, made beforehand (not timed).
    labs = [folders.merged(home, home / "subs" / f"s{i:03}",
                           home / "labs" / f"s{i:03}",
                           skip=[home / "subs", home / "labs",
                                 home / "grades"])
            for i in range(n)]
    extra = ["--jobs", str(jobs)] if jobs else []
    grades, one_by_ones = [], []
    for _ in range(repeat):
        grades.append(timed(lambda: run(SOCKLAB + [
            "grade", home / "assignment.yaml", home / "subs", "--out",
            home / "grades", *extra])))
        graded = (home / "grades" / "grades.csv").read_text().splitlines()
        assert len(graded) == n + 1 and all(
            row.split(",")[1:3] == ["4", "4"] for row in graded[1:]), graded
        one_by_ones.append(timed(lambda: [run(SOCKLAB + [
            "run", lab / "assignment.yaml", "--results", home / "results"])
            for lab in labs]))
    return statistics.median(grades), statistics.median(one_by_ones)


def write(rows, jobs_used):
    path = ROOT / "BENCHMARKS.md"
    text = path.read_text() if path.exists() else "# Benchmarks\n"
    if HEADING in text:
        start = text.index(HEADING)
        rest = text.find("\n## ", start + 1)
        text = text[:start].rstrip("\n") + (text[rest:] if rest >= 0
                                             else "")
    table = ["| submissions | grade (s) | one by one (s) | grade / one by "
             "one | per submission (s) |", "|---:|---:|---:|---:|---:|"]
    table += [f"| {n} | {g:.1f} | {s:.1f} | {g / s:.2f} | {g / n:.2f} |"
              for n, g, s in rows]
    load = os.getloadavg()[0]
    section = [
        HEADING, "",
        f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} "
        f"with `.venv/bin/python bench/grade.py` on {machine()}.", "",
        "A generated 3-host assignment (a student's TCP echo server, two "
        "client hosts, three steps) and N copies of a correct submission. "
        f"grade: `socklab grade` ({jobs_used}); one by one: `socklab run` of "
        "each submission's folder, one after another. Labs of the same "
        "scenario, with the same subnets, run side by side. Medians of "
        "interleaved repetitions below 20 submissions, one run from 20 on. "
        f"The machine is shared (load average {load:.1f} when written): "
        "compare the ratios, which come from one run, not the seconds.",
        "",
        *table, "",
        "Target (issue 15): grade / one by one at most 0.6 from 7 "
        "submissions on.", ""]
    path.write_text(text.rstrip("\n") + "\n\n" + "\n".join(section))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="7,40")
    parser.add_argument("--repeat", type=int, default=3,
                        help="interleaved repetitions below 20 submissions"
                        " (one at 20 and more); medians")
    parser.add_argument("--jobs", type=int, default=0,
                        help="socklab grade --jobs (default: its own)")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    run(SOCKLAB + ["build"])
    work = Path(tempfile.mkdtemp(prefix="socklab-bench-grade-"))
    jobs = args.jobs or default_jobs(load_scenario(
        _written(work / "a.yaml", ASSIGNMENT)))
    rows = []
    try:
        for n in (int(x) for x in args.sizes.split(",")):
            grade, one_by_one = measure(work, n, args.jobs,
                                        args.repeat if n < 20 else 1)
            rows.append((n, grade, one_by_one))
            print(f"N={n:3}  grade {grade:6.1f} s  one by one "
                  f"{one_by_one:6.1f} s  ratio {grade / one_by_one:.2f}",
                  flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    used = f"--jobs {args.jobs}" if args.jobs else \
        f"default --jobs, {jobs} here: two per core"
    if not args.no_write:
        write(rows, used)
        print("wrote the section of BENCHMARKS.md")


def _written(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
