// SPDX-License-Identifier: GPL-2.0-only
/*
 * gntv3 frontend kselftests: /dev/gntv3 as the granting side.
 *
 * Runs in a PV dom0 on stock Xen and grants to domid 0, i.e. to itself, so
 * no second domain is needed: the v1 transport, the tree layout as the
 * backend would see it (through GNTV3_IOC_QUERY), id allocation, tree
 * growth and shrink, exhaustion of v1 grant references, validation of every
 * ioctl, release at close and module unload/reload.
 *
 * Must run as root with gntv3.ko loaded; the last test unloads and reloads
 * it from $GNTV3_KO (default /lib/modules/gntv3.ko).
 */
#include <stdint.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "gntv3_utils.h"

#define SELF_DOMID	0	/* dom0 grants to itself */
#define GNTV3_KO	"/lib/modules/gntv3.ko"

/* ------------------------------------------------------------------------
 * The main fixture: an open /dev/gntv3 and one tree granting to dom0.
 */
FIXTURE(front) {
	int fd;
	__u32 tree;
	__u32 tree_ref;
};

FIXTURE_SETUP(front)
{
	self->fd = open(GNTV3_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->fd) TH_LOG("open %s: %s", GNTV3_DEV, strerror(errno));
	test_tree_create(SELF_DOMID, &self->tree, &self->tree_ref);
}

FIXTURE_TEARDOWN(front)
{
	if (self->fd >= 0)
		close(self->fd);
}

TEST_F(front, info)
{
	struct gntv3_ioc_info info;

	ASSERT_EQ(0, _gntv3_info(self->fd, &info));
	/*
	 * Stock Xen has no GNTTABOP_v3_*: v1 transport, probe says ENOSYS (a
	 * partial v3 hypervisor: EOPNOTSUPP).  The project's prototype offers
	 * everything the module needs: native, probe 0.  Nothing else.
	 */
	printf("# transport: %s\n", gntv3_native ? "native" : "v1");
	if (info.transport == GNTV3_TRANSPORT_NATIVE) {
		EXPECT_EQ(0, info.probe_rc);
	} else {
		EXPECT_EQ(GNTV3_TRANSPORT_V1, info.transport);
		EXPECT_TRUE(info.probe_rc == -ENOSYS ||
			    info.probe_rc == -EOPNOTSUPP);
	}
	EXPECT_EQ(GNTV3_ABI_VERSION, info.abi_version);
	EXPECT_EQ(0, info.self_domid);
	EXPECT_EQ(0, info.pad);
}

TEST_F(front, tree_create_destroy)
{
	struct gntv3_ioc_tree_stats st;
	__u32 tree2, ref2;

	/* A fresh tree is empty; only its descriptor page is granted. */
	test_stats(self->tree, &st);
	EXPECT_EQ(0, st.levels);
	EXPECT_EQ(0, st.nr_grants);
	EXPECT_EQ(0, st.nr_ids);
	EXPECT_EQ(0, st.nr_tables);
	EXPECT_EQ(0, st.nr_quarantined);
	EXPECT_EQ(V1_REFS(1), st.nr_v1_refs);
	EXPECT_EQ(0, st.nr_failures);

	/*
	 * v1 references 0-7 are reserved by Xen: a real one is above them.
	 * A native tree handle is never 0.
	 */
	EXPECT_LE(gntv3_native ? 1 : 8, self->tree_ref);

	test_tree_create(SELF_DOMID, &tree2, &ref2);
	EXPECT_NE(self->tree, tree2);
	EXPECT_NE(self->tree_ref, ref2);
	test_tree_destroy(tree2);
	/* The handle is gone. */
	test_err_tree_destroy(ENOENT, tree2);
	EXPECT_ERRNO(ENOENT, _gntv3_stats(self->fd, tree2, &st));

	/* A tree to another (absent) domain can be created too. */
	test_tree_create(7, &tree2, NULL);
	test_tree_destroy(tree2);
}

/* Check one 4 KiB grant as the backend would see it. */
static void check_4k(struct __test_metadata *_metadata, int fd, __u32 tree,
		     __u64 id, bool ro)
{
	struct gntv3_ioc_query q;

	ASSERT_EQ(0, _gntv3_query(fd, tree, id, &q));
	EXPECT_EQ(id, q.first_id);
	EXPECT_EQ(0, q.order);
	EXPECT_EQ(0, q.state);
	EXPECT_EQ(ro, q.readonly);
	EXPECT_EQ(PTE_VALID, q.pte & (PTE_VALID | PTE_TABLE));
	EXPECT_EQ(ro ? 0 : PTE_WRITE, q.pte & PTE_WRITE);
	EXPECT_EQ(0, q.pte & (PTE_REVOKED | PTE_DOWNGRADE | PTE_RSV_MASK));
	EXPECT_EQ(0, PTE_SIZE(q.pte));
	if (gntv3_native) {
		/* a frame number */
		EXPECT_EQ(0, q.pte & PTE_V1);
		EXPECT_NE(0, PTE_FRAME(q.pte));
		return;
	}
	EXPECT_EQ(PTE_V1, q.pte & PTE_V1);
	/* A v1 reference: 32 bits, above the 8 reserved ones. */
	EXPECT_LE(8, PTE_FRAME(q.pte));
	EXPECT_GE(0xffffffffULL, PTE_FRAME(q.pte));
}

/* ------------------------------------------------------------------------
 * User pages: 1, 16 and 512 pages, read-write and read-only.
 */
FIXTURE(user) {
	int fd;
	__u32 tree;
};

FIXTURE_VARIANT(user) {
	unsigned int nr;
	bool ro;
};

FIXTURE_VARIANT_ADD(user, one_rw) { .nr = 1, .ro = false };
FIXTURE_VARIANT_ADD(user, sixteen_ro) { .nr = 16, .ro = true };
FIXTURE_VARIANT_ADD(user, page_table_rw) { .nr = 512, .ro = false };
FIXTURE_VARIANT_ADD(user, page_table_ro) { .nr = 512, .ro = true };

FIXTURE_SETUP(user)
{
	self->fd = open(GNTV3_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->fd);
	test_tree_create(SELF_DOMID, &self->tree, NULL);
}

FIXTURE_TEARDOWN(user)
{
	close(self->fd);
}

