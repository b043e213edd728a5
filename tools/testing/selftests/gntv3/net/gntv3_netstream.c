// SPDX-License-Identifier: GPL-2.0-only
/*
 * gntv3_netstream: a checksummed TCP stream between two hosts, to prove
 * that a network link moves data intact, and how fast.
 *
 *   gntv3_netstream serve PORT
 *        accept connections one after the other, forever; each one says
 *        in its header which way the data goes
 *   gntv3_netstream send HOST PORT BYTES SEED
 *        we send BYTES of the pattern of SEED, the server verifies
 *   gntv3_netstream recv HOST PORT BYTES SEED
 *        the server sends, we verify
 *
 * The pattern: 8-byte word i of the stream is splitmix64(SEED + i), so a
 * byte that is lost, doubled, reordered or corrupted shows at its offset.
 * The sender also keeps a running checksum of what it wrote and sends it
 * after the data; the receiver checks the bytes against the pattern, its
 * own checksum of what it read against the sender's, and answers with a
 * status word, so both ends know the verdict.  The client prints
 *
 *   netstream: send|recv BYTES bytes seed SEED checksum C MBIT Mbit/s ok
 *
 * (the rate counts the data only, from the first byte to the verdict).
 * NETSTREAM_FLIP=OFFSET in the sender's environment flips one bit of the
 * byte at OFFSET after the checksum took it in: the receiver must report a
 * mismatch (this checks the check).
 *
 * Exit status: 0 on success, 1 on a mismatch, an I/O error or a timeout
 * (30 s without progress), 2 on usage errors.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define NS_MAGIC	0x6e337374u	/* "n3st" */
#define NS_OP_TO_SERVER	1
#define NS_OP_FROM_SERVER 2
#define NS_BUF		(256 * 1024)
#define NS_TIMEOUT_S	30

struct ns_hdr {			/* client -> server, little endian */
	uint32_t magic;
	uint32_t op;
	uint64_t bytes;
	uint64_t seed;
};

struct ns_verdict {		/* receiver -> sender */
	uint32_t magic;
	uint32_t ok;		/* 1: pattern and checksum matched */
	uint64_t bad_offset;	/* first mismatching byte, or bytes */
	uint64_t checksum;	/* the receiver's own running checksum */
};

static uint64_t splitmix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/* Running checksum over whole words: order-sensitive (rotate + xor + add). */
static uint64_t sum_word(uint64_t sum, uint64_t w)
{
	return ((sum << 7) | (sum >> 57)) ^ (w + 0x632be59bd9b4e019ULL);
}

/* The stream as a state: byte offset, checksum so far, a partial word. */
struct ns_stream {
	uint64_t seed;
	uint64_t off;
	uint64_t sum;
	uint64_t bad;		/* first bad offset, UINT64_MAX if none */
	uint8_t part[8];	/* bytes of the word being received */
};

static void ns_init(struct ns_stream *s, uint64_t seed)
{
	memset(s, 0, sizeof(*s));
	s->seed = seed;
	s->bad = UINT64_MAX;
}

/* Fill buf with the next len bytes of the pattern and account them. */
static void ns_fill(struct ns_stream *s, uint8_t *buf, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++, s->off++) {
		uint64_t w = splitmix64(s->seed + (s->off >> 3));

		buf[i] = (uint8_t)(w >> (8 * (s->off & 7)));
		if ((s->off & 7) == 7)
			s->sum = sum_word(s->sum, w);
	}
}

/* Check the next len received bytes against the pattern and account them. */
static void ns_check(struct ns_stream *s, const uint8_t *buf, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++, s->off++) {
		unsigned int b = s->off & 7;

		s->part[b] = buf[i];
		if (b != 7)
			continue;
		uint64_t got = 0, want = splitmix64(s->seed + (s->off >> 3));

		for (b = 0; b < 8; b++)
			got |= (uint64_t)s->part[b] << (8 * b);
		if (got != want && s->bad == UINT64_MAX) {
			for (b = 0; b < 8; b++)
				if (s->part[b] != (uint8_t)(want >> (8 * b)))
					break;
			s->bad = s->off - 7 + b;
		}
		s->sum = sum_word(s->sum, got);
	}
}

