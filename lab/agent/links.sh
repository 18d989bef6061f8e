#!/bin/sh
# socklab-links [--now]: address the interfaces socklab wired into this host
# ($SOCKLAB_LINKS: "eth0=A/LEN eth1=A/LEN,B/LEN ...": every address of the
# interface, IPv4 and IPv6, comma-separated) and bring them up. First it
# waits for each to arrive (the orchestrator wires a host just after its
# start), up to 30 s; with --now (after a heal) a link still cut off is
# left. A host Docker attached (a swarm's, a compose lab's) has no links.
# The wait backs off from 10 to 160 ms: each try is a `sleep` exec, and at
# a 10 ms pace they were 15% of a 30-host run's CPU (perf).
wait=yes
[ "$1" = --now ] && wait=
batch=
for link in $SOCKLAB_LINKS; do
  name=${link%%=*} address=${link#*=} waited=0 ms=10
  while [ ! -e "/sys/class/net/$name" ]; do
    [ -n "$wait" ] || continue 2
    if [ "$waited" -ge 30000 ]; then
      echo "interface $name ($address) was not wired within 30 s"
      exit 1
    fi
    sleep "0.$(printf %03d "$ms")"
    waited=$((waited + ms))
    [ "$ms" -ge 160 ] || ms=$((ms * 2))
  done
  # Split at commas without a subshell (a fork is bring-up time).
  IFS=, && set -- $address && IFS=' 	
'
  for one; do
    case $one in
      # nodad: usable at once (no "tentative" second of Duplicate Address
      # Detection); the scenario's addresses are unique by validation.
      *:*) batch="${batch}addr replace $one dev $name nodad
" ;;
      # brd +: the subnet's broadcast address, as Docker sets it (without
      # it a subnet-directed broadcast is routed like any other address).
      *) batch="${batch}addr replace $one brd + dev $name
" ;;
    esac
  done
  batch="${batch}link set $name up
"
done
[ -z "$batch" ] || printf '%s' "$batch" | ip -force -batch - 2>&1 || exit 1
# A host Docker attached (a swarm's overlays): Docker gave each interface
# only the IPv4 address socklab asked for ($SOCKLAB_ADDRESSES: "V4=A/LEN,
# B/LEN ..." where the scenario gives it others): its IPv6 addresses are
# added (nodad, as above), and a stand-in IPv4 address (an IPv6-only
# network's, or on a dual-stack one where the host has IPv6 only) goes.
batch=
for entry in $SOCKLAB_ADDRESSES; do
  given=${entry%%=*} list=${entry#*=}
  line=$(ip -o -4 addr show | grep -F " inet $given/") || continue
  set -- $line
  name=$2 cidr=$4
  IFS=, && set -- $list && IFS=' 	
'
  for one; do
    case $one in *:*) batch="${batch}addr replace $one dev $name nodad
" ;; esac
  done
  case ",$list," in *",$cidr,"*) ;; *) batch="${batch}addr del $cidr dev $name
" ;; esac
done
[ -z "$batch" ] || printf '%s' "$batch" | ip -force -batch - 2>&1
