"""`socklab doctor`: for the engine socklab would use, what works, what
does not, and what to do about it. Exit 0 when socklab can run here, 3 when
it cannot.

Each check is a function returning Findings. What only the engine can tell
(its version, images, its kernel's queues) is asked of the engine; what only
this machine can tell (its kernel, memory, disk) is read here, and only
when the engine runs on this machine (a local socket): for a remote one
the engine's own figures are used where Docker gives them.
"""
import io
import json
import os
import shutil
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import docker
import requests

from . import kernel
from .agent import contract
from .engine import api as engine_api, image
from .errors import EnvironmentUnusable

GIB = 1 << 30
PROBE_LABEL = {"socklab.doctor": "probe"}
AGENT = Path(__file__).resolve().parent / "agent"


@dataclass(frozen=True)
class Finding:
    what: str
    ok: Optional[bool]  # True works, None works with a caveat, False blocks
    found: str
    advice: str = ""


def _local(api):
    """Does the engine run on this machine (its kernel, disk, memory)? It
    does behind a unix socket (docker-py names every one localhost)."""
    where = os.environ.get("DOCKER_HOST", "")
    return where == "" or where.startswith("unix://")


def docker_engine(kind):
    """The engine's API client (or None) and what was found about it."""
    try:
        api = engine_api.client()
    except EnvironmentUnusable as exc:
        return None, [Finding("Docker", False, str(exc).split(". ")[0],
                              "start one: `systemctl start docker` or "
                              "`dockerd &` (Debian: apt-get install "
                              "docker.io), or point DOCKER_HOST at one")]
    version = api.version()
    found = [Finding("Docker", True, f"{version.get('Version')} (API "
                     f"{version.get('ApiVersion')}) at "
                     f"{os.environ.get('DOCKER_HOST') or 'the local socket'}")]
    swarm = api.info().get("Swarm") or {}
    state = swarm.get("LocalNodeState", "inactive")
    manager = state == "active" and swarm.get("ControlAvailable")
    if kind == "swarm" and not manager:
        found.append(Finding("swarm", False, f"{state}, not a manager",
                             "point DOCKER_HOST at a swarm manager, or "
                             "`docker swarm init`; or use --engine docker"))
    else:
        found.append(Finding("swarm", True, f"{state}" + (
            " (a manager: --engine swarm can use it)" if manager else
            " (--engine docker; --engine swarm needs a manager)")))
    return api, found


def images(api):
    chosen = os.environ.get("SOCKLAB_BASE_IMAGE")
    bases = [b for b in ([chosen] if chosen else [image.DEFAULT_BASE,
                                                  image.OFFLINE_BASE])
             if image.present(api, b)]
    root = os.geteuid() == 0
    bootstrap = shutil.which("debootstrap")
    found = [Finding("debootstrap", True if bootstrap and root else None,
                     f"{bootstrap}{'' if root else ' (not root)'}" if
                     bootstrap else "not installed",
                     "" if bootstrap and root else
                     "only needed while no base image is here; as root: "
                     "apt-get install debootstrap")]
    if bases:
        found.append(Finding("base image", True, ", ".join(bases)))
    elif chosen:
        found.append(Finding("base image", False, f"SOCKLAB_BASE_IMAGE="
                             f"{chosen} is not on the engine",
                             "build or load it there, or unset it"))
    else:
        can = bool(bootstrap and root and _local(api))
        found.append(Finding(
            "base image", None if can else False,
            f"neither {image.DEFAULT_BASE} nor {image.OFFLINE_BASE}",
            "the first run makes one with debootstrap (about a minute)"
            if can else "set SOCKLAB_BASE_IMAGE to an image the engine has,"
            " or run socklab as root on the engine's machine with "
            "debootstrap installed"))
    host = image.present(api, "socklab-host:latest")
    found.append(Finding(
        "host image", True if host else None,
        "socklab-host:latest present (each run rebuilds it when socklab's "
        "agent changes)" if host else "not built yet",
        "" if host else "the first run builds it (about 20 s), or "
        "`socklab build`"))
    return found


