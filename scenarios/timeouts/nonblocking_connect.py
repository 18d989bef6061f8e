# connect() on a non-blocking socket only starts the handshake: it returns
# EINPROGRESS at once (connect_ex() returns the errno instead of raising).
# select() reports the socket writable when the handshake is decided, and
# SO_ERROR then says how: 0 (connected) or the error, e.g. ECONNREFUSED.
# If nobody answers (a firewall DROPs the SYN), select() just times out.
import errno
import os
import select
import socket
import sys
import time


def name(code):
    """ECONNREFUSED for 111, and so on; 0 (no error) stays 0."""
    return errno.errorcode.get(code, str(code))


host, port, wait = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
sock = socket.socket()
sock.setblocking(False)
start = time.monotonic()
code = sock.connect_ex((host, port))
print(f"connect_ex() returned {name(code)} after "
      f"{(time.monotonic() - start) * 1000:.0f} ms")

_, writable, _ = select.select([], [sock], [], wait)
waited = (time.monotonic() - start) * 1000
if writable:
    code = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
    outcome = "connected" if code == 0 else os.strerror(code)
    print(f"select(): writable after {waited:.0f} ms; SO_ERROR is "
          f"{name(code)} ({outcome})")
else:
    print(f"select(): not decided after {waited:.0f} ms (no answer yet)")
sock.close()
