"""Reading TCP packets, IPv4 and IPv6, out of pcap files: just enough of
the format for the report's sequence diagrams. Pure; no third-party
parser.

Link types: Ethernet (a network's bridge), Linux cooked v1 and v2 (a
host's `-i any` capture).
"""
import ipaddress
import struct
from dataclasses import dataclass

FLAGS = (("FIN", 0x01), ("SYN", 0x02), ("RST", 0x04), ("PSH", 0x08),
         ("ACK", 0x10))


@dataclass(frozen=True)
class Packet:
    time: float
    src: str
    sport: int
    dst: str
    dport: int
    flags: frozenset
    seq: int
    ack: int
    length: int  # payload bytes

    def label(self):
        names = [n for n, _ in FLAGS if n in self.flags]
        order = ["SYN", "FIN", "RST", "PSH", "ACK"]
        text = "-".join(sorted(names, key=order.index)) or "·"
        return text + (f" {self.length} B" if self.length else "")


def _ip(raw):
    """An address as the scenario writes it (IPv6 compressed)."""
    return str(ipaddress.ip_address(bytes(raw)))


def _network_layer(linktype, frame):
    """(ethertype, offset of the IP header) for one frame."""
    if linktype == 1:                      # Ethernet
        kind, offset = struct.unpack_from("!H", frame, 12)[0], 14
        if kind == 0x8100:                 # one VLAN tag
            kind, offset = struct.unpack_from("!H", frame, 16)[0], 18
        return kind, offset
    if linktype == 113:                    # Linux cooked v1
        return struct.unpack_from("!H", frame, 14)[0], 16
    if linktype == 276:                    # Linux cooked v2
        return struct.unpack_from("!H", frame, 0)[0], 20
    return None, 0


def packets(data):
    """Every TCP packet (IPv4 or IPv6) in a pcap file's bytes, in file
    order."""
    if len(data) < 24:
        return []
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        endian = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        endian = ">"
    else:
        return []
    nanos = magic in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d")
    linktype = struct.unpack_from(endian + "I", data, 20)[0]
    found, offset = [], 24
    while offset + 16 <= len(data):
        sec, frac, size, _ = struct.unpack_from(endian + "IIII", data, offset)
        frame = data[offset + 16:offset + 16 + size]
        offset += 16 + size
        try:
            packet = _tcp(linktype, frame, sec + frac / (1e9 if nanos
                                                         else 1e6))
        except (struct.error, IndexError, ValueError):
            continue  # a frame cut short by the snap length
        if packet:
            found.append(packet)
    return found


def _addresses(kind, frame, at):
    """(source, destination, IP header length, IP payload length) of a TCP
    packet, or None. An IPv6 packet with extension headers before TCP is
    left out: TCP between lab hosts carries none."""
    if kind == 0x0800 and frame[at] >> 4 == 4 and frame[at + 9] == 6:
        ihl = (frame[at] & 0x0F) * 4
        total = struct.unpack_from("!H", frame, at + 2)[0]
        return (_ip(frame[at + 12:at + 16]), _ip(frame[at + 16:at + 20]),
                ihl, total - ihl)
    if kind == 0x86DD and frame[at] >> 4 == 6 and frame[at + 6] == 6:
        payload = struct.unpack_from("!H", frame, at + 4)[0]
        return (_ip(frame[at + 8:at + 24]), _ip(frame[at + 24:at + 40]),
                40, payload)
    return None


def _tcp(linktype, frame, when):
    kind, at = _network_layer(linktype, frame)
    found = _addresses(kind, frame, at)
    if not found:
        return None
    src, dst, header_ip, payload = found
    sport, dport, seq, ack, offset_flags = struct.unpack_from(
        "!HHIIH", frame, at + header_ip)
    header = (offset_flags >> 12) * 4
    flags = frozenset(n for n, bit in FLAGS if offset_flags & bit)
    return Packet(when, src, sport, dst, dport, flags, seq, ack,
                  payload - header)


def conversations(found):
    """Group packets by connection, in order of first packet; the side that
    sent the first SYN (or the first packet) is the client."""
    groups = {}
    for p in found:
        key = frozenset(((p.src, p.sport), (p.dst, p.dport)))
        group = groups.setdefault(key, [])
        # `-i any` can show a packet twice (e.g. routed in and out): once.
        if not group or group[-1][1:] != (p.src, p.sport, p.dst, p.dport,
                                         p.flags, p.seq, p.ack, p.length):
            group.append((p.time, p.src, p.sport, p.dst, p.dport, p.flags,
                          p.seq, p.ack, p.length))
    result = []
    for group in groups.values():
        items = [Packet(*g) for g in group]
        opener = next((p for p in items if p.flags == {"SYN"}), items[0])
        result.append(((opener.src, opener.sport),
                       (opener.dst, opener.dport), items))
    return result
