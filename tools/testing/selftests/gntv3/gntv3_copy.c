// SPDX-License-Identifier: GPL-2.0-only
/*
 * gntv3 grant copy kselftests: GNTV3_IOC_COPY (gntv3_copy() in the kernel)
 * between this process's memory and the grants of an attached tree.
 *
 * Runs in a PV dom0 in loopback, like gntv3_back: the test grants pages
 * to domid 0, attaches to its own tree and copies to and from its own
 * grants, on stock Xen with real GNTTABOP_copy hypercalls on the backing
 * v1 references, on the prototype (native transport) by a map, a CPU copy
 * and an unmap per piece; the same results on both.  Checks data both
 * ways at odd offsets, pieces inside a superpage, read-only grants,
 * per-piece errors next to good pieces of the same batch, every malformed
 * argument, that nothing stays mapped, and the copy counters of debugfs
 * "back".
 *
 * Must run as root with gntv3.ko loaded.
 */
#include "gntv3_back_utils.h"

#define SELF_DOMID	0

static inline int _gntv3_copy(int fd, __u32 back,
			      struct gntv3_ioc_copy_seg *segs, __u32 nr)
{
	struct gntv3_ioc_copy arg = {
		.back = back,
		.nr = nr,
		.segs = (__u64)(unsigned long)segs,
	};

	return ioctl(fd, GNTV3_IOC_COPY, &arg);
}

static struct gntv3_ioc_copy_seg seg(__u64 id, void *buf, __u32 offset,
				     __u32 len, __u32 dir)
{
	struct gntv3_ioc_copy_seg s = {
		.id = id,
		.buf = (__u64)(unsigned long)buf,
		.offset = offset,
		.len = len,
		.dir = dir,
		.status = 12345,	/* must be overwritten */
	};

	return s;
}

static void fill(unsigned char *p, size_t len, unsigned int seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = (unsigned char)(i * 13 + seed + (i >> 12));
}

FIXTURE(copy) {
	int fd;
	__u32 tree;
	__u32 tree_ref;
	__u32 back;
	long long ops0, bytes0, errors0, mapped0;
};

FIXTURE_SETUP(copy)
{
	self->fd = open(GNTV3_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->fd) TH_LOG("open %s: %s", GNTV3_DEV, strerror(errno));
	test_tree_create(SELF_DOMID, &self->tree, &self->tree_ref);
	if (gntv3_self_translated()) {
		ASSERT_EQ(EOPNOTSUPP, gntv3_self_attach_errno(self->fd, self->tree_ref));
		SKIP(return, GNTV3_SKIP_TRANSLATED_MSG);
	}
	ASSERT_EQ(0, _gntv3_attach(self->fd, SELF_DOMID, self->tree_ref,
				   &self->back)) TH_LOG("attach: %s", strerror(errno));
	self->ops0 = gntv3_back_stat("copy_ops");
	self->bytes0 = gntv3_back_stat("copy_bytes");
	self->errors0 = gntv3_back_stat("copy_errors");
	self->mapped0 = gntv3_back_stat("mappings");
	ASSERT_LE(0, self->ops0);
	ASSERT_LE(0, self->bytes0);
	ASSERT_LE(0, self->errors0);
}

FIXTURE_TEARDOWN(copy)
{
	/* a copy never leaves anything mapped */
	EXPECT_EQ(self->mapped0, gntv3_back_stat("mappings"));
	if (self->fd >= 0)
		close(self->fd);
}

