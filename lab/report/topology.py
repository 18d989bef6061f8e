"""The topology as a picture (SVG), drawn from the model; pure.

Each network is a horizontal bus labelled with its name and subnet. Hosts on
one network hang below it in rows; where a network's hosts take several
rows, its bus wraps: a line above each row, joined on the left, so every
host's link is a short drop to the line just above it. Hosts on several
networks (routers) stand to the right, each in a column of its own (shared
only with hosts lower down), below their first network, with a link to
every network they are on: a link only ever crosses buses, never a box.
A dot marks where a link joins a bus; where it crosses one, the bus is cut,
so the picture alone says which networks each host is on.

`socklab graph` and report.html draw the same picture.
"""
from dataclasses import dataclass
from html import escape
from pathlib import Path

from ..errors import ScenarioInvalid

BOX_W, GAP, LINE, MARGIN, PER_ROW = 170, 24, 15, 20, 6
COLUMN = BOX_W + GAP
LABEL_W = 120  # the networks' names and subnets, left of everything
SPINE = MARGIN + LABEL_W - 8  # where a wrapped bus joins its lines
LEFT = MARGIN + LABEL_W      # the first column of boxes
BUS_GAP = 28   # from a bus (or its line above a row) down to the boxes
ROW_GAP = 14   # from a row's boxes down to the next row's line
BAND_GAP = 34  # from a band's lowest box down to the next network's bus
SPREAD = 20    # between the links leaving one side of a box
CHARS = 24     # what fits on a line of a box
COLORS = {"router": "#fde8c8", "multi": "#e8e0f8", "host": "#e4f0fb"}
BUS_COLOR = "#2b6cb0"


@dataclass(frozen=True)
class Box:
    host: object  # scenario.model.Host
    x: float
    y: float
    h: float


@dataclass(frozen=True)
class Segment:
    """A straight line: a piece of a network's bus, or a host's link to
    one (then `host` is set)."""
    network: str
    x1: float
    y1: float
    x2: float
    y2: float
    host: str = ""


@dataclass(frozen=True)
class Layout:
    boxes: tuple
    buses: tuple   # Segment
    links: tuple   # Segment with host
    labels: dict   # network -> y of its (first) bus line
    width: float
    height: float


def svg_file(path):
    """Where `socklab graph -o` writes: the picture is SVG, and a name that
    says otherwise (x.png) would be a file that lies about its content."""
    if Path(path).suffix.lower() != ".svg":
        raise ScenarioInvalid([
            f"-o {path}: the topology is drawn as SVG only; give a file "
            "name ending in .svg (or - for standard output)"])
    return Path(path)


def _service_label(run):
    words = run.split()
    port = next((words[i + 1] for i, w in enumerate(words[:-1])
                 if w == "--port"), None)
    name = words[0] if words else run
    return f"{name} :{port}" if port else run


def _fit(text):
    return text if len(text) <= CHARS else text[:CHARS - 1] + "…"


def _box_height(host):
    return LINE * (2 + len(host.all_addresses()) + len(host.services)) + 8


def _spread(count):
    """Offsets from a box's middle of `count` links leaving one side."""
    step = min(SPREAD, (BOX_W - 20) / max(count - 1, 1))
    return [(i - (count - 1) / 2) * step for i in range(count)]


def _networks(host, order):
    """The host's networks, top to bottom as the buses are drawn."""
    return sorted((n for n, _ in host.interfaces), key=order.get)


def _router_columns(routers, order):
    """{host name: column} for hosts on several networks: a column is
    shared only by hosts whose spans of networks do not meet, so no link
    runs past another host's box."""
    ends, column = [], {}
    spans = {h.name: (order[_networks(h, order)[0]],
                      order[_networks(h, order)[-1]]) for h in routers}
    for host in sorted(routers, key=lambda h: spans[h.name]):
        first, last = spans[host.name]
        free = next((c for c, end in enumerate(ends) if end < first), None)
        if free is None:
            free = len(ends)
            ends.append(last)
        ends[free] = last
        column[host.name] = free
    return column


