"""The front door: every command's help, the topology picture, the JSON
Schema, compose export (kept identical, accepted, working), labs by hand,
report.html in a real browser, progress on a terminal and off it."""
import ipaddress
import json
import re
import shutil
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET

import jsonschema
import pytest
import yaml

from lab.compose import export
from lab.report import topology
from lab.scenario import load_scenario, schema
from tests.conftest import ROOT, on_a_terminal, socklab

COMMANDS = ["run", "validate", "up", "exec", "shell", "logs", "ls", "down",
            "clean", "build", "doctor", "graph", "compose", "schema"]
LIBRARY = sorted((ROOT / "scenarios").rglob("*.yaml"))


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_ending_with_an_example(command):
    done = socklab(command, "--help")
    assert done.returncode == 0
    lines = done.stdout.strip().splitlines()
    assert lines[-2].strip() == "example:"
    assert lines[-1].strip().startswith("socklab ")


def _svg(path):
    return ET.fromstring(topology.svg(load_scenario(path)))


def test_the_picture_shows_networks_hosts_addresses_routers_services():
    scenario = load_scenario(ROOT / "scenarios/cross-host.yaml")
    picture = topology.svg(scenario)
    ET.fromstring(picture)  # well-formed
    for text in ("lan_a", "10.10.1.0/24", "lan_b", "10.10.2.0/24",
                 "router", "lan_a: 10.10.1.1", "lan_b: 10.10.2.1",
                 "server", "lan_b: 10.10.2.10", "tcp-server :9000",
                 "client", "lan_a: 10.10.1.10"):
        assert text in picture
    assert picture.count('class="network"') == 2
    assert picture.count('class="host router"') == 1


def _boxes(scenario):
    layout = topology._layout(scenario)
    return [(b.x, b.y, b.x + topology.BOX_W, b.y + b.h)
            for b in layout.boxes], layout.width, layout.height


def test_thirty_hosts_stay_readable(write):
    hosts = "".join(
        f"  h{i}: {{interfaces: {{lan{i % 3}: 10.60.{i % 3}.{10 + i}}}, "
        f"services: [tcp-server --port {9000 + i}]}}\n" for i in range(28))
    text = ("networks:\n" + "".join(
        f"  lan{n}: {{subnet: 10.60.{n}.0/24}}\n" for n in range(3)) +
        "hosts:\n" + hosts +
        "  r1: {interfaces: {lan0: 10.60.0.1, lan1: 10.60.1.1}, forward: true}\n"
        "  r2: {interfaces: {lan1: 10.60.1.2, lan2: 10.60.2.1}, forward: true}\n")
    scenario = load_scenario(write(text))
    boxes, width, height = _boxes(scenario)
    assert len(boxes) == 30
    for i, a in enumerate(boxes):       # no two boxes overlap
        for b in boxes[i + 1:]:
            assert a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1]
    assert width < 1400                  # rows wrap instead of growing
    assert all(box[2] <= width and box[3] <= height for box in boxes)


def test_two_hosts_make_a_small_picture(write):
    scenario = load_scenario(write(
        "networks: {lan: {subnet: 10.61.0.0/24}}\nhosts:\n"
        "  a: {interfaces: {lan: 10.61.0.1}}\n"
        "  b: {interfaces: {lan: 10.61.0.2}}\n"))
    boxes, width, height = _boxes(scenario)
    assert len(boxes) == 2 and width < 700 and height < 300


def test_graph_command_writes_svg(tmp_path):
    out = tmp_path / "t.svg"
    done = socklab("graph", "scenarios/router-chain.yaml", "-o", out)
    assert done.returncode == 0
    assert ET.parse(out).getroot().tag.endswith("svg")


def test_schema_is_generated_and_accepts_the_whole_library():
    printed = json.loads(socklab("schema").stdout)
    assert printed == schema.json_schema()
    jsonschema.Draft202012Validator.check_schema(printed)
    validator = jsonschema.Draft202012Validator(printed)
    for path in LIBRARY:
        import yaml
        data = yaml.load(path.read_text(), Loader=yaml.BaseLoader)
        # BaseLoader keeps `on` as text, as socklab does; numbers become
        # text too, so only check the shape of keys here.
        errors = [e for e in validator.iter_errors(data)
                  if e.validator in ("additionalProperties", "required")]
        assert errors == [], (path, errors[0].message if errors else "")


def test_schema_rejects_unknown_fields():
    validator = jsonschema.Draft202012Validator(schema.json_schema())
    bad = {"networks": {"a": {"subnet": "10.0.0.0/24", "sbunet": 1}},
           "hosts": {"h": {"interfaces": {"a": "10.0.0.1"}}}}
    assert not validator.is_valid(bad)


