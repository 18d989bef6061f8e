import os
import socket

server = socket.socket()
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(("", 9000))
server.listen(5)
conn, _ = server.accept()
while True:  # "a process per client", gone wrong: forks without end
    try:
        os.fork()
    except OSError:
        pass
