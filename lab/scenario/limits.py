"""The kernel's limits a large lab meets, checked before anything is made.

- A Linux bridge takes at most 1,024 ports (BR_MAX_PORTS, net/bridge/
  br_private.h): a network of more interfaces could not be wired, and would
  fail half built. Refused.
- The neighbour tables (ARP, NDP) are the kernel's, one per family shared
  by every network namespace, and no namespace can raise their size
  (net.ipv4.neigh.default.gc_thresh3 is the machine's own; a lab's
  namespaces do not even have the file). Past gc_thresh3 entries, new ones
  fail ("neighbor table overflow", ENOBUFS: moby/libnetwork#1522,
  lxd#4799; forced collection frees no entry younger than gc_interval) and
  packets to unresolved neighbours are dropped. A lab whose hosts, each talking to its own
  networks' one server, would need more is refused with the sysctl to
  raise; one that fits that but not all its hosts talking to each other
  gets a warning.
"""
from pathlib import Path

BRIDGE_PORTS = 1024
DEFAULT_THRESH3 = 1024  # the kernel's default, where the machine's is unread
SYSCTL = "net.ipv{}.neigh.default.gc_thresh3"


def thresholds():
    """{4: gc_thresh3, 6: gc_thresh3} of this machine (where labs run on
    one engine; a swarm's nodes are assumed alike)."""
    found = {}
    for family in (4, 6):
        path = Path("/proc/sys") / SYSCTL.format(family).replace(".", "/")
        try:
            found[family] = int(path.read_text())
        except (OSError, ValueError):
            found[family] = DEFAULT_THRESH3
    return found


def check(networks, hosts, report, warn, limits=None):
    """report(where, message) what no lab can do here; warn(where,
    message) what a lab may run into."""
    limits = limits or thresholds()
    members = {n.name: [h for h in hosts if h.addresses_on(n.name)]
               for n in networks}
    for net in networks:
        if len(members[net.name]) > BRIDGE_PORTS:
            report(("networks", net.name),
                   f"{len(members[net.name])} hosts are on {net.name}; a "
                   f"Linux bridge takes at most {BRIDGE_PORTS}: split it "
                   "into networks joined by a router")
    for family, limit in limits.items():
        on = [n for n in networks if n.subnet_for(family)]
        # IPv6 neighbours are known by their link-local address as well.
        per = 2 if family == 6 else 1
        sizes = [len(members[n.name]) for n in on]
        star = sum(2 * (k - 1) * per for k in sizes)   # one server each
        mesh = sum(k * (k - 1) * per for k in sizes)   # all talk to all
        if not on or mesh <= limit:
            continue
        where = ("networks", max(on, key=lambda n: len(members[n.name]))
                 .name)
        raise_it = (f"raise it on the machine: sysctl -w "
                    f"{SYSCTL.format(family)}={max(star, mesh) * 2}")
        if star > limit:
            report(where, f"the lab's hosts would need about {star} IPv"
                   f"{family} neighbour entries, and the kernel holds "
                   f"{limit} for all namespaces together "
                   f"({SYSCTL.format(family)}); {raise_it}")
        else:
            warn(where, f"if every host talked to every other, the lab "
                 f"would need {mesh} IPv{family} neighbour entries and the "
                 f"kernel holds {limit} ({SYSCTL.format(family)}): past "
                 f"that, packets to hosts not yet resolved are dropped; "
                 f"{raise_it}")
