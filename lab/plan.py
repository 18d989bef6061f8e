"""What a run will create, decided before Docker is touched: names, labels,
addresses, each host's configuration. Pure data, unit-tested without Docker.
"""
import hashlib
import ipaddress
import json
import re
import secrets
from pathlib import Path
from dataclasses import dataclass

from . import labels as keys, runs
from .agent import contract, firewall


@dataclass(frozen=True)
class NetworkPlan:
    name: str         # as in the scenario
    docker_name: str
    bridge: str       # the Linux bridge, named so host rules can match it
    subnet: str
    gateway: str      # reserved for Docker's IPAM; inhibited on the bridge
    labels: dict
    capture: bool = False
    # Where Docker attaches hosts (a swarm's overlays): the IPv4 subnet its
    # IPAM is given, the scenario's or, for an IPv6-only network, a stand-in
    # (stand_in()), and its reserved address. Docker gives hosts IPv4 only
    # there; socklab's init adds the IPv6 addresses (README: Several engines)
    subnet4: str = ""
    gateway4: str = ""


@dataclass(frozen=True)
class Link:
    """One interface of a host as socklab wires it: a veth pair, `outside`
    on the network's bridge, `inside` in the host."""
    network: str   # the Docker network's name
    bridge: str
    inside: str    # eth0, eth1... in the scenario's order
    outside: str   # on the machine: unique while the run lives, <= 15 chars
    address: str   # A/LEN, or A/LEN,B/LEN: every address, primary first
    mac: str       # from the address, as Docker makes it: a host back from
    #                a partition or a restart is the same to its peers' ARP


@dataclass(frozen=True)
class HostPlan:
    name: str
    container: str
    attachments: tuple  # ((docker network name, IPv4 address), ...), first
    #                     first: what Docker gives where it attaches hosts
    extra_hosts: dict   # name -> address, written into /etc/hosts; a name
    #                     with several addresses has them space-separated
    environment: dict
    forward: bool
    net_admin: bool     # whether the host's programs keep CAP_NET_ADMIN
    labels: dict
    ready_timeout: float
    limits: object  # scenario.model.Limits
    node: str = ""     # swarm only: the node the scenario pins it to
    node_at: str = ""  # where the scenario says so, for errors
    links: tuple = ()  # Link per attachment, same order
    image: str = ""    # an image of the user's ("": socklab's own)
    build: str = ""    # the folder that image is built from, if built
    app_services: tuple = ()  # model.Service run in the user's image
    netns: str = ""    # the container holding its network namespace: its
    #                    own, or (an image of the user's) its sidecar's
    sidecar_labels: dict = None
    ipv6: bool = False  # one of its networks has IPv6: IPv6 is on in it

    @property
    def own_image(self):
        """Runs socklab's image (no sidecar)."""
        return not self.image


@dataclass(frozen=True)
class Plan:
    run_id: str
    scenario: str
    directory: str    # mounted read-only at contract.WORKDIR
    mode: str
    labels: dict
    networks: tuple
    hosts: tuple
    evidence: str = ""  # the results folder: captures are written there

    def host(self, name):
        return next(h for h in self.hosts if h.name == name)

    def network(self, name):
        return next(n for n in self.networks if n.name == name)

    def link(self, host, network):
        """The host's Link on the network (by scenario names)."""
        docker_name = self.network(network).docker_name
        return next(link for link in self.host(host).links
                    if link.network == docker_name)


def new_run_id():
    """Eight hex digits, at most 0x7fffffff and not 0: the number is also
    the run's link group (wiring.group), which `ip` takes up to 2^31 - 1."""
    while True:
        run_id = f"{secrets.randbelow(1 << 31):08x}"
        if int(run_id, 16):
            return run_id


def spare_address(network, hosts, subnet=None):
    """The highest address of the subnet (by default the network's first)
    no host uses: Docker's IPAM wants a gateway, and the scenario's own
    addresses (often .1) must stay free."""
    subnet = subnet or network.subnet
    used = {a for h in hosts for a in h.addresses_on(network.name)}
    last = subnet.broadcast_address
    for offset in range(1, len(used) + 2):  # at most len(used) are taken
        address = last - offset
        if address not in used and address in subnet and \
                address != subnet.network_address:
            return str(address)
    raise ValueError(f"no spare address in {subnet}")


# RFC 2544's benchmarking range: never a scenario's (not private), never
# routed; an IPv6-only network's stand-in IPv4 subnet comes from it.
STAND_INS = ipaddress.IPv4Network("198.18.0.0/15")


