"""The capture reader reads IPv6 TCP as it reads IPv4 (issue 17): the
report's sequence diagrams show IPv6 connections. Pure: frames made here."""
import ipaddress
import struct

from lab.report import pcap


def _tcp(sport, dport, flags, payload=b""):
    return struct.pack("!HHIIHHHH", sport, dport, 1, 0, (5 << 12) | flags,
                       65535, 0, 0) + payload


def _frame(src, dst, segment):
    a, b = ipaddress.ip_address(src), ipaddress.ip_address(dst)
    if a.version == 6:
        ip = struct.pack("!IHBB", 6 << 28, len(segment), 6, 64) + \
            a.packed + b.packed
        kind = 0x86DD
    else:
        ip = struct.pack("!BBHHHBBH", 0x45, 0, 20 + len(segment), 0, 0, 64,
                         6, 0) + a.packed + b.packed
        kind = 0x0800
    return bytes(12) + struct.pack("!H", kind) + ip + segment


def _pcap(frames):
    data = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)
    for n, frame in enumerate(frames):
        data += struct.pack("<IIII", n, 0, len(frame), len(frame)) + frame
    return data


def test_ipv6_and_ipv4_tcp_are_read_alike():
    data = _pcap([
        _frame("fd00:70:1::20", "fd00:70:1::10", _tcp(40000, 9000, 0x02)),
        _frame("fd00:70:1::10", "fd00:70:1::20",
               _tcp(9000, 40000, 0x12)),
        _frame("fd00:70:1::20", "fd00:70:1::10",
               _tcp(40000, 9000, 0x18, b"hello")),
        _frame("10.70.1.20", "10.70.1.10", _tcp(40001, 9000, 0x02)),
        _frame("fd00:70:1::20", "fd00:70:1::10", b"\x00")[:30],  # cut
    ])
    found = pcap.packets(data)
    assert [(p.src, p.dst, p.label()) for p in found] == [
        ("fd00:70:1::20", "fd00:70:1::10", "SYN"),
        ("fd00:70:1::10", "fd00:70:1::20", "SYN-ACK"),
        ("fd00:70:1::20", "fd00:70:1::10", "PSH-ACK 5 B"),
        ("10.70.1.20", "10.70.1.10", "SYN")]
    talks = pcap.conversations(found)
    assert talks[0][0] == ("fd00:70:1::20", 40000)
