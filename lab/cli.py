"""socklab's command line. Exit statuses: 0 every expectation held, 1 one
failed, 2 a scenario is invalid (nothing was started) or a name on the
command line is unknown, 3 the environment is not usable (no Docker daemon,
the image can't be built), 130 interrupted. `exec` exits with the command's
own status."""
import argparse
import concurrent.futures
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from . import compose, engine as engines, interrupts, plan as plans, runner
from . import doctor, runs
from .agent import contract
from .errors import RunFailed, ScenarioInvalid, SocklabError
from .progress import Progress
from .report import evidence, topology
from .scenario import load_scenario, schema

progress = Progress(sys.stdout)
say = progress.say


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


def ready_engine(args):
    engine = engines.connect(progress, args.engine)
    engine.prepare()
    return engine


# ------------------------------------------------------------------ commands

def cmd_run(args):
    scenarios = load_all(args.paths)
    engine = ready_engine(args)
    if args.jobs > 1 and len(scenarios) > 1:
        return _run_each_in_a_process(args, scenarios)
    passed, failed = [], []
    for scenario in scenarios:  # with --jobs, each process says its own
        say(*scenario.warnings)
        report = runner.run(scenario, engine, args.results, progress,
                            args.keep_going)
        (passed if report.ok else failed).append(scenario.name)
        say(f"{scenario.name}: {'passed' if report.ok else 'FAILED'} in "
            f"{report.elapsed:.1f} s; report: {report.directory}/report.html")
    if failed:
        say(f"failed: {', '.join(failed)}")
    say(f"{len(passed)} passed, {len(failed)} failed")
    return 1 if failed else 0


def _run_each_in_a_process(args, scenarios):
    """Up to args.jobs scenarios at once, each a `socklab run` of its own:
    its signals, teardown and evidence are exactly a single run's. Each
    one's output is printed whole when it ends, so lines do not
    interleave. Runs whose subnets overlap take turns (lab/runs.py).
    The lessons mostly wait (timeouts, ARP, listeners), so a 2-core
    machine runs two at once without changing what they measure."""
    base = [sys.executable, "-m", "lab.cli", "run", "--jobs", "1",
            "--engine", args.engine, "--results", args.results] + \
        (["--keep-going"] if args.keep_going else [])
    children, lock, stopping = [], threading.Lock(), threading.Event()

    def one(scenario):
        with lock:  # none starts once we are stopping
            if stopping.is_set():
                return scenario.name, 130, b""
            child = subprocess.Popen(base + [str(scenario.path)],
                                     stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT)
            children.append(child)
        output, _ = child.communicate()  # read as it comes: no full pipe
        return scenario.name, child.returncode, output

    statuses = {}
    pool = concurrent.futures.ThreadPoolExecutor(args.jobs)
    try:
        for future in concurrent.futures.as_completed(
                [pool.submit(one, s) for s in scenarios]):
            name, statuses[name], output = future.result()
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
    failed = [n for n, code in statuses.items() if code]
    if failed:
        say(f"failed: {', '.join(failed)}")
    say(f"{len(statuses) - len(failed)} passed, {len(failed)} failed")
    codes = set(statuses.values())
    return 3 if 3 in codes else 1 if failed else 0


def cmd_validate(args):
    for scenario in load_all(args.paths):
        say(*scenario.warnings, f"ok {scenario.path}: {scenario.name} ("
            f"{len(scenario.hosts)} hosts, {len(scenario.steps)} steps)")
    return 0


def cmd_up(args):
    scenario = load_scenario(args.file)
    engine = ready_engine(args)
    if any(lab.name == scenario.name for lab in engine.labs()):
        raise RunFailed(f"lab {scenario.name} is already up; `socklab down "
                        f"{scenario.name}` first")
    run_id = plans.new_run_id()
    folder = Path(args.results) / scenario.name
    evidence.prepare(folder)  # captures of the lab land here
    plan = plans.make(scenario, run_id, mode="up", evidence=folder.resolve())
    with runner.claimed(engine, plan, say):
        try:
            runner.bring_up(engine, plan, progress)
        except BaseException:
            with interrupts.deferred():
                engine.down(run_id)
            raise
    hosts = ", ".join(h.name for h in scenario.hosts)
    say(f"lab {scenario.name} is up: {hosts}\n"
        f"  socklab exec {scenario.name} HOST -- COMMAND...\n"
        f"  socklab shell {scenario.name} HOST\n"
        f"  socklab logs {scenario.name} [HOST]\n"
        f"  socklab down {scenario.name}")
    return 0


