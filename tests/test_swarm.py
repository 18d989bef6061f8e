"""--engine swarm on real swarms: first the machine's own engine as a
single-node swarm, then with a second engine (dockerd in a container built
on the host image) joined as a worker, so traffic crosses between engines
over Swarm's overlay. The tests make both swarms and leave them; every
address pool is inside ranges these tests own:

    10.252.0.0/16  the swarm's default address pool (its ingress network)
    10.253.0.0/24  the internal network between the engines
    10.254.0.0/24  docker_gwbridge on the machine (10.254.1.0/24 in the node)
"""
import dataclasses
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import docker
import pytest

from lab.engine.placement import Node, place, spare_range
from lab.errors import ScenarioInvalid

from .conftest import ROOT, leftovers, socklab

POOL, ENGINES, GWBRIDGE = "10.252.0.0/16", "10.253.0.0/24", "10.254.0.0/24"
MANAGER, WORKER = "10.253.0.1", "10.253.0.2"
TEST_LABEL = {"socklab.test": "swarm"}
LIBRARY = ["scenarios/cross-host.yaml", "scenarios/udp-broadcast.yaml",
           "scenarios/listen-backlog.yaml"]
# What dockerd needs in a container, short of --privileged (which asks for
# CAP_SYS_RESOURCE: these machines' bounding set lacks it, so it fails).
ENGINE_CAPS = ["SYS_ADMIN", "NET_ADMIN", "SYS_PTRACE", "SYS_MODULE",
               "SYS_RAWIO", "SYS_NICE", "IPC_LOCK", "LINUX_IMMUTABLE",
               "NET_BROADCAST", "DAC_READ_SEARCH", "MAC_ADMIN",
               "AUDIT_CONTROL", "SYSLOG"]
ENGINE_BINARIES = ["dockerd", "containerd", "containerd-shim-runc-v2", "runc",
                   "docker-init", "docker-proxy"]


# ------------------------------------------------ pure: placement, ranges

@dataclasses.dataclass(frozen=True)
class _Host:
    name: str
    node: str = ""
    node_at: str = ""


def test_hosts_spread_over_nodes_in_file_order_unless_pinned():
    a, b = Node("a", "ida", None), Node("b", "idb", None)
    hosts = [_Host("h1"), _Host("h2", node="a"), _Host("h3"), _Host("h4")]
    placed = place(hosts, [a, b])
    # h2 is pinned to a; the others go to whichever has fewer so far.
    assert {h: n.name for h, n in placed.items()} == {
        "h2": "a", "h1": "b", "h3": "a", "h4": "b"}
    assert place([_Host("x", node="idb")], [a, b])["x"] is b


def test_an_unknown_node_names_file_line_and_field():
    with pytest.raises(ScenarioInvalid) as caught:
        place([_Host("x", node="nope", node_at="s.yaml:7: hosts.x.node")],
              [Node("a", "ida", None)])
    assert str(caught.value) == ("s.yaml:7: hosts.x.node: no node 'nope' in "
                                 "the swarm that socklab can use; its nodes:"
                                 " a")


class _FlakyEngine:
    """A node engine whose first starts fail as Docker's overlay attach
    sometimes does; records what it is asked."""

    def __init__(self, failures, message="attaching to network failed, "
                 "make sure your network options are correct and check "
                 "manager logs: context deadline exceeded"):
        self.failures, self.message, self.calls = failures, message, []

    def start_host(self, plan, host):
        self.calls.append(("start", host.name))
        if self.failures:
            self.failures -= 1
            raise docker.errors.APIError(self.message)

    def remove_host(self, container):
        self.calls.append(("remove", container))


def _start_on(engine, said):
    """SwarmEngine._start_on with the node's engine given; what socklab
    says goes to `said`."""
    from lab.engine.swarm import SwarmEngine
    swarm = SwarmEngine.__new__(SwarmEngine)  # no swarm needed to start one
    swarm.progress = type("P", (), {"say": staticmethod(said.append)})()
    host = dataclasses.make_dataclass("H", ["name", "container"])("h1", "c1")
    swarm._start_on(Node("n", "idn", engine), None, host)


