"""The machine's rules and links for lab bridges, reconciled in one script.

- One ACCEPT in DOCKER-USER per lab bridge. With
  net.bridge.bridge-nf-call-iptables=1 the host's iptables see bridged
  frames, and Docker's isolation rules for internal networks then drop
  both 255.255.255.255 broadcasts and traffic a router container forwards.
  `-i BR -o BR -j ACCEPT` lets a segment talk to itself and nothing more.
- One ACCEPT in ip6tables' FORWARD per lab bridge, the same for IPv6
  (net.bridge.bridge-nf-call-ip6tables=1): where Docker manages ip6tables
  (27 and later do by default) its FORWARD policy is DROP, and bridged
  IPv6 between two hosts of a segment would die on the machine. On these
  machines the policy is ACCEPT; the rule costs nothing there.
- One DROP in INPUT per lab bridge, for IPv4 and IPv6: the machine has no
  address on a lab's bridge, and takes nothing a lab host addresses to it
  by another of its addresses either (hosts keep CAP_NET_RAW).
- The bridges socklab made for runs that are gone (networking.py makes
  each bridge before Docker's network adopts it, and Docker removes only
  bridges it made).

They are set from a container on the host's network namespace (works with
any daemon, same iptables backend as Docker's): the run's wiring helper, or
a short-lived one where the run has none (sweeps, `socklab clean`). Rules
carry the comment `socklab:<run id>`, bridges the run id in their name, so
a later run or `socklab clean` removes what a dead run left.
"""
import contextlib
import shlex

from .. import labels as keys, runs
from ..errors import EnvironmentUnusable, RunFailed
from .api import log_of, remove_container

COMMENT = "socklab:"
CHAINS = (("iptables", "DOCKER-USER"), ("iptables", "INPUT"),
          ("ip6tables", "FORWARD"), ("ip6tables", "INPUT"))

# Delete every socklab rule and bridge whose run is not in $KEEP.
_SCRIPT = r"""
kept() { case " $KEEP " in *" $1 "*) return 0;; esac; return 1; }
# -w: wait for the xtables lock (Docker's own calls, another run's) rather
# than fail, and leave a rule behind, while it is held.
unrule() {  # $1 iptables or ip6tables, $2 the chain
  "$1" -w -S "$2" 2>/dev/null | grep -o 'socklab:[0-9a-f]*' | sort -u |
  while read tag; do
    kept "${tag#socklab:}" && continue
    "$1" -w -S "$2" | grep -- "$tag" | sed 's/^-A /-D /' |
      while read rule; do eval "$1" -w $rule; done
  done
}
""" + "".join(f"unrule {tool} {chain}\n" for tool, chain in CHAINS) + r"""
for name in $(ls /sys/class/net | grep -E '^slb[0-9a-f]{8}[0-9]+$'); do
  kept "$(echo "$name" | cut -c4-11)" || ip link del "$name"
done
# A removed host's links go with its network namespace, but the kernel
# may take minutes to dismantle one (packets held in a delay line, sockets
# closing): removing one end of a pair removes both, at once.
for name in $(ls /sys/class/net | grep -E '^v[0-9a-f]{13}$'); do
  kept "$(echo "$name" | cut -c2-9)" || ip link del "$name" 2>/dev/null
done
"""


def script(keep, add_run=None, bridges=()):
    """The shell script that reconciles the machine: keep the rules and
    bridges of the runs in `keep`, remove socklab's others, add
    `add_run`'s rules for `bridges`."""
    lines = [f"KEEP={shlex.quote(' '.join(sorted(keep)))}", _SCRIPT]
    tag = f"-m comment --comment {COMMENT}{add_run}"
    for bridge in bridges:
        lines += [
            f"iptables -w -I DOCKER-USER -i {bridge} -o {bridge} {tag} "
            "-j ACCEPT",
            f"iptables -w -I INPUT -i {bridge} {tag} -j DROP",
            f"ip6tables -w -I FORWARD -i {bridge} -o {bridge} {tag} "
            "-j ACCEPT",
            f"ip6tables -w -I INPUT -i {bridge} {tag} -j DROP"]
    lines.append("iptables -S DOCKER-USER | grep -c socklab: || true")
    return "\n".join(lines)


def reconcile(api, image, owner, modes, networks=(), drop=None, helper=None):
    """Remove host rules of runs that are gone (and `drop`'s); add rules
    for `networks`, tagged with `owner`, the live run doing it; through
    `helper` (the run's Wiring) if given, else a short-lived container.
    modes() -> {run id: mode} of the runs on the engine (inventory.py)."""
    with runs.locked("hostfw.lock"):
        # Kept: every run that is alive or still has anything on the
        # engine (a dead run's rules and links go once a sweep has removed
        # its containers): no judgement of liveness can cut a live lab.
        keep = set(runs.live_runs()) | set(modes())
        keep.discard(drop)
        text = script(keep, owner, [n.bridge for n in networks])
        status = None
        if helper:
            with contextlib.suppress(RunFailed):  # gone: see below
                status, log = helper.run(["sh", "-c", text],
                                         "setting host rules")
        if status is None:
            # Labelled with this process: no other sweep takes it for a
            # dead run's while it works.
            status, log = _in_helper(api, image, ["sh", "-c", text], {
                keys.RUN: owner, keys.OWNER: runs.owner(),
                keys.HELPER: keys.HOSTFW})
        if status:
            raise EnvironmentUnusable(
                f"could not set the host's firewall rules: {log}")


def _in_helper(api, image, argv, labels):
    """Run argv in a short-lived container on the machine's network
    namespace, with NET_ADMIN; return (status, output)."""
    container = api.create_container(
        image, command=argv, labels=labels,
        host_config=api.create_host_config(
            network_mode="host", cap_add=["NET_ADMIN"]))["Id"]
    try:
        api.start(container)
        status = api.wait(container, timeout=60)["StatusCode"]
        return status, log_of(api, container)
    finally:
        remove_container(api, container)