TEST_F(user, grant_query_end)
{
	__u32 flags = variant->ro ? GNTV3_IOC_GRANT_READONLY : 0;
	struct gntv3_ioc_tree_stats st;
	__u64 first = ~0ULL, off = ~0ULL, refs0;
	struct gntv3_ioc_query q;
	unsigned int i;
	void *buf;

	buf = gntv3_buf(variant->nr);
	ASSERT_NE(NULL, buf);
	test_stats(self->tree, &st);
	refs0 = st.nr_v1_refs;

	ASSERT_EQ(0, _gntv3_grant(self->fd, self->tree, flags, buf,
				  variant->nr, 0, &first, &off));
	/* Lowest ids first in an empty tree; no mmap window for user pages. */
	EXPECT_EQ(0, first);
	EXPECT_EQ(0, off);

	for (i = 0; i < variant->nr; i++)
		check_4k(_metadata, self->fd, self->tree, first + i, variant->ro);
	/* Each page has its own v1 reference. */
	test_query(self->tree, first, &q);
	if (variant->nr > 1) {
		struct gntv3_ioc_query q2;

		test_query(self->tree, first + 1, &q2);
		EXPECT_NE(PTE_FRAME(q.pte), PTE_FRAME(q2.pte));
	}
	/* The id after the last one is not granted. */
	test_err_query(ENOENT, self->tree, first + variant->nr);

	test_stats(self->tree, &st);
	EXPECT_EQ(variant->nr, st.nr_grants);
	EXPECT_EQ(variant->nr, st.nr_ids);
	EXPECT_EQ(1, st.levels);
	EXPECT_EQ(1, st.nr_tables);
	/* One per page plus the new table page. */
	EXPECT_EQ(V1_REFS(refs0 + variant->nr + 1), st.nr_v1_refs);
	EXPECT_EQ(0, st.nr_quarantined);

	for (i = 0; i < variant->nr; i++)
		test_end(self->tree, first + i);

	test_stats(self->tree, &st);
	EXPECT_EQ(0, st.nr_grants);
	EXPECT_EQ(0, st.nr_ids);
	EXPECT_EQ(0, st.nr_tables);
	EXPECT_EQ(0, st.levels);
	EXPECT_EQ(V1_REFS(refs0), st.nr_v1_refs);
	test_err_query(ENOENT, self->tree, first);
	munmap(buf, variant->nr * PAGE_SZ);
}

/* The page at @p is part of a transparent huge page (smaps' AnonHugePages). */
static bool thp_backed(const void *p)
{
	unsigned long start, end, want = (unsigned long)p;
	FILE *f = fopen("/proc/self/smaps", "r");
	bool in = false, ret = false;
	char line[256];
	long kb;

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx ", &start, &end) == 2) {
			in = want >= start && want < end;
			continue;
		}
		if (in && sscanf(line, "AnonHugePages: %ld kB", &kb) == 1) {
			ret = kb >= 2048;
			break;
		}
	}
	fclose(f);
	return ret;
}

/*
 * Pinned user memory backed by a transparent huge page: each of its 512
 * pages is its own 4 KiB grant, not a 2 MiB one.  PVH and HVM guests have
 * THP (an aligned anonymous buffer of 2 MiB or more gets one by default);
 * PV guests have none, and there the test skips.
 */
TEST_F(front, grant_thp_pages)
{
	const size_t huge = 2UL << 20;
	unsigned char *raw, *buf;
	__u64 first = ~0ULL, off;
	unsigned int i;

	raw = mmap(NULL, 2 * huge, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, raw);
	buf = (unsigned char *)(((unsigned long)raw + huge - 1) & ~(huge - 1));
	madvise(buf, huge, MADV_HUGEPAGE);
	memset(buf, 0x5a, huge);
	if (!thp_backed(buf)) {
		munmap(raw, 2 * huge);
		SKIP(return, "no transparent huge page here (none in a PV guest)");
	}
	ASSERT_EQ(0, _gntv3_grant(self->fd, self->tree, 0, buf, 512, 0,
				  &first, &off));
	for (i = 0; i < 512; i++)
		check_4k(_metadata, self->fd, self->tree, first + i, false);
	for (i = 0; i < 512; i++)
		test_end(self->tree, first + i);
	munmap(raw, 2 * huge);
}

/* ------------------------------------------------------------------------
 * Kernel-allocated folios: 4 KiB, 2 MiB and 1 GiB.
 */
FIXTURE(alloc) {
	int fd;
	__u32 tree;
};

FIXTURE_VARIANT(alloc) {
	unsigned int order;
};

FIXTURE_VARIANT_ADD(alloc, size_4k) { .order = 0 };
FIXTURE_VARIANT_ADD(alloc, size_2m) { .order = 9 };
FIXTURE_VARIANT_ADD(alloc, size_1g) { .order = 18 };

FIXTURE_SETUP(alloc)
{
	self->fd = open(GNTV3_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->fd);
	test_tree_create(SELF_DOMID, &self->tree, NULL);
}

FIXTURE_TEARDOWN(alloc)
{
	close(self->fd);
}

