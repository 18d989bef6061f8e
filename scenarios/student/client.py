# A tutorial-style TCP client: connects by host name, sends each argument,
# prints each reply.
import socket
import sys

host, port = sys.argv[1], int(sys.argv[2])
client = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
client.connect((host, port))
for message in sys.argv[3:]:
    client.send(message.encode("utf-8"))
    print(client.recv(1024).decode("utf-8"))
client.close()
