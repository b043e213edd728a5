// SPDX-License-Identifier: GPL-2.0-only
/*
 * gntv3 native-only kselftests: what the native transport promises over
 * v1, on a hypervisor that implements grant table v3 (the project's
 * prototype, xen/patches).  Skipped on the v1 transport.
 *
 * Runs in a PV dom0 in loopback, like gntv3_back: one open file grants to
 * domid 0, another attaches to the tree by its handle and maps.
 *
 * Checks:
 *  - 1,048,576 live grant ids in one tree, far more than v1's 32,768 grant
 *    references (one 16 MiB buffer granted 256 times; the file's grant
 *    limit, the dev_max_grants module parameter, is raised for the test),
 *    ids spread over the whole range mapped through GNTTABOP_v3_map in one
 *    batch and read back, the last id included; the tree is named by the
 *    hypervisor's handle, not by a v1 reference (a wrong handle maps
 *    nothing);
 *  - a backend that does not answer a revoke (debugfs back_ignore_revokes)
 *    keeps its mapping: the frontend's revoke times out and the grant is
 *    taken back by force, the mapping redirected to the module's scratch
 *    page (zeroes); the frontend then writes a new marker into its page and
 *    grants it again, and the old mapping never shows that marker;
 *  - a 2 MiB GNTV3_IOC_GRANT_ALLOC folio mapped by its 512 ids in one
 *    batch (one GNTTABOP_v3_map call), every 4 KiB piece's marker read
 *    back, and written through the writable mappings and seen by the
 *    frontend.
 * Each test then closes both files and checks that the module's counters
 * (debugfs stats and back) are back to zero.
 *
 * Not here, because dom0 alone cannot do them:
 *  - a domain destroyed while v3 mappings are live in both directions:
 *    make xen-test (scripts/xen-test.sh, xen/test/xdomain-*.sh: a domU and
 *    dom0 map each other's v3 grant, the domU is destroyed) and
 *    gntv3_xdomain's domu_destroyed_while_mapped (the module's native
 *    transport, the domU destroyed while dom0 maps its grants);
 *  - a hostile tree fed to the hypervisor's walker: make xen-test
 *    (xen/test/gntv3_xentest.c builds trees by hand: loops, mis-sized,
 *    foreign and reserved entries, rewritten during 20,000 maps), whose
 *    run fails on any "(XEN)" problem report.  The module only ever
 *    writes well-formed trees, and no test ioctl writes raw entries.
 *
 * Must run as root with gntv3.ko loaded; the forced revoke needs xenstored
 * (started if it is not running).
 */
#include "gntv3_conn_utils.h"

#define V1_MAX_REFS	32768	/* Xen's default: 64 frames of 512 v1 refs */
#define BATCH		GNTV3_IOC_MAX_PAGES
#define NR_BATCHES	256	/* 1,048,576 ids */
#define NR_IDS		(NR_BATCHES * BATCH)
#define NR_PROBES	64	/* ids mapped back, spread over the range */
#define PIECES		512	/* 4 KiB pieces of a 2 MiB grant */
#define SZ_2M		(2UL << 20)
#define MARK		0x6e61746976650000ULL
#define KNOB_IGNORE	GNTV3_DEBUGFS_DIR "/back_ignore_revokes"

/* Counters that must be zero once every file of the test is closed. */
static const char *const zero_counters[][2] = GNTV3_GAUGES;

/*
 * Wait up to @ms for every counter of zero_counters to read 0.  Returns
 * the index of the first one that does not, or -1 when all are zero.
 */
static int wait_counters_zero(unsigned int ms, long long *val)
{
	double end = gntv3_now() + ms / 1000.0;
	unsigned int i;

	for (;;) {
		for (i = 0; i < ARRAY_SIZE(zero_counters); i++) {
			*val = gntv3_debugfs_kv(zero_counters[i][0],
						zero_counters[i][1]);
			if (*val)
				break;
		}
		if (i == ARRAY_SIZE(zero_counters))
			return -1;
		if (gntv3_now() >= end)
			return i;
		gntv3_msleep(20);
	}
}