TEST_F(alloc, grant_mmap_end)
{
	size_t nr = 1UL << variant->order, len = nr * PAGE_SZ, i;
	struct gntv3_ioc_tree_stats st;
	struct gntv3_ioc_query q;
	__u64 id = ~0ULL, off = 0, frame;
	unsigned char *m1, *m2;
	bool split;
	int ret;

	ret = _gntv3_grant(self->fd, self->tree, GNTV3_IOC_GRANT_ALLOC, NULL,
			   1, variant->order, &id, &off);
	if (variant->order == 18) {
		/*
		 * 1 GiB: no such folio in a 1 GiB dom0 (ENOMEM), and not
		 * 262144 v1 references either (ENOSPC).
		 */
		ASSERT_EQ(-1, ret);
		ASSERT_TRUE(errno == ENOMEM || errno == ENOSPC)
			TH_LOG("1 GiB grant: unexpected %s", strerror(errno));
		TH_LOG("1 GiB grant failed with %s", errno == ENOMEM ? "ENOMEM" : "ENOSPC");
		test_stats(self->tree, &st);
		EXPECT_EQ(0, st.nr_grants);
		EXPECT_EQ(0, st.nr_ids);
		return;
	}
	ASSERT_EQ(0, ret) TH_LOG("grant order %u: %s", variant->order, strerror(errno));
	EXPECT_EQ(0, id & (nr - 1));
	EXPECT_NE(0, off);
	EXPECT_EQ(0, off & (PAGE_SZ - 1));

	test_query(self->tree, id, &q);
	EXPECT_EQ(id, q.first_id);
	EXPECT_EQ(variant->order, q.order);
	EXPECT_EQ(0, q.state);
	EXPECT_EQ(0, q.readonly);
	EXPECT_EQ(PTE_VALID | PTE_WRITE | (gntv3_native ? 0 : PTE_V1),
		  q.pte & (PTE_VALID | PTE_TABLE | PTE_WRITE | PTE_V1 |
			   PTE_REVOKED | PTE_DOWNGRADE | PTE_RSV_MASK));
	split = gntv3_split(self->fd, self->tree, id);
	/* native: one leaf if machine-contiguous, else 4 KiB leaves */
	EXPECT_FALSE(split && !gntv3_native);
	EXPECT_EQ(split ? 0 : variant->order / 9, PTE_SIZE(q.pte));
	frame = PTE_FRAME(q.pte);
	if (nr > 1) {
		/* Any id inside the superpage names the whole grant. */
		test_query(self->tree, id + nr - 1, &q);
		EXPECT_EQ(id, q.first_id);
		EXPECT_EQ(variant->order, q.order);
		/* a split grant's last id has its own 4 KiB leaf and frame */
		if (split) {
			EXPECT_EQ(0, PTE_SIZE(q.pte));
			EXPECT_NE(frame, PTE_FRAME(q.pte));
		}
		/* Only the first id starts a grant. */
		test_err_end(ENOENT, self->tree, id + 1);
	}
	test_stats(self->tree, &st);
	EXPECT_EQ(1, st.nr_grants);
	EXPECT_EQ(nr, st.nr_ids);

	/* Shared mapping: zeroed memory, writes visible through a second map. */
	m1 = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, self->fd, off);
	ASSERT_NE(MAP_FAILED, m1) TH_LOG("mmap: %s", strerror(errno));
	for (i = 0; i < len; i++)
		ASSERT_EQ(0, m1[i]);
	for (i = 0; i < len; i += 64)
		m1[i] = (unsigned char)(i / 64 * 7 + 1);
	m2 = mmap(NULL, len, PROT_READ, MAP_SHARED, self->fd, off);
	ASSERT_NE(MAP_FAILED, m2);
	for (i = 0; i < len; i += 64)
		ASSERT_EQ((unsigned char)(i / 64 * 7 + 1), m2[i]);
	ASSERT_EQ(0, munmap(m2, len));

	/* Part of the folio, from its second half. */
	if (nr > 1) {
		m2 = mmap(NULL, PAGE_SZ, PROT_READ, MAP_SHARED, self->fd,
			  off + len / 2);
		ASSERT_NE(MAP_FAILED, m2);
		ASSERT_EQ(m1[len / 2], m2[0]);
		ASSERT_EQ(0, munmap(m2, PAGE_SZ));
	}

	test_end(self->tree, id);
	test_stats(self->tree, &st);
	EXPECT_EQ(0, st.nr_grants);
	EXPECT_EQ(0, st.nr_ids);
	/* The old mapping still holds the memory; nothing new maps. */
	EXPECT_EQ(1, m1[0]);
	EXPECT_EQ(MAP_FAILED, mmap(NULL, PAGE_SZ, PROT_READ, MAP_SHARED,
				   self->fd, off));
	ASSERT_EQ(0, munmap(m1, len));
}

/* The sizes that can be allocated here: 4 KiB and 2 MiB. */
FIXTURE(alloc_ok) {
	int fd;
	__u32 tree;
};

FIXTURE_VARIANT(alloc_ok) {
	unsigned int order;
};

FIXTURE_VARIANT_ADD(alloc_ok, size_4k) { .order = 0 };
FIXTURE_VARIANT_ADD(alloc_ok, size_2m) { .order = 9 };

FIXTURE_SETUP(alloc_ok)
{
	self->fd = open(GNTV3_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->fd);
	test_tree_create(SELF_DOMID, &self->tree, NULL);
}

FIXTURE_TEARDOWN(alloc_ok)
{
	close(self->fd);
}

