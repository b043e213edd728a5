// SPDX-License-Identifier: GPL-2.0-only
/*
 * gntv3 backend kselftests: /dev/gntv3 as the mapping side.
 *
 * Runs in a PV dom0 on stock Xen in loopback: the test grants pages to
 * domid 0 with the frontend ioctls, attaches to its own tree and maps its
 * own grants.  Checks that data crosses both ways (4 KiB and 2 MiB grants,
 * batches of 1, 16 and 512 ids), that every mapped page is a foreign page
 * naming the right v1 reference, read-only rules, the safe unmap (holds,
 * async and sync, the give-up bound, batches), the reuse of unmapped
 * pages and mappings, bad ids and handles, END while mapped (quarantine),
 * detach and close with live mappings, detach racing unmap works, and the
 * unwind of a batch Xen mapped only in part.
 *
 * Must run as root with gntv3.ko loaded.
 */
#include <pthread.h>

#include "gntv3_back_utils.h"

#define SELF_DOMID	0
#define GNTV3_KNOB_DONE_DELAY	GNTV3_DEBUGFS_DIR "/back_done_delay_ms"
#define GNTV3_KNOB_FAIL_MAP	GNTV3_DEBUGFS_DIR "/back_fail_map_op"

FIXTURE(back) {
	int fd;
	__u32 tree;
	__u32 tree_ref;
	__u32 back;
	struct gntv3_ioc_back_stats st0;
};

FIXTURE_SETUP(back)
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
	ASSERT_LT(0, self->back);
	ASSERT_EQ(0, _gntv3_back_stats(self->fd, &self->st0));
}

FIXTURE_TEARDOWN(back)
{
	if (self->fd >= 0)
		close(self->fd);
}

/* v1 reference of the first page of the grant @id (its leaf's FRAME). */
static __u32 first_ref(struct __test_metadata *_metadata, int fd, __u32 tree,
		       __u64 id)
{
	struct gntv3_ioc_query q;

	if (_gntv3_query(fd, tree, id, &q)) {
		TH_LOG("query %llu: %s", (unsigned long long)id, strerror(errno));
		return 0;
	}
	return (__u32)PTE_FRAME(q.pte);
}

static void fill(unsigned char *p, size_t len, unsigned int seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = (unsigned char)(i * 7 + seed + (i >> 12));
}

/* ------------------------------------------------------------------------
 * Data crosses both ways.
 */
TEST_F(back, map_4k_both_ways)
{
	unsigned char *buf = gntv3_buf(1), rd[PAGE_SZ], wr[100];
	struct gntv3_ioc_back_stats st;
	__u32 map, ref;
	char why[300];
	__u64 id;
	int res;

	ASSERT_NE(NULL, buf);
	fill(buf, PAGE_SZ, 1);
	test_grant_user(self->tree, 0, buf, 1, &id);
	ref = first_ref(_metadata, self->fd, self->tree, id);
	if (!gntv3_native)
		ASSERT_LE(8, ref);

	ASSERT_EQ(0, _gntv3_map(self->fd, self->back, 0, &id, 1, &map));
	ASSERT_LT(0, map);
	ASSERT_EQ(0, _gntv3_back_stats(self->fd, &st));
	EXPECT_EQ(self->st0.nr_mapped + 1, st.nr_mapped);
	EXPECT_EQ(self->st0.nr_pages_mapped + 1, st.nr_pages_mapped);
	/* a single-id MAP is also vmapped */
	if (!gntv3_native)
		EXPECT_EQ(0, gntv3_check_foreign(SELF_DOMID, id, 1, ref, 1, 1, why,
						 sizeof(why))) TH_LOG("%s", why);

	/* grant side -> backend */
	ASSERT_EQ(0, _gntv3_map_rw(self->fd, map, GNTV3_IOC_RW_READ, 0, PAGE_SZ, rd));
	EXPECT_EQ(0, memcmp(rd, buf, PAGE_SZ));
	/* backend -> grant side, at an odd offset */
	memset(wr, 0xa5, sizeof(wr));
	ASSERT_EQ(0, _gntv3_map_rw(self->fd, map, GNTV3_IOC_RW_WRITE, 4000,
				   sizeof(wr) - 4, wr));
	EXPECT_EQ(0xa5, buf[4000]);
	EXPECT_EQ(0xa5, buf[4095]);
	EXPECT_EQ((unsigned char)(3999 * 7 + 1), buf[3999]);

	test_unmap(map);
	ASSERT_EQ(0, _gntv3_back_stats(self->fd, &st));
	EXPECT_EQ(self->st0.nr_mapped, st.nr_mapped);
	EXPECT_EQ(self->st0.nr_pages_mapped, st.nr_pages_mapped);
	if (!gntv3_native)
		EXPECT_EQ(0, gntv3_check_foreign(SELF_DOMID, id, 1, ref, -1, 0, why,
						 sizeof(why))) TH_LOG("%s", why);
	/* the handle is gone */
	EXPECT_ERRNO(ENOENT, _gntv3_unmap(self->fd, map, 0, &res));
	EXPECT_ERRNO(ENOENT, _gntv3_map_rw(self->fd, map, GNTV3_IOC_RW_READ, 0, 1, rd));
	test_end(self->tree, id);
}

TEST_F(back, map_2m_both_ways)
{
	const size_t len = 2UL << 20;
	unsigned char *m, *rd;
	__u64 id, off, pos;
	__u32 map, pmap, ref;
	char why[300];

	test_grant_alloc(self->tree, 0, 9, &id, &off);
	EXPECT_EQ(0, id % 512);
	m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, self->fd, off);
	ASSERT_NE(MAP_FAILED, m) TH_LOG("mmap: %s", strerror(errno));
	fill(m, len, 3);
	rd = malloc(len);
	ASSERT_NE(NULL, rd);

	/* GNTV3_IOC_MAP_4K: the first id as its own 4 KiB, either transport */
	ASSERT_EQ(0, _gntv3_map(self->fd, self->back, GNTV3_IOC_MAP_4K, &id, 1,
				&pmap));
	ASSERT_EQ(0, _gntv3_map_rw(self->fd, pmap, GNTV3_IOC_RW_READ, 0,
				   PAGE_SZ, rd));
	EXPECT_EQ(0, memcmp(rd, m, PAGE_SZ));
	EXPECT_ERRNO(EINVAL, _gntv3_map_rw(self->fd, pmap, GNTV3_IOC_RW_READ,
					   PAGE_SZ, 1, rd));
	if (!gntv3_native)
		EXPECT_EQ(0, gntv3_check_foreign(SELF_DOMID, id, 1,
						 first_ref(_metadata, self->fd,
							   self->tree, id),
						 -1, 1, why, sizeof(why)))
			TH_LOG("%s", why);
	test_unmap(pmap);
	EXPECT_ERRNO(EINVAL, _gntv3_map(self->fd, self->back,
					GNTV3_IOC_MAP_4K | GNTV3_IOC_MAP_2M,
					&id, 1, &pmap));

	if (gntv3_native) {
		__u32 pmaps[512];
		__u64 pids[512];
		unsigned int i;

		/* native maps a superpage piece by piece: 4 KiB per id */
		ASSERT_EQ(0, _gntv3_map(self->fd, self->back, 0, &id, 1, &map));
		EXPECT_ERRNO(EINVAL, _gntv3_map_rw(self->fd, map, GNTV3_IOC_RW_READ,
						   PAGE_SZ, 1, rd));
		test_unmap(map);
		for (i = 0; i < 512; i++)
			pids[i] = id + i;
		ASSERT_EQ(0, _gntv3_map(self->fd, self->back, 0, pids, 512, pmaps));
		for (i = 0; i < 512; i++)
			ASSERT_EQ(0, _gntv3_map_rw(self->fd, pmaps[i],
						   GNTV3_IOC_RW_READ, 0, PAGE_SZ,
						   rd + i * PAGE_SZ));
		EXPECT_EQ(0, memcmp(rd, m, len));
		/* a write through piece 100 and one at the very end */
		memset(rd, 0x3c, PAGE_SZ);
		ASSERT_EQ(0, _gntv3_map_rw(self->fd, pmaps[100], GNTV3_IOC_RW_WRITE,
					   10, 20, rd));
		EXPECT_EQ(0x3c, m[100 * PAGE_SZ + 10]);
		EXPECT_EQ(0x3c, m[100 * PAGE_SZ + 29]);
		EXPECT_NE(0x3c, m[100 * PAGE_SZ + 30]);
		ASSERT_EQ(0, _gntv3_map_rw(self->fd, pmaps[511], GNTV3_IOC_RW_WRITE,
					   PAGE_SZ - 1, 1, rd));
		EXPECT_EQ(0x3c, m[len - 1]);
		for (i = 0; i < 512; i++)
			test_unmap(pmaps[i]);
		goto out;
	}
	ref = first_ref(_metadata, self->fd, self->tree, id);

	ASSERT_EQ(0, _gntv3_map(self->fd, self->back, 0, &id, 1, &map));
	/* 512 order-0 foreign pages, refs first_ref + i, one record */
	if (!gntv3_native)
		EXPECT_EQ(0, gntv3_check_foreign(SELF_DOMID, id, 512, ref, 1, 1, why,
						 sizeof(why))) TH_LOG("%s", why);

	ASSERT_EQ(0, _gntv3_map_rw(self->fd, map, GNTV3_IOC_RW_READ, 0, len, rd));
	EXPECT_EQ(0, memcmp(rd, m, len));

	/* writes across 4 KiB boundaries and at the very end */
	memset(rd, 0x3c, 3 * PAGE_SZ);
	pos = 100 * PAGE_SZ - 10;
	ASSERT_EQ(0, _gntv3_map_rw(self->fd, map, GNTV3_IOC_RW_WRITE, pos,
				   2 * PAGE_SZ + 20, rd));
	EXPECT_EQ(0x3c, m[pos]);
	EXPECT_EQ(0x3c, m[pos + 2 * PAGE_SZ + 19]);
	EXPECT_NE(0x3c, m[pos - 1]);
	ASSERT_EQ(0, _gntv3_map_rw(self->fd, map, GNTV3_IOC_RW_WRITE, len - 1, 1, rd));
	EXPECT_EQ(0x3c, m[len - 1]);
	/* ranges past the end */
	EXPECT_ERRNO(EINVAL, _gntv3_map_rw(self->fd, map, GNTV3_IOC_RW_READ, len, 1, rd));
	EXPECT_ERRNO(EINVAL, _gntv3_map_rw(self->fd, map, GNTV3_IOC_RW_READ, len - 1, 2, rd));
	EXPECT_ERRNO(EINVAL, _gntv3_map_rw(self->fd, map, GNTV3_IOC_RW_READ, 0, 0, rd));
	EXPECT_ERRNO(EINVAL, _gntv3_map_rw(self->fd, map, GNTV3_IOC_RW_READ, 1,
					   ~0ULL, rd));
	EXPECT_ERRNO(EINVAL, _gntv3_map_rw(self->fd, map, 2, 0, 1, rd));
	EXPECT_ERRNO(EFAULT, _gntv3_map_rw(self->fd, map, GNTV3_IOC_RW_READ, 0, 16,
					   (void *)8));
	/* an id inside the superpage maps its own 4 KiB piece, ref + 100 */
	pos = id + 100;
	ASSERT_EQ(0, _gntv3_map(self->fd, self->back, 0, &pos, 1, &pmap));
	EXPECT_EQ(0, gntv3_check_foreign(SELF_DOMID, pos, 1, ref + 100, -1, 1,
					 why, sizeof(why))) TH_LOG("%s", why);
	ASSERT_EQ(0, _gntv3_map_rw(self->fd, pmap, GNTV3_IOC_RW_READ, 0,
				   PAGE_SZ, rd));
	EXPECT_EQ(0, memcmp(rd, m + 100 * PAGE_SZ, PAGE_SZ));
	EXPECT_ERRNO(EINVAL, _gntv3_map_rw(self->fd, pmap, GNTV3_IOC_RW_READ,
					   PAGE_SZ, 1, rd));
	test_unmap(pmap);

	test_unmap(map);
	if (!gntv3_native)
		EXPECT_EQ(0, gntv3_check_foreign(SELF_DOMID, id, 512, ref, -1, 0, why,
						 sizeof(why))) TH_LOG("%s", why);