/* The last partial word, if BYTES is not a multiple of 8. */
static void ns_tail_check(struct ns_stream *s)
{
	unsigned int n = s->off & 7, b;
	uint64_t want = splitmix64(s->seed + (s->off >> 3)), got = 0;

	if (!n)
		return;
	for (b = 0; b < n; b++) {
		got |= (uint64_t)s->part[b] << (8 * b);
		if (s->part[b] != (uint8_t)(want >> (8 * b)) && s->bad == UINT64_MAX)
			s->bad = s->off - n + b;
	}
	s->sum = sum_word(s->sum, got);
}

static void ns_tail_fill(struct ns_stream *s)
{
	unsigned int n = s->off & 7;
	uint64_t w = splitmix64(s->seed + (s->off >> 3));

	if (n)
		s->sum = sum_word(s->sum, w & ((1ULL << (8 * n)) - 1));
}

static int xfer(int fd, void *buf, size_t len, int out)
{
	uint8_t *p = buf;

	while (len) {
		ssize_t r = out ? send(fd, p, len, MSG_NOSIGNAL) : recv(fd, p, len, 0);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			fprintf(stderr, "netstream: %s: %s\n", out ? "send" : "recv",
				r ? strerror(errno) : "connection closed early");
			return -1;
		}
		p += r;
		len -= (size_t)r;
	}
	return 0;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Send bytes of the pattern, then our checksum; read the verdict. */
static int stream_send(int fd, uint64_t bytes, uint64_t seed, struct ns_verdict *v,
		       uint64_t *sum)
{
	static uint8_t buf[NS_BUF];
	struct ns_stream s;
	uint64_t left = bytes;

	const char *flip = getenv("NETSTREAM_FLIP");
	uint64_t flip_at = flip ? strtoull(flip, NULL, 0) : UINT64_MAX;

	ns_init(&s, seed);
	while (left) {
		size_t n = left < NS_BUF ? left : NS_BUF;

		ns_fill(&s, buf, n);
		if (flip_at >= s.off - n && flip_at < s.off)
			buf[flip_at - (s.off - n)] ^= 0x20;	/* the test of the test */
		if (xfer(fd, buf, n, 1))
			return -1;
		left -= n;
	}
	ns_tail_fill(&s);
	*sum = s.sum;
	if (xfer(fd, &s.sum, sizeof(s.sum), 1) || xfer(fd, v, sizeof(*v), 0))
		return -1;
	if (v->magic != NS_MAGIC) {
		fprintf(stderr, "netstream: bad verdict magic %#x\n", v->magic);
		return -1;
	}
	return 0;
}

/* Receive and check bytes of the pattern and the sender's checksum. */
static int stream_recv(int fd, uint64_t bytes, uint64_t seed, struct ns_verdict *v)
{
	static uint8_t buf[NS_BUF];
	struct ns_stream s;
	uint64_t left = bytes, theirs;

	ns_init(&s, seed);
	while (left) {
		size_t n = left < NS_BUF ? left : NS_BUF;
		ssize_t r = recv(fd, buf, n, 0);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			fprintf(stderr, "netstream: recv at %" PRIu64 " of %" PRIu64 ": %s\n",
				bytes - left, bytes, r ? strerror(errno) : "closed early");
			return -1;
		}
		ns_check(&s, buf, (size_t)r);
		left -= (uint64_t)r;
	}
	ns_tail_check(&s);
	if (xfer(fd, &theirs, sizeof(theirs), 0))
		return -1;
	v->magic = NS_MAGIC;
	v->ok = s.bad == UINT64_MAX && theirs == s.sum;
	v->bad_offset = s.bad == UINT64_MAX ? bytes : s.bad;
	v->checksum = s.sum;
	if (s.bad != UINT64_MAX)
		fprintf(stderr, "netstream: pattern mismatch at byte %" PRIu64 "\n", s.bad);
	if (theirs != s.sum)
		fprintf(stderr, "netstream: checksum: sender %016" PRIx64
			", received %016" PRIx64 "\n", theirs, s.sum);
	return xfer(fd, v, sizeof(*v), 1);
}

