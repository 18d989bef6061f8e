"""Images of the user's that a scenario builds (`build: FOLDER`): built
when the folder changes, and only then (plan.build_tag is the folder's
hash), once however many runs want it at the same time."""
import docker

from .. import labels as keys, runs
from ..errors import EnvironmentUnusable
from .image import present


def ensure(api, plan, progress):
    """Build every image the plan's hosts name by folder that the engine
    does not have yet."""
    wanted = {h.image: h.build for h in plan.hosts if h.build}
    for tag, folder in wanted.items():
        if present(api, tag):
            continue
        with runs.locked("image.lock"):
            if not present(api, tag):
                with progress.phase(f"building {tag} from {folder}"):
                    _build(api, tag, folder)


def _build(api, tag, folder):
    said = []
    try:
        for chunk in api.build(path=folder, tag=tag, rm=True, forcerm=True,
                               decode=True, labels={keys.IMAGE: "build"}):
            said.append(chunk.get("stream", ""))
            if "error" in chunk:
                raise EnvironmentUnusable(
                    f"building {tag} from {folder} failed: {chunk['error']}"
                    f" (last output: {''.join(said)[-600:].strip()})")
    except docker.errors.APIError as exc:
        raise EnvironmentUnusable(
            f"building {tag} from {folder} failed: {exc}") from None
