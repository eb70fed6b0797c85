/*
 * write_floor: what one socket write costs this machine's kernel, with no runtime in the way.
 *
 * Accepts N loopback TCP connections (from drain), then writes one 139-byte frame to each of
 * them, N writes in a row, B times with a pause between bursts: the pattern of a fan-out below
 * saturation (fanout-1k-fixed20, fanout-10k-fixed2), where every frame is its own write. The
 * average per write is the least a server on this machine can spend per subscriber per message;
 * a burst takes N times that, which bounds the latency of the last subscriber.
 *
 * usage: write_floor N PORT BURSTS PAUSE_MS    (run.sh pins it and drain to different cores)
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now_us(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

int main(int argc, char **argv) {
    if (argc < 5) {
        fprintf(stderr, "usage: %s N PORT BURSTS PAUSE_MS\n", argv[0]);
        return 2;
    }
    int n = atoi(argv[1]), port = atoi(argv[2]), bursts = atoi(argv[3]), pause_ms = atoi(argv[4]);
    int one = 1;
    int listener = socket(AF_INET, SOCK_STREAM, 0);
    setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons(port)};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(listener, (void *)&addr, sizeof addr) || listen(listener, 4096)) {
        perror("listen");
        return 1;
    }
    int *fds = malloc(n * sizeof *fds);
    for (int i = 0; i < n; i++) {
        fds[i] = accept(listener, NULL, NULL);
        if (fds[i] < 0) {
            perror("accept");
            return 1;
        }
        fcntl(fds[i], F_SETFL, O_NONBLOCK);
        setsockopt(fds[i], IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    char frame[139];
    memset(frame, 'x', sizeof frame);
    double total = 0, worst = 0;
    long short_writes = 0;
    for (int b = 0; b < bursts; b++) {
        double t0 = now_us();
        for (int i = 0; i < n; i++) {
            if (write(fds[i], frame, sizeof frame) != (ssize_t)sizeof frame) short_writes++;
        }
        double dt = now_us() - t0;
        total += dt;
        if (dt > worst) worst = dt;
        usleep(pause_ms * 1000);
    }
    printf("%d sockets: %.2f us per single-frame write; burst mean %.2f ms, max %.2f ms; "
           "short writes %ld\n",
           n, total / bursts / n, total / bursts / 1000, worst / 1000, short_writes);
    return 0;
}