TEST_F(copy, page_both_ways)
{
	unsigned char *buf = gntv3_buf(1), *local = gntv3_buf(2);
	struct gntv3_ioc_copy_seg s[2];
	__u64 id;

	ASSERT_NE(NULL, buf);
	ASSERT_NE(NULL, local);
	fill(buf, PAGE_SZ, 1);
	test_grant_user(self->tree, 0, buf, 1, &id);

	/* the whole frame, peer -> us */
	s[0] = seg(id, local, 0, PAGE_SZ, GNTV3_IOC_COPY_FROM_PEER);
	ASSERT_EQ(0, _gntv3_copy(self->fd, self->back, s, 1));
	EXPECT_EQ(0, s[0].status);
	EXPECT_EQ(0, memcmp(local, buf, PAGE_SZ));

	/* us -> peer at an odd offset, from an odd offset of our page */
	memset(local + PAGE_SZ, 0x5a, PAGE_SZ);
	s[0] = seg(id, local + PAGE_SZ + 7, 4000, 96, GNTV3_IOC_COPY_TO_PEER);
	/* and a piece of it back, in the same batch, after the write */
	s[1] = seg(id, local + 100, 3990, 20, GNTV3_IOC_COPY_FROM_PEER);
	ASSERT_EQ(0, _gntv3_copy(self->fd, self->back, s, 2));
	EXPECT_EQ(0, s[0].status);
	EXPECT_EQ(0, s[1].status);
	EXPECT_EQ((unsigned char)(3999 * 13 + 1), buf[3999]);
	EXPECT_EQ(0x5a, buf[4000]);
	EXPECT_EQ(0x5a, buf[4095]);
	/* ops of one batch run in order: 10 old bytes, then 10 new ones */
	EXPECT_EQ((unsigned char)(3990 * 13 + 1), local[100]);
	EXPECT_EQ(0x5a, local[110]);
	EXPECT_EQ(0x5a, local[119]);

	EXPECT_EQ(self->ops0 + 3, gntv3_back_stat("copy_ops"));
	EXPECT_EQ(self->bytes0 + PAGE_SZ + 96 + 20, gntv3_back_stat("copy_bytes"));
	EXPECT_EQ(self->errors0, gntv3_back_stat("copy_errors"));
	test_end(self->tree, id);
}

TEST_F(copy, pieces_of_a_superpage)
{
	const size_t len = 2UL << 20;
	struct gntv3_ioc_copy_seg s[3];
	unsigned char *m, *local = gntv3_buf(3);
	__u64 id, off;

	ASSERT_NE(NULL, local);
	test_grant_alloc(self->tree, 0, 9, &id, &off);
	m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, self->fd, off);
	ASSERT_NE(MAP_FAILED, m) TH_LOG("mmap: %s", strerror(errno));
	fill(m, len, 9);

	/* the first, a middle and the last frame: unlike MAP, any id works */
	s[0] = seg(id, local, 0, PAGE_SZ, GNTV3_IOC_COPY_FROM_PEER);
	s[1] = seg(id + 300, local + PAGE_SZ, 0, PAGE_SZ, GNTV3_IOC_COPY_FROM_PEER);
	s[2] = seg(id + 511, local + 2 * PAGE_SZ, 0, PAGE_SZ,
		   GNTV3_IOC_COPY_FROM_PEER);
	ASSERT_EQ(0, _gntv3_copy(self->fd, self->back, s, 3));
	EXPECT_EQ(0, s[0].status);
	EXPECT_EQ(0, s[1].status);
	EXPECT_EQ(0, s[2].status);
	EXPECT_EQ(0, memcmp(local, m, PAGE_SZ));
	EXPECT_EQ(0, memcmp(local + PAGE_SZ, m + 300 * PAGE_SZ, PAGE_SZ));
	EXPECT_EQ(0, memcmp(local + 2 * PAGE_SZ, m + 511 * PAGE_SZ, PAGE_SZ));

	/* into the last byte of frame 511 */
	local[0] = 0xe7;
	s[0] = seg(id + 511, local, PAGE_SZ - 1, 1, GNTV3_IOC_COPY_TO_PEER);
	ASSERT_EQ(0, _gntv3_copy(self->fd, self->back, s, 1));
	EXPECT_EQ(0, s[0].status);
	EXPECT_EQ(0xe7, m[len - 1]);

	munmap(m, len);
	test_end(self->tree, id);
}

