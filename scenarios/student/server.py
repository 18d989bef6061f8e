# A tutorial-style TCP server: link loop (accept) and communication loop
# (recv/send). Prints in Chinese; no flush() calls - socklab runs Python
# unbuffered, so each print reaches the log when it happens.
import socket

server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(("0.0.0.0", 8080))
server.listen(5)
print("服务器启动，等待连接...")          # "server started, waiting"

while True:                                # link loop
    conn, addr = server.accept()
    print("客户端已连接:", addr)            # "client connected"
    while True:                            # communication loop
        data = conn.recv(1024)
        if not data:
            print("客户端断开:", addr)      # "client disconnected"
            break
        text = data.decode("utf-8")
        print("收到:", text)                # "received"
        conn.send(("服务器回复: " + text.upper()).encode("utf-8"))
    conn.close()
