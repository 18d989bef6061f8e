"""Commands in a host: a step's (socklab-step, one JSON envelope back), one
of socklab's own tools, and a person's (`socklab exec`)."""
import json
import shlex
import time

import docker

from ..agent import contract
from ..agent.main import PROGRAMS
from . import app
from ..errors import RunFailed


def _create(api, host, argv):
    try:
        return api.exec_create(host.netns, argv,
                               workdir=contract.WORKDIR)["Id"]
    except docker.errors.APIError as exc:
        if exc.status_code == 409:  # killed by a step: a result, not
            raise RunFailed(f"host {host.name} is not running (killed "
                            "by an earlier step?)") from None
        if exc.status_code == 404:
            raise RunFailed(f"host {host.name} is gone: its container was "
                            "removed from under the run") from None
        raise


def builtin(command):
    """Is the command one of the built-in programs (which run in socklab's
    image, also on a host of an image of the user's)?"""
    try:
        return shlex.split(command)[:1] in ([p] for p in PROGRAMS)
    except ValueError:
        return False


def execute(api, host, command, timeout, on_ready):
    """Run a step's command in the host; return socklab-step's envelope
    {exit, stdout, stderr, elapsed_ms, step_timed_out, cut}."""
    if not host.own_image and not builtin(command):
        on_ready()  # a program of the user's is ready once started
        return app.execute(api, host, command, timeout)
    argv = [contract.STEP, "--timeout", str(timeout)] + \
        (["--net-admin"] if host.net_admin else []) + ["--", command]
    exec_id = _create(api, host, argv)
    output = bytearray()
    for out, err in api.exec_start(exec_id, stream=True, demux=True):
        output += out or b""
        if err and contract.STEP_READY.encode() in err:
            on_ready()
    try:
        return json.loads(output.decode("utf-8", "replace"))
    except ValueError:
        raise RunFailed(_why_no_envelope(api, host, exec_id, output)) \
            from None


def _why_no_envelope(api, host, exec_id, output):
    """What became of a step that gave no result: its host stopped or was
    removed under it, or the step runner itself failed."""
    for _ in range(10):  # a `docker rm -f` takes a moment to show
        try:
            state = api.inspect_container(host.netns)["State"]
        except docker.errors.NotFound:
            state = {"Status": "removing"}
        if state.get("Status") in ("removing", "dead"):
            return (f"host {host.name} was removed during the step (its "
                    "container is gone)")
        if not state.get("Running"):
            return (f"host {host.name} stopped during the step (its init "
                    f"exited with status {state.get('ExitCode')})")
        time.sleep(0.1)
    code = api.exec_inspect(exec_id).get("ExitCode")
    said = bytes(output[-500:]).decode("utf-8", "replace").strip()
    return (f"the step runner on {host.name} failed (exit {code})"
            + (f": {said}" if said else ", saying nothing"))


def tool(api, host, argv):
    """Run one of socklab's own tools in the host, as root."""
    exec_id = _create(api, host, argv)
    output = api.exec_start(exec_id).decode("utf-8", "replace")
    if api.exec_inspect(exec_id)["ExitCode"]:
        raise RunFailed(f"{' '.join(argv)} on {host.name}: {output}")


def attached(api, container, argv, out, err):
    """Run argv in the container from the scenario's directory, copying its
    output as it comes; return its exit status, or None if there is no
    such command there (the runtime's own message left out: the caller
    says what the host has)."""
    exec_id = api.exec_create(container, argv,
                              workdir=contract.WORKDIR)["Id"]
    missing = False
    for chunk_out, chunk_err in api.exec_start(exec_id, stream=True,
                                               demux=True):
        # runc's answer to a command not on the PATH comes as the exec's
        # only output: "OCI runtime exec failed: ... executable file not
        # found in $PATH: unknown".
        if chunk_out and chunk_out.startswith(b"OCI runtime exec failed") \
                and b"executable file not found" in chunk_out:
            missing = True
            continue
        for stream, chunk in ((out, chunk_out), (err, chunk_err)):
            if chunk:
                stream.write(chunk)
                stream.flush()
    code = api.exec_inspect(exec_id)["ExitCode"]
    return None if missing else code

