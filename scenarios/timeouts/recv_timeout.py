# recv() from a peer that never answers. A blocking socket (the default)
# would wait for ever; settimeout(S) makes recv() give up after S seconds
# by raising socket.timeout (TimeoutError since Python 3.10).
import socket
import sys
import time

host, port, seconds = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
sock = socket.create_connection((host, port))
sock.sendall(b"anyone there?")
sock.settimeout(seconds)            # applies to every later call on sock
start = time.monotonic()
try:
    data = sock.recv(1024)
    print("recv() returned", data)
except socket.timeout:
    # The connection is still open: a caller could retry or give up.
    print(f"recv() raised socket.timeout after "
          f"{(time.monotonic() - start) * 1000:.0f} ms")
sock.close()
