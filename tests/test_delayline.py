"""The delay line's arithmetic, without a kernel: which packets it lets go
when, and what it tells the kernel (the netlink messages themselves)."""
import struct

from lab.agent import delayd, nfqueue


class Kernel:
    """Stands in for the netlink socket: keeps each verdict sent."""

    def __init__(self):
        self.verdicts = []

    def send(self, message):
        queue = struct.unpack_from(">H", message, nfqueue.HEADER.size + 2)[0]
        verdict, packet = struct.unpack_from(">II", message, len(message) - 8)
        self.verdicts.append((queue, verdict, packet))


def test_packets_leave_after_their_delay_in_order():
    kernel = Kernel()
    line = delayd.DelayLine(kernel)
    line.settings = {7: (0.100, 0.0)}
    line.take([(7, 1, None), (7, 2, None)], now=10.0)
    # Read 20 ms after the kernel stamped its arrival: held 80 ms more.
    line.take([(7, 3, 1000.0)], now=10.07, wall=1000.02)
    assert line.release(10.099) == 10.1 and kernel.verdicts == []
    assert abs(line.release(10.1) - 10.15) < 1e-9
    # One batch verdict lets go every packet up to the last one due.
    assert kernel.verdicts == [(7, nfqueue.NF_ACCEPT, 2)]
    assert line.release(10.2) is None
    assert kernel.verdicts[-1] == (7, nfqueue.NF_ACCEPT, 3)


def waits(spacing, count=2000):
    """Each packet's wait, packets taken `spacing` s apart, 50 +- 20 ms."""
    line = delayd.DelayLine(Kernel())
    line.settings = {1: (0.050, 0.020)}
    for packet in range(count):
        line.take([(1, packet, None)], now=packet * spacing)
    dues = [due for due, _ in line.held[1]]
    assert dues == sorted(dues)  # never overtakes the one ahead
    return [due - packet * spacing for packet, due in enumerate(dues)]


def test_jitter_stays_in_its_band_and_never_reorders():
    sparse = waits(0.1)  # further apart than the jitter: uniform in the band
    assert min(sparse) >= 0.030 - 1e-9 and max(sparse) <= 0.070 + 1e-9
    assert min(sparse) < 0.032 and max(sparse) > 0.068
    # Closer together, a packet waits for the one ahead: still in the band,
    # nearer its top (README: jitter never reorders).
    dense = waits(0.001)
    assert min(dense) >= 0.030 - 1e-9 and max(dense) <= 0.070 + 1e-9
    assert sum(dense) / len(dense) > sum(sparse) / len(sparse)


def test_a_packet_notice_is_read_from_its_netlink_message():
    header = nfqueue._attr(nfqueue.ATTR_PACKET_HDR,
                           struct.pack(">IHB", 4242, 0x0800, 0))
    stamp = nfqueue._attr(nfqueue.ATTR_TIMESTAMP,
                          struct.pack(">QQ", 1700000000, 250000))
    bare = nfqueue._message(nfqueue.MSG_PACKET, 0, 9, [header])
    stamped = nfqueue._message(nfqueue.MSG_PACKET, 0, 9, [header, stamp])
    assert list(nfqueue.packets(bare + stamped)) == [
        (9, 4242, None), (9, 4242, 1700000000.25)]


def test_durations():
    assert delayd.seconds("50ms") == 0.05
    assert delayd.seconds("1.5s") == 1.5
    assert delayd.seconds("500us") == 0.0005