out:
	free(rd);
	munmap(m, len);
	test_end(self->tree, id);
}

/*
 * GNTV3_IOC_MAP_2M: the caller knows the id is a 2 MiB grant, and gets one
 * 512-page mapping on either transport (without it, native maps 4 KiB).
 */
TEST_F(back, map_2m_flag_maps_whole_superpage)
{
	const size_t len = 2UL << 20;
	struct gntv3_ioc_back_stats st;
	__u64 id, off, ids[65], small;
	unsigned char *m, *rd, *buf;
	__u32 maps[2], map;
	unsigned int i;

	test_grant_alloc(self->tree, 0, 9, &id, &off);
	m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, self->fd, off);
	ASSERT_NE(MAP_FAILED, m) TH_LOG("mmap: %s", strerror(errno));
	fill(m, len, 5);
	rd = malloc(len);
	ASSERT_NE(NULL, rd);

	ASSERT_EQ(0, _gntv3_map(self->fd, self->back, GNTV3_IOC_MAP_2M, &id, 1,
				&map)) TH_LOG("map: %s", strerror(errno));
	ASSERT_EQ(0, _gntv3_back_stats(self->fd, &st));
	EXPECT_EQ(self->st0.nr_mapped + 1, st.nr_mapped);
	EXPECT_EQ(self->st0.nr_pages_mapped + 512, st.nr_pages_mapped);
	ASSERT_EQ(0, _gntv3_map_rw(self->fd, map, GNTV3_IOC_RW_READ, 0, len, rd));
	EXPECT_EQ(0, memcmp(rd, m, len));
	memset(rd, 0x5a, PAGE_SZ);
	ASSERT_EQ(0, _gntv3_map_rw(self->fd, map, GNTV3_IOC_RW_WRITE,
				   len - PAGE_SZ - 8, 16, rd));
	EXPECT_EQ(0x5a, m[len - PAGE_SZ - 8]);
	EXPECT_EQ(0x5a, m[len - PAGE_SZ + 7]);
	EXPECT_NE(0x5a, m[len - PAGE_SZ + 8]);
	test_unmap(map);

	/* a batch: the same superpage twice, 1024 pages */
	ids[0] = id;
	ids[1] = id;
	ASSERT_EQ(0, _gntv3_map(self->fd, self->back, GNTV3_IOC_MAP_2M, ids, 2,
				maps));
	ASSERT_EQ(0, _gntv3_back_stats(self->fd, &st));
	EXPECT_EQ(self->st0.nr_pages_mapped + 1024, st.nr_pages_mapped);
	ASSERT_EQ(0, _gntv3_map_rw(self->fd, maps[1], GNTV3_IOC_RW_READ,
				   len - 1, 1, rd));
	EXPECT_EQ(m[len - 1], rd[0]);
	test_unmap(maps[0]);
	test_unmap(maps[1]);

	/* 65 superpages are more than one batch may map */
	for (i = 0; i < 65; i++)
		ids[i] = id;
	EXPECT_ERRNO(E2BIG, _gntv3_map(self->fd, self->back, GNTV3_IOC_MAP_2M,
				       ids, 65, maps));
	/* an id inside it is no superpage's first, on either transport */
	small = id + 1;
	EXPECT_ERRNO(EINVAL, _gntv3_map(self->fd, self->back, GNTV3_IOC_MAP_2M,
					&small, 1, &map));

	/*
	 * A 4 KiB grant: v1 sees its leaf and refuses; native refuses an id
	 * that is not 2 MiB aligned, and maps the 512 ids from an aligned
	 * one, the 511 after it not granted.
	 */
	buf = gntv3_buf(1);
	ASSERT_NE(NULL, buf);
	test_grant_user(self->tree, 0, buf, 1, &small);
	EXPECT_ERRNO(gntv3_native && !(small % 512) ? ENOENT : EINVAL,
		     _gntv3_map(self->fd, self->back, GNTV3_IOC_MAP_2M, &small,
				1, &map));
	ASSERT_EQ(0, _gntv3_back_stats(self->fd, &st));
	EXPECT_EQ(self->st0.nr_mapped, st.nr_mapped);
	EXPECT_EQ(self->st0.nr_pages_mapped, st.nr_pages_mapped);
	test_end(self->tree, small);
	free(rd);
	munmap(m, len);
	test_end(self->tree, id);
}

/* ------------------------------------------------------------------------
 * Batches: many ids in one MAP.
 */
FIXTURE(batch) {
	int fd;
	__u32 tree;
	__u32 tree_ref;
	__u32 back;
};

FIXTURE_VARIANT(batch) {
	unsigned int nr;
};

FIXTURE_VARIANT_ADD(batch, one) { .nr = 1 };
FIXTURE_VARIANT_ADD(batch, sixteen) { .nr = 16 };
FIXTURE_VARIANT_ADD(batch, page_table) { .nr = 512 };

FIXTURE_SETUP(batch)
{
	self->fd = open(GNTV3_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->fd);
	test_tree_create(SELF_DOMID, &self->tree, &self->tree_ref);
	if (gntv3_self_translated()) {
		ASSERT_EQ(EOPNOTSUPP, gntv3_self_attach_errno(self->fd, self->tree_ref));
		SKIP(return, GNTV3_SKIP_TRANSLATED_MSG);
	}
	ASSERT_EQ(0, _gntv3_attach(self->fd, SELF_DOMID, self->tree_ref, &self->back));
}

FIXTURE_TEARDOWN(batch)
{
	close(self->fd);
}

TEST_F(batch, map_many)
{
	unsigned int nr = variant->nr, i;
	struct gntv3_ioc_back_stats st0, st;
	unsigned char *buf = gntv3_buf(nr), rd[64];
	__u64 first, *ids;
	__u32 *maps, ref;
	char why[300];

	ASSERT_NE(NULL, buf);
	for (i = 0; i < nr; i++)
		memset(buf + i * PAGE_SZ, i & 0xff, PAGE_SZ);
	test_grant_user(self->tree, 0, buf, nr, &first);
	ids = calloc(nr, sizeof(*ids));
	maps = calloc(nr, sizeof(*maps));
	ASSERT_NE(NULL, ids);
	ASSERT_NE(NULL, maps);
	/* in reverse order, to show ids need not be sorted */
	for (i = 0; i < nr; i++)
		ids[i] = first + nr - 1 - i;
	ASSERT_EQ(0, _gntv3_back_stats(self->fd, &st0));
	ASSERT_EQ(0, _gntv3_map(self->fd, self->back, 0, ids, nr, maps));
	ASSERT_EQ(0, _gntv3_back_stats(self->fd, &st));
	EXPECT_EQ(st0.nr_mapped + nr, st.nr_mapped);
	EXPECT_EQ(st0.nr_pages_mapped + nr, st.nr_pages_mapped);

	for (i = 0; i < nr; i++) {
		unsigned char want = (nr - 1 - i) & 0xff;

		ASSERT_EQ(0, _gntv3_map_rw(self->fd, maps[i], GNTV3_IOC_RW_READ,
					   i % 64, sizeof(rd), rd));
		ASSERT_EQ(want, rd[0]);
		ASSERT_EQ(want, rd[sizeof(rd) - 1]);
		rd[0] = 0xee;
		ASSERT_EQ(0, _gntv3_map_rw(self->fd, maps[i], GNTV3_IOC_RW_WRITE,
					   PAGE_SZ - 1, 1, rd));
		ASSERT_EQ(0xee, buf[(nr - 1 - i) * PAGE_SZ + PAGE_SZ - 1]);
	}
	/* foreign pages with the right refs, spot-checked */
	for (i = 0; i < nr; i += nr > 16 ? 97 : 1) {
		ref = first_ref(_metadata, self->fd, self->tree, ids[i]);
		if (!gntv3_native)
			EXPECT_EQ(0, gntv3_check_foreign(SELF_DOMID, ids[i], 1, ref,
							 nr == 1, 1, why, sizeof(why)))
				TH_LOG("%s", why);
	}
	for (i = 0; i < nr; i++)
		test_unmap(maps[i]);
	ASSERT_EQ(0, _gntv3_back_stats(self->fd, &st));
	EXPECT_EQ(st0.nr_mapped, st.nr_mapped);
	EXPECT_EQ(st0.nr_pages_mapped, st.nr_pages_mapped);
	for (i = 0; i < nr; i++)
		test_end(self->tree, first + i);
	free(ids);
	free(maps);
}

/* ------------------------------------------------------------------------
 * Read-only grants.
 */
