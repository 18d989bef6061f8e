"""The host image: built from socklab's own package as installed (its
Dockerfile and lab/agent, package data of the wheel), tagged by a hash of
those files, so an upgrade that changes them rebuilds it and nothing else
does.

Base image (choose_base): $SOCKLAB_BASE_IMAGE if set; else the Dockerfile's
default base if the engine has it; else socklab's own offline base if an
earlier build made it here; else the engine pulls the default base, as a
plain `docker build` would, and where it cannot (no registry) socklab makes
its own base with debootstrap. No pull is tried when SOCKLAB_NO_PULL is set,
so nothing is fetched behind the back of a user who said not to. Which base
it was is said in one line whenever the image is built.
"""
import hashlib
import io
import os
import shutil
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

import docker

from ..errors import EnvironmentUnusable
from .. import runs

PACKAGE = Path(__file__).resolve().parents[1]  # lab/, wherever installed
DOCKERFILE = PACKAGE / "Dockerfile"  # (a clone's top-level one links here)
AGENT = PACKAGE / "agent"
# A plain `docker build` of the Dockerfile needs the agent at lab/agent/
# beside it: the folder holding the package (a clone's top, or
# site-packages when installed).
CONTEXT = PACKAGE.parent
DEFAULT_BASE = "python:3.11-slim-bookworm"
OFFLINE_BASE = "socklab-base:bookworm"
DEBOOTSTRAP = ["debootstrap", "--variant=minbase",
               "--include=python3,iproute2,iptables,tcpdump,procps,"
               "iputils-ping,iputils-tracepath,netcat-openbsd,busybox-static",
               "bookworm"]


def _inputs():
    """(name in the build context, content): the Dockerfile at its root and
    the agent under lab/agent/, where its COPY looks. The names are those
    of a clone's top level, so a clone and a wheel of the same files hash
    alike."""
    missing = [p for p in (DOCKERFILE, AGENT / "init.sh", AGENT / "links.sh")
               if not p.is_file()]
    if missing:
        raise EnvironmentUnusable(
            f"socklab's installation in {PACKAGE} lacks "
            f"{', '.join(str(p.relative_to(PACKAGE)) for p in missing)} "
            "(a wheel built without its package data?); reinstall socklab")
    agent = sorted(p for p in AGENT.rglob("*") if p.suffix in (".py", ".sh"))
    return [("Dockerfile", DOCKERFILE.read_bytes())] + [
        (f"lab/agent/{p.relative_to(AGENT).as_posix()}", p.read_bytes())
        for p in agent]


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


def present(api, name):
    try:
        api.inspect_image(name)
        return True
    except docker.errors.ImageNotFound:
        return False


# ------------------------------------------------------------- the base image

@dataclass(frozen=True)
class Base:
    image: str
    action: str  # "use" (the engine has it), "pull", or "make" (debootstrap)
    why: str     # the line said when the host image is built on it


def no_pull(env):
    return env.get("SOCKLAB_NO_PULL", "") not in ("", "0")


