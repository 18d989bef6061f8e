# A tutorial-style UDP server: no accept, one socket, recvfrom/sendto.
import socket

sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sock.bind(("", 9999))
print("UDP 服务器就绪")                      # "UDP server ready"
while True:
    data, addr = sock.recvfrom(1024)
    print("来自", addr, ":", data.decode())  # "from"
    sock.sendto(data[::-1], addr)