def test_a_timed_out_overlay_attach_is_tried_again_from_scratch():
    engine, said = _FlakyEngine(failures=1), []
    _start_on(engine, said)
    assert engine.calls == [("start", "h1"), ("remove", "c1"),
                            ("start", "h1")]
    assert said == ["socklab: Docker timed out attaching h1 to its networks"
                    " on n; trying again"]


def test_other_start_errors_and_a_third_time_out_are_not_retried():
    engine = _FlakyEngine(failures=5)
    with pytest.raises(docker.errors.APIError):
        _start_on(engine, [])
    assert [c for c in engine.calls if c[0] == "start"] == [("start",
                                                             "h1")] * 3
    other = _FlakyEngine(failures=1, message="No such image")
    with pytest.raises(docker.errors.APIError):
        _start_on(other, [])
    assert other.calls == [("start", "h1")]


def test_dockers_own_addresses_are_kept_clear_of_the_scenarios():
    # The top block of 16 that no host uses, room left beside the gateway.
    assert spare_range("10.1.0.0/24", ["10.1.0.1", "10.1.0.250"],
                       "10.1.0.254", 2) == "10.1.0.224/28"
    assert spare_range("10.1.0.0/29", ["10.1.0.1", "10.1.0.2"],
                       "10.1.0.6", 1) == "10.1.0.4/30"
    # No room at all: Docker chooses (and may race a host's address).
    assert spare_range("10.1.0.0/30", ["10.1.0.1", "10.1.0.2"],
                       "10.1.0.2", 1) is None


def test_a_network_another_removal_took_first_counts_as_removed():
    # A swarm manager says 500 "network ... not found", not 404, when
    # another run's sweep removed the overlay while `down` was at it.
    from lab.engine.inventory import _remove_network

    class Manager:
        def remove_network(self, network):
            raise docker.errors.APIError(
                "500 Server Error", explanation=f"network {network} not found")
    assert _remove_network(Manager(), {"Id": "n9jq", "Name": "x"}) is None


# --------------------------------------------------------- real swarms

def _engines_leftovers(worker=None):
    found = leftovers()
    if worker is not None:
        found += [c["Names"][0] for c in worker.containers(
            all=True, filters={"label": "socklab.run"})]
        found += [n["Name"] for n in worker.networks(
            filters={"label": "socklab.run"})]
    return found


def _remove_unused_network(api, name):
    try:
        if not api.inspect_network(name)["Containers"]:
            api.remove_network(name)
    except docker.errors.NotFound:
        pass


def _gwbridge(api, subnet):
    """docker_gwbridge made before the swarm, so Docker does not take it
    from the machine's default pools."""
    _remove_unused_network(api, "docker_gwbridge")
    api.create_network("docker_gwbridge", driver="bridge", options={
        "com.docker.network.bridge.name": "docker_gwbridge",
        "com.docker.network.bridge.enable_icc": "false",
        "com.docker.network.bridge.enable_ip_masquerade": "false"},
        ipam=docker.types.IPAMConfig(pool_configs=[
            docker.types.IPAMPool(subnet=subnet)]))


@pytest.fixture(scope="module")
def swarm():
    """This machine's engine as the manager of a swarm the tests make."""
    client = docker.from_env()
    if client.info()["Swarm"]["LocalNodeState"] != "inactive":
        pytest.skip("this Docker engine is already in a swarm; the swarm "
                    "tests make their own")
    api = client.api
    _remove_unused_network(api, "socklab-test-engines")  # an earlier crash's
    api.create_network("socklab-test-engines", driver="bridge",
                       internal=True, labels=TEST_LABEL,
                       ipam=docker.types.IPAMConfig(pool_configs=[
                           docker.types.IPAMPool(subnet=ENGINES,
                                                 gateway=MANAGER)]))
    try:
        _gwbridge(api, GWBRIDGE)
        client.swarm.init(advertise_addr=MANAGER,
                          listen_addr=f"{MANAGER}:2377",
                          default_addr_pool=[POOL], subnet_size=24)
        yield client
    finally:
        for info in api.containers(all=True, filters={
                "label": "socklab.test=swarm"}):
            api.remove_container(info["Id"], force=True, v=True)
        _leave(client)
        time.sleep(1)  # the ingress network goes with the swarm, a bit later
        _remove_unused_network(api, "docker_gwbridge")
        _remove_unused_network(api, "socklab-test-engines")


