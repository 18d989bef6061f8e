"""The topology as a picture (SVG), drawn from the model; pure.

Each network is a horizontal bus labelled with its name and subnet. Hosts
hang below the first of their networks, in rows that wrap, so 30 hosts stay
readable. A host on several networks (a router when it forwards) is drawn in
the band between its first network and the next one, with a link to every
network it is on: routers visibly sit between the segments they join.
"""
from html import escape

BOX_W, GAP, LINE, MARGIN, PER_ROW = 170, 24, 15, 20, 6
BUS_GAP = 28  # space between a bus and the hosts hanging below it
COLORS = {"router": "#fde8c8", "multi": "#e8e0f8", "host": "#e4f0fb"}


def _service_label(run):
    words = run.split()
    port = next((words[i + 1] for i, w in enumerate(words[:-1])
                 if w == "--port"), None)
    name = words[0] if words else run
    return f"{name} :{port}" if port else (run if len(run) <= 24
                                           else run[:23] + "…")


def _box_height(host):
    return LINE * (2 + len(host.interfaces) + len(host.services)) + 8


def _layout(scenario):
    """Place buses and host boxes; return (bus y by network, boxes, size)."""
    order = [n.name for n in scenario.networks]
    bands = {name: [] for name in order}
    for host in scenario.hosts:
        first = min((order.index(n) for n, _ in host.interfaces))
        bands[order[first]].append(host)
    widest = max([min(len(b), PER_ROW) for b in bands.values()] + [2])
    width = MARGIN * 2 + 110 + widest * (BOX_W + GAP)
    y, buses, boxes = MARGIN + 24, {}, []
    for name in order:
        buses[name] = y
        y += BUS_GAP
        hosts = bands[name]
        for start in range(0, len(hosts), PER_ROW):
            row = hosts[start:start + PER_ROW]
            tallest = max(_box_height(h) for h in row)
            for column, host in enumerate(row):
                x = MARGIN + 110 + column * (BOX_W + GAP)
                boxes.append((host, x, y, _box_height(host)))
            y += tallest + GAP
        y += 16
    return buses, boxes, width, y


def svg(scenario):
    buses, boxes, width, height = _layout(scenario)
    nets = {n.name: n for n in scenario.networks}
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" '
        'font-family="DejaVu Sans, Arial, sans-serif" font-size="12" '
        f'role="img" aria-label="topology of {escape(scenario.name)}">',
        f'<title>{escape(scenario.name)}</title>',
        '<rect width="100%" height="100%" fill="white"/>']
    for name, y in buses.items():
        parts.append(f'<line class="network" x1="{MARGIN + 100}" y1="{y}" '
                     f'x2="{width - MARGIN}" y2="{y}" stroke="#2b6cb0" '
                     'stroke-width="4"/>')
        parts.append(f'<text x="{MARGIN}" y="{y - 4}" font-weight="bold">'
                     f'{escape(name)}</text><text x="{MARGIN}" y="{y + 12}" '
                     f'fill="#555">{nets[name].subnet}</text>')
    for host, x, y, h in boxes:
        kind = "router" if host.forward else (
            "multi" if len(host.interfaces) > 1 else "host")
        center = x + BOX_W // 2
        for index, (network, _) in enumerate(host.interfaces):
            bus = buses[network]
            offset = (index - (len(host.interfaces) - 1) / 2) * 14
            top = y if bus < y else y + h
            parts.append(f'<line x1="{center + offset}" y1="{top}" '
                         f'x2="{center + offset}" y2="{bus}" stroke="#444" '
                         'stroke-width="1.5"/>')
        parts.append(f'<g class="host {kind}"><rect x="{x}" y="{y}" '
                     f'width="{BOX_W}" height="{h}" rx="6" '
                     f'fill="{COLORS[kind]}" stroke="#333"/>')
        router = host.forward and "router" not in host.name
        lines = [(host.name + (" (router)" if router else ""),
                  'font-weight="bold"')]
        lines += [(f"{net}: {address}", "") for net, address in
                  host.interfaces]
        lines += [(f"▸ {_service_label(s.run)}", 'fill="#1f5f2f"')
                  for s in host.services]
        for index, (text, style) in enumerate(lines):
            parts.append(f'<text x="{x + 8}" y="{y + 16 + index * LINE}" '
                         f'{style}>{escape(text)}</text>')
        parts.append("</g>")
    parts.append("</svg>")
    return "\n".join(parts)
