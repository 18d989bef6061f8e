"""A host's `firewall:` rules by address family. A rule is iptables'
arguments; which tool takes it follows from what it names:

- something of IPv4 only (an IPv4 address or network, `-p icmp`,
  `--icmp-type`, `-f`, a reject type IPv6 has no twin of): iptables only;
- something of IPv6 only (an IPv6 address, `-p icmpv6`, `--icmpv6-type`,
  an `icmp6-` reject type): ip6tables only;
- neither (ports, interfaces, states, plain DROP or REJECT): iptables, and
  ip6tables too where the host has IPv6, with an IPv4 reject type turned
  into its ICMPv6 twin, so that a rule closes a port in both families
  alike (the lesson of firewall DROP vs REJECT holds over IPv6);
- both: invalid, there is no tool for it.

Pure, standard library only (as the agent is): validation reports
(file:line:field), and the plan hands the host the (tool, rule) pairs it
applies in order.
"""
import shlex
from ipaddress import ip_network

# iptables REJECT types -> ip6tables' (icmp-proto-unreachable has none).
REJECT6 = {"icmp-net-unreachable": "icmp6-no-route",
           "icmp-host-unreachable": "icmp6-addr-unreachable",
           "icmp-port-unreachable": "icmp6-port-unreachable",
           "icmp-net-prohibited": "icmp6-adm-prohibited",
           "icmp-host-prohibited": "icmp6-adm-prohibited",
           "icmp-admin-prohibited": "icmp6-adm-prohibited",
           "net-unreach": "icmp6-no-route", "host-unreach": "addr-unreach",
           "port-unreach": "icmp6-port-unreachable",
           "net-prohib": "adm-prohibited", "host-prohib": "adm-prohibited",
           "admin-prohib": "adm-prohibited"}
ONLY4 = {"icmp-proto-unreachable", "proto-unreach", "-f", "--fragment",
         "--icmp-type"}
ONLY6 = {"--icmpv6-type", "icmp6-no-route", "no-route",
         "icmp6-adm-prohibited", "adm-prohibited", "icmp6-addr-unreachable",
         "addr-unreach", "icmp6-port-unreachable", "icmp6-policy-fail",
         "icmp6-reject-route"}
PROTOCOL = {"-p", "--protocol"}
ICMP = {"icmp": 4, "1": 4, "icmpv6": 6, "ipv6-icmp": 6, "icmp6": 6,
        "58": 6}


def _version(token):
    """4 or 6 where the token is an address or network (or a
    comma-separated list of them, as -s takes), else None."""
    for part in token.split(","):
        try:
            return ip_network(part.strip("!"), strict=False).version
        except ValueError:
            continue
    return None


def marks(argv):
    """{4: [what is IPv4's only], 6: [what is IPv6's only]} in a rule."""
    found = {4: [], 6: []}
    for before, token in zip([""] + argv, argv):
        if before in PROTOCOL and token.lower() in ICMP:
            found[ICMP[token.lower()]].append(f"{before} {token}")
        elif token in ONLY4 or token in ONLY6:
            found[4 if token in ONLY4 else 6].append(token)
        elif (":" in token or "." in token) and _version(token):
            found[_version(token)].append(token)
    return found


def problem(rule, ipv6):
    """Why the rule (text) cannot be applied on a host (with IPv6 on or
    not), or None."""
    try:
        found = marks(shlex.split(rule))
    except ValueError:
        return None  # commands.split reports it
    if found[4] and found[6]:
        return (f"{rule!r} mixes IPv4 ({', '.join(found[4])}) and IPv6 "
                f"({', '.join(found[6])}): a rule goes to iptables or "
                "ip6tables; write one rule per family")
    if found[6] and not ipv6:
        return (f"{rule!r} is IPv6's ({', '.join(found[6])}) but this host "
                "has no IPv6 address: none of its networks has an IPv6 "
                "subnet")
    return None


def tools(rule, ipv6):
    """[(tool, rule), ...]: what applies the rule on a host (problem()
    said it can)."""
    argv = shlex.split(rule)
    found = marks(argv)
    if found[6]:
        return [("ip6tables", rule)]
    if found[4] or not ipv6:
        return [("iptables", rule)]
    return [("iptables", rule),
            ("ip6tables", shlex.join(REJECT6.get(a, a) for a in argv))]
