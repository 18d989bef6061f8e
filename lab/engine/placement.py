"""Where a swarm lab's hosts go, and the addresses Docker's overlays may
take: pure, tested without a swarm."""
import dataclasses
import ipaddress

from ..errors import ScenarioInvalid
from ..plan import mac as plan_mac


@dataclasses.dataclass(frozen=True)
class Node:
    name: str   # the node's hostname, as `docker node ls` shows it
    id: str
    engine: object  # its DockerEngine
    url: str = ""  # its socklab.engine label; "" for the manager's own
    address: str = ""  # where the other nodes' VXLAN reaches it


def spare_range(subnet, used, gateway, wanted):
    """A block of the subnet for Docker's own allocations: the top-most
    aligned block of 16 (else 8, 4, 2) addresses that no host uses and
    that has `wanted` addresses free. Each node on which an overlay is used
    takes an address for its load balancer: from the whole subnet that
    would be the first free one, often .1, racing the scenario's own .1 (a
    router's, typically) when hosts start in parallel."""
    network = ipaddress.IPv4Network(subnet)
    taken = {network.network_address, network.broadcast_address,
             ipaddress.IPv4Address(gateway)}
    used = {ipaddress.IPv4Address(a) for a in used}
    top = int(network.broadcast_address) + 1
    for prefix in range(max(network.prefixlen, 28), 32):
        size = 2 ** (32 - prefix)
        # From the top down; each host rules out one block at most, so a
        # few more candidates than hosts will do (a /8 has a million).
        for k in range(min(network.num_addresses // size, len(used) + 2)):
            block = ipaddress.IPv4Network((top - (k + 1) * size, prefix))
            if not any(a in block for a in used) and \
                    block.num_addresses - len(taken & set(block)) >= wanted:
                return str(block)
    return None  # no room: Docker picks from the whole subnet


def link_local(mac):
    """The fe80:: address the kernel makes from a MAC (EUI-64)."""
    octets = [int(b, 16) for b in mac.split(":")]
    octets[0] ^= 2
    eui = octets[:3] + [0xff, 0xfe] + octets[3:]
    return str(ipaddress.IPv6Address(b"\xfe\x80" + bytes(6) + bytes(eui)))


# The overlay's namespace has IPv6 off on every device, and the kernel
# takes no IPv6 neighbour entry on such a device ("IPv6 is disabled on
# this device"): IPv6 goes on for vxlan0 alone, with no address of its own
# first (addrgenmode none), so it sends nothing into the lab (no link-local
# address: no DAD, no router solicitation; ff02::1 is joined unreported).
# br0 and the veths keep IPv6 off. Writing the sysctl needs a writable
# /proc/sys in the helper (swarm._flood).
VXLAN_IPV6 = ["ip link set dev vxlan0 addrgenmode none",
              "sysctl -qw net.ipv6.conf.vxlan0.disable_ipv6=0"]


def neighbours(net, hosts):
    """Commands for an overlay's VXLAN device on one node, for the hosts
    on the network placed on other nodes; [] where they have no IPv6.
    Docker's overlay answers neighbour solicitations at the VXLAN device
    (its `proxy` flag) from entries it programs for IPv4 only, and never
    forwards one, so IPv6 between nodes would find no neighbour: socklab
    programs each IPv6 address of theirs (and its link-local one) to the
    MAC Docker gives the interface, 02:42 and the IPv4 address it was
    given (plan.attached_addresses)."""
    lines = []
    for host in hosts:
        given = dict(host.attachments).get(net.docker_name)
        link = next((k for k in host.links if k.network == net.docker_name),
                    None)
        if given is None or link is None:
            continue
        mac = plan_mac(ipaddress.ip_address(given))
        six = [a.split("/")[0] for a in link.address.split(",") if ":" in a]
        lines += [f"ip -6 neigh replace {a} lladdr {mac} dev vxlan0 nud "
                  "permanent" for a in six + [link_local(mac)] * bool(six)]
    return VXLAN_IPV6 + lines if lines else []


def place(hosts, nodes):
    """{host name: Node}. Hosts the scenario pins go where it says; the
    others, in file order, each to the node with the fewest hosts so far
    (ties: the swarm's order), so a two-host lab on two nodes crosses."""
    known = {key: node for node in nodes for key in (node.name, node.id)}
    problems = [f"{h.node_at}: no node {h.node!r} in the swarm that socklab "
                f"can use; its nodes: {', '.join(n.name for n in nodes)}"
                for h in hosts if h.node and h.node not in known]
    if problems:
        raise ScenarioInvalid(problems)
    placed = {h.name: known[h.node] for h in hosts if h.node}
    load = {n.id: 0 for n in nodes}
    for node in placed.values():
        load[node.id] += 1
    for host in hosts:
        if not host.node:
            node = min(nodes, key=lambda n: load[n.id])
            placed[host.name] = node
            load[node.id] += 1
    return placed


def address_of(node):
    """The node's address in the swarm (a manager's Status.Addr may read
    0.0.0.0; its ManagerStatus has the real one)."""
    address = node["Status"].get("Addr", "0.0.0.0")
    if address == "0.0.0.0" and node.get("ManagerStatus"):
        address = node["ManagerStatus"]["Addr"].rsplit(":", 1)[0]
    return address