def stand_in(run_id, network, hosts):
    """(IPv4 subnet, its reserved address) for a network Docker attaches
    hosts to: the network's own, or for an IPv6-only one a /24 (/20 past
    200 hosts) of STAND_INS chosen by the run and network, since Docker
    20.10 makes no network without IPv4 (a swarm's cannot be attached to;
    moby#48116). Runs whose stand-ins clash take turns (runner.claimed)."""
    if network.subnet_for(4):
        subnet = network.subnet_for(4)
        return subnet, spare_address(network, hosts, subnet)
    on = [h for h in hosts if h.addresses_on(network.name)]
    prefix = 24 if len(on) < 200 else 20
    digest = hashlib.sha1(f"{run_id}/{network.name}".encode()).digest()
    index = int.from_bytes(digest[:4], "big") % 2 ** (prefix - 15)
    subnet = ipaddress.IPv4Network(
        (int(STAND_INS.network_address) + index * 2 ** (32 - prefix),
         prefix))
    return subnet, str(subnet.broadcast_address - 1)


def attached_addresses(scenario, run_id, host):
    """{network: IPv4 address} Docker gives the host where it attaches it:
    its own on the network, else a free one (the lowest; stand-in
    subnets are numbered by host), which its init removes."""
    found = {}
    for network, addresses in host.addresses:
        net = scenario.network(network)
        mine = [a for a in addresses if a.version == 4]
        if mine:
            found[network] = str(mine[0])
            continue
        on = [h for h in scenario.hosts if h.addresses_on(network)]
        subnet, reserved = stand_in(run_id, net, on)
        taken = {str(a) for h in on for a in h.addresses_on(network)}
        free = (str(a) for a in subnet.hosts()
                if str(a) not in taken and str(a) != reserved)
        for _ in range(on.index(host) + 1):
            found[network] = next(free)
    return found


def names(scenario):
    """Every name a host can be reached by: HOST is its first interface's
    addresses, HOST.NETWORK its addresses there (each in the file's order:
    a resolver returns them so, and a client tries them so)."""
    table = {}
    for host in scenario.hosts:
        table[host.name] = " ".join(map(str, host.addresses[0][1]))
        for network, found in host.addresses:
            table[f"{host.name}.{network}"] = " ".join(map(str, found))
    return table


def name_lines(table):
    """(address, name) for every address of every name in names()."""
    return [(address, name) for name, found in table.items()
            for address in found.split()]


def hosts_file(table):
    """/etc/hosts for a host Docker does no networking for (it writes none
    then): the loopback lines Docker writes, then every name of the lab,
    one line per address."""
    lines = ["127.0.0.1\tlocalhost",
             "::1\tlocalhost ip6-localhost ip6-loopback"]
    lines += [f"{address}\t{name}" for address, name in name_lines(table)]
    return "\n".join(lines) + "\n"


def link_addresses(scenario, host, network):
    """A link's "A/LEN[,B/LEN]": its primary address first."""
    first = host.address_on(network)
    found = host.addresses_on(network)
    net = scenario.network(network)
    return ",".join(f"{a}/{net.subnet_for(a.version).prefixlen}"
                    for a in [first] + [a for a in found if a is not first])


def mac(address):
    """Docker's MAC for an IPv4 address (02:42 and its four bytes); for an
    interface with IPv6 only, 02:42 and the address's last four bytes:
    stable across restarts and unique in the lab, since a subnet is at
    least a /125 and the lab's addresses are distinct."""
    packed = address.packed[-4:]
    return "02:42:" + ":".join(f"{b:02x}" for b in packed)


def impairments(scenario, host):
    """Each interface's impairment: the network's, with the host's own
    settings for that interface replacing it field by field."""
    found = []
    overrides = dict(host.impair)
    for network, address in host.interfaces:
        spec = {**scenario.network(network).impair.spec(),
                **(overrides[network].spec() if network in overrides
                   else {})}
        if spec:
            found.append({"address": str(address), **spec})
    return found


def in_image(host, service):
    """Does the service run in the user's image? (A built-in program runs
    in socklab's, on the host's sidecar, with the same addresses.)"""
    return bool(host.image or host.build) and service.program is None


def build_tag(folder):
    """The tag of the image built from a folder: its content's hash, so it
    is rebuilt when the folder changes and only then."""
    digest = hashlib.sha256()
    root = Path(folder)
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(root)).encode() + b"\0" +
                      path.read_bytes() + b"\0")
    name = re.sub(r"[^a-z0-9_.-]", "-", root.name.lower()).strip(".-") or "x"
    return f"socklab-build-{name}:{digest.hexdigest()[:12]}"


