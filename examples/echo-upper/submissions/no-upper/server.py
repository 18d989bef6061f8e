import socket

server = socket.socket()
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(("", 9000))
server.listen(5)
while True:
    conn, _ = server.accept()
    with conn, conn.makefile("rwb") as stream:
        for line in stream:
            stream.write(line)  # echoes, but not in upper case
            stream.flush()
