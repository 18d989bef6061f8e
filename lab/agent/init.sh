#!/bin/sh
# socklab-init: every host's main process. It sets the host's links, names
# and DNS; a host with more to do (routes, services, firewall rules,
# impairments, a capture) goes on in Python (socklab-host, hostinit.py).
# Most hosts have nothing more (SOCKLAB_SIMPLE), and a shell starts in a
# fraction of Python's time: at 30 hosts, about half a second of bring-up.
#
# It prints the marker line the orchestrator waits for:
#     socklab-init: ready
#     socklab-init: failed: <why>

# The root is read-only: what programs write lands in the /scratch tmpfs,
# where /tmp, /root and /home lead (the Dockerfile says why).
mkdir -p /scratch/home /scratch/root && mkdir -p -m 1777 /scratch/tmp
# Names come from /etc/hosts only (socklab binds it where Docker writes
# none). Docker's embedded DNS (20.10) would forward unknown names to the
# machine's resolvers, out of the lab; where Docker gave no resolv.conf,
# the empty one means the same, 127.0.0.1.
{ printf '%s\n' '# socklab: no DNS in the lab; names are in /etc/hosts' \
  'nameserver 127.0.0.1' > /etc/resolv.conf; } 2>/dev/null
if ! why=$(socklab-links); then
  echo "socklab-init: failed: $why"
  exit 1
fi
[ -n "$SOCKLAB_SIMPLE" ] || exec socklab-host "$@"
# Docker-attached (no links): internal networks hand out a default route.
[ -n "$SOCKLAB_LINKS" ] || ip route flush exact 0.0.0.0/0
echo "socklab-init: ready"
exec sleep infinity
