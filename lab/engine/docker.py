"""One Docker engine, through docker-py's low-level API.

The engine is composed of small parts, each a module: how hosts get onto
their networks (networking.py: wired by socklab, or attached by Docker),
host containers (hosts.py), commands in them (steps.py), captures
(captures.py), what is on the engine and its removal (inventory.py), and
the machine's firewall rules (hostfw.py). This class holds them together
and is the Engine (lab/engine/__init__.py) the runner drives.
"""
import concurrent.futures
import threading

import docker

from .. import labels as keys, runs, timings
from ..agent import contract
from . import captures, hostfw, hosts, image, inventory, steps, userimage
from .api import (client, docker_errors, parallel, remove_container,
                  together)
from .networking import Attached, Wired


class DockerEngine:
    def __init__(self, api, progress, networking, copies_files=False):
        self.api = api             # docker-py's low-level APIClient
        self.progress = progress
        self.networking = networking
        self.image = None          # the host image's tag, after prepare()
        self.subnets_clash = networking.subnets_clash
        # On another machine no path of ours exists: the scenario's folder
        # is copied into a volume there, once per run (run id -> volume).
        self.copies_files, self.copies = copies_files, {}
        self.lock = threading.Lock()
        self.lifetimes = {}  # container -> its captures before each kill

    @classmethod
    def from_env(cls, progress, base_url=None, attach=False):
        """The engine DOCKER_HOST names (or the local socket); with
        base_url, that one. attach: Docker attaches the hosts (a swarm
        node's overlays) instead of socklab wiring them."""
        api = client(base_url)
        return cls(api, progress, Attached(api) if attach else Wired(api),
                   copies_files=base_url is not None)

    def prepare(self):
        with docker_errors("building the host image"):
            self.image = image.ensure(self.api, self.progress)

    def copy_image(self, source, name, tag=None):
        """Have an image of source's engine here too (by default its host
        image, then this engine's too), copied from it: a swarm's node,
        called name; no registry is needed."""
        if tag is None:
            tag = self.image = source.image
        with docker_errors(f"copying {tag} to {name}"):
            try:
                self.api.inspect_image(tag)
            except docker.errors.ImageNotFound:
                with self.progress.phase(f"copying {tag} to node {name}"):
                    self.api.load_image(source.api.get_image(tag))

    # ------------------------------------------------------------- bring-up

    def up(self, plan):
        # Everything that can overlap does. Wired hosts are made while the
        # networks and the wiring helper are, and wait for those only to be
        # plugged in; the host rules and captures wait for them too. Each
        # host goes from creation to readiness while others are still being
        # created. The daemon's own speed is the floor (BENCHMARKS.md).
        with docker_errors("setting up the lab"), \
                concurrent.futures.ThreadPoolExecutor(1) as pool:
            made = pool.submit(timings.call, "up: networks",
                               self.networking.make_networks, plan,
                               self.image)
            self.networking.begin(plan.run_id, made)
            userimage.ensure(self.api, plan, self.progress)
            together(
                lambda: timings.call("up: host rules", self._reconcile,
                                     plan.run_id, plan.networks,
                                     helper=made.result()),
                lambda: self._hosts(plan),
                lambda: self._captures(plan, made))
            if plan.mode == keys.UP_MODE:
                inventory.mark_whole(self.api, plan.labels)

    def _hosts(self, plan):
        """Make every host, then wait until each is ready: a host's init
        runs while later ones are made, and no creation waits for an
        earlier host's readiness."""
        with timings.phase("up: hosts made"):
            parallel(lambda host: hosts.make(self.api, self.image,
                                             self.networking, plan, host,
                                             self._files(plan)), plan.hosts)
        with timings.phase("up: hosts ready (after made)"):
            parallel(lambda host: hosts.await_ready(self.api, host),
                     plan.hosts)

    def _captures(self, plan, made):
        made.result()  # the networks exist: their bridges do
        parallel(lambda net: captures.start(self.api, self.image, plan, net),
                 [n for n in plan.networks if n.capture])

    def start_host(self, plan, host):
        """Create, start and plug in one host, and await its init (a swarm
        places hosts one by one)."""
        hosts.make(self.api, self.image, self.networking, plan, host,
                   self._files(plan))
        hosts.await_ready(self.api, host)

    def _files(self, plan):
        """What the hosts here mount as the scenario's folder: the folder,
        or (an engine on another machine) a volume with a copy of it."""
        if not self.copies_files:
            return plan.directory
        with self.lock:
            if plan.run_id not in self.copies:
                self.copies[plan.run_id] = hosts.copy_files(
                    self.api, self.image, plan)
            return self.copies[plan.run_id]

    def remove_host(self, container):
        remove_container(self.api, container)

    # ---------------------------------------------------------------- steps

    def execute(self, plan, host, command, timeout, on_ready):
        with docker_errors(f"running a step on {host}"):
            return steps.execute(self.api, plan.host(host), command, timeout,
                                 on_ready)

    def partition(self, plan, host, network):
        with docker_errors(f"cutting {host} off {network}"):
            self.networking.disconnect(plan, plan.host(host),
                                       plan.link(host, network))

    def heal(self, plan, host, network):
        target = plan.host(host)
        with docker_errors(f"reconnecting {host} to {network}"):
            self.networking.reconnect(plan, target, plan.link(host, network))
            # A new interface: routes via it and its impairments are gone.
            steps.tool(self.api, target, [contract.NET, "apply"])

    def kill(self, plan, host):
        target = plan.host(host)
        with docker_errors(f"killing {host}"):
            # Its capture lives in a tmpfs that goes with it: kept first.
            lives = self.lifetimes.setdefault(target.netns, [])
            lives.append(captures.of_host(self.api, target.netns, len(lives)))
            hosts.stop(self.api, target)

    def restart(self, plan, host):
        target = plan.host(host)
        with docker_errors(f"restarting {host}"):
            seen = hosts.inits(self.api, target)
            self.api.start(target.netns)
            self.networking.started(plan, target)  # a new namespace
            hosts.await_ready(self.api, target, seen)

    def impair(self, plan, host, network, impairment):
        address = plan.link(host, network).address.split("/")[0]
        argv = [contract.NET, "impair", "--address", address]
        for key, value in impairment.spec().items():
            argv += [f"--{key}", str(value)]
        with docker_errors(f"impairing {host} on {network}"):
            steps.tool(self.api, plan.host(host), argv)

    def logs(self, plan, host):
        return hosts.log(self.api, plan.host(host))

    def host_captures(self, plan, host):
        container = plan.host(host).netns
        lives = self.lifetimes.pop(container, [])
        found = captures.of_host(self.api, container, len(lives))
        for kept in lives:
            found.update(kept)
        return found

    # ------------------------------------------------------ labs by hand

    def labs(self, whole=None):
        with docker_errors("listing labs"):
            return inventory.labs(self.api, whole)

    def lab(self, name):
        return inventory.find_lab(self.labs(), name)

    def lab_container(self, name, host):
        return inventory.host_container(self.lab(name), host)

    def attached(self, container, argv, out, err):
        with docker_errors(f"running a command in {container}"):
            return steps.attached(self.api, container, argv, out, err)

    def engine_url(self, container):
        return None  # ours: DOCKER_HOST, or the local socket

    def container_log(self, container):
        with docker_errors(f"reading the log of {container}"):
            return self.api.logs(container).decode("utf-8", "replace")

    def follow_log(self, container):
        with docker_errors(f"following the log of {container}"):
            partial = b""
            for chunk in self.api.logs(container, stream=True, follow=True):
                lines, _, partial = (partial + chunk).rpartition(b"\n")
                for line in lines.split(b"\n") if lines else ():
                    yield line.decode("utf-8", "replace") + "\n"
            if partial:
                yield partial.decode("utf-8", "replace") + "\n"

    # ------------------------------------------------------------- teardown

    def down(self, run_id):
        self._down(run_id, rules=True)

    def _down(self, run_id, rules):
        runs.forget(run_id)
        with docker_errors("removing the lab"):
            inventory.unmark(self.api, run_id)
            captures.stop_all(self.api, run_id)  # first, gently: whole pcaps
            helper = self.networking.finish(run_id)
            if helper:
                if helper.removed():
                    self.progress.say(
                        f"socklab: the wiring helper of run {run_id} was "
                        "removed while the run went on; removing the lab "
                        "without it")
                elif rules:  # through it, before it goes
                    timings.call("down: host rules", self._reconcile,
                                 run_id, drop=run_id, helper=helper)
                    rules = False
                helper.close()

            def drop_rules():
                if rules:
                    self._reconcile(run_id, drop=run_id)
            # Docker's networks (where it attached hosts) go once the hosts
            # have; socklab's bridges go with the rules (hostfw.py).
            with timings.phase("down: containers"):
                names = inventory.remove_containers(self.api, run_id,
                                                    drop_rules)
            inventory.remove_networks(self.api, run_id, self.progress.say,
                                      names)

    def remove_containers(self, run_id):
        """Remove the run's containers and volumes here (not its networks
        or host rules); return their names (a swarm's teardown, node by
        node)."""
        self.copies.pop(run_id, None)
        return inventory.remove_containers(self.api, run_id)

    def runs(self):
        """{run id: mode} of every run with resources on this engine."""
        return inventory.modes(self.api)

    def sweep(self, owner=None):
        with docker_errors("sweeping what interrupted runs left"):
            dead = inventory.sweep(
                self.runs(), lambda run: self._down(run, rules=False),
                self.progress.say, lambda run: inventory.keep_logs(
                    self.api, run))
            if owner:
                self._reconcile(owner)
        return dead

    def prune_builds(self):
        with docker_errors("removing socklab's builds"):
            return inventory.prune_builds(self.api)

    def _reconcile(self, owner, networks=(), drop=None, helper=None):
        hostfw.reconcile(self.api, self.image, owner, self.runs, networks,
                         drop, helper)

