"""The host image: built from the top-level Dockerfile and lab/agent,
tagged by a hash of those inputs, so it is rebuilt only when they change.

Base image, in order: $SOCKLAB_BASE_IMAGE (built as usual, pulling if your
engine has a registry); the Dockerfile's default base if it is already
present; socklab's own offline base (Debian by debootstrap, imported once).
socklab never pulls on its own: these machines have no registry and lab
machines should not reach out.
"""
import hashlib
import io
import os
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

import docker

from ..errors import EnvironmentUnusable
from .. import runs

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_BASE = "python:3.11-slim-bookworm"
OFFLINE_BASE = "socklab-base:bookworm"
DEBOOTSTRAP = ["debootstrap", "--variant=minbase",
               "--include=python3,iproute2,iptables,tcpdump,procps,"
               "iputils-ping,iputils-tracepath,netcat-openbsd,busybox-static",
               "bookworm"]


def _inputs():
    files = [ROOT / "Dockerfile"] + sorted(
        p for p in (ROOT / "lab" / "agent").rglob("*")
        if p.suffix in (".py", ".sh"))
    return [(str(p.relative_to(ROOT)), p.read_bytes()) for p in files]


def _context(inputs):
    """The build context as a tar: only the Dockerfile and the agent."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name, data in inputs:
            info = tarfile.TarInfo(name)
            info.size, info.mode = len(data), 0o755
            tar.addfile(info, io.BytesIO(data))
    buffer.seek(0)
    return buffer


def _present(api, name):
    try:
        api.inspect_image(name)
        return True
    except docker.errors.ImageNotFound:
        return False


def _make_offline_base(api, progress):
    if shutil.which("debootstrap") is None or os.geteuid() != 0:
        raise EnvironmentUnusable(
            f"no base image for the lab hosts: {DEFAULT_BASE} is not here "
            "and socklab does not pull. Either run as root with debootstrap "
            "installed (apt-get install debootstrap) so socklab can make "
            f"one, or set SOCKLAB_BASE_IMAGE to an image your engine has.")
    progress.say(f"no {DEFAULT_BASE} here and no registry used: making a "
                 f"Debian base image {OFFLINE_BASE} with debootstrap (about a "
                 "minute, once)")
    with progress.phase("debootstrap"), \
            tempfile.TemporaryDirectory(dir=runs.state_dir()) as tmp:
        root = Path(tmp) / "root"
        done = subprocess.run(DEBOOTSTRAP + [str(root)], capture_output=True,
                              text=True)
        if done.returncode:
            raise EnvironmentUnusable(
                "debootstrap failed; is Debian's package mirror reachable? "
                + done.stdout[-800:] + done.stderr[-800:])
        archive = Path(tmp) / "root.tar"
        subprocess.run(["tar", "-C", str(root), "-cf", str(archive), "."],
                       check=True)
        api.import_image(src=str(archive), repository=OFFLINE_BASE.split(":")[0],
                         tag=OFFLINE_BASE.split(":")[1])


def _base(api, progress):
    chosen = os.environ.get("SOCKLAB_BASE_IMAGE")
    if chosen:
        return chosen
    if _present(api, DEFAULT_BASE):
        return DEFAULT_BASE
    if not _present(api, OFFLINE_BASE):
        _make_offline_base(api, progress)
    return OFFLINE_BASE


def ensure(api, progress):
    """Return the tag of an up-to-date host image, building it if needed."""
    inputs = _inputs()
    digest = hashlib.sha256()
    for name, data in inputs:
        digest.update(name.encode() + b"\0" + data + b"\0")
    digest.update(os.environ.get("SOCKLAB_BASE_IMAGE", "").encode())
    tag = f"socklab-host:{digest.hexdigest()[:12]}"
    if not _present(api, tag):
        _build(api, progress, tag, inputs)
    # compose.yaml and hand-made labs use :latest; keep it the current one.
    api.tag(tag, "socklab-host", "latest")
    return tag


def _build(api, progress, tag, inputs):
    with runs.locked("image.lock"):  # parallel runs build it once
        if _present(api, tag):
            return
        base = _base(api, progress)
        with progress.phase(f"building the host image {tag} on {base}"):
            _docker_build(api, tag, inputs, base)


def _docker_build(api, tag, inputs, base):
    try:
        for chunk in api.build(fileobj=_context(inputs), custom_context=True,
                               tag=tag, rm=True, forcerm=True, decode=True,
                               buildargs={"BASE_IMAGE": base},
                               labels={"socklab.image": "host"}):
            if "error" in chunk:
                raise EnvironmentUnusable(
                    f"building the host image failed: {chunk['error']}")
    except docker.errors.APIError as exc:
        raise EnvironmentUnusable(f"building the host image failed: {exc}")
