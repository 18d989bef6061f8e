"""Label keys and resource names: how socklab finds its own containers,
networks, bridges and links again (teardown, sweeps, `ls`, tests).

Every container and network socklab makes carries RUN and SCENARIO; the
rest say what it is. Names are derived from the run's id, so two runs never
collide and a dead run's leftovers can be found by name as well as label.
"""
RUN = "socklab.run"            # the run's id: what teardown and sweeps find
SCENARIO = "socklab.scenario"
OWNER = "socklab.owner"        # machine:pid:start of the run's process
MODE = "socklab.mode"          # "run" (ends with its process), "up", "compose"
HOST = "socklab.host"          # on a lab host: its scenario name
NETWORK = "socklab.network"    # on a lab network: its scenario name
HELPER = "socklab.helper"      # on socklab's own containers: which (below)
NETNS = "socklab.netns"        # on the network sidecar of a host that runs
#                                an image of the user's: that host's name
CAPTURE = "socklab.capture"    # a swarm capture helper's file name
NODE = "socklab.node"          # swarm: the node a host was placed on
IMAGE = "socklab.image"        # on socklab's images
EVIDENCE = "socklab.evidence"  # on a run's hosts: its results folder, where
#                                a sweep keeps their logs if it was killed

# Helpers, the containers of socklab's own that are not lab hosts.
WIRE = "wire"          # the run's wiring helper (wiring.py)
CAPTURE_HELPER = "capture"
FILES = "files"        # copies the scenario's folder into a volume
HOSTFW = "hostfw"      # a short-lived one setting host rules
FLOOD = "flood"        # swarm: broadcast flooding across nodes

RUN_MODE, UP_MODE, COMPOSE_MODE = "run", "up", "compose"


def of_run(run_id, **more):
    """A label filter for the run's resources (and, with more, a subset:
    of_run(r, helper="wire"))."""
    keys = {"helper": HELPER}
    return {"label": [f"{RUN}={run_id}"] +
            [f"{keys[k]}={v}" for k, v in more.items()]}


def whole(run_id):
    """The volume that marks a lab of `socklab up` as whole: made once it
    is up, removed first by `down`. A lab without it was left half made
    or half removed by a killed `up` or `down`, and is swept."""
    return f"socklab-{run_id}-whole"


def files(run_id):
    """The volume holding a copy of the scenario's folder, on an engine
    of another machine (a swarm node's), where no path of ours exists."""
    return f"socklab-{run_id}-files"


def container(run_id, host):
    return f"socklab-{run_id}-{host}"


def sidecar(run_id, host):
    """The container of socklab's image that holds the network namespace of
    a host running an image of the user's (engine/app.py)."""
    return f"socklab-{run_id}-{host}-net"


def helper(run_id, kind, *parts):
    """A helper container's name (`docker ps` says whose and what):
    socklab-<run>-capture.lan. The dots keep it from any host's name
    (a host's has none)."""
    return ".".join([f"socklab-{run_id}-{kind}", *parts])


def network(run_id, name):
    return f"socklab-{run_id}-{name}"


def bridge(run_id, index):
    """The network's Linux bridge, named so host rules and sweeps can match
    it, and no other's (a compose lab's are slc + 8 hex): 15 characters at
    most, slb + 8 hex + index."""
    return f"slb{run_id}{index}"


def veth(run_id, host_number, interface):
    """The machine's end of a host's link: unique while the run lives,
    15 characters at most."""
    return f"v{run_id}{host_number:03x}{interface:02x}"