/* Unmap through the backend file and assert that it worked. */
#define test_unmap_b(map)						\
	({								\
		int __res = -1;						\
		ASSERT_EQ(0, _gntv3_unmap(self->bfd, map, 0, &__res));	\
		ASSERT_EQ(0, __res);					\
	})

/* Close both files of the fixture and assert the counters are back at 0. */
#define test_close_all()						\
	({								\
		long long __v = 0;					\
		int __i;						\
		close(self->bfd);					\
		self->bfd = -1;						\
		close(self->fd);					\
		self->fd = -1;						\
		__i = wait_counters_zero(10000, &__v);			\
		EXPECT_EQ(-1, __i)					\
			TH_LOG("%s %s: %lld after close",		\
			       zero_counters[__i][0],			\
			       zero_counters[__i][1], __v);		\
	})

/* MemAvailable of /proc/meminfo in KiB, -1 if unreadable. */
static long long mem_available_kib(void)
{
	char line[128];
	long long kib = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "MemAvailable: %lld kB", &kib) == 1)
			break;
	fclose(f);
	return kib;
}

static int _gntv3_unmap_batch(int fd, const __u32 *maps, int *results,
			      __u32 nr)
{
	struct gntv3_ioc_unmap_batch arg = {
		.maps = (__u64)(unsigned long)maps,
		.results = (__u64)(unsigned long)results,
		.nr = nr,
	};

	return ioctl(fd, GNTV3_IOC_UNMAP_BATCH, &arg);
}

/* Map @id, read its first 8 bytes into *@word, unmap. */
static int map_read(int bfd, __u32 back, __u64 id, __u64 *word)
{
	int res = -1, rc;
	__u32 map;

	rc = _gntv3_map(bfd, back, GNTV3_IOC_MAP_READONLY, &id, 1, &map);
	if (rc)
		return rc;
	rc = _gntv3_map_rw(bfd, map, GNTV3_IOC_RW_READ, 0, sizeof(*word), word);
	if (_gntv3_unmap(bfd, map, 0, &res) || res)
		rc = rc ? rc : -1;
	return rc;
}

/* ---- one tree, attached by its handle ---- */

FIXTURE(native) {
	int fd;		/* frontend file */
	int bfd;	/* backend file */
	__u32 tree;
	__u32 tree_ref;
	__u32 back;
	long long old_max;	/* dev_max_grants to restore, -1: untouched */
};

FIXTURE_SETUP(native)
{
	struct gntv3_ioc_info info = { 0 };

	self->old_max = -1;
	self->bfd = -1;
	self->fd = open(GNTV3_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->fd) TH_LOG("open %s: %s", GNTV3_DEV, strerror(errno));
	ASSERT_EQ(0, _gntv3_info(self->fd, &info));
	if (info.transport != GNTV3_TRANSPORT_NATIVE)
		SKIP(return, "transport %u is not native (probe %d)",
		     info.transport, info.probe_rc);
	self->bfd = open(GNTV3_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->bfd);
	test_tree_create(SELF_DOMID, &self->tree, &self->tree_ref);
	if (gntv3_self_translated()) {
		ASSERT_EQ(EOPNOTSUPP, gntv3_self_attach_errno(self->bfd, self->tree_ref));
		SKIP(return, GNTV3_SKIP_TRANSLATED_MSG);
	}
	ASSERT_EQ(0, _gntv3_attach(self->bfd, SELF_DOMID, self->tree_ref,
				   &self->back)) TH_LOG("attach: %s", strerror(errno));
}

FIXTURE_TEARDOWN(native)
{
	if (self->bfd >= 0)
		close(self->bfd);
	if (self->fd >= 0)
		close(self->fd);
	if (self->old_max >= 0)
		gntv3_param_set("dev_max_grants", self->old_max);
}

/*
 * 2^20 live ids in one tree: 256 grants of the same 4096 pages.  64 ids
 * over the whole range, the first and the last included, are mapped in one
 * batch and each one's marker read back; then closing the file ends them
 * all.
 */