TEST_F(back, readonly)
{
	unsigned char *buf = gntv3_buf(1), c = 0;
	__u64 id, big, off;
	__u32 map, ref;
	char why[300];

	ASSERT_NE(NULL, buf);
	buf[17] = 0x42;
	test_grant_user(self->tree, GNTV3_IOC_GRANT_READONLY, buf, 1, &id);
	/* asking rw of a ro grant fails before any hypercall */
	EXPECT_ERRNO(EACCES, _gntv3_map(self->fd, self->back, 0, &id, 1, &map));
	ASSERT_EQ(0, _gntv3_map(self->fd, self->back, GNTV3_IOC_MAP_READONLY,
				&id, 1, &map));
	ref = first_ref(_metadata, self->fd, self->tree, id);
	if (!gntv3_native)
		EXPECT_EQ(0, gntv3_check_foreign(SELF_DOMID, id, 1, ref, 1, 1, why,
						 sizeof(why))) TH_LOG("%s", why);
	ASSERT_EQ(0, _gntv3_map_rw(self->fd, map, GNTV3_IOC_RW_READ, 17, 1, &c));
	EXPECT_EQ(0x42, c);
	EXPECT_ERRNO(EACCES, _gntv3_map_rw(self->fd, map, GNTV3_IOC_RW_WRITE, 17, 1, &c));
	EXPECT_EQ(0x42, buf[17]);
	test_unmap(map);

	/* a rw grant may be mapped ro, and is then ro for us */
	test_grant_alloc(self->tree, 0, 9, &big, &off);
	ASSERT_EQ(0, _gntv3_map(self->fd, self->back, GNTV3_IOC_MAP_READONLY,
				&big, 1, &map));
	EXPECT_ERRNO(EACCES, _gntv3_map_rw(self->fd, map, GNTV3_IOC_RW_WRITE, 0, 1, &c));
	test_unmap(map);
	test_end(self->tree, id);
	test_end(self->tree, big);
}

/* ------------------------------------------------------------------------
 * Safe unmap: holds delay it.
 */

/* Poll BACK_STATS until nr_unmap_pending is @want, up to @ms. */
static int wait_pending(int fd, __u64 want, unsigned int ms)
{
	struct gntv3_ioc_back_stats st;

	for (;;) {
		if (_gntv3_back_stats(fd, &st))
			return -1;
		if (st.nr_unmap_pending == want)
			return 0;
		if (!ms)
			return -1;
		gntv3_msleep(10);
		ms = ms > 10 ? ms - 10 : 0;
	}
}

/*
 * Poll the stats until more than @above unmap retries were counted, for at
 * most @ms: the retries come from a workqueue, which a loaded host may run
 * late, so a fixed sleep would say nothing about gntv3.
 */
static int wait_retries(int fd, __u64 above, unsigned int ms,
			struct gntv3_ioc_back_stats *st)
{
	for (;;) {
		if (_gntv3_back_stats(fd, st))
			return -1;
		if (st->nr_unmap_retries > above)
			return 0;
		if (!ms)
			return -1;
		gntv3_msleep(10);
		ms = ms > 10 ? ms - 10 : 0;
	}
}

/*
 * The errno UNMAP of @map gets once it no longer gets EBUSY, polled for up
 * to @ms; 0 if the UNMAP succeeded.  An asynchronous unmap stops counting
 * as pending before its done callback takes the mapping out of the file,
 * so "not pending" does not yet mean "gone".
 */
static int unmap_errno_settled(int fd, __u32 map, unsigned int ms)
{
	__s32 res;

	for (;;) {
		if (!_gntv3_unmap(fd, map, 0, &res))
			return 0;
		if (errno != EBUSY || !ms)
			return errno;
		gntv3_msleep(10);
		ms = ms > 10 ? ms - 10 : 0;
	}
}

TEST_F(back, hold_delays_async_unmap)
{
	struct gntv3_ioc_back_stats st1, st2;
	unsigned char *buf = gntv3_buf(4), c;
	__u64 id, ids[4];
	__u32 maps[4];
	int res = -1, i;

	ASSERT_NE(NULL, buf);
	test_grant_user(self->tree, 0, buf, 4, &id);
	for (i = 0; i < 4; i++)
		ids[i] = id + i;
	ASSERT_EQ(0, _gntv3_map(self->fd, self->back, 0, ids, 4, maps));
	ASSERT_EQ(0, _gntv3_map_hold(self->fd, maps[2], 0, 1));
	ASSERT_EQ(0, _gntv3_map_hold(self->fd, maps[2], 0, 1));
	/* bad holds */
	EXPECT_ERRNO(EINVAL, _gntv3_map_hold(self->fd, maps[2], 1, 1));
	EXPECT_ERRNO(EINVAL, _gntv3_map_hold(self->fd, maps[2], 0, 2));
	EXPECT_ERRNO(EINVAL, _gntv3_map_hold(self->fd, maps[1], 0, 0));
	EXPECT_ERRNO(ENOENT, _gntv3_map_hold(self->fd, 0x7fffffff, 0, 1));

	ASSERT_EQ(0, _gntv3_unmap(self->fd, maps[2], GNTV3_IOC_UNMAP_ASYNC, &res));
	EXPECT_EQ(0, res);
	/* a second UNMAP while one is pending */
	EXPECT_ERRNO(EBUSY, _gntv3_unmap(self->fd, maps[2], 0, &res));
	/* no new hold, no copy while unmapping */
	EXPECT_ERRNO(EBUSY, _gntv3_map_hold(self->fd, maps[2], 0, 1));
	EXPECT_ERRNO(EBUSY, _gntv3_map_rw(self->fd, maps[2], GNTV3_IOC_RW_READ, 0, 1, &c));

	/*
	 * The held page keeps the unmap retrying (1, 2, 4 ... ms, capped at
	 * 256 ms, within a 10 s budget): at least three retries, then more,
	 * and meanwhile it stays pending and mapped.  Each wait is bounded
	 * (3 s, then 2 s, then 3 s for the last release below: 8 s, inside
	 * the budget) but not a fixed sleep: under load the workqueue runs
	 * late, and only "not within seconds" is a failure.
	 */
	EXPECT_EQ(0, wait_retries(self->fd, self->st0.nr_unmap_retries + 2,
				  3000, &st1));
	EXPECT_EQ(self->st0.nr_unmap_pending + 1, st1.nr_unmap_pending);
	EXPECT_EQ(0, wait_retries(self->fd, st1.nr_unmap_retries, 2000, &st2));
	EXPECT_EQ(self->st0.nr_unmap_pending + 1, st2.nr_unmap_pending);
	EXPECT_EQ(self->st0.nr_mapped + 4, st2.nr_mapped);
	EXPECT_EQ(self->st0.nr_unmap_stuck, st2.nr_unmap_stuck);

	/* one hold left: still pending */
	ASSERT_EQ(0, _gntv3_map_hold(self->fd, maps[2], 0, 0));
	gntv3_msleep(100);
	EXPECT_EQ(0, wait_pending(self->fd, self->st0.nr_unmap_pending + 1, 0));
	/* the last release lets it complete (next retry within 256 ms) */
	ASSERT_EQ(0, _gntv3_map_hold(self->fd, maps[2], 0, 0));
	EXPECT_EQ(0, wait_pending(self->fd, self->st0.nr_unmap_pending, 3000));
	ASSERT_EQ(0, _gntv3_back_stats(self->fd, &st2));
	EXPECT_EQ(self->st0.nr_mapped + 3, st2.nr_mapped);
	EXPECT_EQ(self->st0.nr_unmap_stuck, st2.nr_unmap_stuck);
	EXPECT_EQ(ENOENT, unmap_errno_settled(self->fd, maps[2], 1000));

	test_unmap(maps[0]);
	test_unmap(maps[1]);
	test_unmap(maps[3]);
	for (i = 0; i < 4; i++)
		test_end(self->tree, ids[i]);
}

struct release_arg {
	int fd;
	__u32 map;
	unsigned int delay_ms;
	int ret;
};

static void *release_later(void *p)
{
	struct release_arg *a = p;

	gntv3_msleep(a->delay_ms);
	a->ret = _gntv3_map_hold(a->fd, a->map, 0, 0);
	return NULL;
}

TEST_F(back, sync_unmap_waits_for_release)
{
	struct release_arg a = { .fd = self->fd, .delay_ms = 300, .ret = -1 };
	unsigned char *buf = gntv3_buf(1);
	pthread_t thr;
	double t0, t;
	__u64 id;
	__u32 map;
	int res = -1;

	ASSERT_NE(NULL, buf);
	test_grant_user(self->tree, 0, buf, 1, &id);
	ASSERT_EQ(0, _gntv3_map(self->fd, self->back, 0, &id, 1, &map));
	ASSERT_EQ(0, _gntv3_map_hold(self->fd, map, 0, 1));
	a.map = map;
	ASSERT_EQ(0, pthread_create(&thr, NULL, release_later, &a));
	t0 = gntv3_now();
	ASSERT_EQ(0, _gntv3_unmap(self->fd, map, 0, &res));
	t = gntv3_now() - t0;
	pthread_join(thr, NULL);
	EXPECT_EQ(0, a.ret);
	EXPECT_EQ(0, res);
	EXPECT_LE(0.25, t);
	EXPECT_GE(5.0, t);
	EXPECT_ERRNO(ENOENT, _gntv3_unmap(self->fd, map, 0, &res));
	test_end(self->tree, id);
}

TEST_F(back, hold_forever_gets_stuck)
{
	long long budget = gntv3_param_get("unmap_retry_budget_ms");
	unsigned char *buf = gntv3_buf(1), c = 0;
	struct gntv3_ioc_back_stats st;
	double t0, t;
	__u64 id;
	__u32 map;
	int res = 0;

	ASSERT_LT(0, budget);
	ASSERT_NE(NULL, buf);
	buf[0] = 0x77;
	test_grant_user(self->tree, 0, buf, 1, &id);
	ASSERT_EQ(0, _gntv3_map(self->fd, self->back, 0, &id, 1, &map));
	ASSERT_EQ(0, _gntv3_map_hold(self->fd, map, 0, 1));

	ASSERT_EQ(0, gntv3_param_set("unmap_retry_budget_ms", 300));
	t0 = gntv3_now();
	ASSERT_EQ(0, _gntv3_unmap(self->fd, map, 0, &res));
	t = gntv3_now() - t0;
	gntv3_param_set("unmap_retry_budget_ms", budget);
	EXPECT_EQ(-EBUSY, res);
	EXPECT_LE(0.29, t);
	EXPECT_GE(3.0, t);
	ASSERT_EQ(0, _gntv3_back_stats(self->fd, &st));
	EXPECT_EQ(self->st0.nr_unmap_stuck + 1, st.nr_unmap_stuck);
	EXPECT_EQ(self->st0.nr_unmap_pending, st.nr_unmap_pending);
	EXPECT_EQ(self->st0.nr_mapped + 1, st.nr_mapped);
	/* still mapped, still ours */
	ASSERT_EQ(0, _gntv3_map_rw(self->fd, map, GNTV3_IOC_RW_READ, 0, 1, &c));
	EXPECT_EQ(0x77, c);
	ASSERT_EQ(0, _gntv3_map_hold(self->fd, map, 0, 0));
	test_unmap(map);
	test_end(self->tree, id);
}

/*
 * Eight held mappings, all unmapping at once, wait in their attachment's
 * unmap queue on retry schedules of their own: releasing some lets exactly
 * those complete while the others stay pending and mapped, and a detach
 * with two still queued ends them (its holds dropped, a last attempt).
 */
