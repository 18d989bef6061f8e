"""socklab's command line. Exit statuses: 0 every expectation held, 1 one
failed, 2 a scenario is invalid (nothing was started) or a name on the
command line is unknown, 3 the environment is not usable (no Docker daemon,
the image can't be built, a folder or disk socklab cannot write), 130
interrupted. `exec` exits with the command's own status."""
import argparse
import contextlib
import os
import shutil
import sys
import threading
import time
from pathlib import Path

from . import compose, engine as engines, interrupts, plan as plans, runner
from . import doctor, grade, runs, runset
from .agent import contract, programs
from .errors import RunFailed, ScenarioInvalid, SocklabError
from .progress import Progress
from .report import evidence, topology
from .scenario import load_scenario, schema

progress = Progress(sys.stdout)
say = progress.say


def ready_engine(args):
    runs.check_state()  # before anything is made, not halfway through
    engine = engines.connect(progress, args.engine)
    engine.prepare()
    return engine


# ------------------------------------------------------------------ commands

def cmd_run(args):
    scenarios = runset.load_all(args.paths)
    runset.check_junit(args.junit)
    statuses, since = {}, time.time()
    try:
        engine = ready_engine(args)
        evidence.make_root(args.results)  # one line now, not per scenario
        if args.jobs > 1 and len(scenarios) > 1:
            runset.in_processes(args, scenarios, statuses, say)
        else:
            runset.one_after_another(args, scenarios, engine, statuses,
                                     progress)
    except BaseException:
        # The reports say what ran before the stop; the stop's own
        # message is the one to see, so theirs give way.
        with contextlib.suppress(SocklabError):
            runset.write_reports(args, scenarios, statuses, since, say)
        raise
    runset.write_reports(args, scenarios, statuses, since, say)
    failed = [name for name, code in statuses.items() if code]
    if failed:
        say(f"failed: {', '.join(failed)}")
    say(f"{len(statuses) - len(failed)} passed, {len(failed)} failed")
    codes = set(statuses.values())
    return 3 if 3 in codes else 1 if failed else 0


def cmd_validate(args):
    for scenario in runset.load_all(args.paths):
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
    plan = plans.make(scenario, run_id, mode="up", evidence=folder.resolve())
    with runner.claimed(engine, plan, say):
        evidence.prepare(folder)  # for captures; in our turn (runner.run)
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
    code = engine.attached(container, command, sys.stdout.buffer,
                           sys.stderr.buffer)
    if code is None:
        print(f"socklab: there is no `{command[0]}` in {args.host}; "
              f"socklab's hosts have {', '.join(contract.TOOLS)} and the "
              f"built-in programs ({', '.join(programs.RESULT_FIELDS)})"
              " (a host of an image of yours: what its PATH has)",
              file=sys.stderr)
        return 127
    return code


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
    containers = {h: engine.lab_container(args.name, h) for h in hosts}
    if args.follow:
        return _follow(engine, containers)
    for host, container in containers.items():
        log = engine.container_log(container)
        print(f"==> {host} <==\n{log}" if len(hosts) > 1 else log, end="")
    return 0


def _follow(engine, containers):
    """Each host's log and what it adds, as it comes, until Ctrl-C (the
    usual end: exit 0) or every host has stopped; with several hosts each
    line says whose it is."""
    lock = threading.Lock()

    def copy(host, container):
        mark = f"{host} | " if len(containers) > 1 else ""
        for line in engine.follow_log(container):
            with lock:
                sys.stdout.write(mark + line)
                sys.stdout.flush()

    threads = [threading.Thread(target=copy, args=item, daemon=True)
               for item in containers.items()]
    for thread in threads:
        thread.start()
    try:
        for thread in threads:
            while thread.is_alive():
                thread.join(0.2)
    except KeyboardInterrupt:
        pass
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
    # A scenario file names its lab (`socklab up lesson.yaml` made it).
    name = load_scenario(args.name).name if args.name.endswith(
        (".yaml", ".yml")) and os.path.isfile(args.name) else args.name
    engine = ready_engine(args)  # host rules need the state and the image
    lab = engine.lab(name)
    with interrupts.deferred():
        engine.down(lab.run)
    say(f"lab {name} is down")
    return 0


def cmd_clean(args):
    engine = ready_engine(args)
    owner = plans.new_run_id()
    with runs.registered(owner, "clean", [], say):
        dead = engine.sweep(owner=owner)
    say(f"removed the leftovers of {len(dead)} run(s)" if dead else
        "nothing left behind by earlier runs")
    if args.builds:
        pruned = engine.prune_builds()
        say(f"removed {len(pruned)} image(s) built from scenarios' folders"
            + (f": {', '.join(pruned)}" if pruned else ""))
    return 0


def cmd_build(args):
    engine = ready_engine(args)
    say(f"host image: {engine.image} (also tagged socklab-host:latest)")
    return 0


def _emit(text, output, path=Path):
    """Write text to output (a file, or "-": stdout)."""
    if output == "-":
        sys.stdout.write(text)
    else:
        path(output).write_text(text, encoding="utf-8")
        say(f"wrote {output}")
    return 0


def cmd_graph(args):  # (refused, exit 2, unless the file is named .svg)
    return _emit(topology.svg(load_scenario(args.file)), args.output,
                 topology.svg_file)


def cmd_compose(args):
    base = args.base or os.getcwd()
    return _emit(compose.export(load_scenario(args.file), base), args.output)


# -------------------------------------------------------------------- parser

def parser():
    top = argparse.ArgumentParser(
        prog="socklab", description="A multi-host lab for TCP/UDP socket "
        "programs on Docker: run scenario files and check what happens.")
    sub = top.add_subparsers(dest="command", required=True, metavar="COMMAND")

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
                "no usable Docker or folder.", "socklab run scenarios/")
    p.add_argument("paths", nargs="+", metavar="PATH")
    p.add_argument("--results", default="results", metavar="DIR",
                   help="where evidence goes (default: results/)")
    p.add_argument("--keep-going", action="store_true",
                   help="run the remaining steps after one fails")
    p.add_argument("--jobs", "-j", type=int, default=2, metavar="N",
                   help="scenarios run at once, each in its own process "
                   "(default 2; 1: one after another, in this process)")
    p.add_argument("--junit", metavar="FILE", help="also write a JUnit XML "
                   "file: one test case per scenario (with several, "
                   "RESULTS/index.html is written anyway)")

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
    p.add_argument("-f", "--follow", action="store_true", help="go on "
                   "printing what the hosts add, until Ctrl-C")

    command("ls", cmd_ls, "List the labs started by `socklab up`.",
            "socklab ls")

    p = command("down", cmd_down, "Remove a running lab: its containers, "
                "networks and host rules. NAME: the lab's, or the scenario "
                "file it was made from.", "socklab down cross-host")
    p.add_argument("name", metavar="NAME|FILE")

    command("clean", cmd_clean, "Remove every container, network and host "
            "firewall rule that interrupted runs left (never a live run's, "
            "nor a lab left up on purpose).", "socklab clean").add_argument(
        "--builds", action="store_true", help="also remove the images "
        "built from scenarios' folders (build:) that no container uses")

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
    grade.add_command(command)
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
    except OSError as exc:  # a file no layer below named, or our own output
        where = exc.filename or os.readlink("/proc/self/fd/1")
        print(f"socklab: could not write {where}: {exc.strerror or exc}; "
              "free space there or write elsewhere", file=sys.stderr)
        return 3


if __name__ == "__main__":
    sys.exit(main())
