"""The only code that talks to a container engine.

An engine brings a Plan up, runs commands in its hosts, hands back logs and
tears everything of a run down: docker.py (one Docker engine) and swarm.py
(the engines of a Docker Swarm's nodes) have these methods; the runner does
not know which it drives.
"""
from typing import Callable, Protocol

from ..plan import Plan


class Engine(Protocol):
    def up(self, plan: Plan) -> None:
        """Create networks, host rules and hosts; return once every host
        and its services are ready. Raise RunFailed (a host's init or
        service failed, with its log) or EnvironmentUnusable."""

    def execute(self, plan: Plan, host: str, command: str, timeout: float,
                on_ready: Callable[[], None]) -> dict:
        """Run a step's command; return socklab-step's envelope
        {exit, stdout, stderr, elapsed_ms, step_timed_out, cut}."""

    def logs(self, plan: Plan, host: str) -> str:
        """The host's log: its init's and its services' output."""

    def down(self, run_id: str) -> None:
        """Remove every container, network and host rule of the run."""

    def sweep(self) -> list:
        """Tear down what runs that are no longer alive left behind;
        return their run ids."""


KINDS = ("docker", "swarm")


def connect(progress, kind="docker"):
    """The engine of that kind, reached through DOCKER_HOST (or the local
    socket): one Docker engine, or the swarm it manages. `progress` (a
    lab.progress.Progress) shows long work such as building the image."""
    if kind == "swarm":
        from .swarm import SwarmEngine
        return SwarmEngine.from_env(progress)
    from .docker import DockerEngine
    return DockerEngine.from_env(progress)