def choose_base(env, present, pull_failed=None):
    """Which base the host image is built on, and how to get it: pure, from
    the environment, present(image) -> bool (does the engine have it), and
    why a pull just tried failed (then the offline base, unless the user
    chose the base: that is theirs to fix)."""
    chosen = env.get("SOCKLAB_BASE_IMAGE")
    if chosen:
        said = f"{chosen} (SOCKLAB_BASE_IMAGE)"
        if present(chosen):
            return Base(chosen, "use", f"host image base: {said}")
        if pull_failed:
            raise EnvironmentUnusable(
                f"the engine could not pull SOCKLAB_BASE_IMAGE={chosen}: "
                f"{pull_failed}")
        if no_pull(env):
            raise EnvironmentUnusable(
                f"SOCKLAB_BASE_IMAGE={chosen} is not on the engine and "
                "SOCKLAB_NO_PULL is set: load or build that image first, "
                "or unset SOCKLAB_BASE_IMAGE")
        return Base(chosen, "pull", f"host image base: {said}, pulled by "
                    "the engine")
    if present(DEFAULT_BASE):
        return Base(DEFAULT_BASE, "use",
                    f"host image base: {DEFAULT_BASE}, the engine's own")
    if present(OFFLINE_BASE):
        return Base(OFFLINE_BASE, "use",
                    f"host image base: {OFFLINE_BASE}, made here earlier "
                    f"without a registry ({DEFAULT_BASE} is not here)")
    made = (f"host image base: {OFFLINE_BASE}, made here with debootstrap "
            "(about a minute, once)")
    if pull_failed:
        return Base(OFFLINE_BASE, "make", f"{made}: the engine could not "
                    f"pull {DEFAULT_BASE} ({pull_failed})")
    if no_pull(env):
        return Base(OFFLINE_BASE, "make", f"{made}: SOCKLAB_NO_PULL is set")
    return Base(DEFAULT_BASE, "pull", f"host image base: {DEFAULT_BASE}, "
                "pulled by the engine (SOCKLAB_NO_PULL=1 would not)")


def pull(api, image, progress):
    """None once the engine has pulled the image, else why it could not
    (first line of the engine's words: it can be a page of them)."""
    try:
        with progress.phase(f"pulling {image}"):
            for chunk in api.pull(image, stream=True, decode=True):
                if "error" in chunk:
                    return str(chunk["error"]).splitlines()[0][:200]
    except docker.errors.APIError as exc:
        return str(exc.explanation or exc).splitlines()[0][:200]
    return None


def _base(api, progress):
    env = os.environ

    def here(name):
        return present(api, name)
    base = choose_base(env, here)
    if base.action == "pull":
        failed = pull(api, base.image, progress)
        if failed:
            base = choose_base(env, here, pull_failed=failed)
    progress.say(base.why)  # before a minute of debootstrap, not after
    if base.action == "make":
        _make_offline_base(api, progress)
    return base.image


def _make_offline_base(api, progress):
    if shutil.which("debootstrap") is None or os.geteuid() != 0:
        raise EnvironmentUnusable(
            f"no base image for the lab hosts: the engine has neither "
            f"{DEFAULT_BASE} nor {OFFLINE_BASE} and did not pull it. Either "
            "run as root with debootstrap installed (apt-get install "
            "debootstrap) so socklab can make one, or set SOCKLAB_BASE_IMAGE "
            "to an image your engine has.")
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
        packed = subprocess.run(["tar", "-C", str(root), "-cf",
                                 str(archive), "."], capture_output=True,
                                text=True)
        if packed.returncode:  # a full disk, most likely: one line, exit 3
            raise EnvironmentUnusable(
                f"packing the base image failed: {packed.stderr[-300:]}")
        api.import_image(src=str(archive), repository=OFFLINE_BASE.split(":")[0],
                         tag=OFFLINE_BASE.split(":")[1])


# ------------------------------------------------------------ the host image

def tag_of(inputs):
    """The host image's tag: a hash of its inputs (and of a chosen base)."""
    digest = hashlib.sha256()
    for name, data in inputs:
        digest.update(name.encode() + b"\0" + data + b"\0")
    digest.update(os.environ.get("SOCKLAB_BASE_IMAGE", "").encode())
    return f"socklab-host:{digest.hexdigest()[:12]}"


def ensure(api, progress):
    """Return the tag of an up-to-date host image, building it if needed."""
    inputs = _inputs()
    tag = tag_of(inputs)
    if not present(api, tag):
        _build(api, progress, tag, inputs)
    # compose.yaml and hand-made labs use :latest; keep it the current one.
    api.tag(tag, "socklab-host", "latest")
    return tag


def _build(api, progress, tag, inputs):
    with runs.locked("image.lock"):  # parallel runs build it once
        if present(api, tag):
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
