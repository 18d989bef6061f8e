import socket

server = socket.socket()
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(("", 9000))
server.listen(5)
conn, _ = server.accept()  # one client, then the program ends
with conn, conn.makefile("rwb") as stream:
    for line in stream:
        stream.write(line.upper())
        stream.flush()
