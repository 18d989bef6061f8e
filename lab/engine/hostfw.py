"""Host firewall rules: one ACCEPT in DOCKER-USER per lab bridge.

With net.bridge.bridge-nf-call-iptables=1 the host's iptables see bridged
frames, and Docker's isolation rules for internal networks then drop both
255.255.255.255 broadcasts and traffic a router container forwards. The
rule `-i BR -o BR -j ACCEPT` lets a segment talk to itself and nothing more.

Rules are set from a container on the host's network namespace (works with
any daemon, same iptables backend as Docker's): the run's wiring helper, or
a short-lived one where the run has none (sweeps, `socklab clean`). They
carry the comment `socklab:<run id>`, so a later run or `socklab clean` can
remove what a dead run left.
"""
import contextlib
import shlex

from .. import labels as keys, runs
from ..errors import EnvironmentUnusable, RunFailed
from .api import log_of, remove_container

COMMENT = "socklab:"

# Delete every socklab rule whose run is not in $KEEP, then add ours.
_SCRIPT = r"""
# -w: wait for the xtables lock (Docker's own calls, another run's) rather
# than fail, and leave a rule behind, while it is held.
iptables() { command iptables -w "$@"; }
iptables -n -L DOCKER-USER >/dev/null 2>&1 || { echo "no DOCKER-USER"; exit 0; }
iptables -S DOCKER-USER | grep -o 'socklab:[0-9a-f]*' | sort -u |
while read tag; do
  case " $KEEP " in *" ${tag#socklab:} "*) continue;; esac
  iptables -S DOCKER-USER | grep -- "$tag" | sed 's/^-A /-D /' |
    while read rule; do eval iptables $rule; done
done
"""


def script(keep, add_run=None, bridges=()):
    """The shell script that reconciles DOCKER-USER: keep the rules of the
    runs in `keep`, remove other socklab rules, add `add_run`'s."""
    lines = [f"KEEP={shlex.quote(' '.join(sorted(keep)))}", _SCRIPT]
    for bridge in bridges:
        lines.append(
            f"iptables -I DOCKER-USER -i {bridge} -o {bridge} -m comment "
            f"--comment {COMMENT}{add_run} -j ACCEPT")
    lines.append("iptables -S DOCKER-USER | grep -c socklab: || true")
    return "\n".join(lines)


def reconcile(api, image, owner, modes, networks=(), drop=None, helper=None):
    """Remove host rules of runs that are gone (and `drop`'s); add rules
    for `networks`, tagged with `owner`, the live run doing it; through
    `helper` (the run's Wiring) if given, else a short-lived container.
    modes() -> {run id: mode} of the runs on the engine (inventory.py)."""
    with runs.locked("hostfw.lock"):
        keep = set(runs.live_runs()) | {
            run for run, mode in modes().items() if mode != keys.RUN_MODE}
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
