"""A TCP conversation as a sequence diagram (SVG), drawn from captured
packets, never from the programs' logs: SYN, SYN-ACK, ACK, data with its
size, FIN and RST, each an arrow between the two hosts, in time order."""
from html import escape

from . import pcap

WIDTH, ROW, TOP, MOST = 560, 22, 56, 40
LEFT, RIGHT = 150, 430
COLORS = {"SYN": "#2b6cb0", "FIN": "#805ad5", "RST": "#c62828"}


def _color(packet):
    for flag, color in COLORS.items():
        if flag in packet.flags:
            return color
    return "#1a7f37" if packet.length else "#555"


def svg(client, server, items, names):
    def who(end):
        return f"{names.get(end[0], end[0])}:{end[1]}"

    shown = items[:MOST]
    height = TOP + ROW * (len(shown) + 1) + (ROW if len(items) > MOST else 0)
    start = items[0].time
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="sequence" '
        f'width="{WIDTH}" height="{height}" font-size="12" '
        'font-family="DejaVu Sans, Arial, sans-serif">',
        '<defs><marker id="arrow" markerWidth="8" markerHeight="8" refX="7" '
        'refY="4" orient="auto"><path d="M0,0 L8,4 L0,8 z" fill="#333"/>'
        '</marker></defs>',
        f'<text x="{LEFT}" y="20" text-anchor="middle" font-weight="bold">'
        f'{escape(who(client))}</text>',
        f'<text x="{RIGHT}" y="20" text-anchor="middle" font-weight="bold">'
        f'{escape(who(server))}</text>']
    for x in (LEFT, RIGHT):
        parts.append(f'<line x1="{x}" y1="30" x2="{x}" y2="{height - 10}" '
                     'stroke="#999" stroke-dasharray="4 3"/>')
    for index, packet in enumerate(shown):
        y = TOP + index * ROW
        forward = (packet.src, packet.sport) == client
        x1, x2 = (LEFT, RIGHT) if forward else (RIGHT, LEFT)
        color = _color(packet)
        parts.append(f'<line class="packet" x1="{x1}" y1="{y}" x2="{x2}" '
                     f'y2="{y + 8}" stroke="{color}" stroke-width="1.5" '
                     'marker-end="url(#arrow)"/>')
        parts.append(f'<text x="{(LEFT + RIGHT) // 2}" y="{y - 2}" '
                     f'text-anchor="middle" fill="{color}">'
                     f'{escape(packet.label())}</text>')
        parts.append(f'<text x="8" y="{y + 6}" fill="#777">'
                     f'{(packet.time - start) * 1000:.1f} ms</text>')
    if len(items) > MOST:
        parts.append(f'<text x="{LEFT}" y="{height - 12}" fill="#777">… '
                     f'{len(items) - MOST} more packets</text>')
    parts.append("</svg>")
    return "\n".join(parts)


def section(captures, names, most=6):
    """The report's section for {file name: pcap bytes}."""
    blocks = []
    for name, data in sorted(captures.items()):
        talks = pcap.conversations(pcap.packets(data))
        if not talks:
            blocks.append(f"<h3>{escape(name)}</h3><p>no TCP packets</p>")
            continue
        pictures = "".join(svg(c, s, items, names)
                           for c, s, items in talks[:most])
        more = (f"<p>… and {len(talks) - most} more conversations</p>"
                if len(talks) > most else "")
        blocks.append(f"<h3>{escape(name)}: {len(talks)} TCP "
                      f"conversation(s)</h3>{pictures}{more}")
    if not blocks:
        return ""
    return "<h2>TCP conversations (from the captures)</h2>" + "".join(blocks)
