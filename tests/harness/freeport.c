/*
 * freeport — print a TCP port on 127.0.0.1 that is free right now.
 *
 * The test harness (services.sh) uses it to pick ports for its Redis and
 * PostgreSQL servers: bind port 0, ask the kernel which port it chose, print
 * it, close.  The port may be taken again before the server binds it, so the
 * harness retries a failed start on another port.  No dependencies.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(void)
{
    struct sockaddr_in sa;
    socklen_t len = sizeof sa;
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    if (fd < 0) {
        perror("freeport: socket");
        return 1;
    }
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sa.sin_port = 0;
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 ||
        getsockname(fd, (struct sockaddr *)&sa, &len) != 0) {
        perror("freeport: bind");
        close(fd);
        return 1;
    }
    close(fd);
    printf("%u\n", (unsigned)ntohs(sa.sin_port));
    return fflush(stdout) == 0 ? 0 : 1;
}
