"""Docker Swarm: one lab spread over the engines of a swarm's nodes.

Facts this module is built on (measured on Docker 20.10, single-node and
two-engine swarms, see README "Several engines: Docker Swarm"):
- A standalone container can join an *attachable* overlay network with a
  static address; a Swarm service cannot have one. So every lab host is a
  plain container made on its node's own engine, and every network an
  internal attachable overlay made on a manager, with the scenario's subnet.
- An internal overlay hands containers no default route (an internal
  bridge does), its MTU is 1450, and its traffic never passes the machine's
  FORWARD chain (it is bridged in the overlay's own namespace and carried
  between nodes in VXLAN): no host rules are needed.
- Each node's engine is found by the node's label socklab.engine (a Docker
  URL, set once with `docker node update --label-add`); the manager's own
  node needs none.
"""
import dataclasses
import time
from pathlib import Path

import docker

from .. import labels as keys
from ..errors import EnvironmentUnusable, RunFailed
from . import captures, inventory, userimage
from .api import docker_errors, parallel, remove_container, together
from .docker import DockerEngine
from .placement import Node, address_of, neighbours, place, spare_range

ENGINE_LABEL = "socklab.engine"  # on a swarm node: its engine's URL


class SwarmEngine:
    """The manager's engine makes the networks; each node's engine (a
    DockerEngine on which Docker attaches hosts) makes and runs the hosts
    placed on it, and everything that acts on one host is forwarded to it.
    """

    subnets_clash = True  # overlays are Docker's networks

    def __init__(self, manager, nodes, progress):
        self.manager = manager  # the manager node's DockerEngine
        self.api = manager.api  # the manager's client: overlays are its
        self.nodes = nodes
        self.progress = progress
        self.holder = {}    # container name -> the node's DockerEngine
        self.evidence = {}  # run id -> results folder, for network captures
        self.placed = {}    # run id -> {host name: Node}

    @property
    def image(self):
        return self.manager.image

    @classmethod
    def from_env(cls, progress, base_url=None):
        # Overlays span machines: Docker attaches the hosts to them.
        manager = DockerEngine.from_env(progress, base_url, attach=True)
        with docker_errors("reading the swarm"):
            swarm = manager.api.info()["Swarm"]
            if swarm.get("LocalNodeState") != "active" or \
                    not swarm.get("ControlAvailable"):
                raise EnvironmentUnusable(
                    "--engine swarm needs a swarm manager: this Docker engine"
                    f" is not one (swarm state: {swarm.get('LocalNodeState')})"
                    ". Point DOCKER_HOST at a manager, or make a swarm: "
                    "`docker swarm init`.")
            nodes, unreachable = [], []
            for info in manager.api.nodes():
                spec, name = info["Spec"], info["Description"]["Hostname"]
                if info["Status"]["State"] != "ready" or \
                        spec.get("Availability") != "active":
                    continue
                url = (spec.get("Labels") or {}).get(ENGINE_LABEL, "")
                if info["ID"] == swarm["NodeID"]:
                    engine, url = manager, ""
                elif url:
                    engine = DockerEngine.from_env(progress, url, attach=True)
                else:
                    unreachable.append(name)
                    continue
                nodes.append(Node(name, info["ID"], engine, url,
                                  address_of(info)))
        if unreachable:
            progress.say(f"socklab: not using node(s) {', '.join(unreachable)}"
                         f": no {ENGINE_LABEL} label says how to reach their "
                         "engine (README: Several engines)")
        return cls(manager, sorted(nodes, key=lambda n: n.name), progress)

    def prepare(self):
        """The host image on every node: built on the manager's engine,
        copied to each node that lacks it (no registry is needed)."""
        self.manager.prepare()
        for node in self.nodes:
            if node.engine is not self.manager:
                node.engine.copy_image(self.manager, node.name)

    # ------------------------------------------------------------- bring-up

    def up(self, plan):
        placed = place(plan.hosts, self.nodes)
        self.evidence[plan.run_id] = plan.evidence
        self.placed[plan.run_id] = placed
        with docker_errors("setting up the lab"):
            # Images of the user's: built on the manager, copied to the
            # nodes that run them (an image: must be on the manager).
            userimage.ensure(self.api, plan, self.progress)
            for host in plan.hosts:
                node = placed[host.name]
                if host.image and node.engine is not self.manager:
                    node.engine.copy_image(self.manager, node.name,
                                           host.image)
            parallel(lambda net: self._network(net, [
                address for h in plan.hosts
                for name, address in h.attachments
                if name == net.docker_name]), plan.networks)

            def start(host):
                node = placed[host.name]
                self.holder[host.container] = node.engine
                self._start_on(node, plan, dataclasses.replace(
                    host, labels={**host.labels, keys.NODE: node.name}))
            parallel(start, plan.hosts)
            # A node has a network's namespace once a host there joined it.
            together(*(lambda net=net: self._flood(plan, net)
                       for net in plan.networks),
                     *(lambda net=net, node=node: self._capture(net, node)
                       for net in plan.networks if net.capture
                       for node in self._nodes_on(plan, net)))
            if plan.mode == keys.UP_MODE:
                inventory.mark_whole(self.api, plan.labels)

    def _start_on(self, node, plan, host, attempts=3):
        """Start the host on its node. Docker 20.10 now and then gives up
        attaching a container to an attachable overlay with "context
        deadline exceeded" (seen here under load; moby#41841), and the same
        start works when tried again: the host is made afresh, twice at
        most, saying so."""
        for attempt in range(1, attempts + 1):
            try:
                return node.engine.start_host(plan, host)
            except docker.errors.APIError as exc:
                if "context deadline exceeded" not in str(exc) or \
                        attempt == attempts:
                    raise
                self.progress.say(f"socklab: Docker timed out attaching "
                                  f"{host.name} to its networks on "
                                  f"{node.name}; trying again")
                node.engine.remove_host(host.container)

    def _nodes_on(self, plan, net):
        placed = self.placed.get(plan.run_id, {})
        return {placed[h.name] for h in plan.hosts
                if h.name in placed and net.docker_name in dict(h.attachments)}

    def _network(self, net, used):
        # IPv4 only, whatever the scenario's families: Docker 20.10's IPv6
        # on an attachable overlay gives a container an address of the
        # pool's, not the one asked for, and the same one on two nodes
        # (for-linux#973); with no IPv4 pool one cannot attach at all
        # (moby#48116). The overlay carries any frame: hosts add their
        # IPv6 addresses themselves (links.sh), as on one engine.
        ipam = docker.types.IPAMConfig(pool_configs=[docker.types.IPAMPool(
            subnet=net.subnet4, gateway=net.gateway4,
            iprange=spare_range(net.subnet4, used, net.gateway4,
                                len(self.nodes)))])
        self.api.create_network(
            net.docker_name, driver="overlay", internal=True, attachable=True,
            ipam=ipam, labels=net.labels, check_duplicate=True)

    def _in_overlay(self, net, node, argv, labels, sysctls=False):
        """Start a helper on the node, in the namespace Docker keeps there
        for the overlay (1-<first 10 of its id>), named for its run, kind,
        network and node; return its id. With `sysctls`, its /proc/sys is
        writable (Docker mounts it read-only): what it writes under net/ is
        the overlay namespace's, the one it entered."""
        netns = "/run/docker/netns/1-" + \
            self.api.inspect_network(net.docker_name)["Id"][:10]
        api = node.engine.api
        host_config = api.create_host_config(
            # setns(2) needs SYS_ADMIN; not --privileged: some machines
            # (these) withhold a capability it would ask for.
            network_mode="host", cap_add=["SYS_ADMIN", "NET_ADMIN",
                                          "NET_RAW"],
            binds={"/run/docker/netns": {"bind": "/run/docker/netns",
                                         "mode": "ro"}})
        if sysctls:
            host_config["ReadonlyPaths"] = []
        container = api.create_container(
            self.image, labels={**net.labels, **labels},
            # (A flood helper is made again at each heal: no fixed name.)
            name=keys.helper(net.labels[keys.RUN], keys.CAPTURE_HELPER,
                             net.name, node.name)
            if labels[keys.HELPER] == keys.CAPTURE_HELPER else None,
            command=["nsenter", f"--net={netns}", *argv],
            host_config=host_config)["Id"]
        api.start(container)
        return container

    def _flood(self, plan, net):
        """Make broadcasts cross between nodes. Docker's overlay gives its
        VXLAN device a static entry per remote container and no flood
        entry, so a broadcast frame never leaves its node (measured:
        subnet-directed and 255.255.255.255 alike). An all-zero entry per
        other node makes the device copy broadcasts to each of them, inside
        this network's VXLAN only, as a LAN would. And the IPv6 neighbours
        on other nodes (placement.neighbours)."""
        nodes = self._nodes_on(plan, net)
        placed = self.placed.get(plan.run_id, {})
        for node in nodes if len(nodes) > 1 else ():
            others = [n.address for n in nodes if n is not node]
            six = neighbours(net, [h for h in plan.hosts
                                   if placed.get(h.name) is not node])
            script = "; ".join([
                f"bridge fdb append 00:00:00:00:00:00 dev vxlan0 dst {a}"
                for a in others] + six)
            api = node.engine.api
            helper = self._in_overlay(net, node, ["sh", "-ec", script],
                                      {keys.HELPER: keys.FLOOD}, bool(six))
            try:
                if api.wait(helper, timeout=60)["StatusCode"]:
                    raise RunFailed(
                        f"could not let broadcasts{' and IPv6' * bool(six)}"
                        f" on {net.name} cross to other nodes from "
                        f"{node.name}: "
                        + api.logs(helper).decode("utf-8", "replace"))
            finally:
                remove_container(api, helper)

    def _capture(self, net, node):
        """tcpdump on the overlay's bridge (br0) on one node. The file stays
        in the helper until teardown copies it out: the node may be another
        machine."""
        several = len(self.nodes) > 1
        name = f"{net.name}.{node.name}.pcap" if several else \
            f"{net.name}.pcap"
        container = self._in_overlay(net, node, [
            *captures.TCPDUMP, "-i", "br0", "-w", f"/tmp/{name}"],
            {keys.HELPER: keys.CAPTURE_HELPER, keys.CAPTURE: name})
        captures.listening(node.engine.api, container, net.name)

    # ------------------------------------------------- one host's engine

    def _node_of(self, container):
        """The node engine that holds a container (found once, then kept)."""
        if container not in self.holder:
            for node in self.nodes:
                if node.engine.api.containers(all=True, filters={
                        "name": f"^/{container}$"}):
                    self.holder[container] = node.engine
                    break
            else:
                return self.manager  # gone: let the manager's engine say so
        return self.holder[container]

    def _host_engine(self, plan, host):
        return self._node_of(plan.host(host).container)

    def execute(self, plan, host, command, timeout, on_ready):
        return self._host_engine(plan, host).execute(plan, host, command,
                                                     timeout, on_ready)

    def partition(self, plan, host, network):
        self._host_engine(plan, host).partition(plan, host, network)

    def heal(self, plan, host, network):
        """Reconnect, then flood again: a node whose last host on the
        network was cut off made the network's namespace afresh, without
        the entries."""
        self._host_engine(plan, host).heal(plan, host, network)
        with docker_errors(f"reconnecting {host} to {network}"):
            self._flood(plan, plan.network(network))

    def kill(self, plan, host):
        self._host_engine(plan, host).kill(plan, host)

    def restart(self, plan, host):
        self._host_engine(plan, host).restart(plan, host)

    def impair(self, plan, host, network, impairment):
        self._host_engine(plan, host).impair(plan, host, network, impairment)

    def logs(self, plan, host):
        return self._host_engine(plan, host).logs(plan, host)

    def host_captures(self, plan, host):
        return self._host_engine(plan, host).host_captures(plan, host)

    # ------------------------------------------------------ labs by hand

    def labs(self):
        merged = {}
        with docker_errors("listing labs"):
            whole = inventory.marked(self.api)  # marks are the manager's
        for node in self.nodes:
            for lab in node.engine.labs(whole):
                merged.setdefault(lab.run, dataclasses.replace(
                    lab, hosts={})).hosts.update(lab.hosts)
        return sorted(merged.values(), key=lambda lab: lab.name)

    def lab(self, name):
        return inventory.find_lab(self.labs(), name)

    def lab_container(self, name, host):
        return inventory.host_container(self.lab(name), host)

    def attached(self, container, argv, out, err):
        return self._node_of(container).attached(container, argv, out, err)

    def container_log(self, container):
        return self._node_of(container).container_log(container)

    def follow_log(self, container):
        return self._node_of(container).follow_log(container)

    def engine_url(self, container):
        engine = self._node_of(container)
        return next((n.url for n in self.nodes
                     if n.engine is engine and n.url), None)

    # ------------------------------------------------------------- teardown

    def down(self, run_id):
        """Overlays need no host rules (module docstring): containers on
        every node, then the networks, waited for until every node has
        forgotten them."""
        with docker_errors("removing the lab"):
            inventory.unmark(self.api, run_id)
            self._save_captures(run_id)
            names = sum(parallel(
                lambda node: node.engine.remove_containers(run_id),
                self.nodes), [])
            inventory.remove_networks(self.api, run_id, self.progress.say,
                                      names)
            # A node forgets a removed overlay a moment later: wait, so
            # that the run really is gone when down returns.
            deadline = time.monotonic() + 15
            while time.monotonic() < deadline and any(
                    n.engine.api.networks(filters=keys.of_run(run_id))
                    for n in self.nodes):
                time.sleep(0.2)
        for container in [c for c in self.holder if f"-{run_id}-" in c]:
            del self.holder[container]
        self.placed.pop(run_id, None)

    def _save_captures(self, run_id):
        folder = self.evidence.pop(run_id, None)
        for node in self.nodes:
            api = node.engine.api
            for info in captures.helpers(api, run_id):
                captures.stop(api, info)
                name = info["Labels"][keys.CAPTURE]
                for data in captures.files(api, info["Id"],
                                           f"/tmp/{name}").values():
                    if folder:
                        (Path(folder) / name).write_bytes(data)

    def prune_builds(self):
        return sum((n.engine.prune_builds() for n in self.nodes), [])

    def sweep(self, owner=None):
        with docker_errors("sweeping what interrupted runs left"):
            found = inventory.modes(*(n.engine.api for n in self.nodes))
            return inventory.sweep(found, self.down, self.progress.say)
