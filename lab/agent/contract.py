"""What socklab and the programs inside its hosts agree on: paths, marker
lines, program names and environment variables. The orchestrator (lab/)
imports these from here; the agent uses them directly. init.sh and links.sh
cannot import Python: tests check that they spell the same strings.
"""
WORKDIR = "/lab/scenario"    # the scenario's folder, read-only: every cwd
LOGS = "/var/log/socklab"    # services' output and host captures (tmpfs)
SCRATCH = "/scratch"         # the tmpfs where /tmp, /root, /home lead

# Programs of socklab's own, on every host's PATH.
INIT = "socklab-init"        # every host's main process (init.sh)
STEP = "socklab-step"        # runs one step's command (step.py)
NET = "socklab-net"          # re-applies routes and impairments (netconf.py)
WIRE = "socklab-wire"        # the run's wiring helper (wire.py)
DELAY = "socklab-delay"      # holds delayed packets (delayd.py)

# Lines the orchestrator waits for in a host's log and a step's stderr.
# What a person finds in every host of socklab's image besides the built-in
# programs (the Dockerfile checks each is there; `socklab exec` names them
# when a command is not).
TOOLS = ("ping", "tracepath", "nc", "ip", "iptables", "tcpdump", "ps",
         "python3", "bash")

INIT_READY = "socklab-init: ready"
INIT_FAILED = "socklab-init: failed:"
STEP_READY = "socklab-step: ready"

# A host's environment, written by lab/plan.py.
HOST_CONFIG = "SOCKLAB_HOST"       # JSON: routes, services, firewall, ...
LINKS = "SOCKLAB_LINKS"            # "eth0=A/LEN ..." where socklab wires it
ADDRESSES = "SOCKLAB_ADDRESSES"    # "V4=A/LEN,B/LEN ..." where Docker does
SIMPLE = "SOCKLAB_SIMPLE"          # "1": links and names are all it needs
NAMES = "SOCKLAB_NAMES"            # JSON {address: host name}
INTERFACES = "SOCKLAB_INTERFACES"  # JSON {network: "A" or "A B"}
READY_FD = "SOCKLAB_READY_FD"      # where a built-in says it is bound