TEST_F(copy, readonly_grant)
{
	unsigned char *buf = gntv3_buf(1), *local = gntv3_buf(1);
	struct gntv3_ioc_copy_seg s;
	__u64 id;

	ASSERT_NE(NULL, buf);
	ASSERT_NE(NULL, local);
	fill(buf, PAGE_SZ, 4);
	test_grant_user(self->tree, GNTV3_IOC_GRANT_READONLY, buf, 1, &id);

	s = seg(id, local, 0, PAGE_SZ, GNTV3_IOC_COPY_FROM_PEER);
	ASSERT_EQ(0, _gntv3_copy(self->fd, self->back, &s, 1));
	EXPECT_EQ(0, s.status);
	EXPECT_EQ(0, memcmp(local, buf, PAGE_SZ));

	memset(local, 0xff, PAGE_SZ);
	s = seg(id, local, 0, 8, GNTV3_IOC_COPY_TO_PEER);
	ASSERT_EQ(0, _gntv3_copy(self->fd, self->back, &s, 1));
	EXPECT_EQ(-EACCES, s.status);
	EXPECT_EQ((unsigned char)(0 * 13 + 4), buf[0]);
	EXPECT_EQ(self->errors0 + 1, gntv3_back_stat("copy_errors"));
	test_end(self->tree, id);
}

/* Pieces fail one by one; the good ones of the same batch are copied. */
TEST_F(copy, errors_per_piece)
{
	unsigned char *buf = gntv3_buf(2), *local = gntv3_buf(2);
	unsigned char *hole = gntv3_buf(1);
	struct gntv3_ioc_copy_seg s[5];
	__u64 id, ended;

	ASSERT_NE(NULL, buf);
	ASSERT_NE(NULL, local);
	ASSERT_NE(NULL, hole);
	ASSERT_EQ(0, munmap(hole, PAGE_SZ));
	fill(buf, 2 * PAGE_SZ, 6);
	test_grant_user(self->tree, 0, buf, 1, &id);
	test_grant_user(self->tree, 0, buf + PAGE_SZ, 1, &ended);
	test_end(self->tree, ended);

	s[0] = seg(id, local, 0, 64, GNTV3_IOC_COPY_FROM_PEER);
	s[1] = seg(ended, local + 64, 0, 64, GNTV3_IOC_COPY_FROM_PEER);
	s[2] = seg(id + 100, local + 128, 0, 64, GNTV3_IOC_COPY_FROM_PEER);
	s[3] = seg(id, hole, 0, 64, GNTV3_IOC_COPY_FROM_PEER);
	s[4] = seg(id, local + PAGE_SZ, 64, 64, GNTV3_IOC_COPY_FROM_PEER);
	ASSERT_EQ(0, _gntv3_copy(self->fd, self->back, s, 5));
	EXPECT_EQ(0, s[0].status);
	EXPECT_EQ(-ENOENT, s[1].status);	/* ended */
	EXPECT_EQ(-ENOENT, s[2].status);	/* never granted */
	EXPECT_EQ(-EFAULT, s[3].status);	/* our buffer is gone */
	EXPECT_EQ(0, s[4].status);
	EXPECT_EQ(0, memcmp(local, buf, 64));
	EXPECT_EQ(0, memcmp(local + PAGE_SZ, buf + 64, 64));
	/* the EFAULT piece never reached gntv3_copy() */
	EXPECT_EQ(self->ops0 + 4, gntv3_back_stat("copy_ops"));
	EXPECT_EQ(self->errors0 + 2, gntv3_back_stat("copy_errors"));
	EXPECT_EQ(self->bytes0 + 128, gntv3_back_stat("copy_bytes"));
	test_end(self->tree, id);
}

