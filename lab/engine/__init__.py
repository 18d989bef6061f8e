"""The only code that talks to a container engine.

`Engine` below is everything the runner, the command line and the pytest
plugin ask of an engine: an engine is a class with every one of these
members (tests/test_engine.py checks each registered one). There are two:

    docker.py   one Docker engine, composed of parts, a module each
    swarm.py    a Docker Swarm: one DockerEngine per node, forwarded to

To add an engine: a module with a class that has every member of Engine
and a `from_env(progress)` class method, and a line in KINDS.
"""
import importlib
from dataclasses import dataclass
from typing import (BinaryIO, Callable, Dict, Iterator, List, Optional,
                    Protocol)

from ..plan import Plan


@dataclass(frozen=True)
class Lab:
    """A lab left running by `socklab up`."""
    name: str       # the scenario's name
    run: str        # the run's id
    hosts: dict     # host name -> its container's state (running, exited)
    created: float  # when, in seconds since the epoch


class Engine(Protocol):
    image: Optional[str]  # the host image's tag, once prepare() has run
    subnets_clash: bool   # labs whose subnets overlap cannot be up at once
    #                       (Docker's networks): they take turns (runs.py)

    @classmethod
    def from_env(cls, progress) -> "Engine":
        """The engine DOCKER_HOST reaches (or the local socket); progress (a
        lab.progress.Progress) shows long work. EnvironmentUnusable if none
        answers or it is not of this kind."""

    def prepare(self) -> None:
        """Have the host image, built once per change of its inputs."""

    # A run: up, steps, evidence, down.
    def up(self, plan: Plan) -> None:
        """Create networks, host rules and hosts; return once every host
        and its services are ready. Raise RunFailed (a host's init or
        service failed, with its log) or EnvironmentUnusable."""

    def execute(self, plan: Plan, host: str, command: str, timeout: float,
                on_ready: Callable[[], None]) -> dict:
        """Run a step's command; return socklab-step's envelope {exit,
        stdout, stderr, elapsed_ms, step_timed_out, cut}; call on_ready
        when a built-in program says it is bound."""

    def partition(self, plan: Plan, host: str, network: str) -> None:
        """Cut the host off the network; its programs keep running."""

    def heal(self, plan: Plan, host: str, network: str) -> None:
        """Reconnect it: same address and MAC, routes and impairments."""

    def kill(self, plan: Plan, host: str) -> None:
        """Stop the host; its services die. Returns once it has stopped."""

    def restart(self, plan: Plan, host: str) -> None:
        """Start a stopped host again; return once it is ready."""

    def impair(self, plan: Plan, host: str, network: str,
               impairment) -> None:
        """Set the host's interface's impairments (a model.Impairment)."""

    def logs(self, plan: Plan, host: str) -> str:
        """The host's log: its init's and its services' output ("" when
        it is gone)."""

    def host_captures(self, plan: Plan, host: str) -> Dict[str, bytes]:
        """The host's own captures (capture: true): {file name: pcap}."""

    def down(self, run_id: str) -> None:
        """Remove every container, network and host rule of the run;
        what is already gone is no error."""

    def sweep(self, owner: Optional[str] = None) -> List[str]:
        """Tear down what runs no longer alive left behind; with owner (a
        live run's id, holding the turn), their host rules too. Return
        their run ids."""

    def prune_builds(self) -> List[str]:
        """Remove the images built from scenarios' folders (`build:`) that
        no container uses; return their tags (`socklab clean --builds`)."""

    # Labs by hand: up, ls, exec, shell, logs, down.
    def labs(self) -> List[Lab]:
        """The labs left running by `socklab up`, by name."""

    def lab(self, name: str) -> Lab:
        """The lab of that name; NotFound naming the labs that are up."""

    def lab_container(self, name: str, host: str) -> str:
        """The container of a lab's host; NotFound naming its hosts."""

    def attached(self, container: str, argv: List[str], out: BinaryIO,
                 err: BinaryIO) -> Optional[int]:
        """Run argv in the container from the scenario's folder, copying
        its output as it comes; return its exit status (None: no such
        command there)."""

    def engine_url(self, container: str) -> Optional[str]:
        """The DOCKER_HOST that reaches the container (None: the one this
        engine was made from), for the docker CLI (`socklab shell`)."""

    def container_log(self, container: str) -> str:
        """The container's whole log."""

    def follow_log(self, container: str) -> Iterator[str]:
        """The container's log, then what it adds, line by line as it
        comes, until the container stops (`socklab logs -f`)."""


KINDS = {  # --engine NAME -> the module and class that is that engine
    "docker": ("docker", "DockerEngine"),
    "swarm": ("swarm", "SwarmEngine"),
}


def kind(name) -> type:
    module, cls = KINDS[name]
    return getattr(importlib.import_module(f".{module}", __name__), cls)


def connect(progress, name="docker") -> Engine:
    """The engine of that kind, reached through DOCKER_HOST (or the local
    socket): one Docker engine, or the swarm it manages."""
    return kind(name).from_env(progress)