static void set_timeouts(int fd)
{
	struct timeval tv = { .tv_sec = NS_TIMEOUT_S };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

static int run_server(uint16_t port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	int one = 1, ls = socket(AF_INET, SOCK_STREAM, 0);

	if (ls < 0 || setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(ls, (struct sockaddr *)&a, sizeof(a)) || listen(ls, 4)) {
		perror("netstream: listen");
		return 1;
	}
	printf("netstream: serving on port %u\n", port);
	fflush(stdout);
	for (;;) {
		struct ns_verdict v;
		struct ns_hdr h;
		uint64_t sum;
		int fd = accept(ls, NULL, NULL), rc;

		if (fd < 0) {
			if (errno == EINTR)
				continue;
			perror("netstream: accept");
			return 1;
		}
		set_timeouts(fd);
		rc = xfer(fd, &h, sizeof(h), 0);
		if (!rc && h.magic != NS_MAGIC)
			rc = -1;
		if (!rc && h.op == NS_OP_TO_SERVER)
			rc = stream_recv(fd, h.bytes, h.seed, &v);
		else if (!rc && h.op == NS_OP_FROM_SERVER)
			rc = stream_send(fd, h.bytes, h.seed, &v, &sum);
		else
			rc = -1;
		if (!rc && h.op == NS_OP_FROM_SERVER && v.checksum != sum)
			v.ok = 0;
		printf("netstream: served op %u, %" PRIu64 " bytes, seed %" PRIu64 ": %s\n",
		       h.op, h.bytes, h.seed, rc ? "error" : v.ok ? "ok" : "MISMATCH");
		fflush(stdout);
		close(fd);
	}
}

static int client(int op, const char *host, uint16_t port, uint64_t bytes, uint64_t seed)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	struct ns_hdr h = { NS_MAGIC, (uint32_t)op, bytes, seed };
	struct ns_verdict v;
	uint64_t sum = 0;
	double t0, dt;
	int fd, rc;

	if (inet_pton(AF_INET, host, &a.sin_addr) != 1) {
		fprintf(stderr, "netstream: bad IPv4 address '%s'\n", host);
		return 2;
	}
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a))) {
		fprintf(stderr, "netstream: connect %s:%u: %s\n", host, port, strerror(errno));
		return 1;
	}
	set_timeouts(fd);
	if (xfer(fd, &h, sizeof(h), 1))
		return 1;
	t0 = now();
	if (op == NS_OP_TO_SERVER) {
		rc = stream_send(fd, bytes, seed, &v, &sum);
	} else {
		rc = stream_recv(fd, bytes, seed, &v);
		sum = v.checksum;
	}
	dt = now() - t0;
	close(fd);
	if (rc)
		return 1;
	if (op == NS_OP_TO_SERVER && v.checksum != sum)
		v.ok = 0;
	printf("netstream: %s %" PRIu64 " bytes seed %" PRIu64 " checksum %016" PRIx64
	       " %.1f Mbit/s %s\n", op == NS_OP_TO_SERVER ? "send" : "recv", bytes, seed,
	       sum, dt > 0 ? bytes * 8 / dt / 1e6 : 0.0,
	       v.ok ? "ok" : "MISMATCH");
	if (!v.ok)
		fprintf(stderr, "netstream: receiver reports first bad byte at %" PRIu64 "\n",
			v.bad_offset);
	return v.ok ? 0 : 1;
}

static int print_usage(void)
{
	fprintf(stderr, "usage: gntv3_netstream serve PORT\n"
		"       gntv3_netstream send|recv HOST PORT BYTES SEED\n");
	return 2;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "serve"))
		return run_server((uint16_t)strtoul(argv[2], NULL, 0));
	if (argc != 6)
		return print_usage();
	if (!strcmp(argv[1], "send") || !strcmp(argv[1], "recv"))
		return client(!strcmp(argv[1], "send") ? NS_OP_TO_SERVER : NS_OP_FROM_SERVER,
			      argv[2], (uint16_t)strtoul(argv[3], NULL, 0),
			      strtoull(argv[4], NULL, 0), strtoull(argv[5], NULL, 0));
	return print_usage();
}
