import socket
import sys

sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sock.settimeout(2)
sock.sendto(sys.argv[3].encode(), (sys.argv[1], int(sys.argv[2])))
data, addr = sock.recvfrom(1024)
print(data.decode())