TEST_F(back, held_unmaps_complete_one_by_one)
{
	static const int first[] = { 5 }, next[] = { 0, 7 },
			 rest[] = { 1, 3, 4 };
	static const int *const waves[] = { first, next, rest };
	static const int wave_nr[] = { 1, 2, 3 };
	unsigned char *buf = gntv3_buf(8), c;
	struct gntv3_ioc_back_stats st;
	int gone[8] = { 0 }, res, i, w, k, left = 8;
	__u32 maps[8], back2;
	__u64 id, ids[8];

	ASSERT_NE(NULL, buf);
	test_grant_user(self->tree, 0, buf, 8, &id);
	for (i = 0; i < 8; i++)
		ids[i] = id + i;
	ASSERT_EQ(0, _gntv3_attach(self->fd, SELF_DOMID, self->tree_ref,
				   &back2));
	ASSERT_EQ(0, _gntv3_map(self->fd, back2, 0, ids, 8, maps));
	for (i = 0; i < 8; i++) {
		ASSERT_EQ(0, _gntv3_map_hold(self->fd, maps[i], 0, 1));
		res = -1;
		ASSERT_EQ(0, _gntv3_unmap(self->fd, maps[i],
					  GNTV3_IOC_UNMAP_ASYNC, &res));
		ASSERT_EQ(0, res);
	}
	/* every one retried at least once, none given up */
	ASSERT_EQ(0, wait_retries(self->fd, self->st0.nr_unmap_retries + 8,
				  3000, &st));
	EXPECT_EQ(self->st0.nr_unmap_pending + 8, st.nr_unmap_pending);
	EXPECT_EQ(self->st0.nr_unmap_stuck, st.nr_unmap_stuck);

	for (w = 0; w < 3; w++) {
		for (k = 0; k < wave_nr[w]; k++) {
			i = waves[w][k];
			ASSERT_EQ(0, _gntv3_map_hold(self->fd, maps[i], 0, 0));
			gone[i] = 1;
		}
		left -= wave_nr[w];
		EXPECT_EQ(0, wait_pending(self->fd,
					  self->st0.nr_unmap_pending + left,
					  3000)) TH_LOG("wave %d", w);
		for (i = 0; i < 8; i++) {
			/* released: gone; held: still pending, no copy */
			if (gone[i]) {
				EXPECT_EQ(ENOENT, unmap_errno_settled(self->fd,
								      maps[i],
								      1000))
					TH_LOG("wave %d map %d", w, i);
			} else {
				EXPECT_ERRNO(EBUSY,
					     _gntv3_map_rw(self->fd, maps[i],
							   GNTV3_IOC_RW_READ,
							   0, 1, &c));
			}
		}
		ASSERT_EQ(0, _gntv3_back_stats(self->fd, &st));
		EXPECT_EQ(self->st0.nr_mapped + left, st.nr_mapped);
	}

	/* maps[2] and maps[6] are still held and queued: detach ends them */
	ASSERT_EQ(0, _gntv3_detach(self->fd, back2));
	ASSERT_EQ(0, _gntv3_back_stats(self->fd, &st));
	EXPECT_EQ(self->st0.nr_mapped, st.nr_mapped);
	EXPECT_EQ(self->st0.nr_pages_mapped, st.nr_pages_mapped);
	EXPECT_EQ(self->st0.nr_unmap_pending, st.nr_unmap_pending);
	EXPECT_EQ(self->st0.nr_unmap_stuck, st.nr_unmap_stuck);
	for (i = 0; i < 8; i++)
		test_end(self->tree, ids[i]);
}

/* ------------------------------------------------------------------------
 * UNMAP_BATCH: many mappings, one hypercall for those nobody holds.
 */
static int _gntv3_unmap_batch(int fd, const __u32 *maps, int *results,
			      __u32 nr, __u32 flags)
{
	struct gntv3_ioc_unmap_batch arg = {
		.maps = (__u64)(unsigned long)maps,
		.results = (__u64)(unsigned long)results,
		.nr = nr,
		.flags = flags,
	};

	return ioctl(fd, GNTV3_IOC_UNMAP_BATCH, &arg);
}

TEST_F(back, unmap_batch)
{
	unsigned char *buf = gntv3_buf(16), c = 0;
	struct gntv3_ioc_back_stats st;
	__u32 maps[16], two[2], other_back, other_map;
	int results[16], res = 0, i;
	__u64 first, ids[16];

	ASSERT_NE(NULL, buf);
	test_grant_user(self->tree, 0, buf, 16, &first);
	for (i = 0; i < 16; i++)
		ids[i] = first + i;
	ASSERT_EQ(0, _gntv3_map(self->fd, self->back, 0, ids, 16, maps));

	/* bad calls change nothing */
	EXPECT_ERRNO(EINVAL, _gntv3_unmap_batch(self->fd, maps, results, 0, 0));
	EXPECT_ERRNO(EINVAL, _gntv3_unmap_batch(self->fd, maps, results, 2, 1));
	two[0] = maps[0];
	two[1] = 0x7fffffff;
	EXPECT_ERRNO(ENOENT, _gntv3_unmap_batch(self->fd, two, results, 2, 0));
	two[1] = maps[0];
	EXPECT_ERRNO(EALREADY, _gntv3_unmap_batch(self->fd, two, results, 2, 0));
	/* mappings of two attachments cannot share a batch */
	ASSERT_EQ(0, _gntv3_attach(self->fd, SELF_DOMID, self->tree_ref,
				   &other_back));
	ASSERT_EQ(0, _gntv3_map(self->fd, other_back, 0, &ids[0], 1, &other_map));
	two[1] = other_map;
	EXPECT_ERRNO(EINVAL, _gntv3_unmap_batch(self->fd, two, results, 2, 0));
	ASSERT_EQ(0, _gntv3_back_stats(self->fd, &st));
	EXPECT_EQ(self->st0.nr_mapped + 17, st.nr_mapped);
	ASSERT_EQ(0, _gntv3_map_rw(self->fd, maps[0], GNTV3_IOC_RW_READ, 0, 1, &c));

	/* one held page: its mapping waits, the 15 others go at once */
	ASSERT_EQ(0, _gntv3_map_hold(self->fd, maps[5], 0, 1));
	memset(results, 0x55, sizeof(results));
	ASSERT_EQ(0, _gntv3_unmap_batch(self->fd, maps, results, 16, 0));
	for (i = 0; i < 16; i++)
		EXPECT_EQ(i == 5 ? -EINPROGRESS : 0, results[i]) TH_LOG("map %d", i);
	ASSERT_EQ(0, _gntv3_back_stats(self->fd, &st));
	EXPECT_EQ(self->st0.nr_mapped + 2, st.nr_mapped);
	EXPECT_EQ(self->st0.nr_pages_mapped + 2, st.nr_pages_mapped);
	EXPECT_EQ(self->st0.nr_unmap_pending + 1, st.nr_unmap_pending);
	EXPECT_ERRNO(ENOENT, _gntv3_unmap(self->fd, maps[3], 0, &res));
	EXPECT_ERRNO(EBUSY, _gntv3_unmap(self->fd, maps[5], 0, &res));
	EXPECT_ERRNO(EBUSY, _gntv3_unmap_batch(self->fd, &maps[5], results, 1, 0));

	/* the release lets the pending one finish */
	ASSERT_EQ(0, _gntv3_map_hold(self->fd, maps[5], 0, 0));
	EXPECT_EQ(0, wait_pending(self->fd, self->st0.nr_unmap_pending, 2000));
	EXPECT_EQ(ENOENT, unmap_errno_settled(self->fd, maps[5], 1000));
	ASSERT_EQ(0, _gntv3_unmap_batch(self->fd, &other_map, results, 1, 0));
	EXPECT_EQ(0, results[0]);
	ASSERT_EQ(0, _gntv3_back_stats(self->fd, &st));
	EXPECT_EQ(self->st0.nr_mapped, st.nr_mapped);
	EXPECT_EQ(self->st0.nr_pages_mapped, st.nr_pages_mapped);
	EXPECT_EQ(self->st0.nr_unmap_stuck, st.nr_unmap_stuck);
	ASSERT_EQ(0, _gntv3_detach(self->fd, other_back));
	for (i = 0; i < 16; i++)
		test_end(self->tree, ids[i]);
}

/*
 * The caches of the attachment whose descriptor is @tree_ref, from its
 * line in debugfs "back"; -1 if there is not exactly one such line.
 */
static int attach_caches(__u32 tree_ref, unsigned int *pages,
			 unsigned int *pages_max, unsigned int *maps)
{
	char line[GNTV3_KV_LINE];
	struct gntv3_kv kv;
	int found = 0;
	FILE *f = fopen(GNTV3_DEBUGFS_BACK, "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (gntv3_kv_parse(line, &kv) < 0 || !gntv3_kv_is(&kv, "attach") ||
		    gntv3_kv_num(&kv, "tree_ref", -1) != tree_ref)
			continue;
		*pages = gntv3_kv_num(&kv, "cached_pages", -1);
		*pages_max = gntv3_kv_num(&kv, "cached_pages_max", -1);
		*maps = gntv3_kv_num(&kv, "pooled_maps", -1);
		found++;
	}
	fclose(f);
	return found == 1 ? 0 : -1;
}

#define expect_caches(tree_ref, want_pages, want_max, want_maps)	\
	do {								\
		unsigned int __p = ~0U, __pm = ~0U, __m = ~0U;		\
		ASSERT_EQ(0, attach_caches(tree_ref, &__p, &__pm, &__m));	\
		EXPECT_EQ(want_pages, __p);				\
		EXPECT_EQ(want_max, __pm);				\
		EXPECT_EQ(want_maps, __m);				\
	} while (0)

/*
 * Unmapped pages and mappings are kept by their attachment and mapped again
 * by its next maps: the data read through them must be the new grants',
 * every page foreign with the new reference, and what does not fit is
 * freed; an attachment made with back_cached_pages=0 keeps no page.
 */
