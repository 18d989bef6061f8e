"""The topology picture tells the truth, checked on the SVG itself: no link
or bus runs through a host's box, every link runs from its own host's box
to a bus of its network (marked with a dot), a bus a link only crosses is
cut there, and the networks each host's links reach are exactly its own:
for the library, for generated labs of 30 hosts and for awkward ones."""
import sys
import xml.etree.ElementTree as ET

import pytest

from lab.report import topology
from lab.scenario import load_scenario
from tests.conftest import ROOT, socklab

sys.path.insert(0, str(ROOT / "bench"))
from run import scenario_text  # noqa: E402  (the benchmark's labs)

NS = {"s": "http://www.w3.org/2000/svg"}
LIBRARY = sorted((ROOT / "scenarios").rglob("*.yaml"))
EPSILON = 0.01


def thirty_hosts():
    """28 hosts on 3 LANs (rows wrap) and two routers in a chain."""
    hosts = "".join(
        f"  h{i}: {{interfaces: {{lan{i % 3}: 10.60.{i % 3}.{10 + i}}}, "
        f"services: [tcp-server --port {9000 + i}]}}\n" for i in range(28))
    return ("networks:\n" + "".join(
        f"  lan{n}: {{subnet: 10.60.{n}.0/24}}\n" for n in range(3)) +
        "hosts:\n" + hosts +
        "  r1: {interfaces: {lan0: 10.60.0.1, lan1: 10.60.1.1}, "
        "forward: true}\n"
        "  r2: {interfaces: {lan1: 10.60.1.2, lan2: 10.60.2.1}, "
        "forward: true}\n")


AWKWARD = """\
networks:
  a: {subnet: 10.1.0.0/24}
  b: {subnet: 10.1.1.0/24}
  c: {subnet: 10.1.2.0/24}
  d: {subnet: 10.1.3.0/24}
  empty: {subnet: 10.1.4.0/24}
hosts:
  x1: {interfaces: {a: 10.1.0.5}}
  x2: {interfaces: {b: 10.1.1.5}}
  skip: {interfaces: {c: 10.1.2.1, a: 10.1.0.1}, forward: true}
  mid: {interfaces: {b: 10.1.1.1, c: 10.1.2.2}}
  all: {interfaces: {a: 10.1.0.2, b: 10.1.1.2, c: 10.1.2.3, d: 10.1.3.2},
        forward: true}
  low: {interfaces: {d: 10.1.3.1, c: 10.1.2.9}, forward: true}
""" + "".join(f"  c{i}: {{interfaces: {{c: 10.1.2.{20 + i}}}}}\n"
              for i in range(15))


def _clip(segment, box):
    """The part of a segment inside a closed box, as (t0, t1) along it, or
    None (Liang-Barsky)."""
    (x1, y1, x2, y2), (left, top, right, bottom) = segment, box
    t0, t1 = 0.0, 1.0
    for p, q in ((x1 - x2, x1 - left), (x2 - x1, right - x1),
                 (y1 - y2, y1 - top), (y2 - y1, bottom - y1)):
        if p == 0:
            if q < 0:
                return None
            continue
        t = q / p
        if p < 0:
            t0 = max(t0, t)
        else:
            t1 = min(t1, t)
    return (t0, t1) if t0 <= t1 else None


def _on(point, segment):
    (x, y), (x1, y1, x2, y2) = point, segment
    return (min(x1, x2) - EPSILON <= x <= max(x1, x2) + EPSILON and
            min(y1, y2) - EPSILON <= y <= max(y1, y2) + EPSILON and
            abs((x2 - x1) * (y - y1) - (y2 - y1) * (x - x1)) < EPSILON)


def picture(scenario):
    """The SVG as geometry: {host: box}, links, buses, dots, cuts."""
    root = ET.fromstring(topology.svg(scenario))
    boxes = {}
    for group in root.iterfind("s:g", NS):
        rect = group.find("s:rect", NS)
        x, y = float(rect.get("x")), float(rect.get("y"))
        boxes[group.get("data-host")] = (
            x, y, x + float(rect.get("width")), y + float(rect.get("height")))

    def lines(kind):
        return [(line.get("data-network"), line.get("data-host"),
                 tuple(float(line.get(k)) for k in ("x1", "y1", "x2", "y2")))
                for line in root.iterfind(f"s:line[@class='{kind}']", NS)]
    dots = {(c.get("data-network"), float(c.get("cx")), float(c.get("cy")))
            for c in root.iterfind("s:circle[@class='junction']", NS)}
    cuts = [(float(r.get("x")), float(r.get("y")), float(r.get("x")) +
             float(r.get("width")), float(r.get("y")) + float(r.get("height")))
            for r in root.iterfind("s:rect[@class='crossing']", NS)]
    return boxes, lines("link"), lines("network"), dots, cuts