def test_compose_yaml_is_the_export_of_cross_host():
    exported = export(load_scenario(ROOT / "scenarios/cross-host.yaml"),
                      base_dir=ROOT)
    assert (ROOT / "compose.yaml").read_text() == exported, \
        "regenerate: socklab compose scenarios/cross-host.yaml > compose.yaml"


def test_a_large_export_says_how_compose_avoids_its_deadlock(write):
    hosts = "".join(f"  h{i}: {{interfaces: {{lan: 10.0.0.{i + 1}}}}}\n"
                    for i in range(64))
    big = write("networks: {lan: {subnet: 10.0.0.0/24}}\nhosts:\n" + hosts)
    assert "COMPOSE_PARALLEL_LIMIT=1000" in export(load_scenario(big))
    assert "COMPOSE_PARALLEL_LIMIT" not in (ROOT / "compose.yaml").read_text()


def test_an_ipv6_lab_exports_with_ipv4_pools_and_its_addresses_in_hosts():
    # Was refused (exit 2); now: Docker's networks get IPv4 (an IPv6-only
    # one a stand-in of 198.18.0.0/15), each host its IPv6 addresses in
    # SOCKLAB_ADDRESSES for its init, keyed by the IPv4 Docker gives it.
    text = export(load_scenario(ROOT / "scenarios/ipv6-routed.yaml"))
    lab = yaml.safe_load(text)
    six = lab["networks"]["six"]["ipam"]["config"]
    assert len(six) == 1 and ipaddress.ip_network(six[0]["subnet"]) \
        .subnet_of(ipaddress.ip_network("198.18.0.0/15"))
    assert "enable_ipv6" not in lab["networks"]["six"]
    v6 = lab["services"]["v6"]
    given = v6["networks"]["six"]["ipv4_address"]
    assert ipaddress.ip_address(given) in ipaddress.ip_network(
        six[0]["subnet"])
    assert v6["environment"]["SOCKLAB_ADDRESSES"] == \
        f"{given}=fd00:72:2::10/64"
    router = lab["services"]["router"]["environment"]["SOCKLAB_ADDRESSES"]
    assert "10.72.1.1=10.72.1.1/24,fd00:72:1::1/64" in router.split()
    assert lab["services"]["v4"]["environment"]["SOCKLAB_ADDRESSES"] == ""


@pytest.mark.parametrize("path", LIBRARY, ids=lambda p: p.stem)
def test_docker_compose_accepts_every_export(path, tmp_path):
    scenario = load_scenario(path)
    (tmp_path / "compose.yaml").write_text(
        export(scenario, base_dir=tmp_path))
    done = subprocess.run(["docker-compose", "-f", "compose.yaml", "config",
                           "-q"], cwd=tmp_path, capture_output=True,
                          text=True)
    assert done.returncode == 0, done.stderr


@pytest.mark.docker
def test_compose_lab_routes_across_the_router_and_leaves_nothing():
    socklab("build")  # socklab-host:latest is the current image
    compose = ["docker-compose", "-p", "socklabtest", "-f", "compose.yaml"]
    try:
        up = subprocess.run(compose + ["up", "-d"], cwd=ROOT,
                            capture_output=True, text=True, timeout=180)
        assert up.returncode == 0, up.stderr
        done = subprocess.run(
            compose + ["exec", "-T", "client", "tcp-client", "--to",
                       "server:9000", "--message", "hi"],
            cwd=ROOT, capture_output=True, text=True, timeout=60)
        for _ in range(50):  # the server may still be starting
            if '"outcome": "ok"' in done.stdout:
                break
            done = subprocess.run(
                compose + ["exec", "-T", "client", "tcp-client", "--to",
                           "server:9000", "--message", "hi"],
                cwd=ROOT, capture_output=True, text=True, timeout=60)
        assert json.loads(done.stdout)["received"] == ["hi"]
        rules = subprocess.run(["iptables", "-S", "DOCKER-USER"],
                               capture_output=True, text=True).stdout
        assert rules.count("socklab-compose:cross-host") == 2
    finally:
        subprocess.run(compose + ["down"], cwd=ROOT, capture_output=True,
                       timeout=180)
    rules = subprocess.run(["iptables", "-S", "DOCKER-USER"],
                           capture_output=True, text=True).stdout
    assert "socklab-compose" not in rules
    left = subprocess.run(["docker", "ps", "-aq", "--filter",
                           "label=socklab.mode=compose"],
                          capture_output=True, text=True).stdout
    assert left.strip() == ""