def host_config(host, scenario):
    """What socklab-init, inside the host, needs to know (SOCKLAB_HOST)."""
    ipv6 = has_ipv6(scenario, host)
    routes = [{"to": "default", "via": str(g)} for g in host.gateways]
    routes += [{"to": r.to, "via": str(r.via)} for r in host.routes]
    services = []
    for service in (s for s in host.services if not in_image(host, s)):
        ready = service.ready
        check = {} if ready.kind == "started" else \
            {ready.kind: True if ready.kind == "signal" else ready.value}
        services.append({"run": service.run, "ready": check,
                         "timeout": ready.timeout})
    return {"routes": routes, "services": services,
            "firewall": [pair for rule in host.firewall
                         for pair in firewall.tools(rule, ipv6)],
            "net_admin": host.net_admin,
            "impair": impairments(scenario, host), "forward": host.forward,
            "capture": host.capture}


def has_ipv6(scenario, host):
    """One of the host's networks has IPv6: IPv6 is on in the host."""
    return any(scenario.network(n).subnet_for(6) for n, _ in host.addresses)


def make(scenario, run_id, mode=keys.RUN_MODE, evidence=""):
    labels = {keys.RUN: run_id, keys.SCENARIO: scenario.name,
              keys.OWNER: runs.owner(),
              keys.MODE: mode, **({keys.EVIDENCE: str(evidence)}
                                  if evidence else {})}
    networks = tuple(
        NetworkPlan(name=n.name, docker_name=keys.network(run_id, n.name),
                    bridge=keys.bridge(run_id, index), subnet=str(n.subnet),
                    gateway=spare_address(n, scenario.hosts),
                    labels={**labels, keys.NETWORK: n.name},
                    capture=n.capture, subnet4=str(four[0]),
                    gateway4=four[1])
        for index, n in enumerate(scenario.networks)
        for four in [stand_in(run_id, n, scenario.hosts)])
    docker_net = {n.name: n.docker_name for n in networks}
    bridge = {n.name: n.bridge for n in networks}
    table = names(scenario)
    hosts = []
    for number, host in enumerate(scenario.hosts):
        config = host_config(host, scenario)
        environment = {
            contract.HOST_CONFIG: json.dumps(config),
            # Links and DNS are all it needs: socklab-init stays a shell.
            contract.SIMPLE: "" if any(config[key] for key in (
                "routes", "services", "firewall", "impair", "capture"))
            else "1",
            contract.NAMES: json.dumps(scenario.host_names()),
            contract.INTERFACES: json.dumps(
                {n: " ".join(str(a) for a in sorted(
                    found, key=lambda a: a.version))
                 for n, found in host.addresses}),
        }
        image = host.image or (build_tag(host.build) if host.build else "")
        container = keys.container(run_id, host.name)
        docker_given = attached_addresses(scenario, run_id, host)
        # Where Docker attaches the host: which interface (by the IPv4
        # address Docker gave it) has which addresses instead (links.sh).
        given = {n: link_addresses(scenario, host, n)
                 for n, _ in host.addresses}
        environment[contract.ADDRESSES] = " ".join(
            f"{docker_given[n]}={a}" for n, a in given.items()
            if a != f"{docker_given[n]}/"
            f"{scenario.network(n).subnet.prefixlen}")
        hosts.append(HostPlan(
            name=host.name, container=container,
            attachments=tuple((docker_net[n], docker_given[n])
                              for n, _ in host.interfaces),
            extra_hosts=table, environment=environment,
            forward=host.forward, net_admin=host.net_admin,
            labels={**labels, keys.HOST: host.name},
            ready_timeout=30 + sum(s.ready.timeout for s in host.services),
            limits=host.limits, node=host.node, node_at=host.node_at,
            links=tuple(
                Link(docker_net[n], bridge[n], f"eth{k}",
                     keys.veth(run_id, number, k),
                     link_addresses(scenario, host, n), mac(a))
                for k, (n, a) in enumerate(host.interfaces)),
            image=image, build=host.build,
            app_services=tuple(s for s in host.services
                               if in_image(host, s)),
            netns=keys.sidecar(run_id, host.name) if image else container,
            sidecar_labels={**labels, keys.NETNS: host.name},
            ipv6=has_ipv6(scenario, host)))
    return Plan(run_id=run_id, scenario=scenario.name,
                directory=str(scenario.directory), mode=mode, labels=labels,
                networks=networks, hosts=tuple(hosts),
                evidence=str(evidence))
