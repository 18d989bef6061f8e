"""What of socklab's is on an engine, found by label: the labs left up,
which runs have resources, and their removal (teardown and sweeps).
"""
import contextlib
import socket
import time

import docker

from .. import labels as keys, runs
from ..errors import EnvironmentUnusable, NotFound
from . import Lab
from ..report import evidence
from .api import log_of, parallel, remove_container, together


def modes(*apis):
    """{run id: mode} of every run with a container or network on these
    engines (a swarm's: a lab spans its nodes):
    "alive" (its process is), "run" (its process is gone: to be swept),
    "up" (a whole lab left up on purpose), "compose", or "elsewhere"
    (another machine's run). A lab of `up` without its whole-mark
    (labels.whole) was left half made or half removed by a killed `up` or
    `down`, and one without hosts has nothing to keep: "run"."""
    stuck, by_run = runs.stuck(), {"label": keys.RUN}
    found, whole = [], set()
    for api in apis:
        found += api.containers(all=True, filters=by_run) + [
            n for n in api.networks(filters=by_run) if n["Id"] not in stuck]
        marks = api.volumes(filters=by_run).get("Volumes") or []
        found += marks
        whole |= marked(api, marks)
    mode, owners, hosts = {}, {}, set()
    for info in found:
        labels = info.get("Labels") or {}
        run = labels[keys.RUN]
        owners.setdefault(run, set()).add(labels.get(keys.OWNER, ""))
        if labels.get(keys.HELPER) != keys.HOSTFW:  # a `down`'s, a sweep's
            mode.setdefault(run, labels.get(keys.MODE, keys.RUN_MODE))
        if keys.HOST in labels and "Names" in info:
            hosts.add(run)
    return {run: _mode(mode.get(run, keys.RUN_MODE), owners[run],
                       run in whole and run in hosts) for run in owners}


def _mode(mode, owners, whole):
    # Whether a run is alive is known only on the machine that runs it:
    # another machine's runs (a shared engine) are left.
    here = socket.gethostname()
    if any(o and o.split(":")[0] != here for o in owners):
        return "elsewhere"
    if any(o and runs.owner_alive(o) for o in owners):
        return "alive"
    if mode == keys.UP_MODE and not whole:
        return keys.RUN_MODE
    return mode


def mark_whole(api, labels):
    """Mark a lab of `up` as whole (it is up, on purpose)."""
    api.create_volume(keys.whole(labels[keys.RUN]), labels=labels)


def unmark(api, run_id):
    """The first thing `down` does: from here the lab is half removed."""
    with contextlib.suppress(docker.errors.NotFound):
        api.remove_volume(keys.whole(run_id), force=True)


def marked(api, volumes=None):
    """The runs whose lab of `up` is marked whole (mark_whole), among the
    volumes given (those of every run, by default)."""
    if volumes is None:
        volumes = api.volumes(filters={"label": keys.RUN}).get(
            "Volumes") or []
    return {v["Labels"][keys.RUN] for v in volumes
            if v["Name"] == keys.whole(v["Labels"][keys.RUN])}


def labs(api, whole=None):
    """Labs left running by `socklab up`, by name: those made whole (one
    that a killed `up` or `down` left half made is `clean`'s, and one
    being made is not up yet). whole: the runs marked so, where the marks
    are on another engine (a swarm's manager)."""
    whole = marked(api) if whole is None else whole
    found = {}
    for info in api.containers(all=True, filters={
            "label": f"{keys.MODE}={keys.UP_MODE}"}):
        labels = info["Labels"]
        if keys.HOST not in labels or labels[keys.RUN] not in whole:
            continue  # a helper of the lab (wiring, capture), or no lab
        run = labels[keys.RUN]
        lab = found.setdefault(run, Lab(labels.get(keys.SCENARIO), run, {},
                                        info["Created"]))
        lab.hosts[labels[keys.HOST]] = info["State"]
    return sorted(found.values(), key=lambda lab: lab.name)


def find_lab(labs_up, name):
    for lab in labs_up:
        if lab.name == name:
            return lab
    known = ", ".join(lab.name for lab in labs_up) or "none"
    raise NotFound(f"no lab named {name!r} is up (labs: {known}); start "
                   "one with `socklab up FILE`")


def host_container(lab, host):
    if host not in lab.hosts:
        raise NotFound(f"lab {lab.name} has no host {host!r}; its hosts are "
                       f"{', '.join(sorted(lab.hosts))}")
    return keys.container(lab.run, host)