def check_truthful(scenario):
    boxes, links, buses, dots, cuts = picture(scenario)
    assert set(boxes) == {h.name for h in scenario.hosts}
    names = list(boxes.items())
    for i, (name, a) in enumerate(names):       # boxes do not overlap
        for other, b in names[i + 1:]:
            assert a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or \
                b[3] <= a[1], (name, other)
    for network, _, segment in buses:           # buses pass no box
        for name, box in boxes.items():
            assert _clip(segment, box) is None, (network, name)
    reached = {name: set() for name in boxes}
    for network, host, segment in links:
        start, end = segment[:2], segment[2:]
        for name, box in boxes.items():
            inside = _clip(segment, box)
            if name != host:
                assert inside is None, f"{host}'s link to {network} runs " \
                    f"through {name}'s box"
            else:   # it touches its own box at one end, and only there
                assert inside and inside[1] - inside[0] < EPSILON and \
                    inside[0] in (0.0, 1.0), f"{host}'s link to {network}"
        assert _on(start, _edge(boxes[host], start)), (host, network)
        joined = [b for n, _, b in buses if n == network and b[1] == b[3]
                  and _on(end, b)]
        assert joined, f"{host}'s link to {network} ends on no bus of it"
        assert (network, *end) in dots
        reached[host].add(network)
        for other, _, bus in buses:   # each bus it crosses is cut there
            if bus[1] == bus[3] and min(start[1], end[1]) < bus[1] < \
                    max(start[1], end[1]) and bus[0] < start[0] < bus[2]:
                assert other != network
                assert not any(d[1:] == (start[0], bus[1]) for d in dots)
                assert any(c[0] < start[0] < c[2] and c[1] < bus[1] < c[3]
                           for c in cuts), (host, network, other)
    assert reached == {h.name: {n for n, _ in h.interfaces}
                       for h in scenario.hosts}
    return boxes


def _edge(box, point):
    """The top or bottom edge of `box` that `point` lies on."""
    left, top, right, bottom = box
    return (left, top, right, top) if abs(point[1] - top) < EPSILON else \
        (left, bottom, right, bottom)


@pytest.mark.parametrize("path", LIBRARY, ids=lambda p: p.stem)
def test_the_library_pictures_tell_the_truth(path):
    check_truthful(load_scenario(path))


@pytest.mark.parametrize("text", [thirty_hosts(), scenario_text(30),
                                  scenario_text(100), AWKWARD],
                         ids=["two-routers", "bench-30", "bench-100",
                              "awkward"])
def test_generated_pictures_tell_the_truth(write, text):
    scenario = load_scenario(write(text))
    boxes = check_truthful(scenario)
    if len(scenario.hosts) == 30:  # still readable: rows wrap
        assert max(box[2] for box in boxes.values()) < 1400


def test_the_check_catches_a_link_through_a_box(write, monkeypatch):
    """The old picture's fault: a router's link drawn straight down
    through the box of the host below it."""
    scenario = load_scenario(write(scenario_text(30)))
    layout = topology._layout(scenario)
    router = next(b for b in layout.boxes if b.host.name == "router")
    other = next(b for b in layout.boxes if b.y > router.y + router.h)
    bad = topology.Segment("net1", other.x + 20, router.y + router.h,
                           other.x + 20, other.y + other.h + 5, "router")
    broken = topology.Layout(layout.boxes, layout.buses,
                             layout.links + (bad,), layout.labels,
                             layout.width, layout.height)
    monkeypatch.setattr(topology, "_layout", lambda _: broken)
    with pytest.raises(AssertionError, match="runs through"):
        check_truthful(scenario)


def test_long_names_stay_inside_their_box(write):
    host, network = "h" * 63, "n" * 46
    scenario = load_scenario(write(
        f"networks: {{{network}: {{subnet: 10.2.0.0/24}}}}\n"
        f"hosts: {{{host}: {{interfaces: {{{network}: 10.2.0.9}}}}}}\n"))
    root = ET.fromstring(topology.svg(scenario))
    texts = [t.text for t in root.iter(f"{{{NS['s']}}}text")]
    assert all(len(t) <= topology.CHARS for t in texts), texts
    assert root.find("s:g/s:title", NS).text == host  # the full name


@pytest.mark.parametrize("name", ["x.png", "x", "x.svg.pdf"])
def test_graph_refuses_an_output_that_is_not_svg(tmp_path, name):
    done = socklab("graph", "scenarios/router-chain.yaml", "-o",
                   tmp_path / name)
    assert done.returncode == 2, done
    assert "drawn as SVG only; give a file name ending in .svg" in \
        done.stderr
    assert not (tmp_path / name).exists()
    done = socklab("graph", "scenarios/router-chain.yaml", "-o",
                   tmp_path / "x.SVG")
    assert done.returncode == 0 and (tmp_path / "x.SVG").exists()


def test_report_html_draws_the_same_picture_as_graph(tmp_path):
    from types import SimpleNamespace

    from lab.report import html
    path = ROOT / "scenarios" / "router-chain.yaml"
    report = SimpleNamespace(
        scenario=load_scenario(path), ok=True, results=(), not_run=(),
        logs={}, error="", run_id="0123abcd", elapsed=1.0, status="passed")
    done = socklab("graph", path, "-o", tmp_path / "t.svg")
    assert done.returncode == 0
    assert (tmp_path / "t.svg").read_text() in html.render(report)
