import socket

server = socket.socket()
count = 0
while True:  # meant to bind and listen afterwards; never gets there
    count += 1
