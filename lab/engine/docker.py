"""The local Docker engine, through docker-py's low-level API.

Facts this module is built on (measured on Docker 20.10, see DESIGN.md and
BENCHMARKS.md): each container Docker attaches to a network costs the
daemon three re-executions of itself (resolver, IPv6, key hooks) and as
much work again to detach, a third of a host's bring-up and teardown. So
hosts start with no network and the run's wiring helper plugs them into the
networks' bridges (wiring.py); the bridges are still Docker's networks.
Where Docker must attach them (a swarm's overlays: `wires=False`), a
container is created on one network and the others are connected before it
starts, and the host's init removes the default route internal networks
hand out.
"""
import concurrent.futures
import contextlib
import io
import json
import socket
import tarfile
import time

import docker
import requests
import urllib3

from .. import interrupts, runs
from ..errors import EnvironmentUnusable, NotFound, RunFailed
from ..plan import LABEL_MODE, LABEL_OWNER, LABEL_RUN, WORKDIR, hosts_file
from ..progress import tail
from . import hostfw, image
from .wiring import Wiring, cut, wire

WORKERS = 16      # parallel Docker API calls; the daemon serialises beyond
LOG_TAIL = 30     # lines of a host's log shown when it fails


@contextlib.contextmanager
def docker_errors(doing):
    """Docker API and connection errors -> EnvironmentUnusable, one line."""
    try:
        yield
    except docker.errors.APIError as exc:
        raise EnvironmentUnusable(
            f"Docker refused {doing}: {exc.explanation or exc}") from None
    except (requests.exceptions.RequestException,
            urllib3.exceptions.HTTPError, docker.errors.DockerException,
            OSError) as exc:
        # A daemon that goes away mid-stream surfaces as any of these.
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise EnvironmentUnusable(
            f"lost the Docker daemon while {doing}: {first}") from None


def parallel(function, items):
    """Apply function to every item at once; raise the first error after
    all have finished (so nothing is still being created behind us)."""
    items = list(items)
    if len(items) <= 1:
        return [function(item) for item in items]
    with concurrent.futures.ThreadPoolExecutor(WORKERS) as pool:
        futures = [pool.submit(function, item) for item in items]
        try:
            concurrent.futures.wait(futures)
        except BaseException:
            # Interrupted: let what is being created finish, so teardown
            # (which finds resources by label) sees all of it.
            for future in futures:
                future.cancel()
            with interrupts.deferred():
                concurrent.futures.wait(futures)
            raise
    return [future.result() for future in futures]


# Inside a host, IPv6 is off, as Docker has it on networks without IPv6.
NO_IPV6 = {"net.ipv6.conf.all.disable_ipv6": "1",
           "net.ipv6.conf.default.disable_ipv6": "1"}