TEST_F_TIMEOUT(native, million_ids_in_one_tree, 600)
{
	__u64 *buf = gntv3_buf(BATCH), *first, ids[NR_PROBES], id, word;
	long long mem0, mem1, old = gntv3_param_get("dev_max_grants");
	unsigned int b, i, k, want[NR_PROBES];
	struct gntv3_ioc_tree_stats st;
	__u32 maps[NR_PROBES];
	int results[NR_PROBES];
	double t0, t_grant, t_end;

	ASSERT_NE(NULL, buf);
	first = calloc(NR_BATCHES, sizeof(*first));
	ASSERT_NE(NULL, first);
	ASSERT_LT(0, old) TH_LOG("no dev_max_grants parameter");
	if (old < NR_IDS) {
		self->old_max = old;
		ASSERT_EQ(0, gntv3_param_set("dev_max_grants", NR_IDS));
	}
	for (i = 0; i < BATCH; i++)
		buf[i * PAGE_SZ / sizeof(*buf)] = MARK | i;

	mem0 = mem_available_kib();
	t0 = gntv3_now();
	for (b = 0; b < NR_BATCHES; b++)
		ASSERT_EQ(0, _gntv3_grant(self->fd, self->tree,
					  GNTV3_IOC_GRANT_READONLY, buf, BATCH,
					  0, &first[b], NULL))
			TH_LOG("grant %u of %u: %s", b, NR_BATCHES,
			       strerror(errno));
	t_grant = gntv3_now() - t0;
	mem1 = mem_available_kib();
	ksft_print_msg("%u ids granted in %.1f s, %lld bytes of dom0 memory each\n",
		       NR_IDS, t_grant, (mem0 - mem1) * 1024 / NR_IDS);

	/* one more would pass the raised limit, which only GRANT reads */
	if (self->old_max >= 0) {
		EXPECT_ERRNO(ENOSPC, _gntv3_grant(self->fd, self->tree,
						  GNTV3_IOC_GRANT_READONLY,
						  buf, 1, 0, NULL, NULL));
		ASSERT_EQ(0, gntv3_param_set("dev_max_grants", old));
		self->old_max = -1;
	}
	test_stats(self->tree, &st);
	EXPECT_EQ(NR_IDS, st.nr_grants);
	EXPECT_EQ(NR_IDS, st.nr_ids);
	EXPECT_EQ(3, st.levels);	/* 512^2 < 2^20 <= 512^3 */
	EXPECT_EQ(0, st.nr_v1_refs);	/* no v1 reference behind any */
	EXPECT_EQ(NR_IDS, gntv3_debugfs_stat("grants"));

	/* spread over the range: batch k * 255 / 63, page k * 997 % 4096 */
	for (k = 0; k < NR_PROBES; k++) {
		b = k * (NR_BATCHES - 1) / (NR_PROBES - 1);
		want[k] = k * 997 % BATCH;
		if (k == NR_PROBES - 1)
			want[k] = BATCH - 1;
		ids[k] = first[b] + want[k];
	}
	/* the last id is past a million */
	ASSERT_LE(1000000, ids[NR_PROBES - 1]);
	ASSERT_EQ(0, _gntv3_map(self->bfd, self->back, GNTV3_IOC_MAP_READONLY,
				ids, NR_PROBES, maps))
		TH_LOG("map %u ids: %s", NR_PROBES, strerror(errno));
	for (k = 0; k < NR_PROBES; k++) {
		word = 0;
		ASSERT_EQ(0, _gntv3_map_rw(self->bfd, maps[k], GNTV3_IOC_RW_READ,
					   0, sizeof(word), &word));
		EXPECT_EQ(MARK | want[k], word)
			TH_LOG("id %llu", (unsigned long long)ids[k]);
	}
	memset(results, 0xff, sizeof(results));
	ASSERT_EQ(0, _gntv3_unmap_batch(self->bfd, maps, results, NR_PROBES));
	for (k = 0; k < NR_PROBES; k++)
		EXPECT_EQ(0, results[k]);

	/* an id past the last grant maps nothing */
	id = first[NR_BATCHES - 1] + BATCH;
	EXPECT_NE(0, map_read(self->bfd, self->back, id, &word));
	/* ended ids map nothing either */
	test_end(self->tree, ids[0]);
	test_end(self->tree, ids[NR_PROBES - 1]);
	EXPECT_NE(0, map_read(self->bfd, self->back, ids[NR_PROBES - 1], &word));
	EXPECT_EQ(NR_IDS - 2, gntv3_debugfs_stat("grants"));

	/* closing the frontend file ends the other 1,048,574 */
	t0 = gntv3_now();
	test_close_all();
	t_end = gntv3_now() - t0;
	ksft_print_msg("closed in %.1f s\n", t_end);
	free(first);
}

