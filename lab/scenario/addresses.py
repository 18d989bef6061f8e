"""Subnets, addresses and next hops of either family, as a scenario writes
them: one value or a list with at most one per family (SCENARIOS.md, "IPv6
and multicast"). Plain functions over text; problems go to `report(where,
message)` with the field's path, so the file and line are named.
"""
from ipaddress import ip_address, ip_network

PRIVATE = tuple(ip_network(n) for n in
                ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"))
# IPv6's private range: unique local addresses. A global prefix would look
# like the outside, as a public IPv4 range would.
UNIQUE_LOCAL = ip_network("fc00::/7")
# The smallest subnets: socklab keeps one address spare (the bridge's
# reserved one), so a /29 (or an IPv6 /125) leaves room for hosts.
LONGEST_PREFIX = {4: 29, 6: 125}


def items(where, value):
    """(where, text) for one value or each of a list."""
    if isinstance(value, list):
        return [(where + (i,), v) for i, v in enumerate(value)]
    return [(where, value)]


def _one_per_family(found, what, report):
    """Keep the first of each family; report a second one."""
    kept = {}
    for where, value in found:
        if value.version in kept:
            report(where, f"a second IPv{value.version} {what} "
                   f"({value}, after {kept[value.version]}); give at most "
                   "one per family")
        else:
            kept[value.version] = value
    return kept


def subnets(where, value, report):
    """A network's subnets, IPv4 first: () when none is valid."""
    found = []
    for spot, text in items(where, value):
        family = 6 if ":" in str(text) else 4
        try:
            subnet = ip_network(str(text))
        except ValueError as exc:
            fix = ""
            try:
                fix = f"; did you mean {ip_network(str(text), False)}?"
            except ValueError:
                pass
            report(spot, f"{text!r} is not an IPv{family} subnet ({exc})"
                   f"{fix}")
            continue
        if subnet.version == 4 and \
                not any(subnet.subnet_of(p) for p in PRIVATE):
            report(spot, f"{subnet} is not a private range; use one inside "
                   "10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16 (lab "
                   "traffic must never look like the outside)")
        elif subnet.version == 6 and not subnet.subnet_of(UNIQUE_LOCAL):
            report(spot, f"{subnet} is not a unique local range; use one "
                   "inside fc00::/7, e.g. fd00:1::/64 (lab traffic must "
                   "never look like the outside)")
        elif subnet.prefixlen > LONGEST_PREFIX[subnet.version]:
            report(spot, f"{subnet} is too small; use "
                   f"/{LONGEST_PREFIX[subnet.version]} or larger (socklab "
                   "keeps one address of each subnet spare)")
        else:
            found.append((spot, subnet))
    kept = _one_per_family(found, "subnet", report)
    return tuple(kept[v] for v in sorted(kept))


def _address(where, text, report):
    try:
        return ip_address(str(text))
    except ValueError:
        report(where, f"{text!r} is not an IPv4 or IPv6 address")
        return None


def host_addresses(where, value, network, report):
    """An interface's addresses on `network` (model.Network), in file
    order: each a host address of the network's subnet of its family."""
    found = []
    for spot, text in items(where, value):
        address = _address(spot, text, report)
        if address is None:
            continue
        subnet = network.subnet_for(address.version)
        if subnet is None:
            report(spot, f"{address}: {network.name} has no IPv"
                   f"{address.version} subnet (its subnets: "
                   f"{', '.join(map(str, network.subnets))})")
        elif address not in subnet or address in (
                subnet.network_address, subnet.broadcast_address):
            report(spot, f"{address} is not a host address of "
                   f"{network.name} ({subnet})")
        else:
            found.append((spot, address))
    kept = _one_per_family(found, "address", report)
    return tuple(a for _, a in found if kept.get(a.version) is a)


def next_hops(where, value, subnets_, report):
    """Gateways (one per family), each directly reachable: on one of the
    host's subnets."""
    found = []
    for spot, text in items(where, value):
        address = next_hop(spot, text, subnets_, report)
        if address:
            found.append((spot, address))
    return tuple(_one_per_family(found, "gateway", report).values())


def next_hop(where, text, subnets_, report):
    address = _address(where, text, report)
    if address and not any(address in s for s in subnets_
                           if s.version == address.version):
        report(where, f"{address} is not on any of this host's networks "
               f"({', '.join(map(str, subnets_))}); a next hop must be "
               "directly reachable")
        return None
    return address


def destination(where, text, via, networks, report):
    """A route's `to`: "default" or a CIDR inside the lab, of via's family.
    Returns the text to keep, or None."""
    if text == "default":
        return text
    try:
        dest = ip_network(str(text))
    except ValueError as exc:
        report(where, f"{text!r}: not a CIDR ({exc})")
        return None
    if via and dest.version != via.version:
        report(where, f"{dest} is IPv{dest.version} and its via {via} IPv"
               f"{via.version}; a route's `to` and `via` are of one family")
        return None
    if not any(dest.overlaps(s) for n in networks for s in n.subnets
               if s.version == dest.version):
        report(where, f"{dest} covers none of the scenario's subnets; "
               "routes lead only inside the lab")
        return None
    return text