TEST_F(alloc_ok, mmap_bad)
{
	size_t len = PAGE_SZ << variant->order;
	__u64 id, off;

	test_grant_alloc(self->tree, 0, variant->order, &id, &off);
	/* Private: writes would land in a copy, not in the granted memory. */
	EXPECT_EQ(MAP_FAILED, mmap(NULL, len, PROT_READ, MAP_PRIVATE, self->fd, off));
	EXPECT_EQ(EINVAL, errno);
	/* Longer than the folio. */
	EXPECT_EQ(MAP_FAILED, mmap(NULL, len + PAGE_SZ, PROT_READ, MAP_SHARED,
				   self->fd, off));
	EXPECT_EQ(EINVAL, errno);
	/* No folio behind offset 0 or past the one allocated. */
	EXPECT_EQ(MAP_FAILED, mmap(NULL, PAGE_SZ, PROT_READ, MAP_SHARED, self->fd, 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(MAP_FAILED, mmap(NULL, PAGE_SZ, PROT_READ, MAP_SHARED,
				   self->fd, off + (1ULL << 30)));
	EXPECT_EQ(EINVAL, errno);
	test_end(self->tree, id);
}

TEST_F(alloc_ok, readonly)
{
	struct gntv3_ioc_query q;
	__u64 id, off;
	bool split;

	test_grant_alloc(self->tree, GNTV3_IOC_GRANT_READONLY, variant->order,
			 &id, &off);
	test_query(self->tree, id, &q);
	EXPECT_EQ(1, q.readonly);
	EXPECT_EQ(0, q.pte & PTE_WRITE);
	EXPECT_EQ(PTE_VALID, q.pte & PTE_VALID);
	split = gntv3_split(self->fd, self->tree, id);
	/* native: one leaf if machine-contiguous, else 4 KiB leaves */
	EXPECT_FALSE(split && !gntv3_native);
	EXPECT_EQ(split ? 0 : variant->order / 9, PTE_SIZE(q.pte));
	test_end(self->tree, id);
}

/* ------------------------------------------------------------------------
 * Id allocation and tree shape.
 */
TEST_F(front, id_reuse)
{
	__u64 a, b, c, d;
	void *buf;

	buf = gntv3_buf(4);
	ASSERT_NE(NULL, buf);
	test_grant_user(self->tree, 0, buf, 1, &a);
	test_grant_user(self->tree, 0, (char *)buf + PAGE_SZ, 1, &b);
	test_grant_user(self->tree, 0, (char *)buf + 2 * PAGE_SZ, 1, &c);
	EXPECT_EQ(0, a);
	EXPECT_EQ(a + 1, b);
	EXPECT_EQ(b + 1, c);

	/* Freed ids come back lowest first. */
	test_end(self->tree, b);
	test_end(self->tree, a);
	test_grant_user(self->tree, 0, (char *)buf + 3 * PAGE_SZ, 1, &d);
	EXPECT_EQ(a, d);
	test_grant_user(self->tree, 0, buf, 1, &d);
	EXPECT_EQ(b, d);
	/* Then the first free one above. */
	test_grant_user(self->tree, 0, (char *)buf + PAGE_SZ, 1, &d);
	EXPECT_EQ(c + 1, d);

	/* A run that does not fit in the hole below goes above it. */
	test_end(self->tree, b);
	test_grant_user(self->tree, 0, buf, 2, &d);
	EXPECT_EQ(c + 2, d);

	test_end(self->tree, a);
	test_end(self->tree, c);
	test_end(self->tree, c + 1);
	test_end(self->tree, c + 2);
	test_end(self->tree, c + 3);
	munmap(buf, 4 * PAGE_SZ);
}

TEST_F(front, tree_growth)
{
	struct gntv3_ioc_tree_stats st;
	struct gntv3_ioc_query q;
	__u64 first, big, off, one, high;
	unsigned int i;
	bool split;
	void *buf;

	buf = gntv3_buf(601);
	ASSERT_NE(NULL, buf);

	/* 88 pages, ids 0-87: one level, one table. */
	test_grant_user(self->tree, 0, buf, 88, &first);
	EXPECT_EQ(0, first);
	test_stats(self->tree, &st);
	EXPECT_EQ(1, st.levels);
	EXPECT_EQ(1, st.nr_tables);

	/*
	 * A 2 MiB leaf sits at level 1, on the first free aligned run of 512
	 * ids: 512.  Two levels: a new root above the 4K table.
	 */
	test_grant_alloc(self->tree, 0, 9, &big, &off);
	EXPECT_EQ(512, big);
	/* native, not machine-contiguous: 512 4 KiB leaves in a table more */
	split = gntv3_split(self->fd, self->tree, big);
	EXPECT_FALSE(split && !gntv3_native);
	test_stats(self->tree, &st);
	EXPECT_EQ(2, st.levels);
	EXPECT_EQ(2 + split, st.nr_tables);

	/* One page takes the lowest free id. */
	test_grant_user(self->tree, 0, (char *)buf + 88 * PAGE_SZ, 1, &one);
	EXPECT_EQ(88, one);

	/* 512 consecutive ids fit neither below 512 nor in the superpage. */
	test_grant_user(self->tree, 0, (char *)buf + 89 * PAGE_SZ, 512, &high);
	EXPECT_EQ(1024, high);
	test_stats(self->tree, &st);
	EXPECT_EQ(2, st.levels);
	EXPECT_EQ(3 + split, st.nr_tables);
	EXPECT_EQ(88 + 512 + 1 + 512, st.nr_ids);
	EXPECT_EQ(88 + 1 + 1 + 512, st.nr_grants);
	/* Pages + superpage frames + 3 tables + the descriptor. */
	EXPECT_EQ(V1_REFS(88 + 512 + 1 + 512 + 3 + 1), st.nr_v1_refs);

	test_query(self->tree, 1024 + 511, &q);
	EXPECT_EQ(1024 + 511, q.first_id);
	test_query(self->tree, 512 + 300, &q);
	EXPECT_EQ(512, q.first_id);
	EXPECT_EQ(9, q.order);
	test_err_query(ENOENT, self->tree, 1536);
	test_err_query(ENOENT, self->tree, 89);

	/*
	 * Without the superpage and the high table, the root only holds the
	 * low table: the tree drops back to one level.
	 */
	test_end(self->tree, big);
	for (i = 0; i < 512; i++)
		test_end(self->tree, high + i);
	test_stats(self->tree, &st);
	EXPECT_EQ(89, st.nr_ids);
	EXPECT_EQ(1, st.levels);
	EXPECT_EQ(1, st.nr_tables);

	/* Ending everything empties the tree. */
	for (i = 0; i < 88; i++)
		test_end(self->tree, first + i);
	test_end(self->tree, one);
	test_stats(self->tree, &st);
	EXPECT_EQ(0, st.nr_ids);
	EXPECT_EQ(0, st.nr_grants);
	EXPECT_EQ(0, st.nr_tables);
	EXPECT_EQ(0, st.levels);
	EXPECT_EQ(V1_REFS(1), st.nr_v1_refs);
	munmap(buf, 601 * PAGE_SZ);
}

/* ------------------------------------------------------------------------
 * Limits.
 */

/*
 * Grant until the v1 grant references of dom0 run out: each failure is
 * ENOSPC, nothing leaks, and everything comes back once all is ended.
 */
TEST_F_TIMEOUT(front, exhaust_v1_refs, 600)
{
	const unsigned int max_chunk = GNTV3_IOC_MAX_PAGES;
	struct gntv3_ioc_tree_stats st;
	struct { __u64 first; __u32 nr; } *runs;
	unsigned int nr_runs = 0, chunk = max_chunk, i, j;
	__u32 spare;
	__u64 total = 0, refs0, first, off;
	void *buf;
	int ret;

	if (gntv3_native)
		SKIP(return, "v1 transport only: native trees use no v1 grant reference");

	/* The same pages serve every grant: only references run out. */
	buf = gntv3_buf(max_chunk);
	ASSERT_NE(NULL, buf);
	runs = calloc(GNTV3_IOC_MAX_PAGES, sizeof(*runs));
	ASSERT_NE(NULL, runs);
	test_stats(self->tree, &st);
	refs0 = st.nr_v1_refs;

	for (;;) {
		ret = _gntv3_grant(self->fd, self->tree, 0, buf, chunk, 0,
				   &first, NULL);
		if (ret) {
			ASSERT_EQ(ENOSPC, errno) TH_LOG("grant of %u pages after %llu: %s",
							chunk, total, strerror(errno));
			if (chunk == 1)
				break;
			chunk /= 8;
			continue;
		}
		ASSERT_GT(GNTV3_IOC_MAX_PAGES, nr_runs);
		runs[nr_runs].first = first;
		runs[nr_runs++].nr = chunk;
		total += chunk;
	}
	TH_LOG("v1 grant references ran out after %llu grants", total);
	/* Xen's default is 64 grant frames of 512 references. */
	ASSERT_LT(1000, total);

	/* Nothing else fits either, and failures changed nothing. */
	test_err_grant(ENOSPC, self->tree, GNTV3_IOC_GRANT_ALLOC, NULL, 1, 9);
	/*
	 * A new tree needs one reference for its descriptor.  Other grant
	 * users of dom0 (xenstored, the console daemon) may free one at any
	 * moment, so a success is possible; it must then come with a valid
	 * tree that destroys cleanly.
	 */
	ret = _gntv3_tree_create(self->fd, SELF_DOMID, &spare, NULL);
	if (ret) {
		EXPECT_EQ(ENOSPC, errno);
	} else {
		TH_LOG("a v1 reference was freed by another grant user meanwhile");
		EXPECT_EQ(0, _gntv3_tree_destroy(self->fd, spare));
	}
	test_stats(self->tree, &st);
	EXPECT_EQ(total, st.nr_grants);
	EXPECT_EQ(total, st.nr_ids);
	EXPECT_EQ(0, st.nr_quarantined);
	EXPECT_EQ(V1_REFS(refs0 + total + st.nr_tables), st.nr_v1_refs);

	for (i = 0; i < nr_runs; i++)
		for (j = 0; j < runs[i].nr; j++)
			test_end(self->tree, runs[i].first + j);
	test_stats(self->tree, &st);
	EXPECT_EQ(0, st.nr_grants);
	EXPECT_EQ(0, st.nr_ids);
	EXPECT_EQ(0, st.nr_tables);
	EXPECT_EQ(V1_REFS(refs0), st.nr_v1_refs);

	/* The references are back: a 2 MiB grant needs 512 in a row. */
	test_grant_alloc(self->tree, 0, 9, &first, &off);
	test_end(self->tree, first);
	free(runs);
	munmap(buf, max_chunk * PAGE_SZ);
}

/* A file holds at most 64 trees (GNTV3_DEV_MAX_TREES). */
TEST_F(front, tree_limit)
{
	__u32 trees[63];
	unsigned int i;

	for (i = 0; i < 63; i++)
		test_tree_create(SELF_DOMID, &trees[i], NULL);
	test_err_tree_create(ENOSPC, SELF_DOMID);
	test_tree_destroy(trees[0]);
	test_tree_create(SELF_DOMID, &trees[0], NULL);
	for (i = 0; i < 63; i++)
		test_tree_destroy(trees[i]);
}

/* ------------------------------------------------------------------------
 * Bad input, one errno per test.
 */
TEST_F(front, enotty)
{
	struct gntv3_ioc_grant g = { 0 };

	EXPECT_ERRNO(ENOTTY, ioctl(self->fd, _IO(GNTV3_IOC_MAGIC, 0x3f)));
	EXPECT_ERRNO(ENOTTY, ioctl(self->fd, _IO(GNTV3_IOC_MAGIC, 0x00)));
	/* A known number with the wrong size or direction. */
	EXPECT_ERRNO(ENOTTY, ioctl(self->fd, _IOWR(GNTV3_IOC_MAGIC, 0x33, __u32), &g));
	EXPECT_ERRNO(ENOTTY, ioctl(self->fd,
				   _IOW(GNTV3_IOC_MAGIC, 0x33, struct gntv3_ioc_grant),
				   &g));
	EXPECT_ERRNO(ENOTTY, ioctl(self->fd, _IOWR('g', 0x33, struct gntv3_ioc_grant), &g));
}

/*
 * The dispatcher takes the struct size from the ioctl number: a longer
 * struct (a newer userspace) works if its tail is zero, E2BIG otherwise; a
 * shorter one is no command of ours.  The test ioctls moved to 0x70 and up:
 * their old numbers are free.
 */
TEST_F(front, struct_sizes)
{
	struct {
		struct gntv3_ioc_tree_create c;
		__u64 more;
	} big;
	struct {
		__u16 domid;
		__u16 flags;
	} small = { .domid = SELF_DOMID };
	unsigned int nr = _IOC_NR(GNTV3_IOC_TREE_CREATE);

	memset(&big, 0, sizeof(big));
	big.c.domid = SELF_DOMID;
	big.more = 1;
	EXPECT_ERRNO(E2BIG, ioctl(self->fd, _IOWR(GNTV3_IOC_MAGIC, nr, big), &big));
	big.more = 0;
	ASSERT_EQ(0, ioctl(self->fd, _IOWR(GNTV3_IOC_MAGIC, nr, big), &big));
	EXPECT_NE(0, big.c.tree);
	EXPECT_NE(self->tree, big.c.tree);
	EXPECT_EQ(0, big.more);
	test_tree_destroy(big.c.tree);
	/* a pad in the part this kernel knows is still checked */
	big.c.pad = 1;
	EXPECT_ERRNO(EINVAL, ioctl(self->fd, _IOWR(GNTV3_IOC_MAGIC, nr, big), &big));

	EXPECT_ERRNO(ENOTTY, ioctl(self->fd, _IOWR(GNTV3_IOC_MAGIC, nr, small),
				   &small));
	EXPECT_ERRNO(ENOTTY, ioctl(self->fd, _IOWR(GNTV3_IOC_MAGIC, 0x35,
						   struct gntv3_ioc_query), &big));
	EXPECT_ERRNO(ENOTTY, ioctl(self->fd, _IOR(GNTV3_IOC_MAGIC, 0x46,
						  struct gntv3_ioc_back_stats), &big));
}

TEST_F(front, efault)
{
	void *bad = (void *)8, *none, *buf;
	struct gntv3_ioc_tree_stats st;
	__u64 id;

	EXPECT_ERRNO(EFAULT, ioctl(self->fd, GNTV3_IOC_INFO, bad));
	EXPECT_ERRNO(EFAULT, ioctl(self->fd, GNTV3_IOC_TREE_CREATE, bad));
	EXPECT_ERRNO(EFAULT, ioctl(self->fd, GNTV3_IOC_TREE_DESTROY, bad));
	EXPECT_ERRNO(EFAULT, ioctl(self->fd, GNTV3_IOC_GRANT, bad));
	EXPECT_ERRNO(EFAULT, ioctl(self->fd, GNTV3_IOC_END, bad));
	EXPECT_ERRNO(EFAULT, ioctl(self->fd, GNTV3_IOC_QUERY, bad));
	EXPECT_ERRNO(EFAULT, ioctl(self->fd, GNTV3_IOC_TREE_STATS, bad));

	/* Memory that is not there, or not all of it. */
	buf = gntv3_buf(2);
	ASSERT_NE(NULL, buf);
	none = (char *)buf + PAGE_SZ;
	ASSERT_EQ(0, munmap(none, PAGE_SZ));
	test_err_grant(EFAULT, self->tree, 0, none, 1, 0);
	test_err_grant(EFAULT, self->tree, 0, buf, 2, 0);
	/* Read-only memory cannot be granted writable, only read-only. */
	ASSERT_EQ(0, mprotect(buf, PAGE_SZ, PROT_READ));
	test_err_grant(EFAULT, self->tree, 0, buf, 1, 0);
	test_grant_user(self->tree, GNTV3_IOC_GRANT_READONLY, buf, 1, &id);
	test_end(self->tree, id);

	/* A tree or grant whose result cannot be written back is undone. */
	{
		long long trees0 = gntv3_debugfs_stat("trees");
		struct gntv3_ioc_tree_create *c;
		struct gntv3_ioc_grant *g;

		c = mmap(NULL, PAGE_SZ, PROT_READ,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		ASSERT_NE(MAP_FAILED, c);
		EXPECT_ERRNO(EFAULT, ioctl(self->fd, GNTV3_IOC_TREE_CREATE, c));
		EXPECT_EQ(trees0, gntv3_debugfs_stat("trees"));
		munmap(c, PAGE_SZ);

		g = mmap(NULL, PAGE_SZ, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		ASSERT_NE(MAP_FAILED, g);
		*g = (struct gntv3_ioc_grant){ .tree = self->tree,
			.flags = GNTV3_IOC_GRANT_READONLY,
			.addr = (__u64)(unsigned long)buf, .nr_pages = 1 };
		ASSERT_EQ(0, mprotect(g, PAGE_SZ, PROT_READ));
		EXPECT_ERRNO(EFAULT, ioctl(self->fd, GNTV3_IOC_GRANT, g));
		munmap(g, PAGE_SZ);
	}
	test_stats(self->tree, &st);
	EXPECT_EQ(0, st.nr_grants);
	EXPECT_EQ(0, st.nr_ids);
	munmap(buf, PAGE_SZ);
}

TEST_F(front, einval_tree_create)
{
	struct gntv3_ioc_tree_create c;

	c = (struct gntv3_ioc_tree_create){ .domid = SELF_DOMID, .flags = 1 };
	EXPECT_ERRNO(EINVAL, ioctl(self->fd, GNTV3_IOC_TREE_CREATE, &c));
	c = (struct gntv3_ioc_tree_create){ .domid = SELF_DOMID, .flags = 0x8000 };
	EXPECT_ERRNO(EINVAL, ioctl(self->fd, GNTV3_IOC_TREE_CREATE, &c));
	c = (struct gntv3_ioc_tree_create){ .domid = SELF_DOMID, .pad = 1 };
	EXPECT_ERRNO(EINVAL, ioctl(self->fd, GNTV3_IOC_TREE_CREATE, &c));
	/* DOMID_SELF and the other reserved ids (IO, XEN, COW, INVALID...). */
	test_err_tree_create(EINVAL, DOMID_SELF);
	test_err_tree_create(EINVAL, DOMID_FIRST_RESERVED + 1);
	test_err_tree_create(EINVAL, DOMID_FIRST_RESERVED + 2);
	test_err_tree_create(EINVAL, 0x7ff4);
	test_err_tree_create(EINVAL, 0xffff);
}

TEST_F(front, einval_pads)
{
	struct gntv3_ioc_tree t = { .tree = self->tree, .pad = 1 };
	struct gntv3_ioc_end e;
	struct gntv3_ioc_query q;
	__u64 id;
	void *buf;

	EXPECT_ERRNO(EINVAL, ioctl(self->fd, GNTV3_IOC_TREE_DESTROY, &t));

	buf = gntv3_buf(1);
	ASSERT_NE(NULL, buf);
	test_grant_user(self->tree, 0, buf, 1, &id);
	e = (struct gntv3_ioc_end){ .tree = self->tree, .id = id, .pad = 1 };
	EXPECT_ERRNO(EINVAL, ioctl(self->fd, GNTV3_IOC_END, &e));
	e = (struct gntv3_ioc_end){ .tree = self->tree, .id = id, .pad2 = 1 };
	EXPECT_ERRNO(EINVAL, ioctl(self->fd, GNTV3_IOC_END, &e));
	q = (struct gntv3_ioc_query){ .tree = self->tree, .id = id, .pad = 1 };
	EXPECT_ERRNO(EINVAL, ioctl(self->fd, GNTV3_IOC_QUERY, &q));
	q = (struct gntv3_ioc_query){ .tree = self->tree, .id = id, .pad2 = 1 };
	EXPECT_ERRNO(EINVAL, ioctl(self->fd, GNTV3_IOC_QUERY, &q));
	/* None of it touched the grant or the tree. */
	check_4k(_metadata, self->fd, self->tree, id, false);
	test_end(self->tree, id);
	test_tree_destroy(self->tree);
	munmap(buf, PAGE_SZ);
}

TEST_F(front, einval_grant_flags)
{
	void *buf = gntv3_buf(1);

	ASSERT_NE(NULL, buf);
	test_err_grant(EINVAL, self->tree, 1U << 2, buf, 1, 0);
	test_err_grant(EINVAL, self->tree, 1U << 31, buf, 1, 0);
	test_err_grant(EINVAL, self->tree, ~0U, buf, 1, 0);
	munmap(buf, PAGE_SZ);
}

TEST_F(front, einval_grant_nr)
{
	void *buf = gntv3_buf(1);

	ASSERT_NE(NULL, buf);
	test_err_grant(EINVAL, self->tree, 0, buf, 0, 0);
	test_err_grant(EINVAL, self->tree, 0, buf, GNTV3_IOC_MAX_PAGES + 1, 0);
	test_err_grant(EINVAL, self->tree, 0, buf, ~0U, 0);
	/* ALLOC is one folio. */
	test_err_grant(EINVAL, self->tree, GNTV3_IOC_GRANT_ALLOC, NULL, 0, 0);
	test_err_grant(EINVAL, self->tree, GNTV3_IOC_GRANT_ALLOC, NULL, 2, 0);
	test_err_grant(EINVAL, self->tree, GNTV3_IOC_GRANT_ALLOC, NULL, 2, 9);
	test_err_grant(EINVAL, self->tree, GNTV3_IOC_GRANT_ALLOC, NULL, 512, 9);
	munmap(buf, PAGE_SZ);
}

TEST_F(front, einval_grant_order)
{
	static const __u32 bad[] = { 1, 8, 10, 17, 19, 27, 36, 0x80000009, ~0U };
	void *buf = gntv3_buf(1);
	unsigned int i;

	ASSERT_NE(NULL, buf);
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		test_err_grant(EINVAL, self->tree, GNTV3_IOC_GRANT_ALLOC, NULL, 1, bad[i]);
		test_err_grant(EINVAL, self->tree, 0, buf, 1, bad[i]);
	}
	/* User memory is 4 KiB only. */
	test_err_grant(EINVAL, self->tree, 0, buf, 1, 9);
	test_err_grant(EINVAL, self->tree, 0, buf, 1, 18);
	test_err_grant(EINVAL, self->tree, GNTV3_IOC_GRANT_READONLY, buf, 1, 9);
	munmap(buf, PAGE_SZ);
}

TEST_F(front, einval_grant_addr)
{
	struct gntv3_ioc_tree_stats st;
	char *buf = gntv3_buf(2);

	ASSERT_NE(NULL, buf);
	test_err_grant(EINVAL, self->tree, 0, buf + 1, 1, 0);
	test_err_grant(EINVAL, self->tree, 0, buf + 2048, 1, 0);
	test_err_grant(EINVAL, self->tree, GNTV3_IOC_GRANT_READONLY, buf + 8, 1, 0);
	/* ALLOC takes no address. */
	test_err_grant(EINVAL, self->tree, GNTV3_IOC_GRANT_ALLOC, buf, 1, 0);
	test_err_grant(EINVAL, self->tree, GNTV3_IOC_GRANT_ALLOC, buf, 1, 9);
	test_stats(self->tree, &st);
	EXPECT_EQ(0, st.nr_grants);
	munmap(buf, 2 * PAGE_SZ);
}

TEST_F(front, enoent_handle)
{
	static const __u32 bad[] = { 0, 2, 1000, ~0U };
	struct gntv3_ioc_tree_stats st;
	struct gntv3_ioc_query q;
	void *buf = gntv3_buf(1);
	unsigned int i;
	int fd2;

	ASSERT_NE(NULL, buf);
	/* The fixture's tree is handle 1: handles are per file from 1. */
	ASSERT_EQ(1, self->tree);
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		test_err_tree_destroy(ENOENT, bad[i]);
		test_err_grant(ENOENT, bad[i], 0, buf, 1, 0);
		test_err_grant(ENOENT, bad[i], GNTV3_IOC_GRANT_ALLOC, NULL, 1, 0);
		test_err_end(ENOENT, bad[i], 0);
		EXPECT_ERRNO(ENOENT, _gntv3_query(self->fd, bad[i], 0, &q));
		EXPECT_ERRNO(ENOENT, _gntv3_stats(self->fd, bad[i], &st));
	}
	/* Another file does not see this file's tree. */
	fd2 = open(GNTV3_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd2);
	EXPECT_ERRNO(ENOENT, _gntv3_stats(fd2, self->tree, &st));
	EXPECT_ERRNO(ENOENT, _gntv3_tree_destroy(fd2, self->tree));
	close(fd2);
	test_stats(self->tree, &st);
	munmap(buf, PAGE_SZ);
}

TEST_F(front, enoent_id)
{
	struct gntv3_ioc_tree_stats st;
	__u32 tree2;
	__u64 id;
	void *buf = gntv3_buf(1);

	ASSERT_NE(NULL, buf);
	test_err_end(ENOENT, self->tree, 0);
	test_err_query(ENOENT, self->tree, 0);
	test_err_query(ENOENT, self->tree, 1ULL << 35);
	test_err_query(ENOENT, self->tree, ~0ULL);
	test_err_end(ENOENT, self->tree, ~0ULL);

	test_grant_user(self->tree, 0, buf, 1, &id);
	test_err_end(ENOENT, self->tree, id + 1);
	test_err_query(ENOENT, self->tree, id + 1);
	/* Ids are per tree: the same id of another tree is not ours. */
	test_tree_create(SELF_DOMID, &tree2, NULL);
	test_err_end(ENOENT, tree2, id);
	test_err_query(ENOENT, tree2, id);
	test_tree_destroy(tree2);
	test_end(self->tree, id);
	test_stats(self->tree, &st);
	EXPECT_EQ(0, st.nr_grants);
	munmap(buf, PAGE_SZ);
}

TEST_F(front, double_end)
{
	struct gntv3_ioc_tree_stats st;
	__u64 id, big, off;
	void *buf = gntv3_buf(1);

	ASSERT_NE(NULL, buf);
	test_grant_user(self->tree, 0, buf, 1, &id);
	test_end(self->tree, id);
	test_err_end(ENOENT, self->tree, id);
	test_grant_alloc(self->tree, 0, 9, &big, &off);
	test_end(self->tree, big);
	test_err_end(ENOENT, self->tree, big);
	test_stats(self->tree, &st);
	EXPECT_EQ(0, st.nr_grants);
	EXPECT_EQ(0, st.nr_ids);
	munmap(buf, PAGE_SZ);
}

TEST_F(front, ebusy_destroy)
{
	struct gntv3_ioc_tree_stats st;
	__u64 id, big, off;
	void *buf = gntv3_buf(1);

	ASSERT_NE(NULL, buf);
	test_grant_user(self->tree, 0, buf, 1, &id);
	test_grant_alloc(self->tree, 0, 9, &big, &off);
	test_err_tree_destroy(EBUSY, self->tree);
	test_end(self->tree, id);
	test_err_tree_destroy(EBUSY, self->tree);
	/* The failed destroys left the tree intact. */
	test_stats(self->tree, &st);
	EXPECT_EQ(1, st.nr_grants);
	EXPECT_EQ(512, st.nr_ids);
	test_end(self->tree, big);
	test_tree_destroy(self->tree);
	test_err_tree_destroy(ENOENT, self->tree);
	munmap(buf, PAGE_SZ);
}

/*
 * Processes sharing one file (fork) grant, map, unmap and end at once:
 * every operation succeeds, each sees its own data, nothing is left over.
 */
TEST_F_TIMEOUT(front, shared_file_concurrency, 120)
{
	const int nr_children = 4, rounds = 100;
	struct gntv3_ioc_tree_stats st;
	int i, status;

	for (i = 0; i < nr_children; i++) {
		pid_t pid = fork();

		ASSERT_LE(0, pid);
		if (!pid) {
			unsigned char *buf = gntv3_buf(4), *m;
			__u64 id = 0, off = 0;
			int r, bad = !buf;

			for (r = 0; r < rounds && !bad; r++) {
				bad |= _gntv3_grant(self->fd, self->tree, 0, buf, 4, 0,
						    &id, NULL);
				bad |= _gntv3_end(self->fd, self->tree, id + 1, NULL);
				bad |= _gntv3_end(self->fd, self->tree, id, NULL);
				bad |= _gntv3_end(self->fd, self->tree, id + 3, NULL);
				bad |= _gntv3_end(self->fd, self->tree, id + 2, NULL);
				if (bad)
					break;
				bad |= _gntv3_grant(self->fd, self->tree,
						    GNTV3_IOC_GRANT_ALLOC, NULL, 1, 0,
						    &id, &off);
				if (bad)
					break;
				m = mmap(NULL, PAGE_SZ, PROT_READ | PROT_WRITE,
					 MAP_SHARED, self->fd, off);
				bad |= m == MAP_FAILED;
				if (!bad) {
					bad |= m[100] != 0;
					m[100] = (unsigned char)(i + 1);
					bad |= m[100] != i + 1;
					munmap(m, PAGE_SZ);
				}
				bad |= _gntv3_end(self->fd, self->tree, id, NULL);
			}
			_exit(bad);
		}
	}
	for (i = 0; i < nr_children; i++) {
		ASSERT_LT(0, wait(&status));
		EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status));
	}
	test_stats(self->tree, &st);
	EXPECT_EQ(0, st.nr_grants);
	EXPECT_EQ(0, st.nr_ids);
	EXPECT_EQ(0, st.nr_tables);
	EXPECT_EQ(V1_REFS(1), st.nr_v1_refs);
}

