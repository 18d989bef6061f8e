"""Captures: tcpdump helpers on a network's bridge, and the files a host's
own capture (capture: true) leaves in it."""
import contextlib
import io
import tarfile

import docker
import requests

from .. import labels as keys
from ..agent import contract
from ..errors import RunFailed
from .api import parallel

TCPDUMP = ["tcpdump", "--immediate-mode", "-U", "-Z", "root"]


def start(api, image, plan, net):
    """tcpdump on the network's bridge, from the machine's namespace, into
    the run's results folder, each packet written as it arrives; returns
    once it listens."""
    container = api.create_container(
        image, labels={**net.labels, keys.HELPER: keys.CAPTURE_HELPER},
        name=keys.helper(plan.run_id, keys.CAPTURE_HELPER, net.name),
        command=[*TCPDUMP, "-i", net.bridge, "-w",
                 f"/captures/{net.name}.pcap"],
        host_config=api.create_host_config(
            network_mode="host", cap_add=["NET_ADMIN", "NET_RAW"],
            binds={plan.evidence: {"bind": "/captures", "mode": "rw"}}),
    )["Id"]
    api.start(container)
    listening(api, container, net.name)


def listening(api, container, network):
    """Return once the capture helper's tcpdump listens."""
    stream = api.logs(container, stream=True, follow=True)
    try:
        for chunk in stream:
            if b"listening on" in chunk:
                return
    finally:
        stream.close()
    raise RunFailed(f"could not capture on {network}: "
                    + api.logs(container).decode("utf-8", "replace"))


def helpers(api, run_id):
    return api.containers(filters=keys.of_run(
        run_id, helper=keys.CAPTURE_HELPER))


def stop(api, info):
    """Stop a capture gently (SIGINT): tcpdump then writes a whole pcap."""
    with contextlib.suppress(docker.errors.APIError):
        api.kill(info["Id"], signal="SIGINT")
        api.wait(info["Id"], timeout=10)


def stop_all(api, run_id):
    parallel(lambda info: stop(api, info), helpers(api, run_id))


def files(api, container, path):
    """{file name: bytes} of the files at path (a file or a folder) in the
    container; {} if it has none (gone, never written)."""
    try:
        stream, _ = api.get_archive(container, path)
        archive = tarfile.open(fileobj=io.BytesIO(b"".join(stream)))
        return {m.name.rsplit("/", 1)[-1]: archive.extractfile(m).read()
                for m in archive.getmembers() if m.isfile()}
    except (docker.errors.APIError, requests.exceptions.RequestException,
            tarfile.TarError):
        return {}


def of_host(api, container, lifetime=0):
    """A running host's own captures: {file name: pcap bytes}, its capture
    named capture.pcap in its first lifetime and capture.restart-N.pcap
    after its N-th restart; {} if it is not running. Read through the host
    itself: its log folder is a tmpfs, which Docker's archive API does not
    see (and which goes with the host when it stops: kill reads it first).
    """
    try:
        exec_id = api.exec_create(container, [
            "tar", "-C", contract.LOGS, "-cf", "-", "."], stderr=False)["Id"]
        data = api.exec_start(exec_id)
        archive = tarfile.open(fileobj=io.BytesIO(data))
        found = {m.name.rsplit("/", 1)[-1]: archive.extractfile(m).read()
                 for m in archive.getmembers() if m.isfile()}
    except (docker.errors.APIError, requests.exceptions.RequestException,
            tarfile.TarError):
        return {}
    name = "capture.pcap" if lifetime == 0 else \
        f"capture.restart-{lifetime}.pcap"
    return {name: data for file, data in found.items()
            if file.endswith(".pcap")}