def _agent_archive():
    """This checkout's agent as a tar for /opt/socklab: what the next host
    image will hold, whatever image the engine has now."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for path in sorted(AGENT.glob("*.py")):
            tar.add(path, arcname=f"agent/{path.name}")
    return buffer.getvalue()


def _probe(api):
    """The delay line end to end, in a throwaway host with no network: lo
    delayed 10 ms each way. None without an image that has Python and
    iptables (a host image, or socklab's offline base)."""
    found = [i for i in ("socklab-host:latest", image.OFFLINE_BASE)
             if image.present(api, i)]
    if not found:
        return None
    command = f"ln -sf /opt/socklab/agent/__main__.py /usr/local/bin/" \
        f"{contract.DELAY} && exec {contract.DELAY} --probe"
    container = api.create_container(
        found[0], ["sh", "-c", command], labels=PROBE_LABEL,
        host_config=api.create_host_config(network_mode="none",
                                           cap_add=["NET_ADMIN"]))["Id"]
    try:
        api.put_archive(container, "/opt/socklab", _agent_archive())
        api.start(container)
        api.wait(container, timeout=60)
        lines = api.logs(container).decode("utf-8", "replace").splitlines()
    finally:
        api.remove_container(container, force=True)
    try:
        return json.loads(lines[-1]) if lines else None
    except ValueError:
        return {"error": lines[-1]}


def delay(api):
    local = _local(api)
    netem = kernel.has_netem() if local else None
    probe = _probe(api)
    note = {True: "netem: in the kernel, not used", False: "netem: not in "
            "the kernel, not needed", None: "netem: not probed"}[netem]
    if probe and "round_trips_ms" in probe:
        trips = sorted(probe["round_trips_ms"])
        return [Finding("delay", True, f"by NFQUEUE in each host: "
                        f"{probe['asked_ms']} ms round trips asked, "
                        f"{trips[len(trips) // 2]} ms measured ({note})")]
    if probe and "error" in probe:
        return [Finding("delay", None, f"{probe['error']} ({note})",
                        "delay and jitter fail here; everything else works."
                        " The kernel needs CONFIG_NETFILTER_NETLINK_QUEUE "
                        "and CONFIG_NETFILTER_XT_TARGET_NFQUEUE")]
    if local and kernel.has_nfqueue():
        return [Finding("delay", True, f"by NFQUEUE: the kernel has it "
                        f"({note}; end-to-end probe after `socklab build`)")]
    return [Finding("delay", None, f"not probed ({note})",
                    "`socklab build`, then `socklab doctor` again")]


def _read(path):
    try:
        with open(path) as file:
            return file.read().strip()
    except OSError:
        return None


def machine(api):
    info = api.info()
    if not _local(api):
        memory = info.get("MemTotal", 0)
        return [Finding("memory", True if memory >= GIB else None,
                        f"{memory / GIB:.1f} GiB on the engine (total)")]
    found = []
    six = _read("/proc/sys/net/ipv6/conf/all/disable_ipv6")
    found.append(Finding("IPv6", True if six == "0" else None,
                         "in the kernel, enabled" if six == "0" else
                         "disabled" if six else "not in the kernel",
                         "" if six == "0" else
                         "IPv6 subnets need it: sysctl -w "
                         "net.ipv6.conf.all.disable_ipv6=0"))
    bridged = _read("/proc/sys/net/bridge/bridge-nf-call-iptables")
    found.append(Finding(
        "bridge netfilter", True,
        "net.bridge.bridge-nf-call-iptables = 1: each run adds one ACCEPT "
        "per lab bridge in DOCKER-USER (removed at teardown), so broadcasts "
        "and routed traffic pass" if bridged == "1" else
        f"net.bridge.bridge-nf-call-iptables = {bridged or 'unset'}: lab "
        "bridges bypass the machine's iptables"))
    meminfo = dict(line.split(":", 1) for line in
                   (_read("/proc/meminfo") or "").splitlines() if ":" in line)
    available = int(meminfo.get("MemAvailable", "0 kB").split()[0]) * 1024
    found.append(Finding(
        "memory", True if available >= GIB else
        None if available >= GIB // 4 else False,
        f"{available / GIB:.1f} GiB available",
        "" if available >= GIB else "each host takes 10-20 MB; free "
        "memory or run fewer scenarios at once (--jobs 1)"))
    root = info.get("DockerRootDir", "/var/lib/docker")
    free = shutil.disk_usage(root).free if os.path.isdir(root) else None
    if free is not None:
        found.append(Finding(
            "disk", True if free >= 5 * GIB else
            None if free >= GIB else False,
            f"{free / GIB:.1f} GiB free under {root}",
            "" if free >= 5 * GIB else "the images take about 0.5 GB, "
            "each run's evidence a few MB: `docker image prune`"))
    return found


def findings(kind):
    api, found = docker_engine(kind)
    if api is None:
        return found + [Finding("the rest", None, "not checked without an "
                                "engine")]
    try:
        for check in (images, delay, machine):
            found += check(api)
    except (docker.errors.DockerException,
            requests.exceptions.RequestException) as exc:
        found.append(Finding("Docker", False, "the engine failed while "
                             f"asked: {str(exc).splitlines()[0][:160]}"))
    return found


def cmd_doctor(args):
    found = findings(args.engine)
    print(f"socklab doctor: the {args.engine} engine "
          f"({os.environ.get('DOCKER_HOST') or 'local socket'})")
    width = max(len(f.what) for f in found)
    for f in found:
        mark = {True: "ok  ", None: "note", False: "FAIL"}[f.ok]
        print(f"  {mark}  {f.what:{width}}  {f.found}")
        if f.advice:
            print(f"        {'':{width}}  -> {f.advice}")
    blocking = [f.what for f in found if f.ok is False]
    print(f"socklab cannot run here: {', '.join(blocking)}" if blocking else
          "socklab can run here.")
    return 3 if blocking else 0
