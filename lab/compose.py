"""A scenario as a compose file, for `docker-compose up -d` labs.

The same host image, addresses, routes, names and services as `socklab
run`, from the same plan functions. IPv6 as on a swarm's overlays
(engine/swarm.py): Docker's networks get IPv4 pools (an IPv6-only one a
stand-in), the hosts' inits add their IPv6 addresses and drop stand-ins.
With enable_ipv6 Docker 20.10 would put the IPv6 gateway on the machine's
bridge, and give a host an IPv6 address the scenario does not. A `hostfw`
service sets the host's DOCKER-USER rule for each lab bridge when the lab
starts (lab hosts wait for it) and removes it when `docker-compose down`
stops it.
"""
import hashlib
import os

import yaml

from . import labels as keys, plan as plans
from .agent import contract
from .engine.image import CONTEXT, DOCKERFILE, OFFLINE_BASE
from .engine.networking import sysctls

IMAGE = "socklab-host:latest"
# docker-compose 1.29 starts each service in a task holding one of its 64
# parallel permits, whose nested create needs another: with as many hosts
# ready at once (all wait for hostfw), `up` can deadlock (compose#6705).
COMPOSE_PERMITS = 64
PARALLEL_LIMIT = "1000"  # COMPOSE_PARALLEL_LIMIT that avoids it
TAG = "socklab-compose"  # rule comment; distinct from runs' `socklab:<id>`

# Compose interpolates $VAR everywhere, so the script's own $ are doubled.
_HOSTFW = r"""
tag={tag}:{name}
iptables -n -L DOCKER-USER >/dev/null 2>&1 || {{ echo "no DOCKER-USER chain: nothing to do"; exec sleep infinity; }}
rule() {{ iptables "$$1" DOCKER-USER -i "$$2" -o "$$2" -m comment --comment "$$tag" -j ACCEPT; }}
add() {{ for br in {bridges}; do rule -C "$$br" 2>/dev/null || rule -I "$$br"; done; }}
del() {{ for br in {bridges}; do while rule -D "$$br" 2>/dev/null; do :; done; done; }}
trap 'del; echo "host rules removed"; exit 0' TERM INT
add
echo "host rules set for {bridges}"
while :; do sleep 3600 & wait $$!; done
"""


def bridge(scenario, network):
    digest = hashlib.sha1(f"{scenario}/{network}".encode()).hexdigest()
    return f"slc{digest[:8]}"


def _relative(path, base):
    rel = os.path.relpath(path, base)
    return rel if rel.startswith(".") else f"./{rel}"


def _dockerfile():
    """A clone's top level has a Dockerfile (linked to the package's); an
    installed package's folder (site-packages) has none, so name it."""
    if (CONTEXT / "Dockerfile").is_file():
        return {}
    return {"dockerfile": DOCKERFILE.relative_to(CONTEXT).as_posix()}


