"""Bring-up plus teardown, measured side by side in one run.

    .venv/bin/python bench/run.py [--sizes 3,10,30,100] [--repeat 3]

For generated scenarios of N hosts over several networks (one service, one
step), three ways to the same containers, interleaved so that machine noise
hits all three alike:

  floor    N containers of the host image started and removed in parallel
           with the plain Docker CLI, on one network (the engine's floor)
  compose  docker-compose up -d / down of `socklab compose`'s export
  socklab  `socklab run` of the scenario: bring-up, the step, teardown

Prints a table of medians and ratios, then the scenario library's wall time
and socklab's peak memory at the largest N, and writes its section of
BENCHMARKS.md (bench/sections.py keeps the others).
Figures on a noisy 2-core machine: compare the ratios, which come from one
run, rather than the seconds.
"""
import argparse
import concurrent.futures
import os
import platform
import resource
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
from lab.compose import PARALLEL_LIMIT, export  # noqa: E402
from lab.scenario import load_scenario  # noqa: E402

SOCKLAB = [sys.executable, "-m", "lab.cli"]
PARALLEL = 8  # docker CLI calls at once for the floor (as measured in DESIGN)


def scenario_text(n, name=None, octet=92):
    """N hosts over max(2, N // 10) networks, a router joining them, one
    server and one client step; subnets 10.OCTET.*.0/24."""
    nets = max(2, n // 10)
    lines = [f"name: {name or f'bench-{n}'}", "networks:"]
    lines += [f"  net{i}: {{subnet: 10.{octet}.{i}.0/24}}"
              for i in range(nets)]
    lines += ["hosts:",
              "  router: {interfaces: {" + ", ".join(
                  f"net{i}: 10.{octet}.{i}.1" for i in range(nets)) +
              "}, forward: true}",
              f"  server: {{interfaces: {{net0: 10.{octet}.0.10}}, "
              "services: [tcp-server --port 9000]}",
              f"  client: {{interfaces: {{net0: 10.{octet}.0.11}}}}"]
    for i in range(n - 3):
        net = i % nets
        lines.append(f"  h{i}: {{interfaces: {{net{net}: "
                     f"10.{octet}.{net}.{20 + i // nets}}}}}")
    lines += ["steps:", "  - on: client", "    run: connect --to server:9000",
              "    expect: {outcome: connected}"]
    return "\n".join(lines) + "\n"


def timed(function):
    start = time.monotonic()
    function()
    return time.monotonic() - start


def run(argv, **kwargs):
    done = subprocess.run(argv, capture_output=True, text=True, **kwargs)
    if done.returncode:
        raise SystemExit(f"{' '.join(argv[:4])}... failed:\n{done.stdout}"
                         f"{done.stderr}")
    return done.stdout


def floor(n, image):
    """N containers started, then removed, with the docker CLI, PARALLEL at
    a time, on one (internal) network made beforehand."""
    net = f"benchfloor{os.getpid()}"
    run(["docker", "network", "create", "--internal", net])
    names = [f"{net}-{i}" for i in range(n)]
    try:
        with concurrent.futures.ThreadPoolExecutor(PARALLEL) as pool:
            start = time.monotonic()
            list(pool.map(lambda name: run(
                ["docker", "run", "-d", "--name", name, "--network", net,
                 image, "sleep", "infinity"]), names))
            list(pool.map(lambda name: run(["docker", "rm", "-f", name]),
                          names))
            return time.monotonic() - start
    finally:
        run(["docker", "network", "rm", net])


STUCK = []  # networks a tool could not remove (the daemon's stale endpoint)
HUNG = []   # compose runs stopped at COMPOSE_LIMIT
COMPOSE_LIMIT = 180
# As a large export's header says (lab/compose.py): at its default limit,
# docker-compose 1.29's `up` deadlocks at 100 services.
COMPOSE_ENV = {**os.environ, "COMPOSE_PARALLEL_LIMIT": PARALLEL_LIMIT}


def compose(folder, n, rep):
    """docker-compose up -d and down; a fresh project, name and subnets per
    repetition, so a network the daemon refuses to remove (moby#33156,
    seen here with compose at 30 hosts) cannot block the next one. None if
    it stalled."""
    name = f"bench-{n}-{os.getpid()}-c{rep}"
    path = folder / f"{name}.yaml"
    path.write_text(scenario_text(n, name, 100 + rep))
    (folder / "compose.yaml").write_text(export(load_scenario(path),
                                                base_dir=folder))
    project = ["docker-compose", "-p", name.replace("-", ""), "-f",
               str(folder / "compose.yaml")]

    def down():
        for _ in range(3):  # its own retries count as its time
            done = subprocess.run(project + ["down"], cwd=folder,
                                  capture_output=True, text=True,
                                  env=COMPOSE_ENV)
            if done.returncode == 0:
                return
        STUCK.append(f"compose at {n} hosts: {done.stderr.strip()[-160:]}")
    def up():
        try:
            run(project + ["up", "-d"], cwd=folder, timeout=COMPOSE_LIMIT,
                env=COMPOSE_ENV)
            return True
        except subprocess.TimeoutExpired:
            HUNG.append(f"compose at {n} hosts: `up -d` still running after "
                        f"{COMPOSE_LIMIT} s; stopped")
            subprocess.run(["pkill", "-f", f"docker-compose -p {project[2]}"])
            return False
    start = time.monotonic()
    finished = up()
    down()
    took = time.monotonic() - start
    _remove_project(project[2])
    return took if finished else None


def _remove_project(project):
    """Whatever a stalled or failed compose run left, by compose's label."""
    ids = run(["docker", "ps", "-aq", "--filter",
               f"label=com.docker.compose.project={project}"]).split()
    if ids:
        run(["docker", "rm", "-f", *ids])
    nets = run(["docker", "network", "ls", "-q", "--filter",
                f"label=com.docker.compose.project={project}"]).split()
    for net in nets:
        subprocess.run(["docker", "network", "rm", net], capture_output=True)


def socklab(folder, n, rep):
    name = f"bench-{n}-{os.getpid()}-s{rep}"
    path = folder / f"{name}.yaml"
    path.write_text(scenario_text(n, name, 110 + rep))
    output = []
    took = timed(lambda: output.append(run(
        SOCKLAB + ["run", str(path), "--results", str(folder / "results")],
        cwd=ROOT)))
    if "would not remove network" in output[0]:
        STUCK.append(f"socklab at {n} hosts")
    return took


def _seconds(figure):
    return "stalled" if figure is None else f"{figure:.2f}"


def peak_rss_mb(path, results):
    """Peak resident memory of a `socklab run` process, in MB."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    run(SOCKLAB + ["run", str(path), "--results", str(results)], cwd=ROOT)
    after = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(before, after) / 1024  # ru_maxrss is in KiB on Linux


def machine():
    docker = run(["docker", "version", "--format", "{{.Server.Version}}"])
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    return (f"{os.cpu_count()} CPUs, {memory / 2**30:.1f} GiB, Linux "
            f"{platform.release()}, Docker {docker.strip()}, Python "
            f"{platform.python_version()}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="3,10,30,100")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-library", action="store_true")
    parser.add_argument("--output", default=str(ROOT / "BENCHMARKS.md"))
    args = parser.parse_args()
    sizes = [int(n) for n in args.sizes.split(",")]
    run(SOCKLAB + ["build"], cwd=ROOT)
    image = "socklab-host:latest"
    work = Path(tempfile.mkdtemp(prefix="socklab-bench-"))
    rows, extra = [], []
    try:
        for n in sizes:
            folder = work / f"n{n}"
            folder.mkdir()
            times = {"floor": [], "compose": [], "socklab": []}
            repeat = 1 if n >= 100 else args.repeat
            for rep in range(repeat):
                times["floor"].append(floor(n, image))
                times["compose"].append(compose(folder, n, rep))
                times["socklab"].append(socklab(folder, n, rep))
            # A size where compose stalled even once has no compose figure.
            medians = {k: None if None in v else statistics.median(v)
                       for k, v in times.items()}
            rows.append((n, medians, repeat))
            print(f"N={n:4}  floor {medians['floor']:6.2f} s  compose "
                  f"{_seconds(medians['compose'])} s  socklab "
                  f"{medians['socklab']:6.2f} s  (median of {repeat})",
                  flush=True)
        biggest = work / f"bench-{max(sizes)}.yaml"
        biggest.write_text(scenario_text(max(sizes), None, 120))
        rss = peak_rss_mb(biggest, work / "rss")
        extra.append(f"socklab's peak RSS running {max(sizes)} hosts: "
                     f"{rss:.0f} MB (target < 150 MB)")
        if not args.no_library:
            library, one_by_one = (timed(lambda: run(SOCKLAB + [
                "run", "scenarios/", "--jobs", jobs, "--results",
                str(work / "library")], cwd=ROOT)) for jobs in ("2", "1"))
            extra.append(f"the scenario library (`socklab run scenarios/`, "
                         f"{len(list((ROOT / 'scenarios').rglob('*.yaml')))}"
                         f" scenarios, two at once): {library:.1f} s "
                         f"(target < 90 s); one after another (`--jobs 1`):"
                         f" {one_by_one:.1f} s")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    table = ["| hosts | floor (s) | compose (s) | socklab (s) | "
             "socklab / floor | compose / socklab |",
             "|---:|---:|---:|---:|---:|---:|"]
    for n, m, repeat in rows:
        ratio = "-" if m["compose"] is None else \
            f"{m['compose'] / m['socklab']:.2f}x"
        table.append(f"| {n} | {m['floor']:.2f} | {_seconds(m['compose'])} |"
                     f" {m['socklab']:.2f} | {m['socklab'] / m['floor']:.2f}x"
                     f" | {ratio} |")
    if STUCK:
        extra.append("networks the Docker daemon refused to remove "
                     "(moby#33156): " + "; ".join(STUCK))
    extra += HUNG
    report = "\n".join(
        [f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} "
         f"with `.venv/bin/python bench/run.py` on {machine()}.", "",
         "Bring-up plus teardown of generated scenarios (N hosts over "
         "max(2, N/10) networks, one router, one service, one step); "
         "medians of "
         f"{args.repeat} interleaved runs (1 at 100 hosts). floor: N "
         f"containers of the host image started and removed with the plain "
         f"Docker CLI, {PARALLEL} at a time, on one network. compose: "
         "docker-compose up -d and down of `socklab compose`'s export "
         "(COMPOSE_PARALLEL_LIMIT raised: at the default, compose 1.29 "
         "deadlocks at 100 services). "
         "socklab: `socklab run` (bring-up, services ready, the step, "
         "evidence, teardown).", "", *table, "",
         *[f"- {line}" for line in extra], "",
         "Targets (issue 7): 30 hosts within 1.3x the floor; at least 1.5x "
         "faster than docker-compose; 100 hosts up and down within 45 s; "
         "the library within 90 s; peak RSS under 150 MB at 100 hosts.",
         ""])
    sections.replace(args.output, "bench/run.py", report)
    print("\n" + "\n".join(table))
    for line in extra:
        print(line)
    print(f"\nwrote {args.output}")


if __name__ == "__main__":
    main()
