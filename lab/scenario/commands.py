"""Command lines in a scenario: split as the shell would, a built-in
program's arguments parsed by its own parser (the one it uses in the
hosts), and its `--to` held inside the lab."""
import difflib
import shlex
from ipaddress import IPv4Address, ip_address

from ..agent import programs
from ..agent.addressing import is_multicast, split_target
from .shapes import hint

LIMITED_BROADCAST = IPv4Address("255.255.255.255")


def split(where, line, report):
    try:
        argv = shlex.split(line)
    except ValueError as exc:
        report(where, f"cannot split {line!r}: {exc}")
        return []
    if not argv:
        report(where, "the command is empty")
    return argv


def check(where, line, lab, report, ours=True):
    """Check a command line; return the built-in program's name, if it is
    one. Arbitrary commands are the user's to get right. `lab`: the hosts
    and networks so far, by name (targets must be among them). `ours`: it
    runs in socklab's host image (else in one of the user's)."""
    argv = split(where, line, report)
    if argv and ours and argv[0] not in lab.parsers:
        _misspelt(where, argv[0], lab.parsers, report)
    if not argv or argv[0] not in lab.parsers:
        return None
    try:
        args = lab.parsers[argv[0]].parse_args(argv[1:])
    except programs.UsageError as exc:
        report(where, f"{exc} (see `{argv[0]} --help`)")
        return argv[0]
    if getattr(args, "to", None):
        _target(where, args.to, argv[0] == "udp-send", lab, report)
        _family(where, args, lab, report)
    if getattr(args, "join", None) and not is_multicast(args.join):
        report(where, f"--join {args.join!r} is not a multicast group; give "
               "one such as 239.1.2.3 or ff15::1234")
    return argv[0]


def _misspelt(where, word, names, report):
    """A built-in's name misspelt (`tcp-sever`) would only fail in the
    host, as `sh: tcp-sever: not found` in its log. socklab's image has no
    program whose name is this close to a built-in's (checked against the
    image: tests/test_host_tools.py), so it is one misspelt; an image of
    the user's may have anything."""
    close = close_to_builtin(word, names)
    if close:
        report(where, f"no program {word!r} in socklab's host image (did "
               f"you mean `{close}`?); the built-in programs are "
               f"{', '.join(names)}")


def close_to_builtin(word, names):
    """The built-in program `word` most likely misspells, or None."""
    if "/" in word or "=" in word or word in names:
        return None
    close = difflib.get_close_matches(word, list(names), n=1, cutoff=0.8)
    return close[0] if close else None


def _family(where, args, lab, report):
    """--family 6 to a host with no IPv6 address (or 4, none of IPv4) could
    never reach it: say so now."""
    host, _ = split_target(args.to)
    name, _, net = host.partition(".")
    if args.family and name in lab.hosts:
        found = lab.hosts[name].addresses_on(net) if net else \
            lab.hosts[name].addresses[0][1]
        if found and int(args.family) not in {a.version for a in found}:
            report(where, f"--family {args.family}: {host} has no IPv"
                   f"{args.family} address ({', '.join(map(str, found))})")


def _target(where, text, broadcast_ok, lab, report):
    host, port = split_target(text)
    if not port.isdigit() or not 0 < int(port) < 65536:
        report(where, f"--to {text!r}: give HOST:PORT (an IPv6 address in "
               "brackets: [fd00::5]:9000) with a port from 1 to 65535")
        return
    name, _, net = host.partition(".")
    if name in lab.hosts and (not net or lab.hosts[name].address_on(net)):
        return
    try:
        address = ip_address(host)
    except ValueError:
        report(where, f"--to {host!r} is not a host of this scenario"
               f"{hint(host, lab.hosts)}; hosts are {', '.join(lab.hosts)} "
               "(or HOST.NETWORK, or an address inside the scenario's "
               "subnets)")
        return
    if address.is_loopback or (broadcast_ok and (
            address == LIMITED_BROADCAST or address.is_multicast)):
        # The host itself, or its own LAN: a datagram to a group leaves
        # with a TTL (hop limit) of 1 unless the step raises it, and no
        # router of a lab forwards multicast.
        return
    if not any(address in s for n in lab.networks.values()
               for s in n.subnets):
        subnets = ", ".join(str(s) for n in lab.networks.values()
                            for s in n.subnets)
        report(where, f"--to {address} is outside the scenario's subnets "
               f"({subnets}) and not loopback; lab traffic stays in the lab")
