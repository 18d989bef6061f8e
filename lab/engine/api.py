"""Talking to one Docker daemon: the client, its errors, calls in parallel.

Only Docker's own errors (the API's answers, a connection that fails) are
reported as Docker's; a local OSError (a full disk, a folder that cannot be
written) goes on as what it is.
"""
import concurrent.futures
import contextlib

import docker
import requests
import urllib3

from .. import interrupts
from ..errors import EnvironmentUnusable

WORKERS = 16      # parallel Docker API calls; the daemon serialises beyond
TIMEOUT = 120     # s, a single API call

# What a daemon that goes away mid-stream surfaces as.
CONNECTION = (requests.exceptions.RequestException,
              urllib3.exceptions.HTTPError, docker.errors.DockerException,
              ConnectionError)


def client(base_url=None):
    """The low-level client of the engine DOCKER_HOST names (or the local
    socket); with base_url, that one. EnvironmentUnusable if none answers."""
    try:
        found = docker.DockerClient(base_url=base_url, max_pool_size=64,
                                    timeout=TIMEOUT) if base_url else \
            docker.from_env(max_pool_size=64, timeout=TIMEOUT)
        found.ping()
    except (docker.errors.DockerException,
            requests.exceptions.RequestException) as exc:
        where = base_url or "here"
        raise EnvironmentUnusable(
            f"no Docker daemon answers {where} "
            f"({str(exc).splitlines()[0][:160]}). Start one: "
            "`systemctl start docker` or `dockerd &` (Debian: "
            "apt-get install docker.io), or point DOCKER_HOST at one."
        ) from None
    return found.api


@contextlib.contextmanager
def docker_errors(doing):
    """Docker API and connection errors -> EnvironmentUnusable, one line."""
    try:
        yield
    except docker.errors.APIError as exc:
        raise EnvironmentUnusable(
            f"Docker refused {doing}: {exc.explanation or exc}") from None
    except CONNECTION as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise EnvironmentUnusable(
            f"lost the Docker daemon while {doing}: {first}") from None


def parallel(function, items):
    """Apply function to every item at once; raise the first error after
    all have finished (so nothing is still being created behind us)."""
    items = list(items)
    if len(items) <= 1:
        return [function(item) for item in items]
    with concurrent.futures.ThreadPoolExecutor(WORKERS) as pool:
        futures = [pool.submit(function, item) for item in items]
        try:
            concurrent.futures.wait(futures)
        except BaseException:
            # Interrupted: let what is being created finish, so teardown
            # (which finds resources by label) sees all of it.
            for future in futures:
                future.cancel()
            with interrupts.deferred():
                concurrent.futures.wait(futures)
            raise
    return [future.result() for future in futures]


def together(*jobs):
    """Run the jobs (functions of no argument) at once; their results."""
    return parallel(lambda job: job(), jobs)


def log_of(api, container):
    """A container's whole log; "" if it is gone (or going)."""
    try:
        return api.logs(container).decode("utf-8", "replace")
    except (docker.errors.APIError, requests.exceptions.RequestException):
        return ""


def remove_container(api, container):
    """Remove a container (an id or name) and its volumes; gone, or going
    (another teardown or sweep got there first), is fine."""
    try:
        api.remove_container(container, force=True, v=True)
    except docker.errors.NotFound:
        pass
    except docker.errors.APIError as exc:
        if "already in progress" not in str(exc):
            raise
