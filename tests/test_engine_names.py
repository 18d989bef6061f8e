"""What the engine says and shows of what is not a run's own: on a swarm
(Docker's networks), a subnet that overlaps a lab left up by `socklab up`
is refused naming that lab and what to do, exit 2; capture helpers carry a
name of ours. Docker's answers faked."""
import docker
import pytest

from lab import labels as keys
from lab.errors import EnvironmentUnusable, InUse
from lab.engine.networking import Attached
from lab.plan import make, new_run_id
from lab.scenario import load_scenario

LAB = """\
networks: {lan: {subnet: 10.219.0.0/24}}
hosts:
  a: {interfaces: {lan: 10.219.0.10}}
"""


class Engine:
    """Docker's answers: every network it has, and a refusal to make one
    that overlaps."""
    def __init__(self, held):
        self.held = held

    def networks(self):
        return [{"Id": n["Name"]} for n in self.held]

    def inspect_network(self, name):
        return next(n for n in self.held if n["Name"] == name)

    def create_network(self, *_, **__):
        raise docker.errors.APIError(
            "Pool overlaps with other one on this address space")


def _held(name, subnet, labels):
    return {"Name": name, "Labels": labels,
            "IPAM": {"Config": [{"Subnet": subnet}]}}


def _refusal(tmp_path, held):
    path = tmp_path / "mine.yaml"
    path.write_text(LAB)
    plan = make(load_scenario(path), new_run_id())
    with pytest.raises((InUse, EnvironmentUnusable)) as caught:
        Attached(Engine(held)).make_networks(plan, "image")
    return caught.value


def test_a_lab_left_up_is_named(tmp_path):
    up = _held("socklab-abc-lan", "10.219.0.0/16", {
        keys.SCENARIO: "lesson", keys.MODE: keys.UP_MODE,
        keys.NETWORK: "dmz", keys.RUN: "abc"})
    found = _refusal(tmp_path, [_held("bridge", "172.17.0.0/16", {}), up])
    assert isinstance(found, InUse) and found.exit_status == 2
    assert str(found) == (
        "network lan (10.219.0.0/24) overlaps 10.219.0.0/16 of lab lesson "
        "(network dmz, run abc), left up by `socklab up`; on a swarm labs "
        "whose subnets overlap cannot be up at once: `socklab down lesson` "
        "first, or change this scenario's subnet")


def test_a_network_not_of_socklab_is_named(tmp_path):
    found = _refusal(tmp_path, [_held("mine_default", "10.219.0.0/24", {})])
    assert type(found) is EnvironmentUnusable
    assert "overlaps 10.219.0.0/24 of Docker network mine_default" in \
        str(found)


def test_a_capture_helper_is_named_for_its_run_and_network(tmp_path):
    # `docker ps` shows whose it is (not a random name); sweeps still find
    # it by its labels, which are the network's and the helper's.
    from lab.engine import captures
    made = {}

    class Api:
        def create_container(self, image, **options):
            made.update(options)
            return {"Id": "c1"}

        def start(self, _):
            pass

        def create_host_config(self, **options):
            return options

        def logs(self, *_, **__):
            yield b"listening on slb"

    path = tmp_path / "mine.yaml"
    path.write_text(LAB.replace("lan: {subnet", "lan: {capture: true, "
                                "subnet"))
    plan = make(load_scenario(path), new_run_id(), evidence=tmp_path)
    captures.start(Api(), "image", plan, plan.networks[0])
    assert made["name"] == f"socklab-{plan.run_id}-capture.lan"
    assert made["labels"][keys.RUN] == plan.run_id
    assert made["labels"][keys.HELPER] == keys.CAPTURE_HELPER