TEST_F(back, caches_reuse)
{
	const unsigned int nr = 600, pool_max = 1024;
	unsigned int i, round, cached_max, nbig;
	unsigned char *buf = gntv3_buf(nr), *m, c;
	__u32 maps[600 + 512], tree2, ref2, back2 = 0;
	__u64 first, ids[600 + 512], big, off;
	struct gntv3_ioc_back_stats st;
	int results[600 + 512];
	char why[300];
	long long v;
	int rc;

	ASSERT_NE(NULL, buf);
	v = gntv3_param_get("back_cached_pages");
	ASSERT_LE(nr, v) TH_LOG("back_cached_pages must hold a batch of %u", nr);
	cached_max = v;
	test_grant_user(self->tree, 0, buf, nr, &first);
	expect_caches(self->tree_ref, 0, cached_max, 0);

	for (round = 0; round < 2; round++) {
		for (i = 0; i < nr; i++) {
			buf[i * PAGE_SZ] = (unsigned char)(i * 3 + round);
			ids[i] = round ? first + nr - 1 - i : first + i;
		}
		ASSERT_EQ(0, _gntv3_map(self->fd, self->back, 0, ids, nr, maps));
		/* the second round takes every page and mapping back */
		expect_caches(self->tree_ref, 0, cached_max, 0);
		for (i = 0; i < nr; i++) {
			unsigned int page = ids[i] - first;

			ASSERT_EQ(0, _gntv3_map_rw(self->fd, maps[i],
						   GNTV3_IOC_RW_READ, 0, 1, &c));
			ASSERT_EQ((unsigned char)(page * 3 + round), c);
			c = (unsigned char)(0xa0 + round);
			ASSERT_EQ(0, _gntv3_map_rw(self->fd, maps[i],
						   GNTV3_IOC_RW_WRITE, 1, 1, &c));
			ASSERT_EQ(c, buf[page * PAGE_SZ + 1]);
		}
		for (i = 0; i < nr; i += 97)
			if (!gntv3_native)
				EXPECT_EQ(0, gntv3_check_foreign(SELF_DOMID, ids[i], 1,
								 first_ref(_metadata, self->fd,
									   self->tree, ids[i]),
								 0, 1, why, sizeof(why)))
					TH_LOG("%s", why);
		memset(results, 0x55, sizeof(results));
		ASSERT_EQ(0, _gntv3_unmap_batch(self->fd, maps, results, nr, 0));
		for (i = 0; i < nr; i++)
			ASSERT_EQ(0, results[i]);
		expect_caches(self->tree_ref, nr, cached_max, nr);
	}

	/*
	 * more pages than the cache holds: a 2 MiB grant next to the 600,
	 * mapped by its first id (v1) or by the id of each 4 KiB piece
	 * (native maps a superpage piece by piece)
	 */
	test_grant_alloc(self->tree, 0, 9, &big, &off);
	m = mmap(NULL, 2UL << 20, PROT_READ | PROT_WRITE, MAP_SHARED, self->fd, off);
	ASSERT_NE(MAP_FAILED, m);
	fill(m, 2UL << 20, 9);
	nbig = gntv3_native ? 512 : 1;
	for (i = 0; i < nr; i++)
		ids[i] = first + i;
	for (i = 0; i < nbig; i++)
		ids[nr + i] = big + i;
	ASSERT_EQ(0, _gntv3_map(self->fd, self->back, 0, ids, nr + nbig, maps));
	expect_caches(self->tree_ref, 0, cached_max, 0);
	ASSERT_EQ(0, _gntv3_map_rw(self->fd, maps[nr + nbig - 1],
				   GNTV3_IOC_RW_READ,
				   (2UL << 20) / nbig - 1, 1, &c));
	EXPECT_EQ(m[(2UL << 20) - 1], c);
	ASSERT_EQ(0, _gntv3_unmap_batch(self->fd, maps, results, nr + nbig, 0));
	for (i = 0; i < nr + nbig; i++)
		ASSERT_EQ(0, results[i]);
	expect_caches(self->tree_ref,
		      nr + 512 < cached_max ? nr + 512 : cached_max, cached_max,
		      nr + nbig < pool_max ? nr + nbig : pool_max);
	ASSERT_EQ(0, _gntv3_back_stats(self->fd, &st));
	EXPECT_EQ(self->st0.nr_mapped, st.nr_mapped);
	EXPECT_EQ(self->st0.nr_pages_mapped, st.nr_pages_mapped);

	/* back_cached_pages is read at attach: 0 keeps no page */
	test_tree_create(SELF_DOMID, &tree2, &ref2);
	ASSERT_EQ(0, gntv3_param_set("back_cached_pages", 0));
	rc = _gntv3_attach(self->fd, SELF_DOMID, ref2, &back2);
	ASSERT_EQ(0, gntv3_param_set("back_cached_pages", cached_max));
	ASSERT_EQ(0, rc) TH_LOG("attach: %s", strerror(errno));
	test_grant_user(tree2, 0, buf, 16, &ids[0]);
	for (i = 1; i < 16; i++)
		ids[i] = ids[0] + i;
	for (round = 0; round < 2; round++) {
		ASSERT_EQ(0, _gntv3_map(self->fd, back2, 0, ids, 16, maps));
		ASSERT_EQ(0, _gntv3_map_rw(self->fd, maps[15], GNTV3_IOC_RW_READ,
					   1, 1, &c));
		EXPECT_EQ(buf[15 * PAGE_SZ + 1], c);
		ASSERT_EQ(0, _gntv3_unmap_batch(self->fd, maps, results, 16, 0));
		expect_caches(ref2, 0, 0, 16);
	}
	ASSERT_EQ(0, _gntv3_detach(self->fd, back2));
	for (i = 0; i < 16; i++)
		test_end(tree2, ids[i]);
	ASSERT_EQ(0, _gntv3_back_stats(self->fd, &st));
	EXPECT_EQ(self->st0.nr_mapped, st.nr_mapped);
	EXPECT_EQ(self->st0.nr_pages_mapped, st.nr_pages_mapped);
	for (i = 0; i < nr; i++)
		test_end(self->tree, first + i);
	test_end(self->tree, big);
	munmap(m, 2UL << 20);
}

/*
 * One batch map that Xen carries out only in part fails as a whole: the
 * debugfs knob back_fail_map_op hands Xen an invalid grant reference in one
 * map op, Xen maps the others, and gntv3 must unmap those again.  Nothing
 * stays mapped, foreign or leaked, and the same batch maps fine right
 * after (through pages the unwind gave back to the page cache).  Cases:
 * the 6th of 16 single pages, the 300th page of a 2 MiB grant, and a single
 * page mapped with a PV vmap (/dev/gntv3 asks for one when a MAP names one
 * id), whose vmap PTE op fails while its linear map op succeeds.
 */
TEST_F(back, partial_map_failure_unwinds)
{
	unsigned char *buf = gntv3_buf(16), *m, c;
	long long leaked0 = gntv3_back_stat("leaked");
	struct gntv3_ioc_back_stats st;
	__u64 first, ids[16], big, off;
	__u32 maps[16], ref;
	char why[300];
	int i;

	if (gntv3_native)
		SKIP(return, "v1 transport only: the fault knob sits in the v1 batch map");

	ASSERT_NE(NULL, buf);
	ASSERT_LE(0, leaked0);
	test_grant_user(self->tree, 0, buf, 16, &first);
	for (i = 0; i < 16; i++) {
		ids[i] = first + i;
		buf[i * PAGE_SZ + 7] = (unsigned char)(0x40 + i);
	}
	test_grant_alloc(self->tree, 0, 9, &big, &off);
	m = mmap(NULL, 2UL << 20, PROT_READ | PROT_WRITE, MAP_SHARED, self->fd, off);
	ASSERT_NE(MAP_FAILED, m);
	fill(m, 2UL << 20, 5);

	/* 16 single pages, the 6th op fails */
	ASSERT_EQ(0, gntv3_write_file(GNTV3_KNOB_FAIL_MAP, "6"));
	EXPECT_ERRNO(ENOENT, _gntv3_map(self->fd, self->back, 0, ids, 16, maps));
	EXPECT_EQ(0, gntv3_read_number(GNTV3_KNOB_FAIL_MAP));
	ASSERT_EQ(0, _gntv3_back_stats(self->fd, &st));
	EXPECT_EQ(self->st0.nr_mapped, st.nr_mapped);
	EXPECT_EQ(self->st0.nr_pages_mapped, st.nr_pages_mapped);
	for (i = 0; i < 16; i += 5) {
		ref = first_ref(_metadata, self->fd, self->tree, ids[i]);
		if (!gntv3_native)
			EXPECT_EQ(0, gntv3_check_foreign(SELF_DOMID, ids[i], 1, ref, -1,
							 0, why, sizeof(why))) TH_LOG("%s", why);
	}
	ASSERT_EQ(0, _gntv3_map(self->fd, self->back, 0, ids, 16, maps));
	for (i = 0; i < 16; i++) {
		ASSERT_EQ(0, _gntv3_map_rw(self->fd, maps[i], GNTV3_IOC_RW_READ,
					   7, 1, &c));
		EXPECT_EQ(0x40 + i, c);
	}
	for (i = 0; i < 16; i++)
		test_unmap(maps[i]);

	/* a 2 MiB grant (one id: PV vmap), its 300th page fails */
	ref = first_ref(_metadata, self->fd, self->tree, big);
	ASSERT_EQ(0, gntv3_write_file(GNTV3_KNOB_FAIL_MAP, "300"));
	EXPECT_ERRNO(ENOENT, _gntv3_map(self->fd, self->back, 0, &big, 1, maps));
	EXPECT_EQ(0, gntv3_read_number(GNTV3_KNOB_FAIL_MAP));
	if (!gntv3_native)
		EXPECT_EQ(0, gntv3_check_foreign(SELF_DOMID, big, 512, ref, -1, 0, why,
						 sizeof(why))) TH_LOG("%s", why);
	ASSERT_EQ(0, _gntv3_map(self->fd, self->back, 0, &big, 1, maps));
	ASSERT_EQ(0, _gntv3_map_rw(self->fd, maps[0], GNTV3_IOC_RW_READ,
				   299 * PAGE_SZ + 11, 1, &c));
	EXPECT_EQ(m[299 * PAGE_SZ + 11], c);
	test_unmap(maps[0]);

	/* one page with a PV vmap: the first (vmap PTE) op fails */
	ASSERT_EQ(0, gntv3_write_file(GNTV3_KNOB_FAIL_MAP, "1"));
	EXPECT_ERRNO(ENOENT, _gntv3_map(self->fd, self->back, 0, &ids[3], 1, maps));
	EXPECT_EQ(0, gntv3_read_number(GNTV3_KNOB_FAIL_MAP));
	ASSERT_EQ(0, _gntv3_map(self->fd, self->back, 0, &ids[3], 1, maps));
	ASSERT_EQ(0, _gntv3_map_rw(self->fd, maps[0], GNTV3_IOC_RW_READ, 7, 1, &c));
	EXPECT_EQ(0x43, c);
	test_unmap(maps[0]);

	ASSERT_EQ(0, _gntv3_back_stats(self->fd, &st));
	EXPECT_EQ(self->st0.nr_mapped, st.nr_mapped);
	EXPECT_EQ(self->st0.nr_pages_mapped, st.nr_pages_mapped);
	EXPECT_EQ(leaked0, gntv3_back_stat("leaked"));
	for (i = 0; i < 16; i++)
		test_end(self->tree, ids[i]);
	test_end(self->tree, big);
	munmap(m, 2UL << 20);
}

/* ------------------------------------------------------------------------
 * Bad input.
 */
