"""A host that runs an image of the user's (`image:` or `build:`).

The image needs nothing of socklab's: no shell, no Python, no iproute2. The
host's network namespace belongs to a sidecar of socklab's own image
(hosts.py), which is wired, addressed, routed, firewalled, impaired and
captured like any host, and runs the built-in programs. The user's
container joins the sidecar's network and process namespaces (so its
processes are the host's, reaped by the sidecar's init, and gone when the
host is killed), and socklab puts three files into it before it starts:

    /.socklab/busybox      a static busybox from socklab's image: the
                           container's main process, whatever the image has
    /.socklab/services.sh  the host's services, in order, each by /bin/sh -c
                           where the image has a shell, else as an argument
                           list; each one's end is said in the log
    /etc/hosts             the lab's names

A step's command runs in the user's container under busybox's `timeout`.
"""
import io
import os
import re
import shlex
import tarfile
import time

import docker

from ..agent import contract
from ..agent.hostinit import bound
from ..agent.step import Capture
from ..errors import EnvironmentUnusable
from ..plan import hosts_file
from ..progress import Progress
from .image import no_pull, pull
from . import captures

TOOLS = "/.socklab"
BUSYBOX = f"{TOOLS}/busybox"
SCRIPT = f"{TOOLS}/services.sh"
ENDED = "socklab-init: service {n} exited with status"
CAP = 1 << 20  # bytes of a step's stdout and stderr kept, as socklab-step


def create(api, host, files):
    """Create the user's container in the host's sidecar's namespaces (the
    scenario's folder from files: a path or a volume) and give it socklab's
    files; it starts once the sidecar is ready."""
    try:
        container = _create(api, host, files)
    except docker.errors.ImageNotFound:
        why = "SOCKLAB_NO_PULL is set" if no_pull(os.environ) else \
            pull(api, host.image, Progress(None))
        if why:
            raise EnvironmentUnusable(
                f"host {host.name}: no image {host.image!r} on this engine, "
                f"and it could not be pulled ({why}): `docker pull`, `docker"
                " load` or `docker build` it first, or give the host "
                "`build: FOLDER`") from None
        container = _create(api, host, files)
    busybox = captures.files(api, host.netns, "/bin/busybox").get(
        "busybox")
    if not busybox:
        raise EnvironmentUnusable("socklab's host image has no "
                                  "/bin/busybox: `socklab build` it again")
    commands = [argv(api, container, s.run) for s in host.app_services]
    api.put_archive(container, "/", _archive({
        f"{TOOLS[1:]}/busybox": (busybox, 0o755),
        SCRIPT[1:]: (script(commands).encode(), 0o644),
        "etc/hosts": (hosts_file(host.extra_hosts).encode(), 0o644)}))


def _create(api, host, files):
    limits = host.limits
    return api.create_container(
        host.image, entrypoint=[BUSYBOX, "sh", SCRIPT], command=[],
        name=host.container, labels=host.labels,
        working_dir=contract.WORKDIR,
        host_config=api.create_host_config(
            binds={files: {"bind": contract.WORKDIR, "mode": "ro"}},
            network_mode=f"container:{host.netns}",
            pid_mode=f"container:{host.netns}",
            cap_add=["NET_ADMIN"] if host.net_admin else None,
            pids_limit=limits.pids, mem_limit=limits.memory,
            memswap_limit=limits.memory, nano_cpus=int(limits.cpus * 1e9),
            # Its services print straight to its log: a flood is bounded
            # on the machine's disk (the last 32 MB are kept).
            log_config=docker.types.LogConfig(type="json-file", config={
                "max-size": "16m", "max-file": "2"})))["Id"]


def _exists(api, container, path):
    try:
        stream, _ = api.get_archive(container, path)
        b"".join(stream)
        return True
    except docker.errors.NotFound:
        return False


