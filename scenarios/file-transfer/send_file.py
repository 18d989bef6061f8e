# Sends files over one TCP connection, as the tutorials do. For each file:
#   1. a fixed-size header: struct "!I", 4 bytes, the length of (2);
#   2. a JSON header: the file's name, size and SHA-256;
#   3. the file's bytes.
# The receiver reads exactly 4 bytes, then exactly that many, then exactly
# `size` bytes: it always knows where one file ends and the next begins.
# With --no-header only the bytes go, file after file, at once.
#
#     python3 send_file.py HOST PORT FILE... [--no-header]
import hashlib
import json
import os
import socket
import struct
import sys

args = [a for a in sys.argv[1:] if a != "--no-header"]
with_header = len(args) == len(sys.argv) - 1
host, port, paths = args[0], int(args[1]), args[2:]

sock = socket.create_connection((host, port))
for path in paths:
    with open(path, "rb") as f:
        data = f.read()
    name, digest = os.path.basename(path), hashlib.sha256(data).hexdigest()
    if with_header:
        header = json.dumps({"name": name, "size": len(data),
                             "sha256": digest}).encode("utf-8")
        sock.sendall(struct.pack("!I", len(header)))
        sock.sendall(header)
    sock.sendall(data)              # and straight on to the next file
    print(f"sent {name}: {len(data)} bytes, sha256 {digest}")
# Done: half-close ("no more files"; the receiver's recv() returns b''),
# then wait for the receiver to close in turn. sendall() returning only
# means the bytes are in our kernel's buffer; the receiver's close means it
# has read them all.
sock.shutdown(socket.SHUT_WR)
sock.recv(1)
sock.close()
