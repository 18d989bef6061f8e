"""What a chatty service costs its lab: bring-up of a server that prints
50,000 lines before it listens, against the same server printing none,
interleaved in one run (the ratio is the figure: the machine is noisy).

    .venv/bin/python bench/output.py [--lines 50000] [--repeat 3]

Writes its section of BENCHMARKS.md. Target (issue 22): at most 1.5x.
"""
import argparse
import re
import statistics
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))

import sections  # noqa: E402

SERVER = """\
import socket, sys
for i in range(int(sys.argv[1])):
    print(f"debug line {i}: setting things up")
s = socket.socket()
s.bind(("", 9000))
s.listen()
print("waiting for connections", flush=True)
while True:
    s.accept()[0].close()
"""


def scenario(folder, lines):
    path = folder / f"chatty{lines}.yaml"
    path.write_text(textwrap.dedent(f"""\
        name: chatty{lines}
        networks: {{lan: {{subnet: 10.90.{1 if lines else 2}.0/24}}}}
        hosts:
          server:
            interfaces: {{lan: 10.90.{1 if lines else 2}.10}}
            services: [{{run: python3 server.py {lines}, ready: {{tcp: 9000}}}}]
          client: {{interfaces: {{lan: 10.90.{1 if lines else 2}.20}}}}
        steps:
          - {{on: client, run: connect --to server:9000,
              expect: {{outcome: connected}}}}
          - {{on: server, run: service-log --match "debug line",
              expect: {{count: {lines}}}}}
        """))
    return path


def bring_up(path, results):
    """Seconds from the lab's first container to its services ready, as
    the run says it; and whether the run passed."""
    done = subprocess.run([sys.executable, "-m", "lab.cli", "run", "--jobs",
                           "1", "--results", results, str(path)],
                          capture_output=True, text=True, cwd=ROOT)
    took = re.search(r"bringing up .*: done in ([\d.]+) s", done.stdout)
    if done.returncode or not took:
        raise SystemExit(f"{path.name} failed:\n{done.stdout}{done.stderr}")
    return float(took.group(1))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=50000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "server.py").write_text(SERVER)
        chatty, quiet = scenario(folder, args.lines), scenario(folder, 0)
        times = {args.lines: [], 0: []}
        for _ in range(args.repeat):  # interleaved: noise hits both alike
            for lines, path in ((0, quiet), (args.lines, chatty)):
                times[lines].append(bring_up(path, tmp + "/results"))
    ratios = [c / q for c, q in zip(times[args.lines], times[0])]
    quiet_s, chatty_s = (statistics.median(times[k]) for k in (0, args.lines))
    text = f"""\
## A chatty service (bench/output.py)

Bring-up of a server that prints {args.lines:,} lines before it listens,
against the same server printing none; medians of {args.repeat}
interleaved runs, and the median of the pairs' ratios. `service-log`
found all {args.lines:,} lines each time.

| server | bring-up (s) |
|---|---:|
| prints nothing | {quiet_s:.2f} |
| prints {args.lines:,} lines | {chatty_s:.2f} |
| ratio | **{statistics.median(ratios):.2f}x** (target at most 1.5x; 8.8x before) |
"""
    print(text)
    sections.replace(ROOT / "BENCHMARKS.md", "bench/output.py", text)


if __name__ == "__main__":
    main()
