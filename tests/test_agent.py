"""The built-in programs, run for real on this machine's loopback (no
Docker): results, framing, coalescing, backlog, refusal."""
import json
import re
import socket
import subprocess
import sys
import time

import pytest

from tests.conftest import ROOT

AGENT = ROOT / "lab" / "agent"


def agent(name, *args):
    """The command line that runs agent program `name` as a host would."""
    return [sys.executable, "-c", "import sys; sys.path.insert(0, 'lab'); "
            f"from agent.main import main; sys.exit(main({name!r}, "
            "sys.argv[1:]))", *map(str, args)]


def program(name, *args, timeout=20):
    """Run a built-in program; return its JSON result."""
    done = subprocess.run(agent(name, *args), capture_output=True,
                          text=True, cwd=ROOT, timeout=timeout)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server():
    started = []

    def start(*args):
        port = free_port()
        proc = subprocess.Popen(
            agent("tcp-server", "--port", port, "--bind", "127.0.0.1", *args),
            cwd=ROOT, stdout=subprocess.PIPE, text=True)
        started.append(proc)
        assert '"listening"' in proc.stdout.readline()
        return port
    yield start
    for proc in started:
        proc.kill()
        proc.wait()


def test_refused_when_nobody_listens():
    result = program("connect", "--to", f"127.0.0.1:{free_port()}")
    assert result["outcome"] == "refused"
    assert result["errno"] == "ECONNREFUSED"


def test_echo_in_lockstep(server):
    port = server()
    result = program("tcp-client", "--to", f"127.0.0.1:{port}",
                     "--message", "你好", "--count", "3")
    assert result["outcome"] == "ok" and result["replies"] == 3
    assert result["received"] == ["你好"] * 3   # UTF-8 survives


def test_burst_sends_coalesce_without_framing(server):
    port = server("--delay", "0.2")
    result = program("tcp-client", "--to", f"127.0.0.1:{port}",
                     "--message", "ab", "--count", "5", "--burst")
    # The server's first recv() takes what has arrived; the later sends
    # are merged while it sleeps: fewer replies than sends.
    assert result["sent"] == 5 and result["replies"] < 5
    assert "".join(result["received"]) == "ab" * 5


def test_length_framing_keeps_message_boundaries(server):
    port = server("--framing", "length", "--delay", "0.2")
    result = program("tcp-client", "--to", f"127.0.0.1:{port}", "--message",
                     "ab", "--count", "5", "--burst", "--framing", "length")
    assert result["replies"] == 5 and result["received"] == ["ab"] * 5


def test_backlog_holds_n_plus_one(server):
    port = server("--backlog", "2", "--no-accept")
    result = program("connect-many", "--to", f"127.0.0.1:{port}",
                     "--count", "5", "--timeout", "2")
    assert result["established"] == 3 and result["timed_out"] == 2


def test_server_closing_first_is_seen_as_empty_recv(server):
    port = server("--close", "after-reply")
    result = program("tcp-client", "--to", f"127.0.0.1:{port}",
                     "--message", "x", "--wait-close", "2")
    assert result["replies"] == 1 and result["peer_closed"] is True
    assert result["outcome"] == "ok"


def test_bind_failure_is_a_result(server):
    port = server()
    result = program("tcp-server", "--port", str(port), "--bind",
                     "127.0.0.1", "--no-reuseaddr")
    assert result["outcome"] == "error" and result["errno"] == "EADDRINUSE"


