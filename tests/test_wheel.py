"""socklab as users get it: a wheel, installed into a fresh virtual
environment, used from a folder of the user's own with no clone in sight.
It carries everything a run needs (the Dockerfile, the agent's scripts),
builds the host image from the installed files alone and hashes them as a
clone does, so the same files make the same image."""
import os
import re
import shutil
import subprocess
import sys

import docker
import pytest

from lab.engine import image
from tests.conftest import ROOT

LESSON = """\
description: the smallest lab, from a folder of the user's own.
networks: {lan: {subnet: 10.218.0.0/24}}
hosts:
  server: {interfaces: {lan: 10.218.0.10}, services: [tcp-server --port 7]}
  client: {interfaces: {lan: 10.218.0.20}}
steps:
  - {on: client, run: tcp-client --to server:7 --message hi,
     expect: {outcome: ok, replies: 1}}
"""
# What a clone has and a wheel is built without (a copy, so the clone
# gets no build/ folder and stale files there cannot reach the wheel).
NOT_SOURCE = shutil.ignore_patterns(
    ".git", ".venv", "build", "dist", "results", "*.egg-info", "__pycache__",
    ".pytest_cache", ".hypothesis")


def _run(argv, cwd, env, timeout=300):
    done = subprocess.run([str(a) for a in argv], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=timeout)
    return done


def _clone_tag():
    """The host image's tag as this clone computes it."""
    return image.tag_of(image._inputs())


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """(the venv's bin folder, the user's folder, env): socklab installed
    from a wheel of this tree in a fresh venv."""
    tmp = tmp_path_factory.mktemp("wheel")
    shutil.copytree(ROOT, tmp / "src", symlinks=True, ignore=NOT_SOURCE)
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "VIRTUAL_ENV", "SOCKLAB_BASE_IMAGE")}
    built = _run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps",
                  "-w", tmp / "dist", tmp / "src"], tmp, env)
    assert built.returncode == 0, built.stderr
    (wheel,) = (tmp / "dist").glob("socklab-*.whl")
    # Without pip of its own (ensurepip takes seconds): this pip installs
    # into it.
    made = _run([sys.executable, "-m", "venv", "--without-pip",
                 tmp / "venv"], tmp, env)
    assert made.returncode == 0, made.stderr
    bin_ = tmp / "venv" / "bin"
    done = _run([sys.executable, "-m", "pip", "--python", bin_ / "python",
                 "install", "-q", wheel], tmp, env)
    assert done.returncode == 0, done.stderr
    (tmp / "user").mkdir()
    (tmp / "user" / "lesson.yaml").write_text(LESSON)
    return bin_, tmp / "user", env


def test_the_wheel_carries_what_a_run_needs(installed):
    bin_, user, env = installed
    where = _run([bin_ / "python", "-c", "import lab, os; "
                  "print(os.path.dirname(lab.__file__))"], user, env)
    package = where.stdout.strip()
    assert "site-packages" in package and str(ROOT) not in package
    for name in ("Dockerfile", "agent/init.sh", "agent/links.sh"):
        assert os.path.isfile(os.path.join(package, name)), name
    assert open(os.path.join(package, "Dockerfile"), "rb").read() == \
        (ROOT / "Dockerfile").read_bytes()


@pytest.mark.docker
def test_an_installed_socklab_validates_builds_and_runs_from_any_folder(
        installed, nothing_left):
    bin_, user, env = installed
    done = _run([bin_ / "socklab", "validate", "lesson.yaml"], user, env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "lesson.yaml: lesson (2 hosts, 1 steps)" in done.stdout

    # The same files hash alike: an installed socklab uses the image the
    # clone built (an upgrade that changes them builds a new one).
    done = _run([bin_ / "socklab", "build"], user, env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"host image: {_clone_tag()} " in done.stdout

    # And it builds the image from the installed files alone: another base
    # is another image, built here and removed after.
    client, built = docker.from_env(), None
    base_env = {**env, "SOCKLAB_BASE_IMAGE": image.OFFLINE_BASE}
    try:
        done = _run([bin_ / "socklab", "build"], user, base_env)
        assert done.returncode == 0, done.stdout + done.stderr
        assert f"host image base: {image.OFFLINE_BASE} (SOCKLAB_BASE_IMAGE)" \
            in done.stdout
        built = re.search(r"host image: (socklab-host:\w+)", done.stdout)[1]
        assert built != _clone_tag()
        probe = client.containers.run(
            built, ["ls", "/usr/local/bin"], remove=True).decode().split()
        assert {"socklab-init", "socklab-links", "tcp-client"} <= set(probe)
    finally:
        if built and built != _clone_tag():
            client.api.remove_image(built)  # only ours: the tag is new

    done = _run([bin_ / "socklab", "run", "lesson.yaml"], user, env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "lesson: passed" in done.stdout
    assert (user / "results" / "lesson" / "summary.json").is_file()