def _leave(client):
    """Leave the swarm. Docker 20.10 sometimes times out leaving while its
    agent still cleans up an attachment ("context deadline exceeded"); a
    later try works."""
    for attempt in range(5):
        try:
            return client.swarm.leave(force=True)
        except docker.errors.APIError as exc:
            if "context deadline exceeded" not in str(exc) or attempt == 4:
                raise
            time.sleep(3)


def _engine_image(client):
    """The host image plus this machine's own Docker engine binaries and
    whatever libraries of theirs it lacks (no registry: nothing is
    fetched)."""
    base = "socklab-host:latest"
    context = Path(subprocess.run(["mktemp", "-d"], capture_output=True,
                                  text=True).stdout.strip())
    try:
        binaries = context / "root/usr/local/bin"
        binaries.mkdir(parents=True)
        paths = [shutil.which(b) for b in ENGINE_BINARIES]
        assert all(paths), f"no Docker engine binaries here: {paths}"
        for path in paths:
            shutil.copy(Path(path).resolve(), binaries / Path(path).name)
        mounts = " ".join(f"/x/{Path(p).name}" for p in paths)
        missing = set(client.containers.run(
            base, ["sh", "-c", f"ldd {mounts} | grep 'not found' || true"],
            remove=True, volumes={str(binaries): {"bind": "/x"}}
        ).decode().split()) - {"=>", "not", "found"}
        libraries = context / "root/usr/local/lib/engine"
        libraries.mkdir(parents=True)
        found = subprocess.run(["ldd", *paths], capture_output=True,
                               text=True).stdout
        for line in found.splitlines():
            parts = line.split()
            if parts and parts[0] in missing:
                shutil.copy(Path(parts[2]).resolve(), libraries / parts[0])
        (context / "root/etc/ld.so.conf.d").mkdir(parents=True)
        (context / "root/etc/ld.so.conf.d/engine.conf").write_text(
            "/usr/local/lib/engine\n")
        (context / "Dockerfile").write_text(
            f"FROM {base}\nCOPY root/ /\nRUN ldconfig\n")
        image, _ = client.images.build(path=str(context),
                                       tag="socklab-test-engine:latest",
                                       labels=TEST_LABEL, rm=True)
        return image.tags[0]
    finally:
        shutil.rmtree(context)


@pytest.fixture(scope="module")
def two_engines(swarm):
    """A second engine, in a container on the engines' network, joined to
    the swarm as a worker and labelled so socklab can reach it."""
    client = swarm
    image = _engine_image(client)
    api = client.api
    host_config = api.create_host_config(
        cap_add=ENGINE_CAPS, network_mode="socklab-test-engines",
        security_opt=["seccomp=unconfined", "apparmor=unconfined"],
        binds={"/sys/fs/cgroup": {"bind": "/sys/fs/cgroup", "mode": "rw"}},
        tmpfs={"/run": ""})
    # `--security-opt systempaths=unconfined`: the engine inside mounts a
    # fresh /proc for each of its containers, which the kernel refuses
    # while parts of ours are masked.
    host_config.update(MaskedPaths=[], ReadonlyPaths=[])
    container = api.create_container(
        image, name="socklab-test-engine-2", hostname="engine-2",
        labels=TEST_LABEL,
        command=["dockerd", "-H", f"tcp://{WORKER}:2375", "--tls=false",
                 "--storage-driver", "overlay2"],
        # overlay2 wants a real filesystem under it (a volume), not the
        # container's own (fuse-)overlay root.
        volumes=["/var/lib/docker"],
        host_config=host_config,
        networking_config=api.create_networking_config({
            "socklab-test-engines": api.create_endpoint_config(
                ipv4_address=WORKER)}))["Id"]
    api.start(container)
    # A fixed API version: the client would ask the engine at once.
    worker = docker.DockerClient(base_url=f"tcp://{WORKER}:2375",
                                 version=client.api.api_version)
    for _ in range(100):
        try:
            worker.ping()
            break
        except Exception:
            time.sleep(0.2)
    else:
        raise AssertionError("the second engine did not start: " +
                             api.logs(container).decode()[-2000:])
    _gwbridge(worker.api, "10.254.1.0/24")
    worker.swarm.join(remote_addrs=[f"{MANAGER}:2377"],
                      join_token=client.swarm.attrs["JoinTokens"]["Worker"],
                      advertise_addr=WORKER, listen_addr=f"{WORKER}:2377")
    node = client.nodes.get(worker.info()["Swarm"]["NodeID"])
    spec = node.attrs["Spec"]
    spec["Labels"] = {"socklab.engine": f"tcp://{WORKER}:2375"}
    node.update(spec)
    yield worker
    _leave(worker)
    api.remove_container(container, force=True, v=True)
    node.reload()
    client.api.remove_node(node.id, force=True)


