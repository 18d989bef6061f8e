"""The run's wiring helper (socklab-wire, lab/agent/wire.py), spoken to over
its attached stdin and stdout: one request per line, one answer per line.

Attached rather than exec'd: an exec is a runc process in the helper each
time, a bring-up's worth of them, where a line costs one `ip` run.
"""
import json
import struct
import threading

import docker
import requests

from .. import labels as keys
from ..agent import contract
from ..errors import EnvironmentUnusable, RunFailed

ANSWER_WITHIN = 120  # s; a request takes milliseconds: a helper this slow
#                      is wedged, and a run must not wait on it for ever


def group(run_id):
    """The run's link group: every bridge and outside end of a veth of the
    run is in it, so that one `ip link del group` removes them all in one
    kernel batch (one link at a time waits for the kernel each: 18 ms a
    veth, 5.4 s for 300 of them; the group, 0.15 s). Run ids of 31 bits
    (plan.new_run_id) are their own group; an older run's links are
    removed one by one (hostfw.py)."""
    number = int(run_id, 16)
    if not 0 < number < 1 << 31:
        raise ValueError(f"run id {run_id} is not a link group")
    return number


def bridges(names, run_id):
    """`ip -batch` lines making the run's bridges before Docker's networks
    adopt them, so that the machine is on no lab segment: no multicast
    snooping (the bridge would join groups and report them into the lab),
    no IPv6 address (nor the solicitations that come with one), no ARP
    answers for the machine's other addresses. Set once it is up, each of
    these is too late: the first report leaves as the first port comes up.
    """
    return [line for name in names for line in (
        f"link add {name} type bridge mcast_snooping 0",
        f"link set {name} addrgenmode none arp off group {group(run_id)}",
        f"link set {name} up")]


def wire(pid, links, run_id):
    """`ip -batch` lines making each link: the veth pair, its inside end
    created straight in the host's namespace (by its process id), its
    outside end with no IPv6 address before it is up (for the same reason
    as the bridges')."""
    return [line for link in links for line in (
        f"link add {link.outside} type veth peer name {link.inside} "
        f"address {link.mac} netns {pid}",
        f"link set {link.outside} addrgenmode none group {group(run_id)}",
        f"link set {link.outside} master {link.bridge} up")]


def cut(links):
    """`ip -batch` lines removing links: both ends go with the pair."""
    return [f"link del {link.outside}" for link in links]


class Wiring:
    def __init__(self, api, container):
        self.api, self.container = api, container
        self.lock = threading.Lock()
        self.socket = api.attach_socket(container, params={
            "stdin": 1, "stdout": 1, "stderr": 1, "stream": 1})
        self.raw = getattr(self.socket, "_sock", self.socket)
        self.raw.settimeout(ANSWER_WITHIN)
        self.pending = b""

    @classmethod
    def start(cls, api, image, labels):
        """The helper for a run: in the machine's network namespace and
        process table, with NET_ADMIN only, labelled with the run."""
        container = api.create_container(
            image, command=[contract.WIRE], stdin_open=True,
            labels={**labels, keys.HELPER: keys.WIRE},
            host_config=api.create_host_config(
                network_mode="host", pid_mode="host",
                cap_add=["NET_ADMIN"]))["Id"]
        wiring = cls(api, container)
        try:
            api.start(container)
        except docker.errors.APIError:
            if not wiring.removed():
                raise
            # Removed (`docker rm -f`) between its creation and its start.
            raise EnvironmentUnusable(
                f"the run's wiring helper ({container[:12]}) was removed "
                "(by `docker rm`?) before it started; the lab is removed "
                "without it") from None
        return wiring

    @classmethod
    def find(cls, api, run_id):
        """The helper of a run this process did not start (a lab left up)."""
        found = api.containers(filters=keys.of_run(run_id, helper=keys.WIRE))
        if not found:
            raise RunFailed(f"run {run_id} has no wiring helper running")
        return cls(api, found[0]["Id"])

    def run(self, argv, doing, input=""):
        """Run argv in the helper; return (status, output)."""
        request = json.dumps({"argv": argv, "input": input}).encode()
        with self.lock:
            try:
                self.raw.sendall(request + b"\n")
                while b"\n" not in self.pending:
                    # Docker's stream frames: stream (1 stdout, 2 stderr),
                    # three zero bytes, the payload's size (big-endian).
                    stream, size = struct.unpack(">BxxxL", self._read(8))
                    data = self._read(size)
                    if stream == 1:
                        self.pending += data
            except OSError:  # gone, or silent for ANSWER_WITHIN
                said = self._last_words()
                if said is None:  # something outside socklab removed it
                    raise EnvironmentUnusable(
                        f"the run's wiring helper ({self.container[:12]}) "
                        f"was removed (by `docker rm`?) while {doing}; the "
                        "lab is removed without it") from None
                raise RunFailed(f"the wiring helper stopped while {doing}: "
                                f"{said}") from None
            line, self.pending = self.pending.split(b"\n", 1)
        answer = json.loads(line)
        return answer["status"], answer["output"]

    def call(self, lines, doing):
        """Run `ip -batch` lines; RunFailed if one fails."""
        status, output = self.run(["ip", "-batch", "-"], doing,
                                  "".join(f"{line}\n" for line in lines))
        if status:
            raise RunFailed(f"could not wire {doing}: {output.strip()}")

    def _read(self, size):
        data = b""
        while len(data) < size:
            chunk = self.raw.recv(size - len(data))
            if not chunk:
                raise ConnectionError("the helper's stream ended")
            data += chunk
        return data

    def _last_words(self):
        """The helper's log tail; None if its container was removed from
        under the run (`docker rm -f`: its log is gone with it)."""
        if self.removed():
            return None
        try:
            log = self.api.logs(self.container).decode("utf-8", "replace")
        except docker.errors.NotFound:
            return None
        except (docker.errors.APIError, requests.RequestException) as exc:
            return f"its log could not be read ({exc})"
        return log.strip()[-500:] or "it said nothing"

    def removed(self):
        """Has its container been removed (or is it being removed)?"""
        try:
            state = self.api.inspect_container(self.container)["State"]
        except docker.errors.NotFound:
            return True
        return state.get("Dead") or state.get("Status") == "removing"

    def close(self):
        self.socket.close()
