"""Starting a scenario's command inside a host, for services and steps alike.

Every command runs through `sh -c` from the scenario's directory, in its own
process group (so a timeout kills all it started), with a pipe on which a
built-in program says it is bound (SOCKLAB_READY_FD). Unless the host asks
for it, the command runs without CAP_NET_ADMIN: the host's init needed it to
set the scenario's routes, the user's programs do not.
"""
import os
import subprocess

from . import contract

DROP_NET_ADMIN = ["setpriv", "--inh-caps=-net_admin",
                  "--bounding-set=-net_admin"]


def spawn(command, net_admin, stdout, stderr):
    """Start `command`; return (process, read end of its ready pipe)."""
    ready_r, ready_w = os.pipe()
    env = dict(os.environ, **{contract.READY_FD: str(ready_w)})
    argv = ([] if net_admin else DROP_NET_ADMIN) + ["sh", "-c", command]
    cwd = contract.WORKDIR if os.path.isdir(contract.WORKDIR) else None
    try:
        process = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr,
            pass_fds=(ready_w,), env=env, cwd=cwd, start_new_session=True)
    finally:
        os.close(ready_w)
    return process, ready_r


def kill_group(process, sig=9):
    try:
        os.killpg(process.pid, sig)
    except OSError:
        pass  # already gone


def status(returncode):
    """A shell's view of an exit status: killed by signal N is 128+N."""
    return 128 - returncode if returncode < 0 else returncode
