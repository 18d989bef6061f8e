# recv() on a non-blocking socket never waits: with nothing to read it
# raises BlockingIOError (errno EAGAIN, "try again") at once. A program
# that has other work to do asks select() when the socket is readable,
# then calls recv() again.
import errno
import select
import socket
import sys
import time

host, port = sys.argv[1], int(sys.argv[2])
sock = socket.create_connection((host, port))
sock.setblocking(False)             # the same as settimeout(0)

start = time.monotonic()
try:
    sock.recv(1024)                 # the echo server has nothing to say yet
    print("recv() returned data")
except BlockingIOError as exc:
    print(f"recv() raised BlockingIOError ({errno.errorcode[exc.errno]}) "
          f"after {(time.monotonic() - start) * 1000:.0f} ms")

sock.sendall(b"ping")               # now the echo is on its way back
start = time.monotonic()
readable, _, _ = select.select([sock], [], [], 5)
waited = (time.monotonic() - start) * 1000
if readable:
    print(f"select(): readable after {waited:.0f} ms; "
          f"recv() returned {sock.recv(1024)!r}")
else:
    print(f"select(): nothing after {waited:.0f} ms")
sock.close()
