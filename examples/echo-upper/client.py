"""The assignment's own client: sends each argument as a line to HOST
PORT and prints each reply line; a server that fails says so on stderr
(exit 1).

    python3 client.py HOST PORT LINE...
"""
import socket
import sys

host, port, lines = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
try:
    with socket.create_connection((host, port), timeout=3) as conn:
        replies = conn.makefile("rb")
        for line in lines:
            conn.sendall(line.encode() + b"\n")
            reply = replies.readline()
            if not reply:
                sys.exit("error: the server closed the connection")
            print(reply.decode(errors="replace").rstrip("\n"))
except OSError as exc:
    sys.exit(f"error: {exc or type(exc).__name__}")
