"""The host image's inputs and base: read from the package (so a wheel is
enough), the top-level Dockerfile one file with the package's, and the base
chosen as a plain `docker build` would where the engine can pull, socklab's
own where it cannot, with no pull where the user said not to."""
import io

import docker
import pytest

from lab.engine import image
from lab.engine.image import DEFAULT_BASE, OFFLINE_BASE, choose_base
from lab.errors import EnvironmentUnusable
from lab.progress import Progress

from .conftest import ROOT


def test_the_top_level_dockerfile_is_the_package_s():
    # One file, so they cannot drift: `docker build .` and docker-compose
    # read the package's Dockerfile through the link.
    top = ROOT / "Dockerfile"
    assert top.is_symlink() and top.resolve() == image.DOCKERFILE
    assert image.DOCKERFILE.parent == ROOT / "lab"


def test_the_inputs_come_from_the_package_under_a_clone_s_names():
    names = [name for name, _ in image._inputs()]
    assert names[0] == "Dockerfile"
    assert {"lab/agent/init.sh", "lab/agent/links.sh",
            "lab/agent/__main__.py"} <= set(names)
    assert dict(image._inputs())["Dockerfile"] == \
        (ROOT / "Dockerfile").read_bytes()


def _present(*images):
    return lambda name: name in images


@pytest.mark.parametrize("env, here, image_, action, said", [
    ({}, [DEFAULT_BASE], DEFAULT_BASE, "use", "the engine's own"),
    ({}, [DEFAULT_BASE, OFFLINE_BASE], DEFAULT_BASE, "use", "engine's own"),
    ({}, [OFFLINE_BASE], OFFLINE_BASE, "use", "made here earlier"),
    ({}, [], DEFAULT_BASE, "pull", "pulled by the engine"),
    ({"SOCKLAB_NO_PULL": "0"}, [], DEFAULT_BASE, "pull", "pulled"),
    ({"SOCKLAB_NO_PULL": "1"}, [], OFFLINE_BASE, "make",
     "SOCKLAB_NO_PULL is set"),
    ({"SOCKLAB_NO_PULL": "1"}, [OFFLINE_BASE], OFFLINE_BASE, "use", "earlier"),
    ({"SOCKLAB_BASE_IMAGE": "mine:1"}, ["mine:1"], "mine:1", "use",
     "mine:1 (SOCKLAB_BASE_IMAGE)"),
    ({"SOCKLAB_BASE_IMAGE": "mine:1"}, [DEFAULT_BASE], "mine:1", "pull",
     "mine:1 (SOCKLAB_BASE_IMAGE), pulled by the engine"),
])
def test_the_base_is_chosen_as_a_plain_build_would_where_it_can(
        env, here, image_, action, said):
    base = choose_base(env, _present(*here))
    assert (base.image, base.action) == (image_, action)
    assert said in base.why and "\n" not in base.why


def test_where_the_engine_cannot_pull_socklab_makes_its_own_base_and_says():
    base = choose_base({}, _present(), pull_failed="lookup registry: no host")
    assert (base.image, base.action) == (OFFLINE_BASE, "make")
    assert base.why == (
        f"host image base: {OFFLINE_BASE}, made here with debootstrap (about "
        f"a minute, once): the engine could not pull {DEFAULT_BASE} (lookup "
        "registry: no host)")


@pytest.mark.parametrize("env, failed, words", [
    ({"SOCKLAB_BASE_IMAGE": "mine:1", "SOCKLAB_NO_PULL": "1"}, None,
     "SOCKLAB_BASE_IMAGE=mine:1 is not on the engine and SOCKLAB_NO_PULL"),
    ({"SOCKLAB_BASE_IMAGE": "mine:1"}, "denied",
     "could not pull SOCKLAB_BASE_IMAGE=mine:1: denied"),
])
def test_a_base_the_user_chose_is_never_replaced(env, failed, words):
    with pytest.raises(EnvironmentUnusable, match=words):
        choose_base(env, _present(DEFAULT_BASE, OFFLINE_BASE),
                    pull_failed=failed)


def test_a_failed_pull_is_the_engines_first_line():
    """What the engine said is the reason, in one line (no pull is tried
    for real in the tests: these machines must not reach a registry)."""
    class Refusing:
        def pull(self, image, stream, decode):
            yield {"status": "Pulling"}
            yield {"error": "Get https://registry/v2/: dial tcp: lookup "
                            "registry: no such host\nand more"}
    assert image.pull(Refusing(), "x:1", Progress(None)) == (
        "Get https://registry/v2/: dial tcp: lookup registry: no such host")


@pytest.mark.docker
def test_the_base_here_is_said_in_one_line(monkeypatch):
    monkeypatch.delenv("SOCKLAB_BASE_IMAGE", raising=False)
    # A base is made by no test: the daemon is shared, and it takes a minute.
    monkeypatch.setattr(image, "_make_offline_base", pytest.fail)
    api = docker.from_env().api
    if not image.present(api, OFFLINE_BASE):
        pytest.skip(f"{OFFLINE_BASE} is not made yet (socklab build)")
    out = io.StringIO()
    assert image._base(api, Progress(out)) in (DEFAULT_BASE, OFFLINE_BASE)
    lines = out.getvalue().splitlines()
    assert len(lines) == 1 and lines[0].startswith("host image base: ")