def test_udp_round_trip_and_loss_count():
    port = free_port()
    proc = subprocess.Popen(
        agent("udp-server", "--port", port, "--bind", "127.0.0.1"),
        cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        proc.stdout.readline()
        result = program("udp-client", "--to", f"127.0.0.1:{port}",
                         "--count", "3", "--message", "ping")
        assert result["replies"] == 3 and result["lost"] == 0
    finally:
        proc.kill()
        proc.wait()
    nobody = program("udp-client", "--to", f"127.0.0.1:{free_port()}",
                     "--count", "2", "--timeout", "0.2")
    assert nobody["replies"] == 0 and nobody["outcome"] in ("ok", "refused")


def step_runner(*args):
    done = subprocess.run(agent("socklab-step", "--net-admin", *args),
                          capture_output=True, text=True, cwd=ROOT,
                          timeout=20)
    return json.loads(done.stdout)


def test_step_runner_kills_the_whole_group_at_timeout():
    start = time.monotonic()
    envelope = step_runner("--timeout", "1", "--",
                           "sleep 30 & sleep 30; echo never")
    assert envelope["step_timed_out"] is True and envelope["exit"] is None
    assert time.monotonic() - start < 5


def test_step_runner_caps_output_but_keeps_the_last_line():
    envelope = step_runner(
        "--cap", "1000", "--",
        "head -c 300000 /dev/zero | tr '\\\\0' x; echo; echo '{\"n\": 1}'")
    assert envelope["cut"] == ["stdout"]
    assert "bytes cut]" in envelope["stdout"]
    assert envelope["stdout"].strip().endswith('{"n": 1}')
    assert len(envelope["stdout"]) < 80_000


def links(script, *args):
    """Run `script`, in which LINKS stands for socklab-links, in a network
    namespace of its own (it reaches nothing) with its own /sys, as a
    host's init has them; return the addresses and links there after."""
    command = " ".join(["sh", str(AGENT / "links.sh"), *args])
    done = subprocess.run(
        ["unshare", "--net", "--mount", "sh", "-c",
         "mount -t sysfs sysfs /sys && " + script.replace("LINKS", command) +
         " && ip -o -4 addr show && ip -o link show"],
        capture_output=True, text=True, timeout=40,
        env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin",
             "SOCKLAB_LINKS": "eth0=10.77.0.5/24 eth1=10.77.1.5/24"})
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_links_wait_for_their_wiring_then_are_addressed_and_up():
    # eth1 arrives 0.6 s late: past the wait's backoff to its 160 ms pace.
    shown = links("ip link add eth0 type veth peer name peer0 && "
                  "(sleep 0.6; ip link add eth1 type veth peer name peer1) "
                  "& LINKS")
    assert "eth0    inet 10.77.0.5/24 brd 10.77.0.255" in shown
    assert "eth1    inet 10.77.1.5/24 brd 10.77.1.255" in shown
    assert re.search(r"eth1@peer1: <[A-Z,-]*\bUP\b", shown)


def test_links_now_leaves_a_link_still_cut_off():
    shown = links("ip link add eth1 type veth peer name peer1 && LINKS",
                  "--now")
    assert "eth0" not in shown
    assert "eth1    inet 10.77.1.5/24" in shown


@pytest.mark.parametrize("name, args, said", [
    ("tcp-server", ["--bind", "127.0.0.1"],
     {"outcome": "ok", "errno": None, "connections": 1, "messages": 0}),
    ("udp-server", ["--bind", "127.0.0.1"], {"outcome": "ok", "messages": 0}),
    ("udp-listen", ["--bind", "127.0.0.1", "--for", "60"], {"received": 0}),
])
def test_ctrl_c_on_a_server_run_by_hand_prints_its_result(name, args, said):
    # As in `socklab shell`: Ctrl-C ends its life as --for would, with
    # its result line, not a traceback; a client still holding a
    # connection does not keep it waiting.
    import signal
    port = free_port()
    proc = subprocess.Popen(agent(name, "--port", port, *args), cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    try:
        if name != "udp-listen":  # (it says nothing until its end)
            proc.stdout.readline()  # listening
        held = socket.create_connection(("127.0.0.1", port)) \
            if name == "tcp-server" else None
        time.sleep(0.5)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=10)
    finally:
        proc.kill()
    assert proc.returncode == 0 and "Traceback" not in err, err
    result = json.loads(out.strip().splitlines()[-1])
    assert {k: result.get(k) for k in said} == said
    if held:
        held.close()


def test_ctrl_c_on_a_client_is_one_line(server):
    import signal
    port = server("--reply", "none")  # the client waits for a reply
    proc = subprocess.Popen(
        agent("tcp-client", "--to", f"127.0.0.1:{port}", "--message", "hi",
              "--timeout", "60"),
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(1)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=10)
    assert (proc.returncode, err) == (130, "tcp-client: interrupted\n")
