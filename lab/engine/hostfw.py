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

# Delete every socklab rule, bridge and veth whose run is not in $KEEP, and
# add the new rules, each in one batch: a rule or link at a time cost a
# process each (iptables reloads its ruleset per call), 12 s of a 300-host
# lab's teardown (BENCHMARKS.md).
_SCRIPT = r"""
# -w: wait for the xtables lock (Docker's own calls, another run's) rather
# than fail, and leave a rule behind, while it is held.
unrule() {  # $1 iptables or ip6tables, $2 the chain
  "$1" -w -S "$2" 2>/dev/null | awk -v keep=" $KEEP " '
    match($0, /socklab:[0-9a-f]+/) {
      if (!index(keep, " " substr($0, RSTART + 8, RLENGTH - 8) " ")) {
        sub(/^-A /, "-D "); print } }'
}
restore() {  # $1 iptables or ip6tables; rules to delete, then to add
  { echo "*filter"; cat; echo COMMIT; } | "$1-restore" -w --noflush
}
# A removed host's links go with its network namespace, but the kernel may
# take minutes to dismantle one (packets held in a delay line, sockets
# closing): removing one end of a pair removes both, at once. A run's links
# are in its link group (wiring.group): its group goes in one kernel batch
# if every link in it is the run's; what is left goes a link at a time.
doomed() {  # "RUN NAME" for each of socklab's links whose run is not kept
  ls /sys/class/net | grep -E '^(v[0-9a-f]{13}|slb[0-9a-f]{8}[0-9]+)$' |
    awk -v keep=" $KEEP " '{ run = substr($0, /^v/ ? 2 : 4, 8) }
      !index(keep, " " run " ") { print run, $0 }'
}
unlink() {
  links=$(doomed)
  for run in $(echo "$links" | cut -d' ' -f1 | sort -u); do
    group=$(printf %d "0x$run")
    [ "$group" -lt 2147483648 ] || continue
    ip -o link show group "$group" | awk -F': ' '{ sub(/@.*/, "", $2);
      print $2 }' | grep -qvE "^(v$run[0-9a-f]{5}|slb$run[0-9]+)$" ||
      ip link del group "$group" 2>/dev/null
  done
  doomed | awk '{ print "link del " $2 }' | ip -force -batch - 2>/dev/null
  return 0
}
"""


def script(keep, add_run=None, bridges=()):
    """The shell script that reconciles the machine: keep the rules and
    bridges of the runs in `keep`, remove socklab's others, add
    `add_run`'s rules for `bridges`."""
    tag = f"-m comment --comment {COMMENT}{add_run}"
    added = {"iptables": [], "ip6tables": []}
    for bridge in bridges:
        added["iptables"] += [
            f"-I DOCKER-USER -i {bridge} -o {bridge} {tag} -j ACCEPT",
            f"-I INPUT -i {bridge} {tag} -j DROP"]
        added["ip6tables"] += [
            f"-I FORWARD -i {bridge} -o {bridge} {tag} -j ACCEPT",
            f"-I INPUT -i {bridge} {tag} -j DROP"]
    lines = [f"KEEP={shlex.quote(' '.join(sorted(keep)))}", _SCRIPT]
    for tool, rules in added.items():
        chains = [chain for t, chain in CHAINS if t == tool]
        # One restore is all or nothing: should a rule it deletes be gone
        # (another version of socklab's reconcile), it reads them again.
        lines += [f"{tool}_batch() {{ {{ " +
                  "; ".join(f"unrule {tool} {chain}" for chain in chains) +
                  "; printf '%s\\n' " +
                  " ".join(shlex.quote(rule) for rule in rules) +
                  f" | grep . || true; }} | restore {tool}; }}",
                  f"{tool}_batch || {tool}_batch || exit 1"]
    lines += ["unlink",
              "iptables -S DOCKER-USER | grep -c socklab: || true"]
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
