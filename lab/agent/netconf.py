"""A host's network configuration: routes and impairments, applied by
socklab-host at start, and with the addresses again by `socklab-net apply`
after a partition is healed (the interface comes back new, its routes
gone).

On one machine socklab wires the interfaces itself (SOCKLAB_LINKS: eth0,
eth1... in the scenario's order, added by socklab-wire, addressed by
socklab-links, links.sh).
Where Docker attaches them (a swarm's overlays, a compose lab) their names
follow the order Docker happened to attach networks in. Either way they are
found by address.

    socklab-net apply
    socklab-net impair --address A [--loss P] [--rate R] [--delay D]
                       [--jitter J]

Loss drops packets on ingress (INPUT, and FORWARD on routers) with iptables'
statistic match: dropping in OUTPUT would make the sender's own sendto()
fail with EPERM, which is not what loss looks like. Rate is a tbf qdisc on
egress. Delay and jitter hold packets on ingress too, in socklab-delay
(delayd.py), on any kernel.

An impair step changes the fields it names and keeps the others (`delay:
0ms` ends a delay, `loss: 0%` a loss), as a host's `impair` does over its
network's.
"""
import json
import os
import subprocess

from . import contract, delayd

CHAIN = "socklab-loss"
RUNTIME = f"{contract.LOGS}/impair.json"  # impairments changed by steps


def run(*argv):
    done = subprocess.run(argv, capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"{' '.join(argv)}: {done.stderr.strip()}")
    return done.stdout


def interface_of(address):
    for line in run("ip", "-o", "addr", "show").splitlines():
        words = line.split()
        if words[3].split("/")[0] == address:
            return words[1].split("@")[0]
    return None


def _ip_batch(lines, what):
    done = subprocess.run(["ip", "-force", "-batch", "-"], input=lines,
                          capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"ip {what}: {done.stderr.strip()}")


def links():
    """Address the links that are there (after a heal: the healed one)."""
    done = subprocess.run(["socklab-links", "--now"], capture_output=True,
                          text=True)
    if done.returncode:
        raise RuntimeError(f"socklab-links: {done.stdout.strip()}")


def routes(config):
    """Exactly the scenario's routes: Docker's default route goes. One `ip`
    process for all of them (each process is bring-up time). `default`
    is of its next hop's family."""
    batch = "".join(f"route replace {_to(r)} via {r['via']}\n"
                    for r in config.get("routes", []))
    _ip_batch("route flush exact 0.0.0.0/0\n" + batch, "route")


def _to(route):
    if route["to"] == "default":
        return "::/0" if ":" in route["via"] else "0.0.0.0/0"
    return route["to"]


def _tables():
    """iptables, and ip6tables where the host has IPv6 on (its addresses
    are in the kernel's list): loss is of packets of either family."""
    try:
        with open("/proc/net/if_inet6") as found:
            on = bool(found.read().strip())
    except OSError:
        on = False
    return ("iptables", "ip6tables") if on else ("iptables",)


def _ensure_chain(tool, forward):
    if subprocess.run([tool, "-n", "-L", CHAIN],
                      capture_output=True).returncode:
        run(tool, "-N", CHAIN)
        run(tool, "-I", "INPUT", "1", "-j", CHAIN)
        if forward:
            run(tool, "-I", "FORWARD", "1", "-j", CHAIN)
    run(tool, "-F", CHAIN)


def _qdisc(interface, spec):
    subprocess.run(["tc", "qdisc", "del", "dev", interface, "root"],
                   capture_output=True)
    if spec.get("rate"):
        run("tc", "qdisc", "add", "dev", interface, "root", "tbf", "rate",
            spec["rate"], "burst", "32kbit", "latency", "400ms")


def impairments(config):
    """Apply every interface's impairment (the scenario's, overridden by
    any a step has set since)."""
    specs = {i["address"]: i for i in config.get("impair", [])}
    if os.path.exists(RUNTIME):
        with open(RUNTIME) as changed:
            for address, spec in json.load(changed).items():
                specs[address] = {**specs.get(address, {}), **spec}
    if not specs:
        return
    tables = _tables()
    for tool in tables:
        _ensure_chain(tool, config.get("forward", False))
    delays = {}
    for address, spec in specs.items():
        interface = interface_of(address)
        if interface is None:
            continue  # partitioned off that network: nothing to impair
        for tool in tables if float(spec.get("loss") or 0) else ():
            run(tool, "-A", CHAIN, "-i", interface, "-m", "statistic",
                "--mode", "random", "--probability", str(spec["loss"]),
                "-j", "DROP")
        _qdisc(interface, spec)
        delay = delayd.seconds(spec.get("delay") or 0)
        if delay:
            delays[interface] = (delay,
                                 delayd.seconds(spec.get("jitter") or 0))
    delayd.apply(delays)


def apply(config):
    links()
    routes(config)
    impairments(config)


def main(argv):
    import argparse  # only socklab-net needs it, not every host's init
    parser = argparse.ArgumentParser(prog="socklab-net")
    sub = parser.add_subparsers(dest="what", required=True)
    sub.add_parser("apply")
    p = sub.add_parser("impair")
    p.add_argument("--address", required=True)
    for option in ("loss", "rate", "delay", "jitter"):
        p.add_argument(f"--{option}")
    args = parser.parse_args(argv)
    config = json.loads(os.environ.get(contract.HOST_CONFIG, "{}"))
    if args.what == "impair":
        changed = {}
        if os.path.exists(RUNTIME):
            with open(RUNTIME) as old:
                changed = json.load(old)
        spec = {k: getattr(args, k) for k in ("loss", "rate", "delay",
                                              "jitter") if getattr(args, k)}
        changed[args.address] = {**changed.get(args.address, {}),
                                 "address": args.address, **spec}
        os.makedirs(os.path.dirname(RUNTIME), exist_ok=True)
        with open(RUNTIME, "w") as new:
            json.dump(changed, new)
    try:
        apply(config)
    except RuntimeError as exc:
        print(f"socklab-net: {exc}")
        return 1
    return 0
