"""Addresses of either family for the built-in programs: targets (names,
IPv4 and [IPv6] literals), the order a client tries them in, what a server
binds by default, and multicast groups.

Standard library only: this runs inside the lab's hosts.
"""
import ipaddress
import json
import os
import socket
import struct

from . import contract

FAMILIES = {None: socket.AF_UNSPEC, "4": socket.AF_INET,
            "6": socket.AF_INET6}
IF_INET6 = "/proc/net/if_inet6"  # the kernel's list of IPv6 addresses


def split_target(text):
    """'server:9000', '10.0.0.5:9000', '[fd00::5]:9000' -> (host, port
    text); the port is "" where there is none."""
    host, colon, port = text.rpartition(":")
    if not colon or ":" in host and not host.startswith("["):
        return text, ""  # no port (an IPv6 literal without brackets)
    return host.removeprefix("[").removesuffix("]"), port


def resolve(text, family=None, kind=socket.SOCK_STREAM):
    """Every (family, sockaddr) a target stands for, in the resolver's
    order (/etc/hosts, sorted as RFC 6724 and gai.conf say): the order
    socket.create_connection tries them in. `family`: "4", "6" or None."""
    host, port = split_target(text)
    return [(found[0], found[4]) for found in socket.getaddrinfo(
        host, int(port), FAMILIES[family], kind)]


def connect_any(text, family, timeout):
    """(socket, address tried last): the first address of the target that
    takes the connection, each tried in order, as create_connection does.
    Where none does, the last one's error is raised, with the address as
    its `tried` attribute."""
    error = None
    for found, address in resolve(text, family):
        sock = socket.socket(found, socket.SOCK_STREAM)
        sock.settimeout(timeout)
        try:
            sock.connect(address)
            return sock, address[0]
        except OSError as exc:
            sock.close()
            exc.tried, error = address[0], exc
    raise error


def plain(address):
    """An address as the scenario writes it: an IPv4-mapped one (an IPv4
    peer of a `::` socket) as IPv4, without a link-local scope."""
    address = address.split("%")[0]
    try:
        mapped = getattr(ipaddress.ip_address(address), "ipv4_mapped", None)
    except ValueError:
        return address
    return str(mapped) if mapped else address


def ipv6_links():
    """{interface index: [IPv6 address, ...]} of this host's global (not
    link-local) addresses, loopback left out."""
    found = {}
    try:
        with open(IF_INET6) as table:
            lines = table.read().splitlines()
    except OSError:
        return found  # IPv6 is off
    for line in lines:
        hexa, index, _, scope, _, name = line.split()
        if name != "lo" and scope == "00":
            address = ipaddress.ip_address(bytes.fromhex(hexa))
            found.setdefault(int(index, 16), []).append(str(address))
    return found


def default_bind():
    """A server's address when none is given: every address of the host.
    `::` where the host has IPv6 (the kernel takes IPv4 on it too, as
    IPv4-mapped addresses, unless net.ipv6.bindv6only), else 0.0.0.0: an
    IPv4-only host's servers are as they always were."""
    return "::" if ipv6_links() else "0.0.0.0"


def family_of(address):
    return socket.AF_INET6 if ":" in address else socket.AF_INET


def my_addresses():
    """The scenario's addresses of this host, in its interfaces' order
    (SOCKLAB_INTERFACES: {network: "A" or "A B"})."""
    table = json.loads(os.environ.get(contract.INTERFACES, "{}"))
    return {net: found.split() for net, found in table.items()}


def source(choice, family):
    """The address to send from: a network name or an address of ours;
    without one, the first interface's address of the family (a broadcast
    or a datagram to a group needs it to pick its interface when the host
    has no route)."""
    mine = my_addresses()
    if choice:
        found = [a for a in mine.get(choice, [choice])
                 if family_of(a) == family]
        return found[0] if found else choice
    return next((a for found in mine.values() for a in found
                 if family_of(a) == family),
                "::" if family == socket.AF_INET6 else "0.0.0.0")


def is_multicast(address):
    try:
        return ipaddress.ip_address(address).is_multicast
    except ValueError:
        return False


def send_to_group(sock, family, source_address, ttl):
    """Multicast leaves by the source address's interface with `ttl`
    hops (1: the LAN only, as the socket API has it)."""
    if family == socket.AF_INET:
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, ttl)
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF,
                        socket.inet_aton(source_address))
        return
    sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_HOPS, ttl)
    index = next((i for i, found in ipv6_links().items()
                  if source_address in found), 0)
    sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF, index)


def join(sock, group):
    """Join `group` on each of the host's interfaces (loopback aside);
    return how many took it. An interface of the other family only
    refuses."""
    joined = 0
    for index, name in socket.if_nameindex():
        if name == "lo":
            continue
        if family_of(group) == socket.AF_INET:
            level, option = socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP
            request = socket.inet_aton(group) + struct.pack("4si", bytes(4),
                                                            index)
        else:
            level, option = socket.IPPROTO_IPV6, socket.IPV6_JOIN_GROUP
            request = socket.inet_pton(socket.AF_INET6, group) + \
                struct.pack("@I", index)
        try:
            sock.setsockopt(level, option, request)
            joined += 1
        except OSError:
            pass
    return joined
