// SPDX-License-Identifier: GPL-2.0-only
/*
 * gntv3_blkio: data-integrity and throughput checks of a block device,
 * with O_DIRECT so that the page cache never answers for the device.
 *
 *   gntv3_blkio write DEV SEED    zero the pattern's span, then write
 *                                 the pattern of SEED
 *   gntv3_blkio verify DEV SEED   read it back and compare; the gaps
 *                                 between extents must be zero
 *   gntv3_blkio bench DEV NAME MODE SECS
 *                                 MODE: seqread, seqwrite (1 MiB),
 *                                 randread, randwrite (4 KiB); prints
 *                                 "blkio-result: NAME ROW MB/s"
 *   gntv3_blkio bench-mib DEV NAME MODE MIB
 *                                 the same, but a fixed amount: exactly
 *                                 MIB MiB, however long it takes
 *
 * The pattern is a fixed list of extents (2 MiB-aligned 2 MiB writes, a
 * 3 MiB write the block layer must split, 1 MiB, 4 KiB, 512 B and odd
 * sizes at odd sector offsets).  Each 8-byte word holds a hash of the seed,
 * the extent and the word's absolute byte offset, so data that lands at
 * the wrong place, in the wrong extent, or from another run, is caught.
 * verify prints one checksum over all extents, computed from the device,
 * so two domains reading the same store can compare it.
 *
 * With BLKIO_BUFFERED=1 in the environment, write and verify go through
 * the page cache instead (no O_DIRECT; write ends with fsync()).
 *
 * Exit status: 0 on success, 1 on a mismatch or an I/O error, 2 on usage.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define KIB		1024ULL
#define MIB		(1024 * KIB)
#define SECTOR		512ULL
#define MAX_IO		(4 * MIB)
#define BENCH_SPAN	(32 * MIB)	/* bench region: the disk's start */

struct extent {
	uint64_t off;
	uint64_t len;
};

/* Non-overlapping, sorted; everything fits in the first 24 MiB. */
static const struct extent extents[] = {
	{ 0, 2 * MIB },			/* superpage-sized and -aligned */
	{ 2 * MIB, 2 * MIB },
	{ 4 * MIB + 512, 512 },		/* one sector at an odd offset */
	{ 4 * MIB + 4 * KIB, 4 * KIB },
	{ 4 * MIB + 9 * KIB + 512, 12 * KIB + 512 },	/* 25 sectors */
	{ 5 * MIB, 1 * MIB },
	{ 6 * MIB + 3 * SECTOR, 64 * KIB + SECTOR },
	{ 8 * MIB, 3 * MIB },		/* split by the block layer */
	{ 12 * MIB, 2 * MIB },
	{ 14 * MIB + 2 * MIB - 4 * KIB, 8 * KIB },	/* across 2 MiB */
	{ 17 * MIB + 7 * SECTOR, 1 * MIB + 5 * SECTOR },
	{ 20 * MIB, 4 * MIB },
};

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define NR_EXTENTS	ARRAY_SIZE(extents)
#define PATTERN_END	(24 * MIB)

static uint64_t mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

static uint64_t word(uint64_t seed, unsigned int ext, uint64_t off)
{
	return mix(seed * 0x9e3779b97f4a7c15ULL ^ ((uint64_t)ext << 48) ^ off);
}

static void fill(uint64_t *buf, uint64_t seed, unsigned int ext,
		 uint64_t off, uint64_t len)
{
	uint64_t i;

	for (i = 0; i < len / 8; i++)
		buf[i] = word(seed, ext, off + 8 * i);
}

static uint64_t fnv(uint64_t h, const unsigned char *p, uint64_t len)
{
	while (len--)
		h = (h ^ *p++) * 0x100000001b3ULL;
	return h;
}

static int xfer(int fd, void *buf, uint64_t len, uint64_t off, int wr)
{
	ssize_t n = wr ? pwrite(fd, buf, len, off) : pread(fd, buf, len, off);

	if (n == (ssize_t)len)
		return 0;
	fprintf(stderr, "blkio: %s of %" PRIu64 " bytes at %" PRIu64 ": %s\n",
		wr ? "write" : "read", len, off,
		n < 0 ? strerror(errno) : "short transfer");
	return -1;
}

static int open_dev(const char *dev, int wr)
{
	int direct = getenv("BLKIO_BUFFERED") ? 0 : O_DIRECT;
	int fd = open(dev, (wr ? O_RDWR : O_RDONLY) | direct);

	if (fd < 0)
		fprintf(stderr, "blkio: open %s (%s): %s\n", dev,
			direct ? "O_DIRECT" : "buffered", strerror(errno));
	return fd;
}

static int cmd_write(int fd, void *buf, uint64_t seed)
{
	uint64_t off;
	unsigned int e;

	/* whatever was there before (another run, a benchmark) goes */
	memset(buf, 0, MAX_IO);
	for (off = 0; off < PATTERN_END; off += MAX_IO)
		if (xfer(fd, buf, MAX_IO, off, 1))
			return 1;
	for (e = 0; e < NR_EXTENTS; e++) {
		fill(buf, seed, e, extents[e].off, extents[e].len);
		if (xfer(fd, buf, extents[e].len, extents[e].off, 1))
			return 1;
	}
	if (fsync(fd)) {
		perror("blkio: fsync");
		return 1;
	}
	printf("blkio: wrote %zu extents with seed %" PRIu64 "\n", NR_EXTENTS,
	       seed);
	return 0;
}

