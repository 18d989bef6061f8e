"""From a shape-checked document to the typed model, checking meaning:
subnets, addresses, cross-references, routes; command lines are checked in
commands.py, expectations in expect.py.

Every problem names file, line and field and says what would be valid; all
problems are reported together, and nothing starts while there is one.
"""
import re

from ..agent import firewall, programs
from ..errors import ScenarioInvalid
from . import actions, addresses, commands, limits, model, names, schema
from .expect import expectations, regex
from .load import load
from .shapes import hint

RATE = r"\d+(\.\d+)?([kmg]?bit|[kmg]?bps)"
DURATION = r"\d+(\.\d+)?(us|ms|s)"


def load_scenario(path):
    """Read, check and build one scenario; raise ScenarioInvalid listing
    every problem found. What is valid but likely not meant comes back as
    the scenario's warnings."""
    doc = load(path)
    problems = []

    def report(where, message):
        problems.append(doc.problem(where, message))

    schema.SCENARIO.check(doc.data, (), report)
    if problems:
        raise ScenarioInvalid(problems)
    scenario = _Builder(doc, report).build()
    if problems:
        raise ScenarioInvalid(problems)
    return scenario


class _Builder:
    def __init__(self, doc, report):
        self.doc, self.report = doc, report
        self.parsers = programs.build()
        self.networks = {}
        self.hosts = {}
        self.warnings = []

    def warn(self, where, message):
        self.warnings.append(self.doc.problem(where, f"warning: {message}"))

    def build(self):
        data = self.doc.data
        name = data.get("name", self.doc.path.stem)
        self._names(data, name)
        for net_name, spec in data["networks"].items():
            self._network(net_name, spec)
        self._overlaps()
        for host_name, spec in data["hosts"].items():
            self._host(host_name, spec)
        self._spare_addresses()
        limits.check(self.networks.values(), self.hosts.values(),
                     self.report, self.warn)
        self._next_hops_forward()
        steps = tuple(step for step in (
            self._step(number, spec) for number, spec in
            enumerate(data.get("steps", []), 1)) if step)
        return model.Scenario(
            name=name, description=data.get("description", ""),
            path=self.doc.path.resolve(),
            networks=tuple(self.networks.values()),
            hosts=tuple(self.hosts.values()), steps=steps,
            warnings=tuple(self.warnings))

    # ------------------------------------------------------------ networks

    def _names(self, data, name):
        """Every name the scenario chooses, held to where a run puts it."""
        found = [(("name",), names.scenario(name, "name" not in data))]
        for kind, check in (("networks", names.network),
                            ("hosts", names.host)):
            found += [((kind, n), check(n)) for n in data[kind]]
            found += [((kind, n), problem) for n, problem in
                      names.case_clashes(data[kind], kind[:-1])]
        for where, problem in found:
            if problem:
                self.report(where, problem)

    def _network(self, name, spec):
        subnets = addresses.subnets(("networks", name, "subnet"),
                                    spec["subnet"], self.report)
        if subnets:
            self.networks[name] = model.Network(
                name, subnets, self._impairment(("networks", name), spec),
                spec.get("capture", False))

    def _overlaps(self):
        nets = list(self.networks.values())
        for i, a in enumerate(nets):
            for b in nets[i + 1:]:
                for mine, theirs in ((x, y) for x in b.subnets
                                     for y in a.subnets
                                     if x.version == y.version):
                    if mine.overlaps(theirs):
                        self.report(("networks", b.name, "subnet"),
                                    f"{mine} overlaps {a.name}'s {theirs}; "
                                    "each network needs its own subnet")

    def _spare_addresses(self):
        for net in self.networks.values():
            used = {h.address_on(net.name) for h in self.hosts.values()}
            if len(used) >= net.subnet.num_addresses - 2:
                self.report(("networks", net.name, "subnet"),
                            f"every address of {net.subnet} is taken; socklab"
                            " needs one spare for the network's bridge")

    def _next_hops_forward(self):
        """Warn where a gateway or route leads through a host that does not
        forward: valid (it may be the lesson), but most likely a
        forgotten `forward: true`."""
        owner = {a: h for h in self.hosts.values()
                 for a in h.all_addresses()}
        for host in self.hosts.values():
            hops = [(("gateway",), g, "default") for g in host.gateways] + [
                (("routes", i, "via"), r.via, r.to)
                for i, r in enumerate(host.routes)]
            for field, via, to in hops:
                router = owner.get(via)
                where_to = "to other networks" if to == "default" else \
                    f"to {to}"
                if router and router is not host and not router.forward:
                    self.warn(("hosts", host.name) + field, f"{via} is "
                              f"{router.name}'s, which has no `forward: "
                              f"true`: what {host.name} sends {where_to} "
                              f"through it is dropped there without an "
                              "answer (a connect times out). Add `forward: "
                              f"true` to {router.name} if it should route.")

    # --------------------------------------------------------------- hosts

    def _host(self, name, spec):
        where = ("hosts", name)
        interfaces = []
        taken = {str(a): h.name for h in self.hosts.values()
                 for a in h.all_addresses()}
        for net_name, value in spec["interfaces"].items():
            spot = where + ("interfaces", net_name)
            net = self.networks.get(net_name)
            if net is None:
                self.report(spot, f"no network named {net_name!r}"
                            f"{hint(net_name, self.networks)}; networks are"
                            f" {', '.join(self.networks) or 'none'}")
                continue
            found = addresses.host_addresses(spot, value, net, self.report)
            for address in found:
                if str(address) in taken:
                    self.report(spot, f"{address} is already "
                                f"{taken[str(address)]}'s address")
                taken[str(address)] = name
            if found:
                interfaces.append((net_name, found))
        subnets = [s for n, _ in interfaces
                   for s in self.networks[n].subnets]
        gateways = addresses.next_hops(where + ("gateway",),
                                       spec.get("gateway", []), subnets,
                                       self.report)
        routes = [self._route(where + ("routes", i), r, subnets)
                  for i, r in enumerate(spec.get("routes", []))]
        defaults = {r.via.version for r in routes if r and r.to == "default"}
        if defaults & {g.version for g in gateways}:
            self.report(where + ("routes",), "a default route and a "
                        "`gateway` of one family both given; keep one")
        ours = not (spec.get("image") or spec.get("build"))
        services = tuple(self._service(where + ("services", i), s, ours)
                         for i, s in enumerate(spec.get("services", [])))
        ipv6 = any(self.networks[n].subnet_for(6) for n, _ in interfaces)
        for i, rule in enumerate(spec.get("firewall", [])):
            if commands.split(where + ("firewall", i), rule, self.report):
                why = firewall.problem(rule, ipv6)
                if why:
                    self.report(where + ("firewall", i), why)
        limits = spec.get("limits", {})
        memory, disk = (str(limits.get(k, getattr(model.Limits, k)))
                        for k in ("memory", "disk"))
        for key, text in (("memory", memory), ("disk", disk)):
            if text and not re.fullmatch(r"[1-9]\d*[kmgKMG]?", text):
                self.report(where + ("limits", key), f"{text!r}: give "
                            "bytes, or a number with k, m or g (e.g. 256m)")
                memory = disk = ""
        if disk and memory and model.size(disk) >= model.size(memory):
            self.report(where + ("limits", "disk"), f"{disk} is not less "
                        f"than memory ({memory}): what the host writes is "
                        "held in its memory; give less, or more memory")
        image, build = self._image(where, spec)
        impair = []
        for net_name, overrides in spec.get("impair", {}).items():
            spot = where + ("impair", net_name)
            if net_name not in dict(interfaces):
                self.report(spot, f"{name} has no interface on "
                            f"{net_name!r}; its networks are "
                            f"{', '.join(n for n, _ in interfaces)}")
            network = self.networks.get(net_name)
            impair.append((net_name, self._impairment(
                spot, overrides, network and network.impair.delay)))
        if interfaces:
            self.hosts[name] = model.Host(
                name=name, addresses=tuple(interfaces), gateways=gateways,
                routes=tuple(r for r in routes if r),
                forward=spec.get("forward", False), services=services,
                firewall=tuple(spec.get("firewall", [])),
                net_admin=spec.get("net_admin", False),
                limits=model.Limits(
                    pids=limits.get("pids", model.Limits.pids),
                    memory=memory.lower(), disk=disk.lower(),
                    cpus=limits.get("cpus", model.Limits.cpus)),
                impair=tuple(impair), capture=spec.get("capture", False),
                node=spec.get("node", ""),
                node_at=self.doc.problem(where + ("node",), "")[:-2],
                image=image, build=build)

    def _image(self, where, spec):
        """(image, build folder) of a host from an image of the user's."""
        image, build = spec.get("image", ""), spec.get("build", "")
        if image and build:
            self.report(where + ("build",), "give `image` or `build`, not "
                        "both")
        if build:
            home = self.doc.path.parent.resolve()
            folder = (home / build).resolve()
            if folder != home and home not in folder.parents:
                self.report(where + ("build",), f"{build!r} is outside the "
                            f"scenario's folder {home}; `build` names a "
                            "folder inside it (with a Dockerfile)")
            elif not (folder / "Dockerfile").is_file():
                self.report(where + ("build",), f"{build!r}: no Dockerfile "
                            f"in {folder}; `build` names a folder next to the"
                            " scenario that has one")
            build = str(folder)
        return image, build

    def _route(self, where, spec, subnets):
        via = addresses.next_hop(where + ("via",), spec["via"], subnets,
                                 self.report)
        to = addresses.destination(where + ("to",), spec["to"], via,
                                   self.networks.values(), self.report)
        return model.Route(to, via) if via and to else None

    def _service(self, where, spec, ours):
        run = spec if isinstance(spec, str) else spec["run"]
        spot = where if isinstance(spec, str) else where + ("run",)
        program = commands.check(spot, run, self, self.report, ours)
        ready = spec.get("ready") if isinstance(spec, dict) else None
        return model.Service(run, self._ready(where + ("ready",), ready,
                                              program), program)

    def _ready(self, where, spec, program):
        if not spec:
            kind = "signal" if program in programs.SIGNALS_READY else \
                "started"
            return model.Ready(kind)
        kinds = [k for k in ("tcp", "udp", "log") if k in spec]
        if len(kinds) != 1:
            self.report(where, "give exactly one of tcp: PORT, udp: PORT, "
                        "log: REGEX")
            return model.Ready("started")
        if kinds[0] == "log":
            regex(where + ("log",), spec["log"], self.report)
        return model.Ready(kinds[0], spec[kinds[0]], spec.get("timeout", 30))

    def _impairment(self, where, spec, inherited_delay=None):
        """inherited_delay: the network's, which a host's own settings
        keep unless they replace it (so a host may set jitter alone)."""
        loss = spec.get("loss")
        if isinstance(loss, str):
            match = re.fullmatch(r"\s*(\d+(\.\d+)?)\s*%\s*", loss)
            if not match or float(match.group(1)) > 100:
                self.report(where + ("loss",), f"{loss!r}: give a percentage"
                            " from 0% to 100%, e.g. 20%")
                loss = 0
            else:
                loss = float(match.group(1))
        for field, pattern, example in (("rate", RATE, "1mbit"),
                                        ("delay", DURATION, "50ms"),
                                        ("jitter", DURATION, "10ms")):
            if field in spec and not re.fullmatch(pattern, str(spec[field])):
                self.report(where + (field,), f"{spec[field]!r}: give e.g. "
                            f"{example}")
        inherited = re.match(r"\d+(\.\d+)?", str(inherited_delay or 0))
        if "jitter" in spec and "delay" not in spec and \
                not (inherited and float(inherited.group())):
            self.report(where + ("jitter",), "jitter needs a delay")
        return model.Impairment(
            loss=None if loss is None else loss / 100, rate=spec.get("rate"),
            delay=spec.get("delay"), jitter=spec.get("jitter"))

    # --------------------------------------------------------------- steps

    def _step(self, number, spec):
        where = ("steps", number - 1)
        found = [a for key, a in actions.BY_KEY.items() if key in spec]
        if len(found) + ("run" in spec) != 1:
            self.report(where, "give either `run` (with `on`) or exactly one "
                        f"of {', '.join(actions.BY_KEY)}")
            return None
        if found:
            return self._action(where, number, spec, found[0])
        if "on" not in spec:
            self.report(where, "missing `on` (the host, or hosts, the step "
                        "runs on)")
            return None
        on = (spec["on"],) if isinstance(spec["on"], str) else \
            tuple(spec["on"])
        for host in on:
            if host not in self.hosts:
                self.report(where + ("on",), f"no host named {host!r}"
                            f"{hint(host, self.hosts)}; hosts are "
                            f"{', '.join(self.hosts)}")
        ours = all(h in self.hosts and not (self.hosts[h].image or
                                            self.hosts[h].build) for h in on)
        program = commands.check(where + ("run",), spec["run"], self,
                                 self.report, ours)
        expect = tuple(expectations(where + ("expect",),
                                    spec.get("expect", {}), program,
                                    self.report))
        ready = self._ready(where, None, program)
        return model.Step(
            number=number, line=self.doc.line(where),
            name=spec.get("name", ""), on=on, run=spec["run"],
            program=program, expect=expect,
            timeout=spec.get("timeout", 30),
            background=spec.get("background", False), ready=ready,
            points=spec.get("points", 1), hidden=spec.get("hidden", False))

    def _action(self, where, number, spec, action):
        """A fault step: its type builds it (actions.py)."""
        extra = [k for k in ("on", "expect", "background", "timeout")
                 if k in spec]
        if extra:
            self.report(where + (extra[0],), f"`{extra[0]}` goes with `run`,"
                        f" not with `{action.key}`")
        built = action.build(spec[action.key], where + (action.key,), self)
        return model.Step(number=number, line=self.doc.line(where),
                          name=spec.get("name", ""), on=(), run="",
                          program=None, action=built,
                          points=spec.get("points", 1),
                          hidden=spec.get("hidden", False))

    # What fault steps ask of the validator (actions.py).
    def interface(self, where, host_name, network):
        """Check that the host exists and has an interface on network."""
        host = self.known_host(where + ("host",), host_name)
        if host and not host.address_on(network):
            self.report(where + ("network",), f"{host_name} has no "
                        f"interface on {network!r}; its networks are "
                        f"{', '.join(n for n, _ in host.interfaces)}")

    def impairment(self, where, spec):
        return self._impairment(where, spec)

    def known_host(self, where, name):
        if name not in self.hosts:
            self.report(where, f"no host named {name!r}"
                        f"{hint(name, self.hosts)}; hosts are "
                        f"{', '.join(self.hosts)}")
            return None
        return self.hosts[name]