def _archive(members):
    """A tar of {path: (bytes, mode)}, with its folders."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        folders = {p.rsplit("/", 1)[0] for p in members if "/" in p}
        for folder in sorted(folders):
            info = tarfile.TarInfo(folder)
            info.type, info.mode = tarfile.DIRTYPE, 0o755
            tar.addfile(info)
        for path, (data, mode) in members.items():
            info = tarfile.TarInfo(path)
            info.size, info.mode = len(data), mode
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def argv(api, container, command):
    """How a command line runs in the image: by its shell, if it has one,
    else as a plain argument list, its program found on the image's PATH
    (busybox would otherwise run a program of its own by that name: the
    image would seem to have `echo` or `cat` that it does not have).
    None: the image has no such program."""
    if _exists(api, container, "/bin/sh"):
        return ["/bin/sh", "-c", command]
    words = shlex.split(command)
    if not words or "/" in words[0]:
        return words or None
    env = api.inspect_container(container)["Config"].get("Env") or []
    path = dict(e.split("=", 1) for e in env if "=" in e).get(
        "PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
    for folder in path.split(":"):
        if folder and _exists(api, container, f"{folder}/{words[0]}"):
            return [f"{folder}/{words[0]}", *words[1:]]
    return None


def script(commands):
    """The container's main process: the host's services (argument lists,
    or None for a program the image lacks), in order, each one's end said
    in the log; then it stays (the host is up)."""
    lines = ["# socklab: the host's services, started in order",
             f"cd {contract.WORKDIR}"]
    for n, words in enumerate(commands, 1):
        command = " ".join(map(shlex.quote, words)) if words else \
            "echo 'no such program in this image'; false"
        lines.append(f'({command}; echo "{ENDED.format(n=n)} $?") 2>&1 &')
    lines += ["wait", f"exec {BUSYBOX} sleep 2147483647"]
    return "\n".join(lines) + "\n"


def start(api, host):
    """Start the user's container and await each service's readiness, in
    order; return why it failed, or None."""
    since = time.time()  # a restarted host's log holds its earlier life
    api.start(host.container)
    for n, service in enumerate(host.app_services, 1):
        why = _ready(api, host, n, service, since)
        if why:
            return f"service {n} ({service.run}) {why}"
    return None


def _ready(api, host, n, service, since):
    ready = service.ready
    deadline = time.monotonic() + ready.timeout
    while True:
        log = api.logs(host.container, since=since).decode("utf-8",
                                                          "replace")
        ended = re.search(re.escape(ENDED.format(n=n)) + r" (\d+)", log)
        if ready.kind == "started" or (ready.kind == "log" and any(
                re.search(ready.value, line) for line in log.splitlines()
                if not line.startswith("socklab-init:"))):
            return None
        if ended:
            return f"exited with status {ended.group(1)} before it was ready"
        if ready.kind in ("tcp", "udp") and _bound(api, host, ready.kind,
                                                   ready.value):
            return None
        if time.monotonic() > deadline:
            return (f"was not ready within {ready.timeout} s (nothing "
                    f"{'matched' if ready.kind == 'log' else 'bound'} "
                    f"{ready.kind} {ready.value})")
        time.sleep(0.2)


def _bound(api, host, protocol, port):
    """Is the port bound in the host's namespace (read from its sidecar,
    which shares it)?"""
    exec_id = api.exec_create(host.netns, [
        "cat", f"/proc/net/{protocol}", f"/proc/net/{protocol}6"])["Id"]
    return bound(protocol, port, api.exec_start(exec_id).decode())


def execute(api, host, command, timeout):
    """Run a step's command in the user's container; return an envelope
    like socklab-step's."""
    start_at = time.monotonic()
    words = argv(api, host.container, command)
    if words is None:
        return {"exit": 127, "stdout": "", "stderr": f"{command}: no such "
                "program in this image\n", "elapsed_ms": 0.0,
                "step_timed_out": False, "cut": []}
    exec_id = api.exec_create(host.container, [
        BUSYBOX, "timeout", "-s", "KILL", str(max(1, round(timeout))),
        *words], workdir=contract.WORKDIR)["Id"]
    out, err = Capture(CAP), Capture(CAP)
    for chunk_out, chunk_err in api.exec_start(exec_id, stream=True,
                                               demux=True):
        out.add(chunk_out or b"")
        err.add(chunk_err or b"")
    code = api.exec_inspect(exec_id)["ExitCode"]
    elapsed = round((time.monotonic() - start_at) * 1000, 1)
    timed_out = code == 137 and elapsed >= timeout * 1000
    (stdout, out_cut), (stderr, err_cut) = out.text(), err.text()
    return {"exit": None if timed_out else code, "stdout": stdout,
            "stderr": stderr, "elapsed_ms": elapsed,
            "step_timed_out": timed_out,
            "cut": [name for name, cut in (("stdout", out_cut),
                                           ("stderr", err_cut)) if cut]}