def cmd_exec(args):
    engine = engines.connect(progress, args.engine)
    container = engine.lab_container(args.name, args.host)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        raise ScenarioInvalid(["socklab exec: give a command after --"])
    return engine.attached(container, command, sys.stdout.buffer,
                           sys.stderr.buffer)


def cmd_shell(args):
    engine = engines.connect(progress, args.engine)
    container = engine.lab_container(args.name, args.host)
    docker_cli = shutil.which("docker")
    if docker_cli is None:
        raise SocklabError("`socklab shell` needs the docker command line; "
                           f"use `socklab exec {args.name} {args.host} -- CMD`")
    # An interactive terminal is the docker CLI's job; hand over to it,
    # pointed at the engine that holds the host (a swarm node's, maybe).
    url = engine.engine_url(container)
    os.execve(docker_cli, ["docker", "exec", "-it", "-w", contract.WORKDIR,
                           container, "bash"],
              {**os.environ, **({"DOCKER_HOST": url} if url else {})})


def cmd_logs(args):
    engine = engines.connect(progress, args.engine)
    lab = engine.lab(args.name)
    hosts = [args.host] if args.host else sorted(lab.hosts)
    for host in hosts:
        log = engine.container_log(engine.lab_container(args.name, host))
        print(f"==> {host} <==\n{log}" if len(hosts) > 1 else log, end="")
    return 0


def cmd_ls(args):
    engine = engines.connect(progress, args.engine)
    labs = engine.labs()
    if not labs:
        say("no labs are up (start one with `socklab up FILE`)")
    for lab in labs:
        age = int(time.time() - lab.created)
        states = sorted(set(lab.hosts.values()))
        say(f"{lab.name:24} run {lab.run}  {len(lab.hosts)} hosts "
            f"({', '.join(states)})  up {age // 60} min  hosts: "
            f"{', '.join(sorted(lab.hosts))}")
    return 0


def cmd_down(args):
    engine = engines.connect(progress, args.engine)
    lab = engine.lab(args.name)
    engine.prepare()  # the host-rule helper runs from the host image
    with interrupts.deferred():
        engine.down(lab.run)
    say(f"lab {args.name} is down")
    return 0


def cmd_clean(args):
    engine = ready_engine(args)
    owner = plans.new_run_id()
    with runs.registered(owner, "clean", [], say):
        dead = engine.sweep(owner=owner)
    say(f"removed the leftovers of {len(dead)} run(s)" if dead else
        "nothing left behind by earlier runs")
    return 0


def cmd_build(args):
    engine = ready_engine(args)
    say(f"host image: {engine.image} (also tagged socklab-host:latest)")
    return 0


def cmd_graph(args):
    picture = topology.svg(load_scenario(args.file))
    if args.output == "-":
        sys.stdout.write(picture)
    else:  # (refused, exit 2, unless it is named .svg)
        topology.svg_file(args.output).write_text(picture, encoding="utf-8")
        say(f"wrote {args.output}")
    return 0


def cmd_compose(args):
    scenario = load_scenario(args.file)
    text = compose.export(scenario, base_dir=args.base or os.getcwd())
    if args.output == "-":
        sys.stdout.write(text)
    else:
        Path(args.output).write_text(text, encoding="utf-8")
    return 0


# -------------------------------------------------------------------- parser

