/*
 * drain: the receiving side for write_floor. Opens N connections to 127.0.0.1:PORT and reads
 * everything that arrives (epoll, like a load generator's receiver thread) for SECONDS.
 *
 * usage: drain N PORT SECONDS
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: %s N PORT SECONDS\n", argv[0]);
        return 2;
    }
    int n = atoi(argv[1]), port = atoi(argv[2]);
    double seconds = atof(argv[3]);
    int ep = epoll_create1(0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons(port)};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    for (int i = 0; i < n; i++) {
        int s = socket(AF_INET, SOCK_STREAM, 0);
        if (connect(s, (void *)&addr, sizeof addr)) {
            perror("connect");
            return 1;
        }
        fcntl(s, F_SETFL, O_NONBLOCK);
        struct epoll_event ev = {.events = EPOLLIN, .data.fd = s};
        epoll_ctl(ep, EPOLL_CTL_ADD, s, &ev);
    }
    static char buf[65536];
    struct epoll_event events[256];
    struct timespec start, t;
    clock_gettime(CLOCK_MONOTONIC, &start);
    long bytes = 0;
    for (;;) {
        int k = epoll_wait(ep, events, 256, 100);
        for (int i = 0; i < k; i++) {
            ssize_t r;
            while ((r = read(events[i].data.fd, buf, sizeof buf)) > 0) bytes += r;
        }
        clock_gettime(CLOCK_MONOTONIC, &t);
        if (t.tv_sec - start.tv_sec + (t.tv_nsec - start.tv_nsec) / 1e9 > seconds) break;
    }
    fprintf(stderr, "drain: %ld bytes read\n", bytes);
    return 0;
}
