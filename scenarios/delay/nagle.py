"""A request in two writes, then a read for the reply, COUNT times:

    python3 nagle.py HOST PORT COUNT [--nodelay] [--between LO HI]

Each request is a 4-byte length (struct '!I') sent with one send() and the
body sent with a second: the write-write-read pattern. --nodelay sets
TCP_NODELAY first. Prints how long the requests took, after connect(), and
exits 1 if that is not within LO..HI ms (timed here, so the time Python
takes to start on a busy machine does not count).
"""
import socket
import struct
import sys
import time

host, port, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
bounds = sys.argv[sys.argv.index("--between") + 1:][:2] \
    if "--between" in sys.argv else None
sock = socket.create_connection((host, port), timeout=10)
if "--nodelay" in sys.argv:
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


def exactly(size):
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            raise SystemExit("the server closed the connection")
        data += chunk
    return data


start = time.monotonic()
for number in range(count):
    body = f"request {number}".encode()
    sock.send(struct.pack("!I", len(body)))  # write ...
    sock.send(body)                          # ... write ...
    exactly(struct.unpack("!I", exactly(4))[0])  # ... read
took = (time.monotonic() - start) * 1000
print(f"{count} requests in {took:.0f} ms "
      f"({'TCP_NODELAY' if '--nodelay' in sys.argv else 'Nagle'})")
sys.exit(1 if bounds and not float(bounds[0]) <= took <= float(bounds[1])
         else 0)