/* Compare one piece read from the device; 1 on a mismatch. */
static int check(const uint64_t *got, uint64_t *want, uint64_t seed,
		 int ext, uint64_t off, uint64_t len)
{
	uint64_t i;

	if (ext >= 0)
		fill(want, seed, ext, off, len);
	else
		memset(want, 0, len);
	if (!memcmp(got, want, len))
		return 0;
	for (i = 0; i < len / 8 && got[i] == want[i]; i++)
		;
	fprintf(stderr, "blkio: MISMATCH at byte %" PRIu64 " (%s %d): got %016" PRIx64
		" want %016" PRIx64 "\n", off + 8 * i, ext >= 0 ? "extent" : "gap",
		ext, got[i], want[i]);
	return 1;
}

static int cmd_verify(int fd, void *buf, uint64_t seed)
{
	uint64_t *want = aligned_alloc(4096, MAX_IO);
	uint64_t pos = 0, h = 0xcbf29ce484222325ULL, bytes = 0, len;
	unsigned int e;
	int bad = 0;

	if (!want)
		return 1;
	for (e = 0; e <= NR_EXTENTS && !bad; e++) {
		uint64_t end = e < NR_EXTENTS ? extents[e].off : PATTERN_END;

		/* the gap before extent e: never written, still zero */
		while (pos < end && !bad) {
			len = end - pos < MAX_IO ? end - pos : MAX_IO;
			bad = xfer(fd, buf, len, pos, 0) ||
			      check(buf, want, seed, -1, pos, len);
			pos += len;
		}
		if (e == NR_EXTENTS || bad)
			break;
		len = extents[e].len;
		bad = xfer(fd, buf, len, pos, 0) ||
		      check(buf, want, seed, e, pos, len);
		h = fnv(h, buf, len);
		bytes += len;
		pos += len;
	}
	free(want);
	if (bad)
		return 1;
	printf("blkio: verified %zu extents (%" PRIu64 " bytes) and the gaps, seed %" PRIu64
	       ", checksum %016" PRIx64 "\n", NR_EXTENTS, bytes, seed, h);
	return 0;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * Time MODE through @fd: for @secs seconds (and at least 8 I/Os) if @total
 * is 0, else exactly @total bytes.  Random offsets come from a fixed seed,
 * so every run visits the same blocks in the same order.
 */
static int cmd_bench(int fd, void *buf, const char *name, const char *mode,
		     double secs, uint64_t total)
{
	int wr = !strcmp(mode, "seqwrite") || !strcmp(mode, "randwrite");
	int seq = !strcmp(mode, "seqread") || !strcmp(mode, "seqwrite");
	uint64_t bs = seq ? MIB : 4 * KIB, ops = 0, off = 0;
	uint64_t rnd = 0x853c49e6748fea9bULL;
	const char *row;
	double t0, t;

	if (!seq && strcmp(mode, "randread") && strcmp(mode, "randwrite")) {
		fprintf(stderr, "blkio: unknown bench mode %s\n", mode);
		return 2;
	}
	row = seq ? (wr ? "blk_seq_1m_write" : "blk_seq_1m_read") :
		    (wr ? "blk_rand_4k_write" : "blk_rand_4k_read");
	if (total % bs) {
		fprintf(stderr, "blkio: %" PRIu64 " bytes is no whole number of %" PRIu64
			"-byte I/Os\n", total, bs);
		return 2;
	}
	memset(buf, 0xa5, bs);
	t0 = now();
	do {
		if (seq) {
			off = (ops * bs) % BENCH_SPAN;
		} else {
			rnd = rnd * 6364136223846793005ULL + 1442695040888963407ULL;
			off = ((rnd >> 33) % (BENCH_SPAN / bs)) * bs;
		}
		if (xfer(fd, buf, bs, off, wr))
			return 1;
		ops++;
		t = now() - t0;
	} while (total ? ops * bs < total : t < secs || ops < 8);
	printf("blkio-result: %s %s %.2f MB/s (%" PRIu64 " x %" PRIu64 " bytes in %.2f s)\n",
	       name, row, ops * bs / t / 1e6, ops, bs, t);
	return 0;
}

int main(int argc, char **argv)
{
	void *buf;
	int fd, rc, wr, bench;

	bench = argc > 1 && (!strcmp(argv[1], "bench") ||
			     !strcmp(argv[1], "bench-mib"));
	if (argc < 4 || (bench && argc != 6)) {
		fprintf(stderr, "usage: %s write|verify DEV SEED | bench DEV NAME MODE SECS |\n"
			"       bench-mib DEV NAME MODE MIB\n", argv[0]);
		return 2;
	}
	wr = !strcmp(argv[1], "write") ||
	     (bench && strstr(argv[4], "write"));
	fd = open_dev(argv[2], wr);
	if (fd < 0)
		return 1;
	buf = aligned_alloc(4096, MAX_IO);
	if (!buf)
		return 1;
	if (!strcmp(argv[1], "write"))
		rc = cmd_write(fd, buf, strtoull(argv[3], NULL, 0));
	else if (!strcmp(argv[1], "verify"))
		rc = cmd_verify(fd, buf, strtoull(argv[3], NULL, 0));
	else if (!strcmp(argv[1], "bench"))
		rc = cmd_bench(fd, buf, argv[3], argv[4], atof(argv[5]), 0);
	else if (!strcmp(argv[1], "bench-mib"))
		rc = cmd_bench(fd, buf, argv[3], argv[4], 0,
			       strtoull(argv[5], NULL, 0) * MIB);
	else
		rc = 2;
	if (wr && !rc && fsync(fd)) {
		fprintf(stderr, "blkio: fsync %s: %s\n", argv[2], strerror(errno));
		rc = 1;
	}
	free(buf);
	close(fd);
	return rc;
}