/* The attachment names the tree by its handle; another handle maps nothing. */
TEST_F(native, wrong_handle_maps_nothing)
{
	unsigned char *buf = gntv3_buf(1);
	__u64 id, word;
	__u32 other;

	ASSERT_NE(NULL, buf);
	test_grant_user(self->tree, 0, buf, 1, &id);
	ASSERT_EQ(0, _gntv3_attach(self->bfd, SELF_DOMID, self->tree_ref + 1000,
				   &other));
	EXPECT_NE(0, map_read(self->bfd, other, id, &word));
	EXPECT_EQ(0, map_read(self->bfd, self->back, id, &word));
	EXPECT_ERRNO(ENOENT, _gntv3_attach(self->bfd, SELF_DOMID, 0, NULL));
	test_end(self->tree, id);
	test_close_all();
}

/*
 * A 2 MiB folio, mapped by its 512 ids in one batch: one GNTTABOP_v3_map
 * call of 512 elements, whether the module granted it as one 2 MiB leaf or
 * split it into 4 KiB leaves (not machine-contiguous).
 */
TEST_F(native, map_2m_by_512_ids)
{
	struct gntv3_ioc_back_stats st0, st;
	__u64 id, off, ids[PIECES], *m, *page, word;
	__u32 maps[PIECES], map;
	int results[PIECES];
	unsigned int p;

	page = malloc(PAGE_SZ);
	ASSERT_NE(NULL, page);
	test_grant_alloc(self->tree, 0, 9, &id, &off);
	m = mmap(NULL, SZ_2M, PROT_READ | PROT_WRITE, MAP_SHARED, self->fd, off);
	ASSERT_NE(MAP_FAILED, m);
	/* each piece: its number in the first word, its complement in the last */
	for (p = 0; p < PIECES; p++) {
		m[p * PAGE_SZ / 8] = MARK | p;
		m[(p + 1) * PAGE_SZ / 8 - 1] = ~(MARK | p);
		ids[p] = id + p;
	}
	ksft_print_msg("2 MiB grant %s\n", gntv3_split(self->fd, self->tree, id) ?
		       "split into 512 4 KiB leaves" : "as one 2 MiB leaf");

	ASSERT_EQ(0, _gntv3_back_stats(self->bfd, &st0));
	ASSERT_EQ(0, _gntv3_map(self->bfd, self->back, 0, ids, PIECES, maps))
		TH_LOG("map 512 ids: %s", strerror(errno));
	ASSERT_EQ(0, _gntv3_back_stats(self->bfd, &st));
	EXPECT_EQ(st0.nr_mapped + PIECES, st.nr_mapped);
	EXPECT_EQ(st0.nr_pages_mapped + PIECES, st.nr_pages_mapped);

	for (p = 0; p < PIECES; p++) {
		memset(page, 0, PAGE_SZ);
		ASSERT_EQ(0, _gntv3_map_rw(self->bfd, maps[p], GNTV3_IOC_RW_READ,
					   0, PAGE_SZ, page));
		EXPECT_EQ(MARK | p, page[0]) TH_LOG("piece %u", p);
		EXPECT_EQ(~(MARK | p), page[PAGE_SZ / 8 - 1]) TH_LOG("piece %u", p);
		/* a native id maps its own 4 KiB piece, no more */
		EXPECT_ERRNO(EINVAL, _gntv3_map_rw(self->bfd, maps[p],
						   GNTV3_IOC_RW_READ, PAGE_SZ,
						   8, &word));
	}
	/* written through the backend's writable mappings, seen in the folio */
	for (p = 0; p < PIECES; p++) {
		word = (MARK | p) ^ 0xffff0000ULL;
		ASSERT_EQ(0, _gntv3_map_rw(self->bfd, maps[p], GNTV3_IOC_RW_WRITE,
					   8, sizeof(word), &word));
	}
	for (p = 0; p < PIECES; p++)
		EXPECT_EQ((MARK | p) ^ 0xffff0000ULL, m[p * PAGE_SZ / 8 + 1])
			TH_LOG("piece %u", p);

	memset(results, 0xff, sizeof(results));
	ASSERT_EQ(0, _gntv3_unmap_batch(self->bfd, maps, results, PIECES));
	for (p = 0; p < PIECES; p++)
		EXPECT_EQ(0, results[p]);
	ASSERT_EQ(0, _gntv3_back_stats(self->bfd, &st));
	EXPECT_EQ(st0.nr_mapped, st.nr_mapped);
	EXPECT_EQ(st0.nr_pages_mapped, st.nr_pages_mapped);

	/* the first id alone maps the first piece only, as on any native id */
	ASSERT_EQ(0, _gntv3_map(self->bfd, self->back, GNTV3_IOC_MAP_READONLY,
				&id, 1, &map));
	EXPECT_ERRNO(EINVAL, _gntv3_map_rw(self->bfd, map, GNTV3_IOC_RW_READ,
					   PAGE_SZ, 8, &word));
	test_unmap_b(map);

	munmap(m, SZ_2M);
	test_end(self->tree, id);
	free(page);
	test_close_all();
}