class DockerEngine:
    def __init__(self, client, progress, wires=True):
        self.api = client.api
        self.progress = progress
        self.image = None
        self.wires = wires  # False: Docker attaches hosts (overlays)
        self.wiring = {}    # run id -> Future of its Wiring (see up)

    @classmethod
    def from_env(cls, progress, base_url=None, wires=True):
        """The engine DOCKER_HOST names (or the local socket); with
        base_url, that one (a swarm node's engine)."""
        try:
            client = docker.DockerClient(base_url=base_url, max_pool_size=64,
                                         timeout=120) if base_url else \
                docker.from_env(max_pool_size=64, timeout=120)
            client.ping()
        except (docker.errors.DockerException,
                requests.exceptions.RequestException) as exc:
            where = base_url or "here"
            raise EnvironmentUnusable(
                f"no Docker daemon answers {where} "
                f"({str(exc).splitlines()[0][:160]}). Start one: "
                "`systemctl start docker` or `dockerd &` (Debian: "
                "apt-get install docker.io), or point DOCKER_HOST at one."
            ) from None
        return cls(client, progress, wires)

    def prepare(self):
        """Make sure the host image exists (built once per input change)."""
        with docker_errors("the host image"):
            self.image = image.ensure(self.api, self.progress)

    # ------------------------------------------------------------- bring-up

    def up(self, plan):
        # Everything that can overlap does. Hosts start with no network, so
        # they are made while the networks and the wiring helper are, and
        # wait for those only to be wired; the host rules and captures wait
        # for them too. Each host goes from creation to readiness while
        # others are still being created. The daemon's own speed is the
        # floor (BENCHMARKS.md).
        with docker_errors("setting up the lab"), \
                concurrent.futures.ThreadPoolExecutor(1) as pool:
            wiring = pool.submit(self._networks, plan)
            if self.wires:
                self.wiring[plan.run_id] = wiring
            else:  # Docker attaches hosts: their networks must be there
                wiring.result()
            parallel(lambda job: job(), [
                lambda: self._reconcile_rules(
                    plan.run_id, plan.networks, helper=wiring.result()),
                lambda: self._hosts(plan),
                lambda: self._captures(plan, wiring)])

    def _networks(self, plan):
        """Make the networks and, where socklab wires the hosts, the run's
        wiring helper; return the helper (None without)."""
        return parallel(lambda job: job(), [
            lambda: parallel(self._network, plan.networks),
            lambda: Wiring.start(self.api, self.image, plan.labels)
            if self.wires else None])[1]

    def _captures(self, plan, networks):
        networks.result()  # made: their bridges exist
        parallel(lambda net: self._capture(plan, net),
                 [n for n in plan.networks if n.capture])

    def _network(self, net):
        ipam = docker.types.IPAMConfig(pool_configs=[
            docker.types.IPAMPool(subnet=net.subnet, gateway=net.gateway)])
        try:
            self.api.create_network(
                net.docker_name, driver="bridge", internal=True, ipam=ipam,
                labels=net.labels, check_duplicate=True, options={
                    "com.docker.network.bridge.name": net.bridge,
                    # No address on the host's side: the machine itself is
                    # not on the lab's segments.
                    "com.docker.network.bridge.inhibit_ipv4": "true"})
        except docker.errors.APIError as exc:
            if "overlap" in str(exc):
                raise EnvironmentUnusable(
                    f"network {net.name} ({net.subnet}) overlaps a Docker "
                    "network that is not this run's: a lab left up (`socklab"
                    " ls`, `socklab down NAME`), a compose lab, or another "
                    "network (`docker network ls`). Remove it or change the "
                    "scenario's subnet.") from None
            raise

    def _hosts(self, plan):
        """Make and start every host, then wait until each is ready: a
        host's init runs while later ones are made, and no creation waits
        for an earlier host's readiness."""
        parallel(lambda host: self._make(plan, host), plan.hosts)
        parallel(self._await, plan.hosts)

    def _start(self, plan, host):
        self._make(plan, host)
        self._await(host)

    def _make(self, plan, host):
        """Create, start and wire the host."""
        if self.wires:
            # Docker does no networking for the host at all: runc gives it
            # an empty network namespace, the wiring helper plugs it in, and
            # its init writes /etc/hosts (Docker writes none then). Even
            # `network_mode: none` costs the daemon two re-executions of
            # itself per host (sandbox, key hook): a third of its bring-up.
            mode, sysctls, networking = "none", NO_IPV6, None
            environment = {**host.environment, "SOCKLAB_LINKS": " ".join(
                f"{link.inside}={link.address}" for link in host.links),
                "SOCKLAB_ETC_HOSTS": hosts_file(host.extra_hosts)}
        else:
            (mode, address), sysctls = host.attachments[0], {}
            environment = host.environment
            networking = self.api.create_networking_config({
                mode: self.api.create_endpoint_config(ipv4_address=address)})
        host_config = self.api.create_host_config(
            binds={plan.directory: {"bind": WORKDIR, "mode": "ro"}},
            # NET_ADMIN stays inside the host's own network namespace; the
            # init needs it for addresses and routes, programs run without.
            cap_add=["NET_ADMIN"], init=True, network_mode=mode,
            extra_hosts=None if self.wires else host.extra_hosts,
            sysctls={"net.ipv4.ip_forward": "1" if host.forward else "0",
                     **sysctls},
            pids_limit=host.limits.pids, mem_limit=host.limits.memory,
            memswap_limit=host.limits.memory,  # no swap: a hog is stopped
            nano_cpus=int(host.limits.cpus * 1e9))
        container = self.api.create_container(
            self.image, command=["socklab-init"], name=host.container,
            hostname=host.name, labels=host.labels, working_dir=WORKDIR,
            environment=environment, host_config=host_config,
            networking_config=networking, network_disabled=self.wires)["Id"]
        for network, address in () if self.wires else host.attachments[1:]:
            self.api.connect_container_to_network(container, network,
                                                  ipv4_address=address)
        self.api.start(container)
        self._wire(plan, host, host.links)

    def _wire(self, plan, host, links):
        """Plug the started host into its networks (when this engine wires
        them; Docker has otherwise)."""
        if not self.wires:
            return
        pid = self.api.inspect_container(host.container)["State"]["Pid"]
        self._wiring(plan.run_id).call(wire(pid, links), f"host {host.name}")

    def _wiring(self, run_id):
        """The run's wiring helper, once its networks exist."""
        if run_id not in self.wiring:  # a lab another process started
            self.wiring[run_id] = concurrent.futures.Future()
            self.wiring[run_id].set_result(Wiring.find(self.api, run_id))
        return self.wiring[run_id].result()

    def _capture(self, plan, net):
        """tcpdump on the network's bridge, from the host's namespace, into
        the run's results folder, each packet written as it arrives;
        returns once it listens."""
        container = self.api.create_container(
            self.image, labels={**net.labels, "socklab.helper": "capture"},
            command=["tcpdump", "--immediate-mode", "-U", "-Z", "root", "-i",
                     net.bridge, "-w",
                     f"/captures/{net.name}.pcap"],
            host_config=self.api.create_host_config(
                network_mode="host", cap_add=["NET_ADMIN", "NET_RAW"],
                binds={plan.evidence: {"bind": "/captures", "mode": "rw"}}),
        )["Id"]
        self.api.start(container)
        self.listening(container, net.name)

    def listening(self, container, network):
        """Return once the capture helper's tcpdump listens."""
        stream = self.api.logs(container, stream=True, follow=True)
        try:
            for chunk in stream:
                if b"listening on" in chunk:
                    return
        finally:
            stream.close()
        raise RunFailed(f"could not capture on {network}: "
                        + self.api.logs(container).decode("utf-8", "replace"))

    def _await(self, host, seen=0):
        """Follow the host's log until its init says ready (for the
        seen+1-th time: a restarted host's log holds its earlier starts)
        or failed."""
        stream = self.api.logs(host.container, stream=True, follow=True)
        pending = b""
        try:
            for chunk in stream:
                pending += chunk
                *lines, pending = pending.split(b"\n")
                for line in lines:
                    if line == b"socklab-init: ready":
                        seen -= 1
                        if seen < 0:
                            return
                    if line.startswith(b"socklab-init: failed:"):
                        self._failed(host, line.decode("utf-8", "replace"))
        finally:
            stream.close()
        self._failed(host, "the host stopped during set-up")

    def _failed(self, host, why):
        log = self.api.logs(host.container).decode("utf-8", "replace")
        raise RunFailed(f"host {host.name} could not start: {why}\n"
                        f"--- last lines of {host.name}'s log ---\n"
                        f"{tail(log, LOG_TAIL)}")

    # ---------------------------------------------------------------- steps

    def _exec_create(self, host, argv):
        try:
            return self.api.exec_create(host.container, argv,
                                        workdir=WORKDIR)["Id"]
        except docker.errors.APIError as exc:
            if exc.status_code == 409:  # killed by a step: a result, not
                raise RunFailed(f"host {host.name} is not running (killed "
                                "by an earlier step?)") from None
            raise

    def execute(self, plan, host, command, timeout, on_ready):
        target = plan.host(host)
        argv = ["socklab-step", "--timeout", str(timeout)] + \
            (["--net-admin"] if target.net_admin else []) + ["--", command]
        with docker_errors(f"running a step on {host}"):
            exec_id = self._exec_create(target, argv)
            output = bytearray()
            for out, err in self.api.exec_start(exec_id, stream=True,
                                                demux=True):
                output += out or b""
                if err and b"socklab-step: ready" in err:
                    on_ready()
            try:
                return json.loads(output.decode("utf-8", "replace"))
            except ValueError:
                code = self.api.exec_inspect(exec_id).get("ExitCode")
                raise RunFailed(f"the step runner on {host} failed (exit "
                                f"{code}): {output[-500:]!r}") from None

    # --------------------------------------------------------------- faults

    def _tool(self, host, argv):
        """Run one of socklab's own tools in the host, as root."""
        exec_id = self._exec_create(host, argv)
        output = self.api.exec_start(exec_id).decode("utf-8", "replace")
        if self.api.exec_inspect(exec_id)["ExitCode"]:
            raise RunFailed(f"{' '.join(argv)} on {host.name}: {output}")

    def _link(self, plan, host, network):
        """The host's Link on the network (its Docker network's name and
        the host's address there, also where Docker attaches hosts)."""
        name = plan.network(network).docker_name
        return next(link for link in host.links if link.network == name)

    def partition(self, plan, host, network):
        target = plan.host(host)
        link = self._link(plan, target, network)
        with docker_errors(f"cutting {host} off {network}"):
            if self.wires:
                self._wiring(plan.run_id).call(cut([link]),
                                               f"{host} off {network}")
            else:
                self.api.disconnect_container_from_network(
                    target.container, link.network)

    def heal(self, plan, host, network):
        target = plan.host(host)
        link = self._link(plan, target, network)
        with docker_errors(f"reconnecting {host} to {network}"):
            if self.wires:
                self._wire(plan, target, [link])
            else:
                self.api.connect_container_to_network(
                    target.container, link.network,
                    ipv4_address=link.address.split("/")[0])
            # A new interface: routes via it and its impairments are gone.
            self._tool(target, ["socklab-net", "apply"])

    def kill(self, plan, host):
        target = plan.host(host)
        with docker_errors(f"killing {host}"):
            self.api.kill(target.container)
            self.api.wait(target.container, timeout=30)

    def restart(self, plan, host):
        target = plan.host(host)
        with docker_errors(f"restarting {host}"):
            seen = self.api.logs(target.container).count(
                b"socklab-init: ready\n")
            self.api.start(target.container)
            self._wire(plan, target, target.links)  # a new namespace
            self._await(target, seen)

    def impair(self, plan, host, network, impairment):
        target = plan.host(host)
        address = self._link(plan, target, network).address.split("/")[0]
        argv = ["socklab-net", "impair", "--address", address]
        for key, value in impairment.spec().items():
            argv += [f"--{key}", str(value)]
        with docker_errors(f"impairing {host} on {network}"):
            self._tool(target, argv)

    def host_captures(self, plan, host):
        """The host's own captures (capture: true): {file name: pcap bytes},
        capture.pcap and, after restarts, capture.restart-N.pcap."""
        return {name: data for name, data in self.files(
            plan.host(host).container, "/var/log/socklab").items()
            if name.endswith(".pcap")}

    def files(self, container, path):
        """{file name: bytes} of the files at path (a file or a folder) in
        the container; {} if it has none (gone, never written)."""
        try:
            stream, _ = self.api.get_archive(container, path)
            archive = tarfile.open(fileobj=io.BytesIO(b"".join(stream)))
            return {m.name.rsplit("/", 1)[-1]: archive.extractfile(m).read()
                    for m in archive.getmembers() if m.isfile()}
        except (docker.errors.APIError, requests.exceptions.RequestException,
                tarfile.TarError):
            return {}

    def logs(self, plan, host):
        try:
            data = self.api.logs(plan.host(host).container)
        except (docker.errors.APIError, requests.exceptions.RequestException):
            return ""
        return data.decode("utf-8", "replace")

    # ------------------------------------------------------ labs by hand

    def labs(self):
        """Labs left running by `socklab up`: [{name, run, hosts, created}]."""
        with docker_errors("listing labs"):
            found = {}
            for info in self.api.containers(all=True, filters={
                    "label": f"{LABEL_MODE}=up"}):
                labels = info["Labels"]
                if "socklab.host" not in labels:
                    continue  # a helper of the lab (wiring, capture)
                lab = found.setdefault(labels[LABEL_RUN], {
                    "name": labels.get("socklab.scenario"),
                    "run": labels[LABEL_RUN], "hosts": {},
                    "created": info["Created"]})
                lab["hosts"][labels.get("socklab.host")] = info["State"]
            return sorted(found.values(), key=lambda lab: lab["name"])

    def lab(self, name):
        for lab in self.labs():
            if lab["name"] == name:
                return lab
        known = ", ".join(lab["name"] for lab in self.labs()) or "none"
        raise NotFound(f"no lab named {name!r} is up (labs: {known}); start "
                       "one with `socklab up FILE`")

    def lab_container(self, name, host):
        lab = self.lab(name)
        if host not in lab["hosts"]:
            raise NotFound(f"lab {name} has no host {host!r}; its hosts are "
                           f"{', '.join(sorted(lab['hosts']))}")
        return f"socklab-{lab['run']}-{host}"

    def attached(self, container, argv, out, err):
        """Run argv in the container from the scenario's directory, copying
        its output as it comes; return its exit status."""
        with docker_errors(f"running a command in {container}"):
            exec_id = self.api.exec_create(container, argv,
                                           workdir=WORKDIR)["Id"]
            for chunk_out, chunk_err in self.api.exec_start(
                    exec_id, stream=True, demux=True):
                for stream, chunk in ((out, chunk_out), (err, chunk_err)):
                    if chunk:
                        stream.write(chunk)
                        stream.flush()
            return self.api.exec_inspect(exec_id)["ExitCode"]

    def engine_url(self, container):
        """The DOCKER_HOST that reaches the container; None: ours."""
        return None

    def container_log(self, container):
        with docker_errors(f"reading the log of {container}"):
            return self.api.logs(container).decode("utf-8", "replace")

    # ------------------------------------------------------------- teardown

    def down(self, run_id, rules=True):
        with docker_errors("removing the lab"):
            self._stop_captures(run_id)  # first, gently: whole pcaps
            helper = self._drop_wiring(run_id)
            if helper:
                if rules:  # through it, before it goes
                    self._reconcile_rules(run_id, drop=run_id, helper=helper)
                    rules = False
                helper.close()
            if not self.wires:
                names = self.remove_containers(run_id, rules)
                self.remove_networks(run_id, names)
                return
            # Docker attached no host to the networks: they go while the
            # hosts do.
            parallel(lambda job: job(), [
                lambda: self.remove_containers(run_id, rules),
                lambda: self.remove_networks(run_id)])

    def _stop_captures(self, run_id):
        parallel(self._stop_capture, self.api.containers(filters={"label": [
            f"{LABEL_RUN}={run_id}", "socklab.helper=capture"]}))

    def _drop_wiring(self, run_id):
        """Forget the run's wiring helper; return it if it had a working
        one."""
        wiring = self.wiring.pop(run_id, None)
        return wiring.result() if wiring and not wiring.exception() else None

    def remove_containers(self, run_id, rules=True):
        """Remove the run's containers (and, with rules, its host rules);
        return their names."""
        by_run = {"label": f"{LABEL_RUN}={run_id}"}
        # Listed before the rules' helper (labelled with this run too)
        # exists, so removal and the rules' update can overlap.
        doomed = self.api.containers(all=True, filters=by_run)
        parallel(lambda job: job(), [
            lambda: parallel(self._remove_container, doomed),
            lambda: rules and self._reconcile_rules(run_id, drop=run_id)])
        return [n.lstrip("/") for c in doomed for n in c["Names"]]

    def remove_networks(self, run_id, names=()):
        stuck = [n for n in parallel(
            lambda net: self._remove_network(net, names),
            self.api.networks(filters={"label": f"{LABEL_RUN}={run_id}"}))
            if n]
        if stuck:
            self.progress.say(
                f"socklab: Docker would not remove network(s) "
                f"{', '.join(stuck)}: it still counts an endpoint of a "
                "removed container (a known daemon bug, moby#33156). "
                "Restarting the Docker daemon clears it; until then its "
                "subnet stays taken.")

    def _stop_capture(self, info):
        with contextlib.suppress(docker.errors.APIError):
            self.api.kill(info["Id"], signal="SIGINT")
            self.api.wait(info["Id"], timeout=10)

    def _remove_container(self, info):
        with contextlib.suppress(docker.errors.NotFound):
            self.api.remove_container(info["Id"], force=True, v=True)

    def _remove_network(self, info, names=()):
        """Remove a network; return its name if Docker refuses for good.

        Docker refuses while the network has endpoints: one of a container
        removed a moment ago may linger; a container that is not the run's
        may have been attached by hand (a debugging shell). After a few
        tries, every endpoint the network lists, and the run's own container
        names (a stale endpoint lists none, moby#33156), are disconnected."""
        for attempt in range(12):
            try:
                self.api.remove_network(info["Id"])
                return None
            except docker.errors.NotFound:
                return None
            except docker.errors.APIError as exc:
                # A swarm's overlay stays "in use by task" (the removed
                # container's attachment) for a moment too.
                if "active endpoints" not in str(exc) and \
                        "in use by task" not in str(exc):
                    raise
                if attempt == 4:
                    self._disconnect_all(info["Id"], names)
                time.sleep(0.25)
        runs.remember_stuck(info["Id"])  # later sweeps don't retry it
        return info.get("Name", info["Id"])

    def _disconnect_all(self, network, names):
        with contextlib.suppress(docker.errors.NotFound):
            attached = self.api.inspect_network(network)["Containers"] or {}
            for endpoint in [*attached, *names]:
                with contextlib.suppress(docker.errors.APIError):
                    self.api.disconnect_container_from_network(
                        endpoint, network, force=True)

    def _labelled(self):
        found = {}
        stuck = runs.stuck()
        networks = [n for n in self.api.networks(filters={
            "label": LABEL_RUN}) if n["Id"] not in stuck]
        here = socket.gethostname()
        for info in self.api.containers(all=True, filters={
                "label": LABEL_RUN}) + networks:
            labels = info.get("Labels") or {}
            mode = labels.get(LABEL_MODE, "run")
            # Whether a run is alive is known only on the machine that
            # runs it: another machine's runs (a shared engine) are left.
            if labels.get(LABEL_OWNER, here).split(":")[0] != here:
                mode = "elsewhere"
            found[labels[LABEL_RUN]] = mode
        return found

    def sweep(self, owner=None):
        """Remove containers and networks of runs that are gone; with an
        owner (a live run's id), also their host rules."""
        with docker_errors("sweeping what interrupted runs left"):
            # Only runs end with their process; `up` and compose labs stay.
            dead = [run_id for run_id, mode in self._labelled().items()
                    if mode == "run" and not runs.alive(run_id)]
            for run_id in dead:
                try:
                    self.down(run_id, rules=False)
                except EnvironmentUnusable as exc:
                    # A dead run's leftovers must not stop a live run.
                    self.progress.say(f"socklab: could not sweep run "
                                      f"{run_id}: {exc}")
            if owner:
                self._reconcile_rules(owner)
        return dead

    def _reconcile_rules(self, owner, networks=(), drop=None, helper=None):
        """Remove host rules of runs that are gone (and `drop`'s); add
        rules for `networks`, tagged with `owner`, the live run doing it;
        through `helper` (the run's Wiring) if given."""
        with runs.locked("hostfw.lock"):
            keep = set(runs.live_runs()) | {
                r for r, mode in self._labelled().items() if mode != "run"}
            keep.discard(drop)
            script = hostfw.script(keep, owner,
                                   [n.bridge for n in networks])
            status = None
            if helper:
                with contextlib.suppress(RunFailed):  # gone: see below
                    status, log = helper.run(["sh", "-c", script],
                                             "setting host rules")
            if status is None:
                status, log = self._in_helper(["sh", "-c", script], {
                    LABEL_RUN: owner, "socklab.helper": "hostfw"})
            if status:
                raise EnvironmentUnusable(
                    f"could not set the host's firewall rules: {log}")

    def _in_helper(self, argv, labels):
        """Run argv in a short-lived container on the machine's network
        namespace, with NET_ADMIN; return (status, output)."""
        container = self.api.create_container(
            self.image, command=argv, labels=labels,
            host_config=self.api.create_host_config(
                network_mode="host", cap_add=["NET_ADMIN"]))["Id"]
        try:
            self.api.start(container)
            status = self.api.wait(container, timeout=60)["StatusCode"]
            return status, self.api.logs(container).decode("utf-8",
                                                           "replace")
        finally:
            self._remove_container({"Id": container})