def parser():
    top = argparse.ArgumentParser(
        prog="socklab", description="A multi-host lab for TCP/UDP socket "
        "programs on Docker: run scenario files and check what happens.")
    sub = top.add_subparsers(dest="command", required=True,
                             metavar="COMMAND")

    def command(name, function, text, example):
        p = sub.add_parser(
            name, help=text, description=text, epilog=f"example:\n  {example}",
            formatter_class=argparse.RawDescriptionHelpFormatter)
        p.set_defaults(func=function)
        if name not in ("validate", "graph", "compose", "schema"):
            p.add_argument(
                "--engine", choices=engines.KINDS,
                default=os.environ.get("SOCKLAB_ENGINE", "docker"),
                help="docker: the one engine DOCKER_HOST names (default); "
                "swarm: the nodes of the swarm it manages (default from "
                "SOCKLAB_ENGINE)")
        return p

    p = command("run", cmd_run, "Run scenario files (or every scenario in "
                "directories): bring each lab up, run its steps, check them, "
                "tear it down. Exit 0 all held, 1 one failed, 2 invalid, 3 "
                "no usable Docker.", "socklab run scenarios/")
    p.add_argument("paths", nargs="+", metavar="PATH")
    p.add_argument("--results", default="results", metavar="DIR",
                   help="where evidence goes (default: results/)")
    p.add_argument("--keep-going", action="store_true",
                   help="run the remaining steps after one fails")
    p.add_argument("--jobs", "-j", type=int, default=2, metavar="N",
                   help="scenarios run at once, each in its own process "
                   "(default 2; 1: one after another, in this process)")

    p = command("validate", cmd_validate, "Check scenario files without "
                "starting anything (exit 0 or 2).",
                "socklab validate scenarios/")
    p.add_argument("paths", nargs="+", metavar="PATH")

    p = command("up", cmd_up, "Start a scenario's topology and services and "
                "leave them running (its steps are not run).",
                "socklab up scenarios/cross-host.yaml")
    p.add_argument("file", metavar="FILE")
    p.add_argument("--results", default="results", metavar="DIR",
                   help="where captures go (default: results/)")

    p = command("exec", cmd_exec, "Run a command in a host of a running lab;"
                " exits with the command's status.",
                "socklab exec cross-host client -- tcp-client --to "
                "server:9000 --message hi")
    p.add_argument("name", metavar="NAME")
    p.add_argument("host", metavar="HOST")
    p.add_argument("command", nargs=argparse.REMAINDER, metavar="-- CMD")

    p = command("shell", cmd_shell, "Open an interactive shell in a host of "
                "a running lab.", "socklab shell cross-host router")
    p.add_argument("name", metavar="NAME")
    p.add_argument("host", metavar="HOST")

    p = command("logs", cmd_logs, "Print the logs of a running lab's hosts "
                "(their init's and services' output).",
                "socklab logs cross-host server")
    p.add_argument("name", metavar="NAME")
    p.add_argument("host", nargs="?", metavar="HOST")

    command("ls", cmd_ls, "List the labs started by `socklab up`.",
            "socklab ls")

    p = command("down", cmd_down, "Remove a running lab: its containers, "
                "networks and host rules.", "socklab down cross-host")
    p.add_argument("name", metavar="NAME")

    command("clean", cmd_clean, "Remove every container, network and host "
            "firewall rule that interrupted runs left (never a live run's, "
            "nor a lab left up on purpose).", "socklab clean")

    command("doctor", doctor.cmd_doctor, "What works here, what does not, and "
            "what to do (exit 0 usable, 3 not).", "socklab doctor")

    command("build", cmd_build, "Build the host image now (run and pytest "
            "build it when needed; only when its inputs change).",
            "socklab build")

    p = command("graph", cmd_graph, "Draw a scenario's topology as SVG: "
                "networks, hosts with addresses, routers, services.",
                "socklab graph scenarios/router-chain.yaml -o topology.svg")
    p.add_argument("file", metavar="FILE")
    p.add_argument("-o", "--output", default="-", metavar="OUT.svg")

    p = command("compose", cmd_compose, "Print a compose file for a "
                "scenario's lab (docker-compose up -d / down).",
                "socklab compose scenarios/cross-host.yaml > compose.yaml")
    p.add_argument("file", metavar="FILE")
    p.add_argument("-o", "--output", default="-", metavar="OUT.yaml")
    p.add_argument("--base", metavar="DIR", help="the directory the compose "
                   "file will live in (default: the current one)")

    command("schema", schema.show, "Print the scenario format's JSON Schema "
            "(for editors).", "socklab schema > scenario.schema.json")
    return top


def main(argv=None):
    args = parser().parse_args(argv)
    interrupts.install()
    try:
        return args.func(args)
    except SocklabError as exc:
        print(f"socklab: {exc}" if exc.exit_status != 2 else str(exc),
              file=sys.stderr)
        return exc.exit_status
    except KeyboardInterrupt:
        print("socklab: interrupted; everything the run made was removed",
              file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
