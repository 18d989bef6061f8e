import socket
import threading


def chatter():
    while True:  # debugging output left in: megabytes a second
        print("still here " * 100)


threading.Thread(target=chatter, daemon=True).start()
server = socket.socket()
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(("", 9000))
server.listen(5)
while True:
    conn, _ = server.accept()
    with conn, conn.makefile("rwb") as stream:
        for line in stream:
            print("got", line)
            stream.write(line.upper())
            stream.flush()