/* ------------------------------------------------------------------------
 * Release at close.
 */

/* Lines of /sys/kernel/debug/gntv3/fronts: trees not freed yet. */
static int count_fronts(void)
{
	FILE *f = fopen(GNTV3_DEBUGFS_DIR "/fronts", "r");
	int c, n = 0;

	if (!f)
		return -1;
	while ((c = fgetc(f)) != EOF)
		n += c == '\n';
	fclose(f);
	return n;
}

TEST_F(front, close_releases_everything)
{
	long long trees0, grants0, quar0, leaked0;
	struct gntv3_ioc_tree_stats st;
	__u64 id, big, off;
	int fd2, fronts0;
	unsigned char *m;
	__u32 t1, t2;
	void *buf;

	trees0 = gntv3_debugfs_stat("trees");
	grants0 = gntv3_debugfs_stat("grants");
	quar0 = gntv3_debugfs_stat("quarantined");
	leaked0 = gntv3_debugfs_stat("leaked");
	fronts0 = count_fronts();
	ASSERT_LE(0, trees0) TH_LOG("cannot parse %s", GNTV3_DEBUGFS_STATS);
	ASSERT_LE(0, grants0);
	ASSERT_LE(0, quar0);
	ASSERT_LE(0, leaked0);
	ASSERT_LE(0, fronts0);

	buf = gntv3_buf(16);
	ASSERT_NE(NULL, buf);
	fd2 = open(GNTV3_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, _gntv3_tree_create(fd2, SELF_DOMID, &t1, NULL));
	ASSERT_EQ(0, _gntv3_tree_create(fd2, SELF_DOMID, &t2, NULL));
	ASSERT_EQ(0, _gntv3_grant(fd2, t1, 0, buf, 16, 0, &id, NULL));
	ASSERT_EQ(0, _gntv3_grant(fd2, t2, GNTV3_IOC_GRANT_READONLY, buf, 16, 0,
				  &id, NULL));
	ASSERT_EQ(0, _gntv3_grant(fd2, t2, GNTV3_IOC_GRANT_ALLOC, NULL, 1, 9,
				  &big, &off));
	m = mmap(NULL, 2 << 20, PROT_READ | PROT_WRITE, MAP_SHARED, fd2, off);
	ASSERT_NE(MAP_FAILED, m);
	m[12345] = 0x5a;
	ASSERT_EQ(0, _gntv3_stats(fd2, t2, &st));
	EXPECT_EQ(17, st.nr_grants);

	EXPECT_EQ(trees0 + 2, gntv3_debugfs_stat("trees"));
	EXPECT_EQ(grants0 + 33, gntv3_debugfs_stat("grants"));
	EXPECT_EQ(fronts0 + 2, count_fronts());

	/*
	 * The mapping holds the file open: closing the descriptor alone
	 * releases nothing, and the memory stays mapped and valid.
	 */
	ASSERT_EQ(0, close(fd2));
	EXPECT_EQ(trees0 + 2, gntv3_debugfs_stat("trees"));
	EXPECT_EQ(grants0 + 33, gntv3_debugfs_stat("grants"));
	EXPECT_EQ(0x5a, m[12345]);
	EXPECT_EQ(0, m[0]);

	/* The last unmap closes the file: nothing of it is left in gntv3. */
	ASSERT_EQ(0, munmap(m, 2 << 20));
	EXPECT_EQ(trees0, gntv3_debugfs_stat("trees"));
	EXPECT_EQ(grants0, gntv3_debugfs_stat("grants"));
	EXPECT_EQ(quar0, gntv3_debugfs_stat("quarantined"));
	EXPECT_EQ(leaked0, gntv3_debugfs_stat("leaked"));
	EXPECT_EQ(fronts0, count_fronts());

	/* Without a mapping, close() itself releases everything. */
	fd2 = open(GNTV3_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, _gntv3_tree_create(fd2, SELF_DOMID, &t1, NULL));
	ASSERT_EQ(0, _gntv3_grant(fd2, t1, 0, buf, 16, 0, &id, NULL));
	ASSERT_EQ(0, _gntv3_grant(fd2, t1, GNTV3_IOC_GRANT_ALLOC, NULL, 1, 9,
				  &big, &off));
	EXPECT_EQ(trees0 + 1, gntv3_debugfs_stat("trees"));
	EXPECT_EQ(grants0 + 17, gntv3_debugfs_stat("grants"));
	ASSERT_EQ(0, close(fd2));
	EXPECT_EQ(trees0, gntv3_debugfs_stat("trees"));
	EXPECT_EQ(grants0, gntv3_debugfs_stat("grants"));
	EXPECT_EQ(quar0, gntv3_debugfs_stat("quarantined"));
	EXPECT_EQ(leaked0, gntv3_debugfs_stat("leaked"));
	EXPECT_EQ(fronts0, count_fronts());

	/* This file's own tree is untouched and still usable. */
	test_grant_user(self->tree, 0, buf, 1, &id);
	test_end(self->tree, id);
	munmap(buf, 16 * PAGE_SZ);
}

