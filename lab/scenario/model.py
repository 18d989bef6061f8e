"""The validated, typed scenario: what the rest of socklab works from."""
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Impairment:
    """What happens to packets on an interface. loss is a probability.
    None means "not set" (so a host's `loss: 0%` can cancel a network's)."""
    loss: float = None
    rate: str = None
    delay: str = None
    jitter: str = None

    def spec(self):
        return {k: v for k, v in (("loss", self.loss), ("rate", self.rate),
                                  ("delay", self.delay),
                                  ("jitter", self.jitter)) if v is not None}


@dataclass(frozen=True)
class Network:
    name: str
    subnets: tuple  # (ip_network, ...): at most one per family, IPv4 first
    impair: Impairment = Impairment()
    capture: bool = False

    @property
    def subnet(self):
        """The first subnet: the IPv4 one where there is one (what Docker's
        IPAM and the reserved address are about)."""
        return self.subnets[0]

    def subnet_for(self, version):
        return next((s for s in self.subnets if s.version == version), None)


@dataclass(frozen=True)
class Route:
    to: str  # "default" (of via's family) or a CIDR
    via: object  # IPv4Address or IPv6Address


@dataclass(frozen=True)
class Ready:
    """When a program counts as ready. kind: signal (a built-in program says
    it is bound), tcp, udp (a port is bound), log (a line matches), started."""
    kind: str
    value: object = None
    timeout: float = 30


@dataclass(frozen=True)
class Service:
    run: str
    ready: Ready
    program: str = None  # the built-in program it runs, if it is one


@dataclass(frozen=True)
class Limits:
    """What a host's programs may use together: a fork storm or a memory
    hog fails its own step, not the machine."""
    pids: int = 512
    memory: str = "512m"
    cpus: float = 1.0
    disk: str = ""  # what its programs may write; "": 256m, at most memory/2

    @property
    def disk_bytes(self):
        """`disk`, or by default 256 MB but no more than half the memory
        (what the host writes is held in its memory)."""
        return size(self.disk) if self.disk else \
            min(256 << 20, size(self.memory) // 2)


def size(text):
    """'512m' -> bytes (validate.py checks the form: digits, then k, m,
    g or nothing)."""
    units = {"k": 1 << 10, "m": 1 << 20, "g": 1 << 30}
    text = str(text).lower()
    return int(text[:-1]) * units[text[-1]] if text[-1] in units \
        else int(text)


@dataclass(frozen=True)
class Host:
    name: str
    # ((network name, (address, ...)), ...) in file order; each interface
    # has one address per family of its network that the scenario gives
    addresses: tuple
    gateways: tuple = ()  # default routes' next hops, at most one per family
    routes: tuple = ()
    forward: bool = False
    services: tuple = ()
    firewall: tuple = ()
    net_admin: bool = False
    limits: Limits = Limits()
    impair: tuple = ()  # ((network, Impairment), ...) overriding networks'
    capture: bool = False
    node: str = ""     # swarm node to run on ("" = socklab chooses)
    node_at: str = ""  # "file:line: hosts.X.node", for errors found later
    image: str = ""    # an image of the user's (image:), or
    build: str = ""    # the folder it is built from (build:, absolute)

    @property
    def interfaces(self):
        """((network, address), ...): each interface's primary address,
        its IPv4 one where it has one (its MAC is made from it)."""
        return tuple((n, primary(a)) for n, a in self.addresses)

    @property
    def gateway(self):
        """The first gateway (IPv4 where there is one), or None."""
        return min(self.gateways, key=lambda a: a.version, default=None)

    @property
    def address(self):
        """The first interface's primary address."""
        return self.interfaces[0][1]

    def address_on(self, network):
        return dict(self.interfaces).get(network)

    def addresses_on(self, network):
        return dict(self.addresses).get(network, ())

    def all_addresses(self):
        return [a for _, found in self.addresses for a in found]

    @property
    def families(self):
        return {a.version for a in self.all_addresses()}


def primary(addresses):
    """The IPv4 address of an interface if it has one, else its first."""
    return next((a for a in addresses if a.version == 4), addresses[0])


@dataclass(frozen=True)
class Expectation:
    field: str
    op: str
    value: object


@dataclass(frozen=True)
class Step:
    number: int  # 1-based, in file order
    line: int
    name: str
    on: tuple
    run: str
    program: str  # the built-in program's name, or None
    expect: tuple = ()
    timeout: float = 30
    background: bool = False
    ready: Ready = Ready("started")
    action: object = None  # a fault step's action (actions.py); None: run
    points: float = 1      # when graded (lab/grade): earned all or nothing
    hidden: bool = False   # a student's feedback shows name and verdict only

    @property
    def label(self):
        if self.name:
            return self.name
        if self.action is None:
            return f"step {self.number}: {self.run}"
        return f"step {self.number}: {self.action.key} " \
            f"{self.action.describe()}"


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    path: Path
    networks: tuple
    hosts: tuple
    steps: tuple
    # "file:line: field: warning: ..." for what is valid but likely not
    # meant (a gateway that does not forward); printed, never fatal
    warnings: tuple = ()

    def host(self, name):
        return next(h for h in self.hosts if h.name == name)

    def network(self, name):
        return next(n for n in self.networks if n.name == name)

    @property
    def directory(self):
        return self.path.parent

    def host_names(self):
        """{address: host name} over every interface: how results and
        reports name peers."""
        return {str(a): h.name for h in self.hosts
                for a in h.all_addresses()}