/* A malformed call fails as a whole, with no piece tried. */
TEST_F(copy, bad_arguments)
{
	unsigned char *buf = gntv3_buf(1), *local = gntv3_buf(2);
	struct gntv3_ioc_copy_seg s[2], *many;
	__u64 id;
	__u32 i;

	ASSERT_NE(NULL, buf);
	ASSERT_NE(NULL, local);
	buf[0] = 0x11;
	test_grant_user(self->tree, 0, buf, 1, &id);
	local[0] = 0x22;

	s[0] = seg(id, local, 0, 1, GNTV3_IOC_COPY_TO_PEER);
	EXPECT_ERRNO(EINVAL, _gntv3_copy(self->fd, self->back, s, 0));
	EXPECT_ERRNO(ENOENT, _gntv3_copy(self->fd, self->back + 100, s, 1));
	EXPECT_ERRNO(EFAULT, _gntv3_copy(self->fd, self->back,
					 (void *)8, 1));

	/* one bad piece spoils the batch, even after a good one */
	s[1] = seg(id, local, 0, 0, GNTV3_IOC_COPY_TO_PEER);		/* empty */
	EXPECT_ERRNO(EINVAL, _gntv3_copy(self->fd, self->back, s, 2));
	s[1] = seg(id, local, 4000, 97, GNTV3_IOC_COPY_TO_PEER);	/* past frame */
	EXPECT_ERRNO(EINVAL, _gntv3_copy(self->fd, self->back, s, 2));
	s[1] = seg(id, local, 0, PAGE_SZ + 1, GNTV3_IOC_COPY_TO_PEER);
	EXPECT_ERRNO(EINVAL, _gntv3_copy(self->fd, self->back, s, 2));
	s[1] = seg(id, local, ~0U, 2, GNTV3_IOC_COPY_TO_PEER);		/* wraps */
	EXPECT_ERRNO(EINVAL, _gntv3_copy(self->fd, self->back, s, 2));
	s[1] = seg(id, local + PAGE_SZ - 8, 0, 9, GNTV3_IOC_COPY_TO_PEER);
	EXPECT_ERRNO(EINVAL, _gntv3_copy(self->fd, self->back, s, 2));	/* crosses */
	s[1] = seg(id, local, 0, 1, 2);					/* direction */
	EXPECT_ERRNO(EINVAL, _gntv3_copy(self->fd, self->back, s, 2));
	EXPECT_EQ(0x11, buf[0]);
	EXPECT_EQ(self->ops0, gntv3_back_stat("copy_ops"));

	/* the batch bound: 512 pieces go, 513 do not */
	many = calloc(513, sizeof(*many));
	ASSERT_NE(NULL, many);
	for (i = 0; i < 513; i++)
		many[i] = seg(id, local + (i % 64) * 64, (i % 64) * 64, 64,
			      GNTV3_IOC_COPY_FROM_PEER);
	EXPECT_ERRNO(EINVAL, _gntv3_copy(self->fd, self->back, many, 513));
	ASSERT_EQ(0, _gntv3_copy(self->fd, self->back, many, 512));
	for (i = 0; i < 512; i++)
		ASSERT_EQ(0, many[i].status) TH_LOG("piece %u", i);
	EXPECT_EQ(0x11, local[0]);
	EXPECT_EQ(self->ops0 + 512, gntv3_back_stat("copy_ops"));
	free(many);
	test_end(self->tree, id);
}

/* Copies from an attachment that is gone fail; a new attach works. */
TEST_F(copy, after_detach)
{
	unsigned char *buf = gntv3_buf(1), *local = gntv3_buf(1);
	struct gntv3_ioc_copy_seg s;
	__u32 back2;
	__u64 id;

	ASSERT_NE(NULL, buf);
	ASSERT_NE(NULL, local);
	fill(buf, PAGE_SZ, 8);
	test_grant_user(self->tree, 0, buf, 1, &id);
	ASSERT_EQ(0, _gntv3_detach(self->fd, self->back));
	s = seg(id, local, 0, 16, GNTV3_IOC_COPY_FROM_PEER);
	EXPECT_ERRNO(ENOENT, _gntv3_copy(self->fd, self->back, &s, 1));
	ASSERT_EQ(0, _gntv3_attach(self->fd, SELF_DOMID, self->tree_ref, &back2));
	ASSERT_EQ(0, _gntv3_copy(self->fd, back2, &s, 1));
	EXPECT_EQ(0, s.status);
	EXPECT_EQ(0, memcmp(local, buf, 16));
	test_end(self->tree, id);
}

TEST_HARNESS_MAIN