TEST_F(back, bad_ids)
{
	struct gntv3_ioc_back_stats st;
	unsigned char *buf = gntv3_buf(2), c = 0x5a, d = 0;
	__u64 id, ids[3], big, off;
	__u32 maps[3];
	struct gntv3_ioc_map m;

	ASSERT_NE(NULL, buf);
	/* an empty tree has nothing */
	id = 0;
	EXPECT_ERRNO(ENOENT, _gntv3_map(self->fd, self->back, 0, &id, 1, maps));
	test_grant_user(self->tree, 0, buf, 2, &id);
	test_grant_alloc(self->tree, 0, 9, &big, &off);

	ids[0] = id + 2 == big ? big + 512 : id + 2;	/* not granted */
	EXPECT_ERRNO(ENOENT, _gntv3_map(self->fd, self->back, 0, ids, 1, maps));
	ids[0] = 1ULL << 40;				/* beyond any tree */
	EXPECT_ERRNO(ERANGE, _gntv3_map(self->fd, self->back, 0, ids, 1, maps));
	ids[0] = big + 511;				/* inside a superpage */
	/* either transport maps that piece alone */
	ASSERT_EQ(0, _gntv3_map(self->fd, self->back, 0, ids, 1, maps));
	ASSERT_EQ(0, _gntv3_map_rw(self->fd, maps[0], GNTV3_IOC_RW_WRITE,
				   PAGE_SZ - 1, 1, &c));
	ASSERT_EQ(0, _gntv3_map_rw(self->fd, maps[0], GNTV3_IOC_RW_READ,
				   PAGE_SZ - 1, 1, &d));
	EXPECT_EQ(c, d);
	EXPECT_ERRNO(EINVAL, _gntv3_map_rw(self->fd, maps[0],
					   GNTV3_IOC_RW_READ, PAGE_SZ, 1, &d));
	test_unmap(maps[0]);

	/*
	 * all or nothing: a bad id last (not granted: any id of a superpage
	 * maps) fails the whole batch
	 */
	ids[0] = id;
	ids[1] = big;
	ids[2] = big + 512;
	EXPECT_ERRNO(ENOENT, _gntv3_map(self->fd, self->back, 0, ids, 3, maps));
	ASSERT_EQ(0, _gntv3_back_stats(self->fd, &st));
	EXPECT_EQ(self->st0.nr_mapped, st.nr_mapped);
	EXPECT_EQ(self->st0.nr_pages_mapped, st.nr_pages_mapped);

	/* arguments */
	EXPECT_ERRNO(ENOENT, _gntv3_map(self->fd, self->back + 100, 0, ids, 1, maps));
	EXPECT_ERRNO(EINVAL, _gntv3_map(self->fd, self->back, 1U << 4, ids, 1,
					maps));		/* an unknown flag */
	EXPECT_ERRNO(EINVAL, _gntv3_map(self->fd, self->back, 0, ids, 0, maps));
	EXPECT_ERRNO(EINVAL, _gntv3_map(self->fd, self->back, 0, ids,
					GNTV3_IOC_MAX_PAGES + 1, maps));
	EXPECT_ERRNO(EFAULT, _gntv3_map(self->fd, self->back, 0, (void *)8, 1, maps));
	memset(&m, 0, sizeof(m));
	m.back = self->back;
	m.ids = (__u64)(unsigned long)ids;
	m.maps = (__u64)(unsigned long)maps;
	m.nr = 1;
	m.pad = 1;
	EXPECT_ERRNO(EINVAL, ioctl(self->fd, GNTV3_IOC_MAP, &m));
	/* the handles cannot be written back: nothing stays mapped */
	EXPECT_ERRNO(EFAULT, _gntv3_map(self->fd, self->back, 0, ids, 2, (void *)8));
	ASSERT_EQ(0, _gntv3_back_stats(self->fd, &st));
	EXPECT_EQ(self->st0.nr_mapped, st.nr_mapped);

	test_end(self->tree, id);
	test_end(self->tree, id + 1);
	test_end(self->tree, big);
}

TEST_F(back, bad_handles)
{
	struct gntv3_ioc_unmap u = { .map = 1 };
	struct gntv3_ioc_detach d = { .back = 0 };
	struct gntv3_ioc_attach a = { .domid = 0 };
	__u32 b;
	int res;

	EXPECT_ERRNO(ENOENT, _gntv3_unmap(self->fd, 0, 0, &res));
	EXPECT_ERRNO(ENOENT, _gntv3_unmap(self->fd, 12345, 0, &res));
	EXPECT_ERRNO(EINVAL, _gntv3_unmap(self->fd, 1, 2, &res));
	u.pad = 1;
	EXPECT_ERRNO(EINVAL, ioctl(self->fd, GNTV3_IOC_UNMAP, &u));
	EXPECT_ERRNO(ENOENT, _gntv3_detach(self->fd, self->back + 1));
	d.pad = 1;
	EXPECT_ERRNO(EINVAL, ioctl(self->fd, GNTV3_IOC_DETACH, &d));
	a.pad = 1;
	a.tree_ref = self->tree_ref;
	EXPECT_ERRNO(EINVAL, ioctl(self->fd, GNTV3_IOC_ATTACH, &a));
	EXPECT_ERRNO(EINVAL, _gntv3_attach(self->fd, DOMID_FIRST_RESERVED,
					   self->tree_ref, &b));
	EXPECT_ERRNO(EFAULT, ioctl(self->fd, GNTV3_IOC_ATTACH, (void *)8));
	EXPECT_ERRNO(EFAULT, ioctl(self->fd, GNTV3_IOC_BACK_STATS, (void *)8));
	EXPECT_ERRNO(ENOTTY, ioctl(self->fd, _IO(GNTV3_IOC_MAGIC, 0x4f), NULL));
}

TEST_F(back, attach_bad_tree)
{
	struct gntv3_ioc_back_stats st;
	unsigned char *buf = gntv3_buf(1);
	__u32 b, ref;
	__u64 id;

	if (gntv3_native)
		SKIP(return, "v1 transport only: a native tree reference is a handle");

	ASSERT_NE(NULL, buf);
	/* a granted page that is not a tree descriptor */
	test_grant_user(self->tree, GNTV3_IOC_GRANT_READONLY, buf, 1, &id);
	ref = first_ref(_metadata, self->fd, self->tree, id);
	EXPECT_ERRNO(EPROTO, _gntv3_attach(self->fd, SELF_DOMID, ref, &b));
	ASSERT_EQ(0, _gntv3_back_stats(self->fd, &st));
	EXPECT_EQ(self->st0.nr_bad_entries + 1, st.nr_bad_entries);
	/* a reference nobody granted us (far above those in use) */
	EXPECT_ERRNO(ENOENT, _gntv3_attach(self->fd, SELF_DOMID, 0x7ffff0, &b));
	/* a second attachment to the same tree is fine */
	ASSERT_EQ(0, _gntv3_attach(self->fd, SELF_DOMID, self->tree_ref, &b));
	EXPECT_NE(self->back, b);
	ASSERT_EQ(0, _gntv3_detach(self->fd, b));
	EXPECT_ERRNO(ENOENT, _gntv3_detach(self->fd, b));
	test_end(self->tree, id);
}

/* ------------------------------------------------------------------------
 * ATTACH of a descriptor written by hand: what each bad field answers.
 */

/* struct gntv3_tree_desc of include/xen/interface/grant_table_v3.h */
struct fake_desc {
	__u32 magic;
	__u16 version;
	__u16 grantee;
	__u32 flags;
	__u32 generation;
	__u64 root;
	__u64 reserved[5];
};

#define FAKE_TREE_MAGIC		0x33544e47U	/* GNTV3_TREE_MAGIC */
#define FAKE_TREE_F_V1		(1U << 0)	/* GNTV3_TREE_F_V1 */

static void fake_desc_init(struct fake_desc *d)
{
	memset(d, 0, sizeof(*d));
	d->magic = FAKE_TREE_MAGIC;
	d->version = GNTV3_ABI_VERSION;
	d->grantee = SELF_DOMID;
	d->flags = FAKE_TREE_F_V1;
}

TEST_F(back, attach_forged_descriptor)
{
	struct fake_desc *d = gntv3_buf(1);
	struct gntv3_ioc_back_stats st;
	__u32 b, ref, map;
	__u64 id, any = 0;
	int i;

	if (gntv3_native)
		SKIP(return, "v1 transport only: descriptors forged over v1 grants");

	ASSERT_NE(NULL, d);
	test_grant_user(self->tree, GNTV3_IOC_GRANT_READONLY, d, 1, &id);
	ref = first_ref(_metadata, self->fd, self->tree, id);
	ASSERT_NE(0, ref);

	/* well formed and empty: attaches, and maps nothing */
	fake_desc_init(d);
	ASSERT_EQ(0, _gntv3_attach(self->fd, SELF_DOMID, ref, &b));
	EXPECT_ERRNO(ENOENT, _gntv3_map(self->fd, b, 0, &any, 1, &map));
	ASSERT_EQ(0, _gntv3_detach(self->fd, b));

	/* a non-zero reserved word: refused at ATTACH, not at the first MAP */
	for (i = 0; i < 5; i++) {
		fake_desc_init(d);
		d->reserved[i] = 1ULL << (i * 13);
		EXPECT_ERRNO(EPROTO, _gntv3_attach(self->fd, SELF_DOMID, ref, &b));
	}
	ASSERT_EQ(0, _gntv3_back_stats(self->fd, &st));
	EXPECT_EQ(self->st0.nr_bad_entries + 5, st.nr_bad_entries);

	/* bad magic, version or flags */
	fake_desc_init(d);
	d->magic ^= 1;
	EXPECT_ERRNO(EPROTO, _gntv3_attach(self->fd, SELF_DOMID, ref, &b));
	fake_desc_init(d);
	d->version = GNTV3_ABI_VERSION + 1;
	EXPECT_ERRNO(EPROTO, _gntv3_attach(self->fd, SELF_DOMID, ref, &b));
	fake_desc_init(d);
	d->version = 0;
	EXPECT_ERRNO(EPROTO, _gntv3_attach(self->fd, SELF_DOMID, ref, &b));
	/* version 1 has the same layout: still attached to */
	fake_desc_init(d);
	d->version = 1;
	ASSERT_EQ(0, _gntv3_attach(self->fd, SELF_DOMID, ref, &b));
	ASSERT_EQ(0, _gntv3_detach(self->fd, b));
	fake_desc_init(d);
	d->flags = FAKE_TREE_F_V1 | 0x100;
	EXPECT_ERRNO(EPROTO, _gntv3_attach(self->fd, SELF_DOMID, ref, &b));
	/* a tree granting to another domain is no valid tree for us */
	fake_desc_init(d);
	d->grantee = SELF_DOMID + 1;
	EXPECT_ERRNO(EPROTO, _gntv3_attach(self->fd, SELF_DOMID, ref, &b));
	/* a native tree: the hypervisor walks it, not the guest */
	fake_desc_init(d);
	d->flags = 0;
	EXPECT_ERRNO(EOPNOTSUPP, _gntv3_attach(self->fd, SELF_DOMID, ref, &b));

	ASSERT_EQ(0, _gntv3_back_stats(self->fd, &st));
	EXPECT_EQ(self->st0.nr_mapped, st.nr_mapped);
	test_end(self->tree, id);
	munmap(d, PAGE_SZ);
}

