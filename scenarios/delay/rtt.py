"""Round trips of UDP echoes, two datagrams in flight at a time (so their
order can be checked), printed as min, median, 95th percentile and max.

    python3 rtt.py HOST PORT COUNT [--band LO HI] [--spread MS] [--below MS]

Exits 1 when a reply overtook the one sent before it, when a trip is
shorter than LO (no delay makes a trip shorter than asked), when the
median is outside LO..HI, when the trips spread less than MS, or when none
is shorter than --below (without jitter none would be). A busy machine
adds to a trip, never takes from it, so only the lower bounds are tight;
the slowest trips are printed, not checked.
"""
import argparse
import socket
import statistics
import struct
import sys
import time

parser = argparse.ArgumentParser()
parser.add_argument("host")
parser.add_argument("port", type=int)
parser.add_argument("count", type=int)
parser.add_argument("--band", type=float, nargs=2, metavar=("LO", "HI"))
parser.add_argument("--spread", type=float, default=0)
parser.add_argument("--below", type=float, default=float("inf"))
args = parser.parse_args()

sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sock.connect((args.host, args.port))
# The first datagram waits for ARP: a warm-up, not a trip. UDP does not
# retransmit, so a lost warm-up is sent again (and said).
sock.settimeout(2)
for attempt in range(1, 4):
    sock.send(b"warm-up")
    try:
        sock.recv(64)
        break
    except socket.timeout:
        print(f"warm-up {attempt}: no reply within 2 s")
sock.settimeout(3)
trips, order = [], []
for i in range(args.count):
    start = time.monotonic()
    sock.send(struct.pack("!I", 2 * i))
    sock.send(struct.pack("!I", 2 * i + 1))
    while len(order) < 2 * (i + 1):
        data = sock.recv(64)
        if len(data) == 4:  # (a late warm-up reply is not a trip's)
            order.append(struct.unpack("!I", data)[0])
    trips.append((time.monotonic() - start) * 1000)
trips.sort()
p95 = trips[int(0.95 * (len(trips) - 1))]
median = statistics.median(trips)
kept = order == sorted(order)
print(f"round trips (ms): min {trips[0]:.1f} median {median:.1f} "
      f"p95 {p95:.1f} max {trips[-1]:.1f}; order kept: {kept}")
fine = kept and trips[-1] - trips[0] >= args.spread and \
    trips[0] < args.below
if args.band:
    low, high = args.band
    fine = fine and trips[0] >= low and low <= median <= high
sys.exit(0 if fine else 1)
