"""socklab-wire: the helper that wires a run's hosts to its networks.

One runs per run, in the machine's network namespace and process table: it
makes each of a host's interfaces as a veth pair, one end on the network's
bridge and the other moved into the host by the host's process id. Docker
attaching the hosts itself costs three daemon re-executions per interface
and host (its resolver, IPv6 and key hooks) and the same again to detach
them; this costs one `ip` run (BENCHMARKS.md).

It also sets the run's host firewall rules (hostfw.py), which would
otherwise take a short-lived container each time.

It reads one request per line on stdin, {"argv": [...], "input": "..."},
runs it, and answers with one JSON line on stdout: {"status": N,
"output": "..."} (stdout and stderr).
"""
import json
import subprocess
import sys


def main(argv):
    for request in sys.stdin:
        job = json.loads(request)
        done = subprocess.run(job["argv"], input=job.get("input", ""),
                              stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
        print(json.dumps({"status": done.returncode,
                          "output": done.stdout}), flush=True)
    return 0
