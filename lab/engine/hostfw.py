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
import shlex

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
