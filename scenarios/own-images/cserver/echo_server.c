/* A TCP echo server in C, in the tutorials' style: socket, bind, listen,
 * then one client at a time, sending back what it reads. Built static, it
 * runs from a FROM scratch image: no shell, no libc, nothing but itself. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv) {
    int port = argc > 1 ? atoi(argv[1]) : 9000;
    int server = socket(AF_INET, SOCK_STREAM, 0);
    int on = 1;
    setsockopt(server, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    struct sockaddr_in address = {.sin_family = AF_INET,
                                  .sin_port = htons(port),
                                  .sin_addr.s_addr = htonl(INADDR_ANY)};
    if (bind(server, (struct sockaddr *)&address, sizeof address) < 0 ||
        listen(server, 5) < 0) {
        perror("bind/listen");
        return 1;
    }
    printf("echo server listening on port %d\n", port);
    fflush(stdout);
    for (;;) {
        struct sockaddr_in peer;
        socklen_t size = sizeof peer;
        int client = accept(server, (struct sockaddr *)&peer, &size);
        if (client < 0)
            continue;
        printf("connection from %s\n", inet_ntoa(peer.sin_addr));
        fflush(stdout);
        char buffer[4096];
        ssize_t got;
        while ((got = recv(client, buffer, sizeof buffer, 0)) > 0)
            send(client, buffer, got, 0);
        close(client);
    }
}
