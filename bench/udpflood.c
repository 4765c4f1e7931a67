/* UDP load generator for bench/capture-live-bench.sh (runs inside a namespace made by the script):
 * sendmmsg() batches of 64 datagrams to DST:PORT for SECONDS, optionally paced to RATE packets/s.
 * usage: udpflood DST PORT SECONDS RATE PAYLOAD   (RATE 0 = as fast as possible); prints packets sent. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec / 1e9; }

int main(int argc, char **argv)
{
    if (argc != 6) { fprintf(stderr, "usage: %s DST PORT SECONDS RATE PAYLOAD\n", argv[0]); return 2; }
    double seconds = atof(argv[3]), rate = atof(argv[4]);
    int payload = atoi(argv[5]);
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in dst = { .sin_family = AF_INET, .sin_port = htons(atoi(argv[2])) };
    inet_pton(AF_INET, argv[1], &dst.sin_addr);
    if (connect(fd, (struct sockaddr *)&dst, sizeof dst) < 0) { perror("connect"); return 1; }
    static char buf[65536];
    memset(buf, 'x', sizeof buf);
    struct mmsghdr msgs[64];
    struct iovec iov[64];
    for (int i = 0; i < 64; i++) {
        iov[i] = (struct iovec){ buf, (size_t)payload };
        msgs[i] = (struct mmsghdr){ .msg_hdr = { .msg_iov = &iov[i], .msg_iovlen = 1 } };
    }
    unsigned long long sent = 0;
    double start = now(), end = start + seconds;
    for (double t = start; t < end; t = now()) {
        if (rate > 0 && sent > (t - start) * rate) continue;   /* paced: wait for the schedule */
        int n = sendmmsg(fd, msgs, 64, 0);
        if (n > 0) sent += n;
    }
    printf("%llu %.3f\n", sent, now() - start);
    return 0;
}
