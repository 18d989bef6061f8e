"""Runs inside a lab host for bench/delay.py (standard library only).

    python3 delay_probe.py udp HOST COUNT          UDP echo round trips (ms)
    python3 delay_probe.py connect HOST COUNT      TCP connect() times (ms)
    python3 delay_probe.py sink SECONDS            count datagrams on :6000
    python3 delay_probe.py flood HOST RATE SECONDS send numbered datagrams

Each prints one JSON line.
"""
import json
import socket
import struct
import sys
import time


def udp(host, count):
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.connect((host, 5000))
    sock.settimeout(5)
    sock.send(b"warm-up")  # ARP first: not part of a round trip
    sock.recv(64)
    trips = []
    for i in range(count):
        start = time.monotonic()
        sock.send(b"%d" % i)
        while sock.recv(64) != b"%d" % i:
            pass
        trips.append((time.monotonic() - start) * 1000)
    return {"trips": trips}


def connect(host, count):
    times = []
    for _ in range(count):
        sock = socket.socket()
        sock.settimeout(5)
        start = time.monotonic()
        sock.connect((host, 9000))
        times.append((time.monotonic() - start) * 1000)
        sock.close()
    return {"trips": times}


def sink(seconds):
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
    sock.bind(("0.0.0.0", 6000))
    sock.settimeout(seconds)
    count, reordered, highest = 0, 0, -1
    try:
        while True:
            number = struct.unpack("!I", sock.recv(2048)[:4])[0]
            reordered += number < highest
            highest = max(highest, number)
            count += 1
            sock.settimeout(2)  # the flood is over once 2 s pass in silence
    except socket.timeout:
        pass
    return {"received": count, "reordered": reordered}


def flood(host, rate, seconds):
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.connect((host, 6000))
    total, pad = int(rate * seconds), b"\0" * 60
    start = time.monotonic()
    for i in range(total):
        while time.monotonic() < start + i / rate:
            pass
        sock.send(struct.pack("!I", i) + pad)
    return {"sent": total, "seconds": time.monotonic() - start}


if __name__ == "__main__":
    what, args = sys.argv[1], sys.argv[2:]
    if what in ("udp", "connect"):
        result = globals()[what](args[0], int(args[1]))
    elif what == "sink":
        result = sink(float(args[0]))
    else:
        result = flood(args[0], int(args[1]), float(args[2]))
    print(json.dumps(result))
