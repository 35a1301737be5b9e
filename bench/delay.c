/*
 * The bench's distance: a loopback TCP forwarder that holds every byte for a
 * fixed one-way delay in each direction, so a TLS handshake, a connect and a
 * request each cost the round trips they cost across an ocean. (The kernel's
 * netem would do it, but it is not in every kernel and it changes the whole
 * machine's loopback; this changes only the connections made to it.)
 *
 *   delay PORT UPSTREAM_PORT ONE_WAY_MS
 *
 * Listens on 127.0.0.1:PORT, forwards each connection to 127.0.0.1:UPSTREAM_PORT.
 * A new connection's first bytes go on only after one extra round trip, the
 * time a SYN and its answer would have taken. Prints "ready" once listening;
 * runs until killed.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

enum { MAX_PAIRS = 256, CHUNK = 65536 };

struct chunk {
    struct chunk *next;
    double due;         /* monotonic ms when it may be written */
    size_t len, off;    /* len 0: the sender closed its side */
    char data[];
};

/* One direction: bytes read from `from`, waiting to be written to `to`. */
struct pipe {
    int from, to;
    int eof;            /* `from` closed; an end marker is queued */
    int shut;           /* the marker reached `to` */
    struct chunk *head, *tail;
};

struct pair {
    int used;
    double opened;      /* when accepted */
    struct pipe dir[2]; /* 0: client to upstream, 1: upstream to client */
};

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void nonblock(int fd)
{
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

static int connect_upstream(int port)
{
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((unsigned short)port) };
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0)
        return -1;
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        close(fd);
        return -1;
    }
    nonblock(fd);
    return fd;
}

static void close_pair(struct pair *p)
{
    for (int d = 0; d < 2; d++) {
        struct chunk *c = p->dir[d].head;
        while (c) {
            struct chunk *n = c->next;
            free(c);
            c = n;
        }
    }
    close(p->dir[0].from);
    close(p->dir[0].to);
    memset(p, 0, sizeof *p);
}

static int queue(struct pipe *pp, const char *data, size_t len, double due)
{
    struct chunk *c = malloc(sizeof *c + len);
    if (!c)
        return -1;
    c->next = NULL;
    c->due = due;
    c->len = len;
    c->off = 0;
    memcpy(c->data, data, len);
    if (pp->tail)
        pp->tail->next = c;
    else
        pp->head = c;
    pp->tail = c;
    return 0;
}

/* Reads what `from` has; -1 when the pair must close. */
static int pull(struct pair *p, struct pipe *pp, double delay, int first_dir)
{
    char buf[CHUNK];
    ssize_t n = read(pp->from, buf, sizeof buf);
    double due = now_ms() + delay;
    if (first_dir && due < p->opened + 3 * delay)
        due = p->opened + 3 * delay; /* the connect's round trip, then the way there */
    if (n > 0)
        return queue(pp, buf, (size_t)n, due);
    if (n == 0) {
        pp->eof = 1;
        return queue(pp, buf, 0, due);
    }
    return (errno == EAGAIN || errno == EINTR) ? 0 : -1;
}

/* Writes the chunks that are due; -1 when the pair must close. */
static int push(struct pipe *pp, double t)
{
    while (pp->head && pp->head->due <= t) {
        struct chunk *c = pp->head;
        if (c->len == 0) {
            shutdown(pp->to, SHUT_WR);
            pp->shut = 1;
        } else {
            ssize_t n = write(pp->to, c->data + c->off, c->len - c->off);
            if (n < 0)
                return (errno == EAGAIN || errno == EINTR) ? 0 : -1;
            c->off += (size_t)n;
            if (c->off < c->len)
                return 0;
        }
        pp->head = c->next;
        if (!pp->head)
            pp->tail = NULL;
        free(c);
    }
    return 0;
}

int main(int argc, char **argv)
{
    static struct pair pairs[MAX_PAIRS];
    struct pollfd pfd[1 + 2 * MAX_PAIRS];
    struct sockaddr_in a = { .sin_family = AF_INET };
    int lfd, one = 1, up;
    double delay;

    if (argc != 4) {
        fprintf(stderr, "usage: delay PORT UPSTREAM_PORT ONE_WAY_MS\n");
        return 2;
    }
    a.sin_port = htons((unsigned short)atoi(argv[1]));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    up = atoi(argv[2]);
    delay = atof(argv[3]);
    lfd = socket(AF_INET, SOCK_STREAM, 0);
    if (lfd < 0 || setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        bind(lfd, (struct sockaddr *)&a, sizeof a) != 0 || listen(lfd, 128) != 0) {
        perror("delay: listen");
        return 1;
    }
    printf("ready\n");
    fflush(stdout);

    for (;;) {
        double t = now_ms(), wake = -1;
        int n = 1;
        pfd[0] = (struct pollfd){ .fd = lfd, .events = POLLIN };
        for (int i = 0; i < MAX_PAIRS; i++) {
            struct pair *p = &pairs[i];
            if (!p->used)
                continue;
            for (int d = 0; d < 2; d++) {
                struct pipe *pp = &p->dir[d];
                if (pp->head && (wake < 0 || pp->head->due < wake))
                    wake = pp->head->due;
                pfd[n++] = (struct pollfd){ .fd = pp->eof ? -1 : pp->from, .events = POLLIN };
            }
        }
        int timeout = wake < 0 ? -1 : (int)(wake - t + 0.999);
        if (timeout < 0 && wake >= 0)
            timeout = 0;
        if (poll(pfd, (nfds_t)n, timeout) < 0 && errno != EINTR) {
            perror("delay: poll");
            return 1;
        }
        if (pfd[0].revents & POLLIN) {
            int c = accept(lfd, NULL, NULL);
            int slot = -1;
            for (int i = 0; i < MAX_PAIRS && slot < 0; i++)
                if (!pairs[i].used)
                    slot = i;
            int u = (c >= 0 && slot >= 0) ? connect_upstream(up) : -1;
            if (u < 0) {
                if (c >= 0)
                    close(c);
            } else {
                struct pair *p = &pairs[slot];
                nonblock(c);
                p->used = 1;
                p->opened = now_ms();
                p->dir[0] = (struct pipe){ .from = c, .to = u };
                p->dir[1] = (struct pipe){ .from = u, .to = c };
            }
        }
        /* pollfd k belongs to the k-th used pair's directions, in order */
        int k = 1;
        for (int i = 0; i < MAX_PAIRS; i++) {
            struct pair *p = &pairs[i];
            int bad = 0;
            if (!p->used)
                continue;
            if (p->opened > t) /* accepted during this turn: not polled yet */
                continue;
            for (int d = 0; d < 2; d++, k++)
                if (pfd[k].revents & (POLLIN | POLLHUP | POLLERR))
                    bad |= pull(p, &p->dir[d], delay, d == 0) != 0;
            double t2 = now_ms();
            for (int d = 0; d < 2; d++)
                bad |= push(&p->dir[d], t2) != 0;
            if (bad || (p->dir[0].shut && p->dir[1].shut))
                close_pair(p);
        }
    }
}