@pytest.mark.docker
def test_a_lab_by_hand(nothing_left):
    path = "scenarios/router-chain.yaml"
    try:
        up = socklab("up", path)
        assert up.returncode == 0, up.stderr
        assert "lab router-chain is up" in up.stdout
        assert "router-chain" in socklab("ls").stdout
        routes = socklab("exec", "router-chain", "a", "--", "ip", "route")
        assert routes.stdout.startswith("default via 10.30.1.1 ")
        echo = socklab("exec", "router-chain", "a", "--", "tcp-client",
                       "--to", "b:9000", "--message", "by hand")
        assert json.loads(echo.stdout)["received"] == ["by hand"]
        assert socklab("exec", "router-chain", "a", "--", "sh", "-c",
                       "exit 5").returncode == 5
        assert socklab("exec", "router-chain", "zz", "--",
                       "true").returncode == 2
        # A command the host lacks: one line naming what it has.
        missing = socklab("exec", "router-chain", "a", "--", "traceroute")
        assert missing.returncode == 127 and missing.stdout == ""
        assert missing.stderr.startswith("socklab: there is no `traceroute` "
                                         "in a; socklab's hosts have ping, ")
        assert len(missing.stderr.splitlines()) == 1
        logs = socklab("logs", "router-chain", "b").stdout
        assert '"peer": "a"' in logs
        _follows("router-chain")
        again = socklab("up", path)
        assert again.returncode == 1 and "already up" in again.stderr
    finally:
        down = socklab("down", path)  # the file names the lab
    assert down.returncode == 0, down.stderr
    assert "lab router-chain is down" in down.stdout
    assert "no labs are up" in socklab("ls").stdout


def _follows(lab):
    """`socklab logs -f`: what the hosts add, as it comes, each line
    marked with its host; Ctrl-C ends it (exit 0, no traceback)."""
    follow = subprocess.Popen(
        [sys.executable, "-m", "lab.cli", "logs", "-f", lab], cwd=ROOT,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(2)  # following: the logs so far are printed
        socklab("exec", lab, "a", "--", "tcp-client", "--to", "b:9000",
                "--message", "followed")
        seen = []
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not any(
                "followed" in line for line in seen):
            seen.append(follow.stdout.readline())
        assert any(line.startswith("b | ") and "followed" in line
                   for line in seen), seen
        follow.send_signal(signal.SIGINT)
        _, err = follow.communicate(timeout=20)
    finally:
        follow.kill()
    assert follow.returncode == 0 and "Traceback" not in err, err


@pytest.fixture(scope="module")
def report_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    done = socklab("run", "scenarios/cross-host.yaml", "--results", out)
    assert done.returncode == 0, done.stdout + done.stderr
    return out / "cross-host"


def _chromium(*args):
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    assert browser, "Debian's chromium is needed (.ci/setup installs it)"
    return subprocess.run([browser, "--headless", "--no-sandbox",
                           "--disable-gpu", "--hide-scrollbars", *args],
                          capture_output=True, text=True, timeout=120)


@pytest.mark.docker
def test_the_report_is_self_contained(report_dir):
    page = (report_dir / "report.html").read_text()
    assert not re.search(r'(src|href)="(https?:)?//', page)
    assert "<script" not in page


@pytest.mark.docker
def test_the_report_renders_the_picture_and_verdicts_in_chromium(report_dir):
    dom = _chromium("--dump-dom", f"file://{report_dir}/report.html").stdout
    assert "<svg" in dom and 'class="host router"' in dom
    assert dom.count('<td class="verdict">ok</td>') == 2
    assert "outcome eq" in dom and "refused" in dom
    shot = report_dir / "shot.png"
    _chromium("--window-size=1200,1400", f"--screenshot={shot}",
              f"file://{report_dir}/report.html")
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000


@pytest.mark.docker
def test_progress_is_plain_lines_without_a_terminal(report_dir):
    done = socklab("run", "scenarios/tcp-echo.yaml", "--results",
                   report_dir.parent)
    assert "tcp-echo: bringing up 2 hosts on 1 networks ..." in done.stdout
    assert re.search(r"bringing up .*: done in \d+\.\d s", done.stdout)
    assert "\r" not in done.stdout


@pytest.mark.docker
def test_progress_is_live_on_a_terminal(report_dir):
    _, text = on_a_terminal("run", "scenarios/tcp-echo.yaml", "--results",
                            report_dir.parent)
    assert "\r\x1b[K" in text and any(c in text for c in "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏")
    assert "1 passed, 0 failed" in text
