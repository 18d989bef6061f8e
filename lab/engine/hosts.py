"""A lab host's containers: made, started, plugged in, awaited until ready,
and their log.

A host of socklab's image is one container. A host of an image of the
user's is two (app.py): socklab's image as its sidecar, holding the network
namespace (wired, addressed, routed, firewalled, captured, running the
built-in programs), and the user's image joined to it, running the
services. `host.netns` names the container holding the namespace.
"""
import io
import tarfile
import threading

import docker

from .. import labels as keys
from ..agent import contract
from ..errors import RunFailed
from ..progress import tail
from ..scenario.model import size
from . import app
from .api import log_of, remove_container

LOG_TAIL = 30     # lines of a host's log shown when it fails
GRACE = 60        # s past its services' own time limits (a loaded machine)
LOGS_SIZE = 64 << 20   # the tmpfs of services' output and host captures


def make(api, image, networking, plan, host, files):
    """Create, start and plug in the host's network namespace (and create
    the user's container, if it has one); do not await its init. files:
    the scenario's folder, or a volume with a copy of it."""
    options = networking.create_options(host, plan.run_id)
    limits = host.limits
    # The tmpfs's pages are the host's memory: `disk` is less than it
    # (validate.py), so past `disk` a writer gets ENOSPC, while `memory`
    # stays the limit of all the host's programs and files together.
    memory = size(limits.memory)
    host_config = api.create_host_config(
        binds={files: {"bind": contract.WORKDIR, "mode": "ro"},
               **options.binds},
        # The root is read-only and writes go to a tmpfs of the host's
        # `disk` size: no program of a lab fills the machine's disk.
        read_only=True, tmpfs={
            contract.SCRATCH: f"size={limits.disk_bytes},mode=755,exec",
            "/run": "size=16m,mode=755",
            contract.LOGS: f"size={LOGS_SIZE},mode=755"},
        # NET_ADMIN stays inside the host's own network namespace; the
        # init needs it for addresses and routes, programs run without.
        cap_add=["NET_ADMIN"], init=True, network_mode=options.mode,
        extra_hosts=options.extra_hosts,
        sysctls={"net.ipv4.ip_forward": "1" if host.forward else "0",
                 **options.sysctls},
        pids_limit=limits.pids, mem_limit=memory,
        memswap_limit=memory,  # no swap: a hog is stopped
        nano_cpus=int(limits.cpus * 1e9))
    container = api.create_container(
        image, command=[contract.INIT], name=host.netns, hostname=host.name,
        labels=host.labels if host.own_image else host.sidecar_labels,
        working_dir=contract.WORKDIR, environment=options.environment,
        host_config=host_config, networking_config=options.config,
        network_disabled=options.disabled)["Id"]
    networking.created(container, host)
    api.start(container)
    networking.started(plan, host)
    if not host.own_image:
        app.create(api, host, files)


def inits(api, host):
    """How many times the host's init has said ready (a restarted host's
    log holds its earlier starts)."""
    return api.logs(host.netns).count(contract.INIT_READY.encode() + b"\n")


def await_ready(api, host, seen=0):
    """Follow the host's init until it says ready (for the seen+1-th time)
    or failed; then start the user's container, if any, and await its
    services."""
    ready, failed = contract.INIT_READY.encode(), \
        contract.INIT_FAILED.encode()
    stream = api.logs(host.netns, stream=True, follow=True)
    # The init gives up on each service at its own time; this bounds what
    # it cannot (a log the daemon lost lines of, a wedged host).
    watchdog = threading.Timer(host.ready_timeout + GRACE, stream.close)
    late = (f"it did not say it was ready within "
            f"{host.ready_timeout + GRACE:.0f} s")
    watchdog.start()
    pending = b""
    try:
        for chunk in stream:
            pending += chunk
            *lines, pending = pending.split(b"\n")
            for line in lines:
                if line.startswith(failed):
                    _failed(api, host, line.decode("utf-8", "replace"))
                if line == ready:
                    seen -= 1
                    if seen < 0:
                        break
            else:
                continue
            break
        else:
            if watchdog.is_alive():
                _failed(api, host, "the host stopped during set-up")
            _failed(api, host, late)
    except Exception:  # the stream, closed under it, may raise anything
        if watchdog.is_alive():
            raise
        _failed(api, host, late)
    finally:
        watchdog.cancel()
        stream.close()
    if not host.own_image:
        why = app.start(api, host)
        if why:
            _failed(api, host, why)


def _failed(api, host, why):
    raise RunFailed(f"host {host.name} could not start: {why}\n"
                    f"--- last lines of {host.name}'s log ---\n"
                    f"{tail(log(api, host), LOG_TAIL)}")


def log(api, host):
    """The host's log: its init's and services' output ("" if gone)."""
    if host.own_image:
        return log_of(api, host.container)
    return log_of(api, host.netns) + log_of(api, host.container)


def stop(api, host):
    """Stop the host (the user's container first: it lives in the
    sidecar's namespaces); returns once it has stopped."""
    for container in dict.fromkeys((host.container, host.netns)):
        try:
            api.kill(container)
        except docker.errors.APIError as exc:
            if exc.status_code != 409:  # 409: it had stopped already
                raise
        api.wait(container, timeout=30)


def copy_files(api, image, plan):
    """A volume holding a copy of the scenario's folder, for an engine on
    another machine (no path of this one exists there): mounted read-only
    at the scenario's place in every host, as the folder is here. Returns
    its name."""
    volume = keys.files(plan.run_id)
    api.create_volume(volume, labels=plan.labels)
    helper = api.create_container(
        image, command=["true"], labels={**plan.labels,
                                         keys.HELPER: keys.FILES},
        host_config=api.create_host_config(binds={volume: {
            "bind": "/files", "mode": "rw"}}, network_mode="none"))["Id"]
    try:
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w") as tar:
            tar.add(plan.directory, arcname=".")
        api.put_archive(helper, "/files", buffer.getvalue())
    finally:
        remove_container(api, helper)
    return volume