def _run(*args, timeout=600):
    done = socklab("run", "--engine", "swarm", *args, timeout=timeout)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    return done


@pytest.mark.docker
def test_the_library_passes_unchanged_on_a_single_node_swarm(swarm,
                                                             tmp_path):
    _run(*LIBRARY, "scenarios/partition-and-crash.yaml",
         "scenarios/handshake-capture.yaml", "--results", tmp_path)
    assert _engines_leftovers() == []
    # The capture was taken in the overlay's own namespace.
    assert (tmp_path / "handshake-capture/lan.pcap").stat().st_size > 100


@pytest.mark.docker
def test_pytest_runs_scenarios_on_the_swarm_and_the_lab_commands_see_it(
        swarm, tmp_path):
    folder = tmp_path / "scenarios"
    folder.mkdir()
    # Passes only on an overlay (MTU 1450; a bridge here has 1400).
    (folder / "mtu.yaml").write_text("""
name: on-an-overlay
networks: {lan: {subnet: 10.61.0.0/24}}
hosts:
  a: {interfaces: {lan: 10.61.0.10}}
steps:
  - {on: a, run: cat /sys/class/net/eth0/mtu,
     expect: {stdout: {matches: "^1450"}}}
""")
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
         "--socklab-engine", "swarm", "--socklab-results",
         str(tmp_path / "results"), str(folder / "mtu.yaml"),
         "scenarios/tcp-echo.yaml"], cwd=ROOT, capture_output=True,
        text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:]
    assert "2 passed" in done.stdout
    up = socklab("up", "--engine", "swarm", "scenarios/tcp-echo.yaml",
                 "--results", tmp_path)
    try:
        assert up.returncode == 0, up.stdout + up.stderr
        listed = socklab("ls", "--engine", "swarm")
        assert listed.stdout.startswith("tcp-echo"), listed.stdout
        logs = socklab("logs", "--engine", "swarm", "tcp-echo", "server")
        assert "socklab-init: ready" in logs.stdout
    finally:
        assert socklab("down", "--engine", "swarm", "tcp-echo"
                       ).returncode == 0
    assert _engines_leftovers() == []