/* ---- one tree with a revoke ring ---- */

FIXTURE(forced) {
	int fd;		/* frontend file */
	int bfd;	/* backend file */
	__u32 tree;
	__u32 tree_ref;
	__u32 back;
};

FIXTURE_SETUP(forced)
{
	struct gntv3_ioc_connect c = { 0 };
	struct gntv3_ioc_info info = { 0 };

	self->bfd = -1;
	self->fd = open(GNTV3_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->fd) TH_LOG("open %s: %s", GNTV3_DEV, strerror(errno));
	ASSERT_EQ(0, _gntv3_info(self->fd, &info));
	if (info.transport != GNTV3_TRANSPORT_NATIVE)
		SKIP(return, "transport %u is not native (probe %d)",
		     info.transport, info.probe_rc);
	if (!xenstored_ok)
		SKIP(return, "xenstored is not running and cannot be started");
	if (gntv3_self_translated())
		SKIP(return, GNTV3_SKIP_TRANSLATED_MSG);
	self->bfd = open(GNTV3_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->bfd);
	ASSERT_EQ(0, gntv3_write_file(KNOB_IGNORE, "0"));
	test_tree_create(SELF_DOMID, &self->tree, &self->tree_ref);
	c.tree = self->tree;
	c.devid = 2000 + getpid() % 100000;
	ASSERT_EQ(0, ioctl(self->fd, GNTV3_IOC_CONNECT, &c))
		TH_LOG("connect: %s", strerror(errno));
	ASSERT_EQ(0, back_connect(self->bfd, c.devid, 5000, &self->back))
		TH_LOG("back connect: %s", strerror(errno));
	ASSERT_EQ(0, wait_connected(self->fd, self->tree, 1, 5000));
}

FIXTURE_TEARDOWN(forced)
{
	gntv3_write_file(KNOB_IGNORE, "0");
	if (self->bfd >= 0)
		close(self->bfd);
	if (self->fd >= 0)
		close(self->fd);
}

/* Every byte of the backend's mapping @map; 0 if all are @val. */
static int map_all_bytes(int bfd, __u32 map, unsigned char val)
{
	unsigned char page[PAGE_SZ];
	unsigned int i;

	memset(page, ~val, sizeof(page));
	if (_gntv3_map_rw(bfd, map, GNTV3_IOC_RW_READ, 0, PAGE_SZ, page))
		return -1;
	for (i = 0; i < PAGE_SZ; i++)
		if (page[i] != val)
			return -1;
	return 0;
}

