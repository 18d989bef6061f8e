"""How a lab's networks are made and its hosts get onto them, chosen once
per engine.

Wired (one engine): the networks are Linux bridges of socklab's own, and
Docker does no networking for a host at all; the run's wiring helper makes
the bridges and plugs each host in with a veth pair. Each container Docker
attaches costs the daemon three re-executions of itself (resolver, IPv6,
key hooks) and as much again to detach, and even `network_mode: none` costs
two: a third of a host's bring-up (BENCHMARKS.md). And Docker refuses a
network whose subnet overlaps another's, where plain bridges do not mind:
labs of one scenario run side by side (a class graded at once).

Attached (a swarm's overlays, which span machines): Docker's networks, and
Docker attaches the host, created on its first network, the others
connected before it starts; the host's init removes the default route an
internal network hands out. Overlapping subnets take turns (runs.py).

Both answer the same questions, so the engine never asks which it has.
"""
import concurrent.futures
import threading
from dataclasses import dataclass
from ipaddress import ip_network

import docker

from .. import runs
from ..agent import contract
from .. import labels as keys
from ..errors import EnvironmentUnusable, InUse
from ..plan import hosts_file, name_lines
from .wiring import Wiring, bridges, cut, wire

# Inside a host socklab wires, IPv6 is off, as Docker has it on networks
# without IPv6, unless one of the host's networks has IPv6.
NO_IPV6 = {"net.ipv6.conf.all.disable_ipv6": "1",
           "net.ipv6.conf.default.disable_ipv6": "1"}
# Where it is on, a host has the scenario's addresses and its link-local
# one (fe80::, from its MAC), nothing else: it takes no router
# advertisement and configures no address of its own; no address waits
# for Duplicate Address Detection (the scenario's are unique). `default`
# is what the links wired in after the start inherit.
IPV6 = {f"net.ipv6.conf.{which}.{key}": value
        for which in ("all", "default")
        for key, value in (("disable_ipv6", "0"), ("accept_ra", "0"),
                           ("autoconf", "0"), ("accept_dad", "0"),
                           ("dad_transmits", "0"))}


def sysctls(host):
    """The family settings of a host (plan.HostPlan): a router forwards
    every family it has."""
    if not host.ipv6:
        return NO_IPV6
    return {**IPV6, "net.ipv6.conf.all.forwarding":
            "1" if host.forward else "0"}


@dataclass(frozen=True)
class Options:
    """create_container's networking arguments for one host."""
    mode: str            # network_mode
    sysctls: dict
    extra_hosts: object  # dict, or None where the init writes /etc/hosts
    environment: dict
    config: object       # networking_config
    disabled: bool       # network_disabled
    binds: dict          # more binds (/etc/hosts, where Docker writes none)


# Names come from /etc/hosts only: no DNS in the lab, so an unknown name
# fails at once, and nothing is asked outside it.
RESOLV_CONF = ("# socklab: no DNS in the lab; names are in /etc/hosts\n"
               "nameserver 127.0.0.1\n")


class Wired:
    subnets_clash = False

    def __init__(self, api):
        self.api = api
        self.helpers = {}  # run id -> Future of its Wiring
        self.files = {}    # run id -> the folder of its hosts and resolv.conf
        self.lock = threading.Lock()

    def make_networks(self, plan, image):
        """Start the run's wiring helper and make the networks' bridges with
        it; return the helper."""
        helper = Wiring.start(self.api, image, plan.labels)
        helper.call(bridges((n.bridge for n in plan.networks), plan.run_id),
                    "the bridges")
        return helper

    def begin(self, run_id, helper):
        """helper: the Future of start_helper's result."""
        self.helpers[run_id] = helper

    def helper(self, run_id):
        """The run's wiring helper, once its networks exist."""
        if run_id not in self.helpers:  # a lab another process started
            self.helpers[run_id] = concurrent.futures.Future()
            self.helpers[run_id].set_result(Wiring.find(self.api, run_id))
        return self.helpers[run_id].result()

    def finish(self, run_id):
        """Forget the run's helper; return it if it had a working one."""
        self.files.pop(run_id, None)
        helper = self.helpers.pop(run_id, None)
        return helper.result() if helper and not helper.exception() \
            else None

    def create_options(self, host, run_id):
        """How the host is created (Options)."""
        # runc gives the host an empty network namespace, and Docker writes
        # no /etc/hosts or resolv.conf for it: socklab binds them (its root
        # is read-only).
        environment = {**host.environment, contract.LINKS: " ".join(
            f"{link.inside}={link.address}" for link in host.links)}
        folder = self._names(run_id, host.extra_hosts)
        return Options("none", sysctls(host), None, environment, None,
                       True, {
            str(folder / "hosts"): {"bind": "/etc/hosts", "mode": "ro"},
            str(folder / "resolv.conf"): {"bind": "/etc/resolv.conf",
                                          "mode": "ro"}})

    def _names(self, run_id, table):
        """The run's folder of /etc/hosts and resolv.conf, written once:
        every host has the same names, and a file each was a quadratic
        cost (1,000 hosts, 2,000 lines each)."""
        with self.lock:
            if run_id not in self.files:
                folder = runs.host_files(run_id)
                folder.mkdir(parents=True, exist_ok=True)
                (folder / "hosts").write_text(hosts_file(table))
                (folder / "resolv.conf").write_text(RESOLV_CONF)
                self.files[run_id] = folder
            return self.files[run_id]

    def created(self, container, host):
        """Nothing: the host is plugged in once started."""

    def started(self, plan, host):
        """Plug the started host (a new network namespace) in."""
        self._plug(plan, host, host.links)

    def disconnect(self, plan, host, link):
        self.helper(plan.run_id).call(cut([link]),
                                      f"{host.name} off {link.network}")

    def reconnect(self, plan, host, link):
        self._plug(plan, host, [link])

    def _plug(self, plan, host, links):
        pid = self.api.inspect_container(host.netns)["State"]["Pid"]
        self.helper(plan.run_id).call(wire(pid, links, plan.run_id),
                                      f"host {host.name}")


