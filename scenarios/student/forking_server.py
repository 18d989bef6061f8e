# A process-per-client server: the parent accepts, a child serves.
import os
import signal
import socket

signal.signal(signal.SIGCHLD, signal.SIG_IGN)   # children reap themselves
server = socket.socket()
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(("", 8082))
server.listen(5)
print("forking server ready")
while True:
    conn, addr = server.accept()
    if os.fork() == 0:
        server.close()
        while data := conn.recv(1024):
            conn.sendall(f"pid {os.getpid()}: ".encode() + data)
        os._exit(0)
    conn.close()
