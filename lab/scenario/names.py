"""The names a scenario chooses (its own, its hosts', its networks'), held
to every place a run puts them, so a name that validates is one a run can
use: hosts are hostnames, /etc/hosts entries and container names
(`socklab-<run>-<host>`), networks are Docker network names
(`socklab-<run>-<network>`, a swarm overlay's too) and part of `HOST.NETWORK`,
the scenario's name is its results folder and a label.

Each check returns None or what is wrong and what would be valid.
"""
import re
import socket

from .. import plan

# Letters, digits, - and _, first and last a letter or digit: Docker takes
# these in container names, a swarm takes them in network names (DNS
# labels: nothing else, no trailing - or _), the kernel in hostnames. No
# dots: `HOST.NETWORK` is split at the first one.
PATTERN = r"^[A-Za-z0-9]([A-Za-z0-9_-]*[A-Za-z0-9])?$"
# The scenario's name is a folder and a label value only: dots are fine
# there (the file's stem, `lesson.v2`, is the default name).
SCENARIO_PATTERN = r"^[A-Za-z0-9]([A-Za-z0-9_.-]*[A-Za-z0-9])?$"

# A hostname: the kernel takes 64 bytes (sethostname fails past that) and
# a DNS label is 63.
HOST_MAX = 63
# A swarm refuses a network name over 63 characters, and the Docker name is
# `socklab-<8 hex run id>-<network>` (plan.make).
NETWORK_MAX = 63 - len("socklab-01234567-")
# The results folder is one file name (255 bytes) and the compose export
# tags its host rule `socklab-compose:<name>` (iptables comments: 255).
SCENARIO_MAX = 128

# The names the hosts file gives before the lab's: a host of that name
# would resolve to loopback instead.
RESERVED = frozenset(name.lower() for line in plan.hosts_file({}).splitlines()
                     for name in line.split()[1:])

_ENDS = "starting and ending with a letter or digit"


def host(name):
    """What is wrong with a host's name, or None."""
    problem = _common(name, "host", HOST_MAX, "it is the host's hostname")
    if problem:
        return problem
    if name.lower() in RESERVED:
        return (f"host name {name!r} is taken: every host's /etc/hosts "
                f"already says it means loopback ({', '.join(sorted(RESERVED))}"
                " are reserved); choose another")
    try:
        socket.inet_aton(name)
    except OSError:
        return None
    return (f"host name {name!r} reads as an IPv4 address "
            f"({socket.inet_ntoa(socket.inet_aton(name))}), so it could not "
            f"be reached by name; start it with a letter (e.g. h{name})")


def network(name):
    """What is wrong with a network's name, or None."""
    return _common(name, "network", NETWORK_MAX, "the Docker network is "
                   "socklab-<run id>-<network>, and a swarm takes 63 "
                   "characters at most")


def scenario(name, from_file):
    """What is wrong with the scenario's name, or None. `from_file`: the
    name is the file's stem (no `name:` given)."""
    if re.fullmatch(SCENARIO_PATTERN, name) and len(name) <= SCENARIO_MAX:
        return None
    said = f"the file's name gives the scenario's name {_shown(name)}" \
        if from_file else f"scenario name {_shown(name)}"
    fix = "; or give one with `name:`" if from_file else ""
    return (f"{said}: it names the results folder (results/<name>/); use "
            f"letters, digits, ., - and _, {_ENDS}, at most {SCENARIO_MAX} "
            f"characters{fix}")


def case_clashes(names, kind):
    """(name, what is wrong) for each name equal to an earlier one but for
    case: names resolve regardless of case (/etc/hosts), so the two could
    not be told apart."""
    seen = {}
    for name in names:
        if name.lower() in seen:
            yield name, (f"{kind} name {name!r} differs from "
                         f"{seen[name.lower()]!r} only in case; names resolve"
                         " regardless of case, so make them differ")
        seen.setdefault(name.lower(), name)


def _common(name, kind, most, why):
    if not re.fullmatch(PATTERN, name):
        return f"{kind} name {_shown(name)}: use letters, digits, - and _, " \
            f"{_ENDS}"
    if len(name) > most:
        return (f"{kind} name {_shown(name)} is {len(name)} characters long;"
                f" at most {most} ({why})")
    return None


def _shown(name):
    """The name as a message quotes it: escaped, and cut if very long."""
    return repr(name) if len(name) <= 40 else repr(name[:32]) + "..."