/*
 * The backend maps a grant and does not answer the revoke: after the
 * timeout the frontend takes the grant back by force.  The backend's
 * mapping stays, redirected to the scratch page; the frontend writes its
 * page again and grants it again, and the old mapping never shows it.
 */
TEST_F(forced, unanswered_revoke_redirects_to_scratch)
{
	long long forced = conn_stat("forced"), dead = conn_stat("dead");
	long long ign = conn_stat("back_ignored");
	unsigned char *buf = gntv3_buf(1);
	struct gntv3_ioc_tree_stats ts;
	__u32 map, map2;
	__u64 id, id2;
	double t0, took;
	int res = -1;

	ASSERT_NE(NULL, buf);
	ASSERT_LE(0, forced);
	memset(buf, 0xa1, PAGE_SZ);
	test_grant_user(self->tree, GNTV3_IOC_GRANT_READONLY, buf, 1, &id);
	/* read-only: the scratch page is shared, the backend must not write it */
	ASSERT_EQ(0, _gntv3_map(self->bfd, self->back, GNTV3_IOC_MAP_READONLY,
				&id, 1, &map));
	EXPECT_EQ(0, map_all_bytes(self->bfd, map, 0xa1));

	/* the backend refuses: it gets the request and neither unmaps nor ACKs */
	ASSERT_EQ(0, gntv3_write_file(KNOB_IGNORE, "1"));
	t0 = gntv3_now();
	ASSERT_EQ(0, do_revoke(self->fd, self->tree, id, 0, 500, &res));
	took = gntv3_now() - t0;
	EXPECT_EQ(GNTV3_REVOKE_RESULT_DEAD, res);
	EXPECT_LE(0.45, took);
	EXPECT_EQ(forced + 1, conn_stat("forced"));
	EXPECT_EQ(dead + 1, conn_stat("dead"));
	EXPECT_EQ(ign + 1, conn_stat("back_ignored"));
	/* taken back at once: nothing quarantined, nothing left in the tree */
	test_stats(self->tree, &ts);
	EXPECT_EQ(0, ts.nr_grants);
	EXPECT_EQ(0, ts.nr_quarantined);
	EXPECT_EQ(0, gntv3_debugfs_stat("quarantined"));
	test_err_end(ENOENT, self->tree, id);

	/* the backend still has its mapping, and it reads the scratch page */
	EXPECT_EQ(0, map_all_bytes(self->bfd, map, 0));

	/* the frontend reuses its page: a new marker, granted again */
	memset(buf, 0xb2, PAGE_SZ);
	test_grant_user(self->tree, GNTV3_IOC_GRANT_READONLY, buf, 1, &id2);
	EXPECT_EQ(0, map_all_bytes(self->bfd, map, 0));
	/* a new map of the new grant does see the marker */
	ASSERT_EQ(0, gntv3_write_file(KNOB_IGNORE, "0"));
	ASSERT_EQ(0, _gntv3_map(self->bfd, self->back, GNTV3_IOC_MAP_READONLY,
				&id2, 1, &map2));
	EXPECT_EQ(0, map_all_bytes(self->bfd, map2, 0xb2));
	EXPECT_EQ(0, map_all_bytes(self->bfd, map, 0));
	memset(buf, 0xc3, PAGE_SZ);
	EXPECT_EQ(0, map_all_bytes(self->bfd, map2, 0xc3));
	EXPECT_EQ(0, map_all_bytes(self->bfd, map, 0));
	test_unmap_b(map2);

	/* the backend's late unmap of the redirected mapping works */
	test_unmap_b(map);
	test_end(self->tree, id2);
	test_stats(self->tree, &ts);
	EXPECT_EQ(0, ts.nr_grants);
	EXPECT_EQ(0, ts.nr_quarantined);
	test_close_all();
}

TEST_HARNESS_MAIN
