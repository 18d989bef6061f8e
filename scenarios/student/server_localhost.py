# The classic mistake: bound to 127.0.0.1, this server is reachable only
# from its own host. Other hosts get "connection refused".
import socket

server = socket.socket()
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(("127.0.0.1", 8081))
server.listen(5)
print("listening on 127.0.0.1:8081")
while True:
    conn, addr = server.accept()
    conn.sendall(conn.recv(1024))
    conn.close()
