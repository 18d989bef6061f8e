"""A lab host's container: made, started, plugged in, awaited until its
init says ready, and its log."""
from ..agent import contract
from ..errors import RunFailed
from ..progress import tail
from .api import log_of

LOG_TAIL = 30     # lines of a host's log shown when it fails


def make(api, image, networking, plan, host):
    """Create, start and plug in the host (not awaiting its init)."""
    options = networking.create_options(host)
    limits = host.limits
    host_config = api.create_host_config(
        binds={plan.directory: {"bind": contract.WORKDIR, "mode": "ro"}},
        # NET_ADMIN stays inside the host's own network namespace; the
        # init needs it for addresses and routes, programs run without.
        cap_add=["NET_ADMIN"], init=True, network_mode=options.mode,
        extra_hosts=options.extra_hosts,
        sysctls={"net.ipv4.ip_forward": "1" if host.forward else "0",
                 **options.sysctls},
        pids_limit=limits.pids, mem_limit=limits.memory,
        memswap_limit=limits.memory,  # no swap: a hog is stopped
        nano_cpus=int(limits.cpus * 1e9))
    container = api.create_container(
        image, command=[contract.INIT], name=host.container,
        hostname=host.name, labels=host.labels, working_dir=contract.WORKDIR,
        environment=options.environment, host_config=host_config,
        networking_config=options.config,
        network_disabled=options.disabled)["Id"]
    networking.created(container, host)
    api.start(container)
    networking.started(plan, host)


def inits(api, host):
    """How many times the host's init has said ready (a restarted host's
    log holds its earlier starts)."""
    return api.logs(host.container).count(
        contract.INIT_READY.encode() + b"\n")


def await_ready(api, host, seen=0):
    """Follow the host's log until its init says ready (for the seen+1-th
    time) or failed."""
    ready, failed = contract.INIT_READY.encode(), \
        contract.INIT_FAILED.encode()
    stream = api.logs(host.container, stream=True, follow=True)
    pending = b""
    try:
        for chunk in stream:
            pending += chunk
            *lines, pending = pending.split(b"\n")
            for line in lines:
                if line == ready:
                    seen -= 1
                    if seen < 0:
                        return
                if line.startswith(failed):
                    _failed(api, host, line.decode("utf-8", "replace"))
    finally:
        stream.close()
    _failed(api, host, "the host stopped during set-up")


def _failed(api, host, why):
    raise RunFailed(f"host {host.name} could not start: {why}\n"
                    f"--- last lines of {host.name}'s log ---\n"
                    f"{tail(log_of(api, host.container), LOG_TAIL)}")