def _layout(scenario):
    """Place every bus line, box and link."""
    order = {n.name: i for i, n in enumerate(scenario.networks)}
    routers = [h for h in scenario.hosts if len(h.interfaces) > 1]
    column = _router_columns(routers, order)
    per_row = max(2, PER_ROW - len(set(column.values())))
    bands = {name: [] for name in order}
    for host in scenario.hosts:
        if len(host.interfaces) == 1:
            bands[host.interfaces[0][0]].append(host)
    widest = max([min(len(b), per_row) for b in bands.values()] + [1])
    router_left = LEFT + widest * COLUMN
    width = router_left + len(set(column.values())) * COLUMN + MARGIN - GAP
    width = max(width, LEFT + 2 * COLUMN)
    boxes, buses, links, labels = [], [], [], {}
    ends = {}  # network -> right end of its first bus line
    y = MARGIN + 24
    for name in order:
        labels[name] = y
        bottom, lines = y, []
        hosts = bands[name]
        for start in range(0, len(hosts), per_row):
            row = hosts[start:start + per_row]
            line = y if start == 0 else bottom + ROW_GAP
            top = line + BUS_GAP
            lines.append((line, LEFT + len(row) * COLUMN - GAP))
            for index, host in enumerate(row):
                x = LEFT + index * COLUMN
                boxes.append(Box(host, x, top, _box_height(host)))
                links.append(Segment(name, x + BOX_W / 2, top,
                                     x + BOX_W / 2, line, host.name))
            bottom = top + max(_box_height(h) for h in row)
        for host in routers:
            if _networks(host, order)[0] == name:
                h = _box_height(host)
                boxes.append(Box(host, router_left + column[host.name] *
                                 COLUMN, y + BUS_GAP, h))
                bottom = max(bottom, y + BUS_GAP + h)
        for line, end in lines[1:]:
            buses.append(Segment(name, SPINE, line, end, line))
        if len(lines) > 1:
            buses.append(Segment(name, SPINE, y, SPINE, lines[-1][0]))
        ends[name] = lines[0][1] if lines else LEFT + COLUMN
        y = max(bottom, y + BUS_GAP) + BAND_GAP
    for box in boxes:
        host = box.host
        if len(host.interfaces) == 1:
            continue
        center = box.x + BOX_W / 2
        first, *others = _networks(host, order)
        links.append(Segment(first, center, box.y, center, labels[first],
                             host.name))
        for network, offset in zip(others, _spread(len(others))):
            links.append(Segment(network, center + offset, box.y + box.h,
                                 center + offset, labels[network],
                                 host.name))
        for link in links[-len(host.interfaces):]:
            # A bus reaches just past its last link: nearer networks take
            # the links further left, so a bus crosses no link it can miss.
            ends[link.network] = max(ends[link.network], link.x2 + 8)
    for name, line in labels.items():
        buses.append(Segment(name, SPINE, line, ends[name], line))
    return Layout(tuple(boxes), tuple(buses), tuple(links), labels,
                  width, y - BAND_GAP + MARGIN)


def _crossings(layout):
    """(x, y) where a link passes over a bus it does not join."""
    found = []
    for link in layout.links:
        top, bottom = sorted((link.y1, link.y2))
        for bus in layout.buses:
            if bus.y1 == bus.y2 and top < bus.y1 < bottom and \
                    bus.x1 < link.x1 < bus.x2:
                found.append((link.x1, bus.y1))
    return found


def svg(scenario):
    layout = _layout(scenario)
    nets = {n.name: n for n in scenario.networks}
    width, height = layout.width, layout.height
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:g}" '
        f'height="{height:g}" viewBox="0 0 {width:g} {height:g}" '
        'font-family="DejaVu Sans, Arial, sans-serif" font-size="12" '
        f'role="img" aria-label="topology of {escape(scenario.name)}">',
        f'<title>{escape(scenario.name)}</title>',
        '<rect width="100%" height="100%" fill="white"/>']

    def line(segment, kind, stroke, width):
        host = f' data-host="{escape(segment.host)}"' if segment.host else ""
        parts.append(
            f'<line class="{kind}" data-network="{escape(segment.network)}"'
            f'{host} x1="{segment.x1:g}" y1="{segment.y1:g}" '
            f'x2="{segment.x2:g}" y2="{segment.y2:g}" stroke="{stroke}" '
            f'stroke-width="{width}"/>')

    for name, y in layout.labels.items():
        parts.append(f'<text x="{MARGIN}" y="{y - 5:g}" font-weight="bold">'
                     f'{escape(_fit(name))}</text><text x="{MARGIN}" '
                     f'y="{y + 15:g}" fill="#555">'
                     f'{" ".join(map(str, nets[name].subnets))}</text>')
    for bus in layout.buses:
        line(bus, "network", BUS_COLOR, 4)
    for x, y in _crossings(layout):  # the bus is cut where a link crosses
        parts.append(f'<rect class="crossing" x="{x - 4:g}" y="{y - 3:g}" '
                     'width="8" height="6" fill="white"/>')
    for link in layout.links:
        line(link, "link", "#444", 1.5)
        parts.append(f'<circle class="junction" data-network='
                     f'"{escape(link.network)}" cx="{link.x2:g}" '
                     f'cy="{link.y2:g}" r="3.5" fill="{BUS_COLOR}"/>')
    for box in layout.boxes:
        host, x, y = box.host, box.x, box.y
        kind = "router" if host.forward else (
            "multi" if len(host.interfaces) > 1 else "host")
        parts.append(f'<g class="host {kind}" data-host="{escape(host.name)}">'
                     f'<title>{escape(host.name)}</title><rect x="{x:g}" '
                     f'y="{y:g}" width="{BOX_W}" height="{box.h:g}" rx="6" '
                     f'fill="{COLORS[kind]}" stroke="#333"/>')
        router = host.forward and "router" not in host.name
        lines = [(host.name + (" (router)" if router else ""),
                  'font-weight="bold"')]
        lines += [(f"{net}: {address}", "") for net, found in
                  host.addresses for address in found]
        lines += [(f"▸ {_service_label(s.run)}", 'fill="#1f5f2f"')
                  for s in host.services]
        for index, (text, style) in enumerate(lines):
            parts.append(f'<text x="{x + 8:g}" y="{y + 16 + index * LINE:g}"'
                         f' {style}>{escape(_fit(text))}</text>')
        parts.append("</g>")
    parts.append("</svg>")
    return "\n".join(parts)