@pytest.mark.docker
def test_a_killed_swarm_run_is_swept_by_the_next(swarm, write, tmp_path):
    path = write("""
        name: killed-on-swarm
        networks: {lan: {subnet: 10.61.0.0/24}}
        hosts:
          a: {interfaces: {lan: 10.61.0.10}}
          b: {interfaces: {lan: 10.61.0.11}}
        steps:
          - {on: a, run: sleep 300, timeout: 400}
        """)
    proc = subprocess.Popen(
        [sys.executable, "-m", "lab.cli", "run", "--engine", "swarm",
         str(path), "--results", str(tmp_path)], cwd=ROOT,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    api = swarm.api
    for _ in range(300):
        if len(api.containers(filters={
                "label": "socklab.scenario=killed-on-swarm"})) == 2:
            break
        time.sleep(0.1)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert _engines_leftovers() != []  # killed: nothing could tidy up
    _run("scenarios/tcp-echo.yaml", "--results", tmp_path)
    assert _engines_leftovers() == []


@pytest.mark.docker
def test_hosts_spread_over_two_engines_and_the_library_passes(
        swarm, two_engines, tmp_path):
    _run(*LIBRARY, "--results", tmp_path)
    assert _engines_leftovers(two_engines.api) == []


def _overlay_ipv6(api, network, worker=False):
    """What IPv6 the VXLAN device of an overlay has on one node (this
    machine, the manager; or the second engine, in its container, which
    `api`, the manager's, runs): its addresses, its neighbour entries and
    the IPv6 packets it sent itself (its own counters), read in the
    overlay's namespace."""
    netns = "/run/docker/netns/1-" + api.inspect_network(network)["Id"][:10]
    argv = ["nsenter", f"--net={netns}", "sh", "-c",
            "ip -6 -o addr show dev vxlan0; ip -6 neigh show dev vxlan0; "
            "grep -E '^(Ip6OutRequests|Icmp6OutMsgs) ' "
            "/proc/net/dev_snmp6/vxlan0"]
    if not worker:
        return subprocess.run(argv, capture_output=True, text=True,
                              check=True).stdout
    run = api.exec_create("socklab-test-engine-2", argv)
    out = api.exec_start(run["Id"]).decode()
    assert api.exec_inspect(run["Id"])["ExitCode"] == 0, out
    return out


@pytest.mark.docker
def test_ipv6_crosses_between_engines(swarm, two_engines, write, tmp_path):
    """IPv6 only between a host on each engine, on an IPv6-only network
    and on a dual-stack one where the host on the second engine has IPv6
    only: Docker gives the overlays IPv4 pools only (swarm.py says why),
    the hosts add their IPv6 addresses and drop their stand-ins, and each
    node's VXLAN device answers for the other node's IPv6 neighbours
    (placement.neighbours), with no address of its own and nothing sent."""
    path = write("""
        name: six-across
        networks:
          six: {subnet: "fd00:61::/64"}
          dual: {subnet: [10.61.0.0/24, "fd00:62::/64"]}
        hosts:
          here:
            interfaces: {six: "fd00:61::10", dual: [10.61.0.10, "fd00:62::10"]}
            services: [tcp-server --port 9000]
          there:
            interfaces: {six: "fd00:61::11", dual: "fd00:62::11"}
            node: engine-2
        steps: []
        """)
    up = socklab("up", "--engine", "swarm", path, "--results", tmp_path,
                 timeout=600)
    try:
        assert up.returncode == 0, up.stdout + up.stderr
        running = two_engines.api.containers(filters={
            "label": "socklab.scenario=six-across"})
        assert [c["Labels"]["socklab.host"] for c in running] == ["there"]

        def on_there(*argv):
            done = socklab("exec", "--engine", "swarm", "six-across",
                           "there", "--", *argv)
            assert done.returncode == 0, done.stdout + done.stderr
            return done.stdout
        # The IPv6-only network, by literal; the dual-stack one, by name.
        assert '"replies": 1' in on_there(
            "tcp-client", "--to", "[fd00:61::10]:9000", "--message", "hi")
        assert '"address": "fd00:62::10"' in on_there(
            "tcp-client", "--to", "here.dual:9000", "--message", "hi")
        # Its stand-in IPv4 addresses went: it has IPv6 only.
        assert on_there("ip", "-o", "-4", "addr", "show",
                        "scope", "global") == ""
        for name, six in (("six", "fd00:61::"), ("dual", "fd00:62::")):
            network = swarm.api.networks(filters={"label": [
                "socklab.scenario=six-across", f"socklab.network={name}"]})
            for worker, peer in ((False, "11"), (True, "10")):
                found = _overlay_ipv6(swarm.api, network[0]["Name"], worker)
                assert f"{six}{peer} lladdr 02:42:" in found, found
                assert " inet6 " not in found, found
                sent = re.findall(
                    r"^(?:Ip6OutRequests|Icmp6OutMsgs)\s+(\d+)", found, re.M)
                assert sent == ["0", "0"], found
    finally:
        down = socklab("down", "--engine", "swarm", "six-across")
    assert down.returncode == 0, down.stdout + down.stderr
    assert _engines_leftovers(two_engines.api) == []


@pytest.mark.docker
def test_ipv6_lessons_pass_across_two_engines(swarm, two_engines, tmp_path):
    """The dual-stack and routed IPv6 lessons with their hosts spread over
    both engines (in file order, each to the engine with fewer so far):
    IPv6 crosses between them, e.g. a dual-stack client's --family 6 and
    literal connects, the router's forwarding to the server, and a group
    reaching the listener on the other engine."""
    _run("scenarios/dual-stack.yaml", "scenarios/ipv6-routed.yaml",
         "--results", tmp_path)
    assert _engines_leftovers(two_engines.api) == []


@pytest.mark.docker
def test_students_programs_run_on_the_second_engine(swarm, two_engines,
                                                    tmp_path):
    """The scenario's folder reaches a host on an engine where none of this
    machine's paths exist (copied there, read-only): the student's server,
    pinned to the second engine, runs its own files."""
    folder = tmp_path / "student"
    shutil.copytree(ROOT / "scenarios" / "student", folder)
    path = folder / "student.yaml"
    worker = two_engines.info()["Name"]
    path.write_text(path.read_text().replace(
        "    interfaces: {lan: 10.32.0.10}\n",
        f"    interfaces: {{lan: 10.32.0.10}}\n    node: {worker}\n", 1))
    assert f"node: {worker}" in path.read_text()
    _run(path, "--results", tmp_path / "out")
    assert _engines_leftovers(two_engines.api) == []


@pytest.mark.docker
def test_a_signal_mid_run_clears_both_engines(swarm, two_engines, write,
                                              tmp_path):
    path = write("""
        name: interrupted-on-swarm
        networks: {lan: {subnet: 10.61.0.0/24, capture: true}}
        hosts:
          a: {interfaces: {lan: 10.61.0.10}, services: [tcp-server --port 9000]}
          b: {interfaces: {lan: 10.61.0.11}}
          c: {interfaces: {lan: 10.61.0.12}}
          d: {interfaces: {lan: 10.61.0.13}}
        steps:
          - {on: b, run: connect --to a:9000}
          - {on: b, run: sleep 300, timeout: 400}
        """)
    proc = subprocess.Popen(
        [sys.executable, "-m", "lab.cli", "run", "--engine", "swarm",
         str(path), "--results", str(tmp_path)], cwd=ROOT,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def hosts_on(api):
        return len(api.containers(filters={
            "label": "socklab.scenario=interrupted-on-swarm"}))
    for _ in range(600):
        if hosts_on(swarm.api) >= 2 and hosts_on(two_engines.api) >= 2 and \
                (tmp_path / "interrupted-on-swarm").exists():
            break
        time.sleep(0.1)
    time.sleep(3)  # the long step runs
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, out + err
    assert "Traceback" not in err
    assert _engines_leftovers(two_engines.api) == []
    # The capture of each node was kept, up to the interruption.
    assert len(list((tmp_path / "interrupted-on-swarm").glob("lan.*.pcap"))) \
        == 2


@pytest.mark.docker
def test_a_lab_left_up_really_crosses_between_engines(swarm, two_engines,
                                                      write, tmp_path):
    path = write("""
        name: pinned
        networks: {lan: {subnet: 10.61.0.0/24}}
        hosts:
          here:
            interfaces: {lan: 10.61.0.10}
            services: [tcp-server --port 9000]
          there:
            interfaces: {lan: 10.61.0.11}
            node: engine-2
        steps: []
        """)
    up = socklab("up", "--engine", "swarm", path, "--results", tmp_path)
    try:
        assert up.returncode == 0, up.stdout + up.stderr
        running = two_engines.api.containers(filters={
            "label": "socklab.scenario=pinned"})
        assert [c["Labels"]["socklab.host"] for c in running] == ["there"]
        done = socklab("exec", "--engine", "swarm", "pinned", "there", "--",
                       "tcp-client", "--to", "here:9000", "--message", "hi")
        assert done.returncode == 0, done.stdout + done.stderr
        assert '"replies": 1' in done.stdout
        # The MTU an overlay leaves for the packet after VXLAN's header.
        mtu = socklab("exec", "--engine", "swarm", "pinned", "there", "--",
                      "cat", "/sys/class/net/eth0/mtu")
        assert mtu.stdout.strip() == "1450"
    finally:
        down = socklab("down", "--engine", "swarm", "pinned")
    assert down.returncode == 0, down.stdout + down.stderr
    assert _engines_leftovers(two_engines.api) == []


@pytest.mark.docker
def test_a_pin_to_an_unknown_node_exits_2_with_nothing_started(
        swarm, write, tmp_path):
    path = write("""
        name: badly-pinned
        networks: {lan: {subnet: 10.61.0.0/24}}
        hosts:
          a: {interfaces: {lan: 10.61.0.10}, node: no-such-node}
        steps: []
        """)
    done = socklab("run", "--engine", "swarm", path, "--results", tmp_path)
    assert done.returncode == 2
    assert f"{path}:5: hosts.a.node: no node 'no-such-node'" in done.stderr
    assert _engines_leftovers() == []