/* ------------------------------------------------------------------------
 * Module unload and reload; last, as it replaces the module.
 */
FIXTURE(reload) {
	int unused;
};

FIXTURE_SETUP(reload)
{
}

FIXTURE_TEARDOWN(reload)
{
}

/* Declared last: the harness runs fixtures in declaration order. */
TEST_F_TIMEOUT(reload, module_reload, 60)
{
	const char *ko = getenv("GNTV3_KO") ?: GNTV3_KO;
	struct gntv3_ioc_info info;
	__u32 tree;
	int fd, kfd;

	if (access(ko, R_OK))
		SKIP(return, "%s: %s", ko, strerror(errno));

	fd = open(GNTV3_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, _gntv3_tree_create(fd, SELF_DOMID, &tree, NULL));
	/* An open file holds the module. */
	EXPECT_ERRNO(EWOULDBLOCK, syscall(SYS_delete_module, "gntv3", O_NONBLOCK));
	ASSERT_EQ(0, access("/sys/module/gntv3", F_OK));
	ASSERT_EQ(0, close(fd));

	ASSERT_EQ(0, syscall(SYS_delete_module, "gntv3", O_NONBLOCK))
		TH_LOG("delete_module: %s", strerror(errno));
	EXPECT_ERRNO(ENOENT, access("/sys/module/gntv3", F_OK));
	EXPECT_ERRNO(ENOENT, open(GNTV3_DEV, O_RDWR | O_CLOEXEC));

	kfd = open(ko, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, kfd);
	ASSERT_EQ(0, syscall(SYS_finit_module, kfd, "", 0))
		TH_LOG("finit_module %s: %s", ko, strerror(errno));
	close(kfd);

	fd = open(GNTV3_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd) TH_LOG("open after reload: %s", strerror(errno));
	ASSERT_EQ(0, _gntv3_info(fd, &info));
	/* the probe picks the same transport again */
	EXPECT_EQ(gntv3_native ? GNTV3_TRANSPORT_NATIVE : GNTV3_TRANSPORT_V1,
		  info.transport);
	ASSERT_EQ(0, _gntv3_tree_create(fd, SELF_DOMID, &tree, NULL));
	EXPECT_EQ(1, tree);
	EXPECT_EQ(1, gntv3_debugfs_stat("trees"));
	close(fd);
}

TEST_HARNESS_MAIN