def remove_containers(api, run_id, meanwhile=lambda: None):
    """Remove the run's containers, doing `meanwhile` at the same time;
    return their names."""
    # Listed before meanwhile's helper (labelled with this run too)
    # exists, so removal and the rules' update can overlap.
    doomed = api.containers(all=True, filters=keys.of_run(run_id))
    together(lambda: parallel(lambda c: remove_container(api, c["Id"]),
                              doomed), meanwhile)
    # Its volumes (a copy of the scenario's files) are free now.
    for volume in api.volumes(filters=keys.of_run(run_id)).get(
            "Volumes") or ():
        with contextlib.suppress(docker.errors.NotFound):
            api.remove_volume(volume["Name"], force=True)
    return [n.lstrip("/") for c in doomed for n in c["Names"]]


def remove_networks(api, run_id, say, names=()):
    stuck = [n for n in parallel(
        lambda net: _remove_network(api, net, names),
        api.networks(filters=keys.of_run(run_id))) if n]
    if stuck:
        say(f"socklab: Docker would not remove network(s) "
            f"{', '.join(stuck)}: it still counts an endpoint of a "
            "removed container (a known daemon bug, moby#33156). "
            "Restarting the Docker daemon clears it; until then its "
            "subnet stays taken.")


def _remove_network(api, info, names=()):
    """Remove a network; return its name if Docker refuses for good.

    Docker refuses while the network has endpoints: one of a container
    removed a moment ago may linger; a container that is not the run's
    may have been attached by hand (a debugging shell). After a few
    tries, every endpoint the network lists, and the run's own container
    names (a stale endpoint lists none, moby#33156), are disconnected."""
    for attempt in range(12):
        try:
            api.remove_network(info["Id"])
            return None
        except docker.errors.NotFound:
            return None
        except docker.errors.APIError as exc:
            # Gone meanwhile: a swarm manager answers 500 "network ... not
            # found" when another removal got there first (another run's
            # sweep takes a lab that `down` has begun to remove; seen here
            # on a shared engine).
            if "not found" in str(exc):
                return None
            # A swarm's overlay stays "in use by task" (the removed
            # container's attachment) for a moment too.
            if "active endpoints" not in str(exc) and \
                    "in use by task" not in str(exc):
                raise
            if attempt == 4:
                _disconnect_all(api, info["Id"], names)
            time.sleep(0.25)
    runs.remember_stuck(info["Id"])  # later sweeps don't retry it
    return info.get("Name", info["Id"])


def _disconnect_all(api, network, names):
    with contextlib.suppress(docker.errors.NotFound):
        attached = api.inspect_network(network)["Containers"] or {}
        for endpoint in [*attached, *names]:
            with contextlib.suppress(docker.errors.APIError):
                api.disconnect_container_from_network(endpoint, network,
                                                      force=True)


def prune_builds(api):
    """Remove the images socklab built from scenarios' folders (build:)
    that no container uses; return their tags. The next run that wants
    one builds it again."""
    used = {c["ImageID"] for c in api.containers(all=True)}
    removed = []
    for image in api.images(filters={"label": f"{keys.IMAGE}=build"}):
        if image["Id"] in used:
            continue
        for tag in image.get("RepoTags") or [image["Id"]]:
            with contextlib.suppress(docker.errors.APIError):
                api.remove_image(tag)
                removed.append(tag)
    return removed


def keep_logs(api, run_id):
    """A killed run's hosts' logs, kept in its results folder (their
    label names it) before its lab goes."""
    by_folder = {}
    for info in api.containers(all=True, filters=keys.of_run(run_id)):
        labels = info["Labels"]
        if keys.EVIDENCE in labels and (keys.HOST in labels or
                                        keys.NETNS in labels):
            log = by_folder.setdefault(labels[keys.EVIDENCE], {})
            host = labels.get(keys.HOST) or labels[keys.NETNS]
            log[host] = log_of(api, info["Id"]) + log.get(host, "")
    for folder, logs in by_folder.items():
        evidence.after_a_kill(folder, logs)


def sweep(run_modes, down, say, keep=lambda run: None):
    """Take down every run that has resources and whose process is gone
    (`up` and compose labs stay), keeping first what keep(run) keeps;
    return their ids."""
    dead = [run for run, mode in run_modes.items()
            if mode == keys.RUN_MODE and not runs.alive(run)]
    for run in dead:
        try:
            keep(run)
            down(run)
        except EnvironmentUnusable as exc:
            # A dead run's leftovers must not stop a live run.
            say(f"socklab: could not sweep run {run}: {exc}")
    runs.prune(keep=set(run_modes) - set(dead))
    return dead