class Attached:
    subnets_clash = True  # Docker refuses overlapping pools

    def __init__(self, api):
        self.api = api

    def make_networks(self, plan, image):
        """Docker's internal bridge networks, with no address on the
        machine's side; None (no helper)."""
        for net in plan.networks:
            ipam = docker.types.IPAMConfig(pool_configs=[
                docker.types.IPAMPool(subnet=net.subnet4,
                                      gateway=net.gateway4)])
            try:
                self.api.create_network(
                    net.docker_name, driver="bridge", internal=True,
                    ipam=ipam, labels=net.labels, check_duplicate=True,
                    options={"com.docker.network.bridge.name": net.bridge,
                             "com.docker.network.bridge.inhibit_ipv4":
                             "true"})
            except docker.errors.APIError as exc:
                if "overlap" not in str(exc):
                    raise
                raise self._overlapped(net) from None
        return None

    def _overlapped(self, net):
        """Why Docker refused the network: the lab or network that holds
        an overlapping subnet, named. (Live runs' labs take turns before
        this; what is left is a lab left up, or not socklab's at all.)"""
        mine, subnet = f"network {net.name} ({net.subnet})", \
            ip_network(net.subnet)
        for other in self.api.networks():
            other = self.api.inspect_network(other["Id"])
            subnets = [c.get("Subnet") for c in (other.get("IPAM") or {})
                       .get("Config") or [] if c.get("Subnet")]
            if not any(ip_network(s).version == subnet.version and
                       ip_network(s).overlaps(subnet) for s in subnets):
                continue
            tags = other.get("Labels") or {}
            lab = tags.get(keys.SCENARIO)
            if lab and tags.get(keys.MODE) == keys.UP_MODE:
                return InUse(
                    f"{mine} overlaps {subnets[0]} of lab {lab} (network "
                    f"{tags.get(keys.NETWORK, '?')}, run {tags.get(keys.RUN)})"
                    f", left up by `socklab up`; on a swarm labs whose "
                    f"subnets overlap cannot be up at once: `socklab down "
                    f"{lab}` first, or change this scenario's subnet")
            return EnvironmentUnusable(
                f"{mine} overlaps {subnets[0]} of Docker network "
                f"{other.get('Name')}" + (f" (lab {lab})" if lab else "") +
                ", which is not this run's: remove it (`docker network rm`)"
                " or change the scenario's subnet")
        return EnvironmentUnusable(
            f"{mine} overlaps a Docker network that is not this run's "
            "(`docker network ls`): remove it or change the scenario's "
            "subnet")

    def begin(self, run_id, helper):
        helper.result()  # the hosts are created on their networks

    def helper(self, run_id):
        return None

    def finish(self, run_id):
        return None

    def create_options(self, host, run_id):
        network, address = host.attachments[0]
        extra_hosts = [f"{n}:{a}" for a, n in name_lines(host.extra_hosts)]
        # runc sets these once Docker has attached the interfaces: `all`
        # reaches them (IPv6 on or off, forwarding); `default` only later
        # ones, so their accept_ra stays the kernel's (nothing on a lab
        # segment sends router advertisements but a program of the user's)
        return Options(network, sysctls(host), extra_hosts, host.environment,
                       self.api.create_networking_config({
                           network: self.api.create_endpoint_config(
                               ipv4_address=address)}), False, {})

    def created(self, container, host):
        for network, address in host.attachments[1:]:
            self.api.connect_container_to_network(container, network,
                                                  ipv4_address=address)

    def started(self, plan, host):
        """Nothing: Docker attached the host as it started."""

    def disconnect(self, plan, host, link):
        self.api.disconnect_container_from_network(host.netns,
                                                   link.network)

    def reconnect(self, plan, host, link):
        self.api.connect_container_to_network(
            host.netns, link.network,
            ipv4_address=dict(host.attachments)[link.network])
