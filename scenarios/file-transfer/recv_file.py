# Receives the files send_file.py sends and writes them into DIR (under
# /tmp: the scenario's directory is read-only).
#
#     python3 recv_file.py PORT DIR [--no-header]
#
# With headers it reads each file exactly and checks its SHA-256 against
# the header's. With --no-header it does what the first tutorials do: one
# recv() per file. recv() returns whatever bytes have arrived, up to the
# size asked for, with no idea where a file ends: the first "file" can be
# glued to the start of the next one, and a file bigger than one recv()
# comes out cut.
import hashlib
import json
import os
import socket
import struct
import sys
import time

args = [a for a in sys.argv[1:] if a != "--no-header"]
with_header = len(args) == len(sys.argv) - 1
port, directory = int(args[0]), args[1]
os.makedirs(directory, exist_ok=True)


def recv_exact(conn, size):
    """Exactly `size` bytes (b'' if the sender closed first): one recv()
    may return fewer than asked, so loop."""
    data = bytearray()              # grows in place, chunk by chunk
    while len(data) < size:
        chunk = conn.recv(size - len(data))
        if not chunk:
            return b""
        data += chunk
    return bytes(data)


def save(name, data):
    with open(os.path.join(directory, name), "wb") as f:
        f.write(data)
    digest = hashlib.sha256(data).hexdigest()
    print(f"received {name}: {len(data)} bytes, sha256 {digest}")
    return digest


def receive_with_headers(conn):
    while True:
        fixed = recv_exact(conn, 4)
        if not fixed:
            return                  # the sender closed: no more files
        (length,) = struct.unpack("!I", fixed)
        header = json.loads(recv_exact(conn, length).decode("utf-8"))
        # os.path.basename: never let a sender write outside DIR
        name = os.path.basename(header["name"])
        digest = save(name, recv_exact(conn, header["size"]))
        print(f"  {name}: the SHA-256 "
              f"{'matches' if digest == header['sha256'] else 'DIFFERS FROM'}"
              f" the header's")


def receive_without_headers(conn, files=2):
    # It knows two files are coming, and nothing else. And a receiver is
    # not always sitting in recv() when bytes arrive (this one is busy for
    # a second): whatever arrived meanwhile, from one send() or several,
    # comes out of the next recv() together.
    time.sleep(1)
    for number in range(1, files + 1):
        data = conn.recv(1024 * 1024)   # "files are under 1 MB", it hopes
        if not data:
            return
        save(f"file-{number}", data)   # without a header, not even a name
    left = 0
    while chunk := conn.recv(65536):    # read to the end, to close cleanly
        left += len(chunk)
    print(f"{left} more bytes came that no file got")


server = socket.socket()
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(("", port))
server.listen(5)
print(f"receiving files on port {port} into {directory}")
while True:
    conn, addr = server.accept()
    if with_header:
        receive_with_headers(conn)
    else:
        receive_without_headers(conn)
    conn.close()