def export(scenario, base_dir="."):
    """The compose file (text) for `scenario`; paths relative to base_dir,
    where the file is meant to be saved."""
    labels = {keys.SCENARIO: scenario.name,
              keys.MODE: keys.COMPOSE_MODE}
    bridges = [bridge(scenario.name, n.name) for n in scenario.networks]
    services = {"hostfw": {
        "image": IMAGE,
        "build": {"context": _relative(CONTEXT, base_dir), **_dockerfile(),
                  "args": {"BASE_IMAGE":
                           f"${{SOCKLAB_BASE_IMAGE:-{OFFLINE_BASE}}}"}},
        "network_mode": "host", "cap_add": ["NET_ADMIN"], "init": True,
        "labels": {**labels, keys.HELPER: keys.HOSTFW},
        "command": ["sh", "-c", _HOSTFW.format(
            tag=TAG, name=scenario.name, bridges=" ".join(bridges)).strip()],
    }}
    # The hosts as a run would make them: same environment, names, limits.
    made = plans.make(scenario, "compose", mode="compose")
    for host in made.hosts:
        folder = _relative(scenario.directory, base_dir)
        if not host.own_image:  # socklab's image holds its network
            services[host.name] = _app(host, folder, base_dir, labels)
        services[host.name if host.own_image else f"{host.name}-net"] = {
            "image": IMAGE, "hostname": host.name, "init": True,
            "depends_on": ["hostfw"], "cap_add": ["NET_ADMIN"],
            "sysctls": {"net.ipv4.ip_forward": "1" if host.forward else "0",
                        **sysctls(host)},
            "pids_limit": host.limits.pids,
            "mem_limit": host.limits.memory,
            "memswap_limit": host.limits.memory,
            "cpus": host.limits.cpus,
            "working_dir": contract.WORKDIR,
            "volumes": [f"{folder}:{contract.WORKDIR}:ro"],
            "extra_hosts": [f"{n}:{a}" for a, n in
                            plans.name_lines(host.extra_hosts)],
            "environment": host.environment,
            # IPv4 as Docker gives it; IPv6 added by the host's init from
            # SOCKLAB_ADDRESSES, as on a swarm's overlays (module doc).
            "networks": {n: {"ipv4_address": a} for n, a in zip(
                [n for n, _ in scenario.host(host.name).addresses],
                [a for _, a in host.attachments])},
            "labels": {**labels, keys.HOST: host.name} if host.own_image
            else {**labels, keys.NETNS: host.name},
        }
    networks = {
        n.name: {
            "driver": "bridge", "internal": True,
            "driver_opts": {"com.docker.network.bridge.name": br,
                            "com.docker.network.bridge.inhibit_ipv4": "true"},
            "ipam": {"config": [{"subnet": n.subnet4,
                                 "gateway": n.gateway4}]},
            "labels": {**labels, keys.NETWORK: n.name}}
        for n, br in zip(made.networks, bridges)}
    header = (f"# {scenario.name}: exported by `socklab compose "
              f"{_relative(scenario.path, base_dir)}`; do not edit by hand.\n"
              "# docker-compose up -d   then   docker-compose exec HOST CMD"
              "\n# docker-compose down    removes the lab and its host "
              "rules\n")
    if len(scenario.hosts) >= COMPOSE_PERMITS:
        header += (f"# {len(scenario.hosts)} hosts: docker-compose 1.29 "
                   f"needs COMPOSE_PARALLEL_LIMIT={PARALLEL_LIMIT} in its "
                   "environment, "
                   "or `up` can deadlock\n")
    # Format 2.4: docker-compose 1.29 (Debian's) reads all of it, including
    # init, sysctls, pids_limit and IPAM gateways; Compose v2 accepts it.
    body = yaml.dump({"version": "2.4", "services": services,
                      "networks": networks}, Dumper=_Dumper, sort_keys=False,
                     allow_unicode=True, width=1000)
    return header + body


def _app(host, folder, base_dir, labels):
    """The service of a host that runs an image of the user's, in the
    network and process namespaces of its socklab sidecar. Compose cannot
    put socklab's busybox into the image as a run does (engine/app.py): its
    services run by the image's own shell, which it then needs."""
    image = {"build": _relative(host.build, base_dir)} if host.build \
        else {"image": host.image}
    script = " & ".join(s.run for s in host.app_services) or "true"
    return {**image, "network_mode": f"service:{host.name}-net",
            "pid": f"service:{host.name}-net",
            "depends_on": [f"{host.name}-net"],
            "entrypoint": ["/bin/sh", "-c", f"{script}; wait"],
            "working_dir": contract.WORKDIR,
            "volumes": [f"{folder}:{contract.WORKDIR}:ro"],
            "pids_limit": host.limits.pids, "mem_limit": host.limits.memory,
            "memswap_limit": host.limits.memory, "cpus": host.limits.cpus,
            "labels": {**labels, keys.HOST: host.name}}


class _Dumper(yaml.SafeDumper):
    """Multi-line text (the hostfw script) as a readable literal block."""


_Dumper.add_representer(str, lambda dumper, text: dumper.represent_scalar(
    "tag:yaml.org,2002:str", text, style="|" if "\n" in text else None))