/*
 * A tree written by hand from pages granted read-only: the descriptor, one
 * table and a data page, their v1 references taken from QUERY.  What a
 * MAP answers for each bad entry a hostile frontend could write.
 */
#define FAKE_ROOT(ref, levels)	(PTE_VALID | PTE_TABLE | PTE_V1 |	\
				 ((__u64)(ref) << 12) | ((__u64)(levels) << 8))
#define FAKE_LEAF(ref)		(PTE_VALID | PTE_V1 | ((__u64)(ref) << 12))
#define FAKE_SIZE_2M		(1ULL << 5)

TEST_F(back, hand_made_tree)
{
	unsigned char *buf = gntv3_buf(3), c = 0;
	struct fake_desc *d = (struct fake_desc *)buf;
	__u64 *table = (__u64 *)(buf + PAGE_SZ), id[3], want;
	__u32 ref[3], b, map;
	int i;

	if (gntv3_native)
		SKIP(return, "v1 transport only: trees forged over v1 grants");

	ASSERT_NE(NULL, buf);
	fill(buf + 2 * PAGE_SZ, PAGE_SZ, 9);
	for (i = 0; i < 3; i++) {
		test_grant_user(self->tree, GNTV3_IOC_GRANT_READONLY,
				buf + i * PAGE_SZ, 1, &id[i]);
		ref[i] = first_ref(_metadata, self->fd, self->tree, id[i]);
		ASSERT_NE(0, ref[i]);
	}
	fake_desc_init(d);
	d->root = FAKE_ROOT(ref[1], 1);
	memset(table, 0, PAGE_SZ);
	table[0] = FAKE_LEAF(ref[2]);				/* good, ro */
	table[1] = FAKE_LEAF(ref[2]) | PTE_WRITE;		/* rw over ro v1 */
	table[2] = FAKE_LEAF(ref[2]) | (1ULL << 8);		/* RSV bit */
	table[3] = FAKE_LEAF(ref[2]) | FAKE_SIZE_2M;		/* SZ != level */
	table[4] = FAKE_ROOT(ref[1], 0);			/* T at level 0 */
	ASSERT_EQ(0, _gntv3_attach(self->fd, SELF_DOMID, ref[0], &b));

	/* the good leaf maps, and reads the data page */
	want = 0;
	ASSERT_EQ(0, _gntv3_map(self->fd, b, GNTV3_IOC_MAP_READONLY, &want, 1,
				&map));
	ASSERT_EQ(0, _gntv3_map_rw(self->fd, map, GNTV3_IOC_RW_READ, 77, 1, &c));
	EXPECT_EQ(buf[2 * PAGE_SZ + 77], c);
	test_unmap(map);
	/* a writable leaf over a read-only v1 grant: EACCES, not ENOENT */
	want = 1;
	EXPECT_ERRNO(EACCES, _gntv3_map(self->fd, b, 0, &want, 1, &map));
	/* corrupt entries: EPROTO, not the EINVAL of an id in a superpage */
	for (want = 2; want <= 4; want++)
		EXPECT_ERRNO(EPROTO, _gntv3_map(self->fd, b, GNTV3_IOC_MAP_READONLY,
						&want, 1, &map));
	ASSERT_EQ(0, _gntv3_detach(self->fd, b));

	/* two levels whose root table names itself: ELOOP */
	d->root = FAKE_ROOT(ref[1], 2);
	d->generation++;
	table[0] = FAKE_ROOT(ref[1], 0);
	ASSERT_EQ(0, _gntv3_attach(self->fd, SELF_DOMID, ref[0], &b));
	want = 0;
	EXPECT_ERRNO(ELOOP, _gntv3_map(self->fd, b, GNTV3_IOC_MAP_READONLY,
				       &want, 1, &map));
	ASSERT_EQ(0, _gntv3_detach(self->fd, b));

	for (i = 0; i < 3; i++)
		test_end(self->tree, id[i]);
	munmap(buf, 3 * PAGE_SZ);
}

/* GNTV3_DEV_MAX_BACKS: 64 attachments per file. */
TEST_F(back, attach_limit)
{
	__u32 b[64];
	int i;

	/* the fixture holds one already */
	for (i = 0; i < 63; i++)
		ASSERT_EQ(0, _gntv3_attach(self->fd, SELF_DOMID, self->tree_ref,
					   &b[i])) TH_LOG("attach %d: %s", i, strerror(errno));
	EXPECT_ERRNO(ENOSPC, _gntv3_attach(self->fd, SELF_DOMID, self->tree_ref,
					   &b[63]));
	ASSERT_EQ(0, _gntv3_detach(self->fd, b[0]));
	ASSERT_EQ(0, _gntv3_attach(self->fd, SELF_DOMID, self->tree_ref, &b[0]));
	for (i = 0; i < 63; i++)
		ASSERT_EQ(0, _gntv3_detach(self->fd, b[i]));
}

/* The ring ioctls on an attachment that has no ring. */
TEST_F(back, notify_without_ring)
{
	struct gntv3_ioc_back_notify n = { .back = self->back, .nr_ids = 1 };
	struct gntv3_ioc_back_conn_info ci = { .back = self->back };

	EXPECT_ERRNO(ENOTCONN, ioctl(self->fd, GNTV3_IOC_BACK_NOTIFY, &n));
	ASSERT_EQ(0, ioctl(self->fd, GNTV3_IOC_BACK_CONN_INFO, &ci));
	EXPECT_EQ(0, ci.connected);
	n.back = self->back + 1;
	EXPECT_ERRNO(ENOENT, ioctl(self->fd, GNTV3_IOC_BACK_NOTIFY, &n));
	ci.back = self->back + 1;
	EXPECT_ERRNO(ENOENT, ioctl(self->fd, GNTV3_IOC_BACK_CONN_INFO, &ci));
	/* a bad range is refused first */
	n.back = self->back;
	n.nr_ids = 0;
	EXPECT_ERRNO(EINVAL, ioctl(self->fd, GNTV3_IOC_BACK_NOTIFY, &n));
}

/* ------------------------------------------------------------------------
 * More mappings than an attachment keeps in its pool (1024): the records
 * of the others go back to the slab as soon as they are unmapped.  A sync
 * UNMAP or an UNMAP_BATCH that touched a mapping after its done callback
 * read freed memory (a use-after-free, caught by slub_debug poisoning): the
 * file's page count went wrong, a later MAP failed with ENOSPC, DETACH and
 * MAP_HOLD dereferenced the freed mapping.
 */
#define MANY_MAPS	1200

TEST_F_TIMEOUT(back, many_unmaps_then_map_detach, 120)
{
	unsigned char *buf = gntv3_buf(MANY_MAPS), c = 0;
	struct gntv3_ioc_back_stats st;
	__u64 *ids = calloc(MANY_MAPS, sizeof(*ids));
	__u32 *maps = calloc(MANY_MAPS, sizeof(*maps));
	int *results = calloc(MANY_MAPS, sizeof(*results));
	__u32 half = MANY_MAPS / 2, map, b;
	__u64 first;
	int i, res;

	ASSERT_NE(NULL, buf);
	ASSERT_NE(NULL, ids);
	ASSERT_NE(NULL, maps);
	ASSERT_NE(NULL, results);
	fill(buf, MANY_MAPS * PAGE_SZ, 5);
	test_grant_user(self->tree, 0, buf, MANY_MAPS, &first);
	for (i = 0; i < MANY_MAPS; i++)
		ids[i] = first + i;

	for (int round = 0; round < 2; round++) {
		/* one mapping per page */
		ASSERT_EQ(0, _gntv3_map(self->fd, self->back, 0, ids, MANY_MAPS,
					maps)) TH_LOG("map: %s", strerror(errno));
		ASSERT_EQ(0, _gntv3_back_stats(self->fd, &st));
		EXPECT_EQ(self->st0.nr_mapped + MANY_MAPS, st.nr_mapped);
		/* the first half by synchronous UNMAPs, the rest in one batch */
		for (i = 0; i < (int)half; i++) {
			res = -1;
			ASSERT_EQ(0, _gntv3_unmap(self->fd, maps[i], 0, &res));
			ASSERT_EQ(0, res);
		}
		ASSERT_EQ(0, _gntv3_unmap_batch(self->fd, &maps[half], results,
						MANY_MAPS - half, 0));
		for (i = 0; i < (int)(MANY_MAPS - half); i++)
			ASSERT_EQ(0, results[i]);
		ASSERT_EQ(0, _gntv3_back_stats(self->fd, &st));
		EXPECT_EQ(self->st0.nr_mapped, st.nr_mapped);
		EXPECT_EQ(self->st0.nr_pages_mapped, st.nr_pages_mapped);
		EXPECT_EQ(self->st0.nr_unmap_pending, st.nr_unmap_pending);

		/* every handle is gone, none reaches a freed mapping */
		EXPECT_ERRNO(ENOENT, _gntv3_map_hold(self->fd, maps[0], 0, 1));
		EXPECT_ERRNO(ENOENT, _gntv3_map_hold(self->fd, maps[MANY_MAPS - 1],
						     0, 1));
		EXPECT_ERRNO(ENOENT, _gntv3_map_rw(self->fd, maps[half],
						   GNTV3_IOC_RW_READ, 0, 1, &c));
		EXPECT_ERRNO(ENOENT, _gntv3_unmap(self->fd, maps[1], 0, &res));
	}

	/* the file's accounting is back at zero: a new MAP works */
	ASSERT_EQ(0, _gntv3_map(self->fd, self->back, 0, &ids[7], 1, &map));
	ASSERT_EQ(0, _gntv3_map_rw(self->fd, map, GNTV3_IOC_RW_READ, 3, 1, &c));
	EXPECT_EQ(buf[7 * PAGE_SZ + 3], c);
	ASSERT_EQ(0, _gntv3_map_hold(self->fd, map, 0, 1));
	ASSERT_EQ(0, _gntv3_map_hold(self->fd, map, 0, 0));
	test_unmap(map);

	/* DETACH walks the file's mappings: none of the freed ones is left */
	ASSERT_EQ(0, _gntv3_map(self->fd, self->back, 0, ids, 16, maps));
	ASSERT_EQ(0, _gntv3_map_hold(self->fd, maps[3], 0, 1));
	ASSERT_EQ(0, _gntv3_map_hold(self->fd, maps[3], 0, 0));
	ASSERT_EQ(0, _gntv3_detach(self->fd, self->back));
	EXPECT_ERRNO(ENOENT, _gntv3_map_hold(self->fd, maps[3], 0, 1));
	ASSERT_EQ(0, _gntv3_back_stats(self->fd, &st));
	EXPECT_EQ(self->st0.nr_mapped, st.nr_mapped);
	EXPECT_EQ(self->st0.nr_pages_mapped, st.nr_pages_mapped);

	/* and a new attachment maps the whole range again */
	ASSERT_EQ(0, _gntv3_attach(self->fd, SELF_DOMID, self->tree_ref, &b));
	ASSERT_EQ(0, _gntv3_map(self->fd, b, 0, ids, MANY_MAPS, maps));
	ASSERT_EQ(0, _gntv3_unmap_batch(self->fd, maps, results, MANY_MAPS, 0));
	ASSERT_EQ(0, _gntv3_detach(self->fd, b));
	ASSERT_EQ(0, _gntv3_back_stats(self->fd, &st));
	EXPECT_EQ(self->st0.nr_mapped, st.nr_mapped);

	for (i = 0; i < MANY_MAPS; i++)
		test_end(self->tree, first + i);
	free(results);
	free(maps);
	free(ids);
	munmap(buf, MANY_MAPS * PAGE_SZ);
}

/* ------------------------------------------------------------------------
 * The frontend ends a grant we still map: quarantine until we let go.
 */
TEST_F(back, end_while_mapped_quarantines)
{
	unsigned char *buf = gntv3_buf(1);
	struct gntv3_ioc_tree_stats ts;
	__u32 map;
	__s32 r = -1;
	__u64 id;
	int i;

	ASSERT_NE(NULL, buf);
	test_grant_user(self->tree, 0, buf, 1, &id);
	ASSERT_EQ(0, _gntv3_map(self->fd, self->back, 0, &id, 1, &map));
	ASSERT_EQ(0, _gntv3_end(self->fd, self->tree, id, &r));
	EXPECT_EQ(1, r);
	test_stats(self->tree, &ts);
	EXPECT_EQ(1, ts.nr_quarantined);
	test_unmap(map);
	/* the frontend retries ending access every second or so */
	for (i = 0; i < 100; i++) {
		test_stats(self->tree, &ts);
		if (!ts.nr_quarantined)
			break;
		gntv3_msleep(100);
	}
	EXPECT_EQ(0, ts.nr_quarantined);
}

/* ------------------------------------------------------------------------
 * Detach and close with live mappings.
 */
TEST_F(back, detach_with_live_mappings)
{
	unsigned char *buf = gntv3_buf(8), c;
	struct gntv3_ioc_back_stats st;
	__u64 id, ids[8], big, off;
	__u32 maps[8], bmap;
	long long tables0 = gntv3_back_stat("tcache_maps");
	int i, res = -1;

	ASSERT_NE(NULL, buf);
	ASSERT_LE(0, tables0);
	test_grant_user(self->tree, 0, buf, 8, &id);
	test_grant_alloc(self->tree, 0, 9, &big, &off);
	for (i = 0; i < 8; i++)
		ids[i] = id + i;
	ASSERT_EQ(0, _gntv3_map(self->fd, self->back, 0, ids, 8, maps));
	ASSERT_EQ(0, _gntv3_map(self->fd, self->back, 0, &big, 1, &bmap));
	/*
	 * the walk mapped table pages (level 0 and 1 at least); native: the
	 * hypervisor walks, the backend maps no table
	 */
	EXPECT_LE(tables0 + (gntv3_native ? 0 : 2),
		  gntv3_back_stat("tcache_maps"));
	if (gntv3_native)
		EXPECT_EQ(tables0, gntv3_back_stat("tcache_maps"));
	/* one held page and one pending unmap are dealt with too */
	ASSERT_EQ(0, _gntv3_map_hold(self->fd, maps[3], 0, 1));
	ASSERT_EQ(0, _gntv3_map_hold(self->fd, maps[4], 0, 1));
	ASSERT_EQ(0, _gntv3_unmap(self->fd, maps[4], GNTV3_IOC_UNMAP_ASYNC, &res));
	ASSERT_EQ(0, res);

	ASSERT_EQ(0, _gntv3_detach(self->fd, self->back));
	ASSERT_EQ(0, _gntv3_back_stats(self->fd, &st));
	EXPECT_EQ(self->st0.nr_mapped, st.nr_mapped);
	EXPECT_EQ(self->st0.nr_pages_mapped, st.nr_pages_mapped);
	EXPECT_EQ(self->st0.nr_unmap_pending, st.nr_unmap_pending);
	EXPECT_EQ(tables0, gntv3_back_stat("tcache_maps"));
	EXPECT_ERRNO(ENOENT, _gntv3_map_rw(self->fd, maps[0], GNTV3_IOC_RW_READ, 0, 1, &c));
	EXPECT_ERRNO(ENOENT, _gntv3_map_rw(self->fd, bmap, GNTV3_IOC_RW_READ, 0, 1, &c));
	EXPECT_ERRNO(ENOENT, _gntv3_map_hold(self->fd, maps[3], 0, 0));
	EXPECT_ERRNO(ENOENT, _gntv3_detach(self->fd, self->back));
	EXPECT_ERRNO(ENOENT, _gntv3_map(self->fd, self->back, 0, ids, 1, maps));
	/* nothing is mapped any more: every END completes at once */
	for (i = 0; i < 8; i++)
		test_end(self->tree, ids[i]);
	test_end(self->tree, big);
}

/*
 * Detach right behind asynchronous unmaps, over and over: some unmap works
 * are still queued (detach cancels them), some in their done callback
 * (detach waits for it), some done.  Whichever, each mapping is unmapped
 * exactly once, nothing leaks, nothing is pending after the detach.  Every
 * other round the debugfs knob back_done_delay_ms holds each work for 20 ms
 * between leaving the attachment's list and its done callback, the window
 * a detach must wait out.
 */
TEST_F(back, detach_races_unmap_work)
{
	const unsigned int nr = 8, rounds = 40;
	unsigned char *buf = gntv3_buf(nr), c;
	long long leaked0 = gntv3_back_stat("leaked");
	struct gntv3_ioc_back_stats st;
	__u32 maps[8], back2;
	unsigned int i, r;
	__u64 first, ids[8];
	int res;

	ASSERT_NE(NULL, buf);
	ASSERT_LE(0, leaked0);
	test_grant_user(self->tree, 0, buf, nr, &first);
	for (i = 0; i < nr; i++)
		ids[i] = first + i;
	for (r = 0; r < rounds; r++) {
		ASSERT_EQ(0, gntv3_write_file(GNTV3_KNOB_DONE_DELAY,
					      r % 2 ? "20" : "0"));
		ASSERT_EQ(0, _gntv3_attach(self->fd, SELF_DOMID, self->tree_ref,
					   &back2));
		ASSERT_EQ(0, _gntv3_map(self->fd, back2, 0, ids, nr, maps));
		ASSERT_EQ(0, _gntv3_map_rw(self->fd, maps[r % nr],
					   GNTV3_IOC_RW_READ, 0, 1, &c));
		for (i = 0; i < nr; i++) {
			res = -1;
			ASSERT_EQ(0, _gntv3_unmap(self->fd, maps[i],
						  GNTV3_IOC_UNMAP_ASYNC, &res));
			ASSERT_EQ(0, res);
		}
		ASSERT_EQ(0, _gntv3_detach(self->fd, back2));
		ASSERT_EQ(0, _gntv3_back_stats(self->fd, &st));
		ASSERT_EQ(self->st0.nr_mapped, st.nr_mapped) TH_LOG("round %u", r);
		ASSERT_EQ(self->st0.nr_pages_mapped, st.nr_pages_mapped);
		ASSERT_EQ(self->st0.nr_unmap_pending, st.nr_unmap_pending);
	}
	ASSERT_EQ(0, gntv3_write_file(GNTV3_KNOB_DONE_DELAY, "0"));
	EXPECT_EQ(leaked0, gntv3_back_stat("leaked"));
	/* nothing maps them any more: every END completes at once */
	for (i = 0; i < nr; i++)
		test_end(self->tree, ids[i]);
}

TEST_F(back, close_with_live_mappings)
{
	struct gntv3_ioc_back_stats st;
	__u32 tree, ref, b, maps[16], bmap;
	__u64 id, ids[16], big, bid, off;
	long long leaked0 = gntv3_back_stat("leaked");
	long long quar0 = gntv3_debugfs_stat("quarantined");
	unsigned char *buf = gntv3_buf(16);
	int fd2, i, res;

	ASSERT_NE(NULL, buf);
	ASSERT_LE(0, leaked0);
	fd2 = open(GNTV3_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, _gntv3_tree_create(fd2, SELF_DOMID, &tree, &ref));
	ASSERT_EQ(0, _gntv3_grant(fd2, tree, 0, buf, 16, 0, &id, NULL));
	ASSERT_EQ(0, _gntv3_grant(fd2, tree, GNTV3_IOC_GRANT_ALLOC, NULL, 1, 9,
				  &big, &off));
	ASSERT_EQ(0, _gntv3_attach(fd2, SELF_DOMID, ref, &b));
	for (i = 0; i < 16; i++)
		ids[i] = id + i;
	ASSERT_EQ(0, _gntv3_map(fd2, b, 0, ids, 16, maps));
	/* native maps a superpage piece by piece: piece 100 alone */
	bid = gntv3_native ? big + 100 : big;
	ASSERT_EQ(0, _gntv3_map(fd2, b, GNTV3_IOC_MAP_READONLY, &bid, 1, &bmap));
	/* a held page of the superpage with its unmap pending, one plain hold */
	ASSERT_EQ(0, _gntv3_map_hold(fd2, bmap, gntv3_native ? 0 : 100, 1));
	ASSERT_EQ(0, _gntv3_unmap(fd2, bmap, GNTV3_IOC_UNMAP_ASYNC, &res));
	ASSERT_EQ(0, _gntv3_map_hold(fd2, maps[5], 0, 1));
	ASSERT_EQ(0, _gntv3_back_stats(fd2, &st));
	EXPECT_EQ(self->st0.nr_mapped + 17, st.nr_mapped);
	EXPECT_EQ(self->st0.nr_pages_mapped + 16 + (gntv3_native ? 1 : 512),
		  st.nr_pages_mapped);
	EXPECT_EQ(self->st0.nr_unmap_pending + 1, st.nr_unmap_pending);

	/* close: holds dropped, everything unmapped, then grants ended */
	ASSERT_EQ(0, close(fd2));
	ASSERT_EQ(0, _gntv3_back_stats(self->fd, &st));
	EXPECT_EQ(self->st0.nr_mapped, st.nr_mapped);
	EXPECT_EQ(self->st0.nr_pages_mapped, st.nr_pages_mapped);
	EXPECT_EQ(self->st0.nr_unmap_pending, st.nr_unmap_pending);
	EXPECT_EQ(leaked0, gntv3_back_stat("leaked"));
	EXPECT_EQ(quar0, gntv3_debugfs_stat("quarantined"));
	EXPECT_EQ(1, gntv3_back_stat("attachments"));
}

TEST_HARNESS_MAIN
