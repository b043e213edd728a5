// SPDX-License-Identifier: GPL-2.0-only
/*
 * gntv3 two-domain kselftests: dom0 is the backend, a PV domU the frontend.
 *
 * The domU runs gntv3-xpeer (xdomain-domu.sh), which creates a grant tree
 * for dom0 and serves grant/check/write/end/query/stats commands over
 * xenstore (gntv3_xdomain.h has the protocol).  These tests attach to that
 * tree from dom0 and check, across two real domains: data both ways for
 * 4 KiB and 2 MiB grants, read-only grants, one batch map of many ids,
 * quarantine when the domU ends a grant dom0 still maps and its drain,
 * bad ids and tree references, a backend module reload under a live
 * frontend, and, last, the domU destroyed while dom0 maps its pages.
 *
 * Run by xdomain-dom0.sh, which starts the domU and sets
 * GNTV3_XDOMAIN_DOMID; without it every test is skipped (dom0.sh runs every
 * gntv3_* binary in a VM without a domU).  Must run as root with gntv3.ko
 * loaded in dom0; the reload test reloads it from $GNTV3_KO.
 */
#include <stdarg.h>
#include <sys/syscall.h>

#include "gntv3_back_utils.h"
#include "gntv3_xdomain.h"

#define GNTV3_KO	"/lib/modules/gntv3.ko"
#define CMD_TIMEOUT	30.0	/* s, one peer command */
#define NR_BATCH	64	/* 4 KiB grants in the batch test */
#define SZ_2M		(2UL << 20)

/* The domU running gntv3-xpeer. */
struct xd_peer {
	__u16 domid;
	char dir[64];		/* /local/domain/<domid>/data/gntv3x */
};

FIXTURE(xd) {
	int fd;
	struct xd_peer xp;
	__u32 tree_ref;
	__u32 back;
	struct gntv3_ioc_back_stats st0;
};

/* "<dir>/<key>" of the peer's xenstore directory into @path. */
static void xd_path(const struct xd_peer *xp, char *path, size_t len,
		    const char *key)
{
	snprintf(path, len, "%s/%s", xp->dir, key);
}

static int xd_read_key(const struct xd_peer *xp, const char *key, char *out,
		       size_t len)
{
	char path[128];

	xd_path(xp, path, sizeof(path), key);
	return xd_read(path, out, len);
}

/*
 * Send one command to the peer and wait for its answer.  Returns the peer's
 * rc (0 or -errno) with its payload in @out, or -ETIME if it did not
 * answer within CMD_TIMEOUT (logged).
 */
static int peer_cmd(struct __test_metadata *_metadata, const struct xd_peer *xp,
		    char *out, size_t outlen, const char *fmt, ...)
{
	char path[128], line[XD_MSG_MAX + 24], msg[XD_MSG_MAX], rsp[XD_MSG_MAX];
	unsigned long last, seq;
	double end;
	va_list ap;
	int rc, pos;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (xd_read_key(xp, "rsp", rsp, sizeof(rsp))) {
		TH_LOG("cannot read %s/rsp", xp->dir);
		return -ETIME;
	}
	last = strtoul(rsp, NULL, 10);
	snprintf(line, sizeof(line), "%lu %s", last + 1, msg);
	xd_path(xp, path, sizeof(path), "cmd");
	if (xd_write(path, line)) {
		TH_LOG("cannot write %s", path);
		return -ETIME;
	}
	end = xd_now() + CMD_TIMEOUT;
	while (xd_now() < end) {
		if (!xd_read_key(xp, "rsp", rsp, sizeof(rsp)) &&
		    sscanf(rsp, "%lu %d %n", &seq, &rc, &pos) == 2 &&
		    seq == last + 1) {
			if (out)
				snprintf(out, outlen, "%s", rsp + pos);
			return rc;
		}
		xd_msleep(5);
	}
	TH_LOG("the domU did not answer '%s' within %.0f s (rsp '%s')", line,
	       CMD_TIMEOUT, rsp);
	return -ETIME;
}

/* Asserts that the peer ran a command successfully; @out gets its answer. */
#define peer_ok(xp, out, fmt, ...)					\
	ASSERT_EQ(0, peer_cmd(_metadata, xp, out, sizeof(out), fmt, ##__VA_ARGS__))

/* Ask the peer for a grant; ~0 on failure (logged). */
static __u64 peer_grant(struct __test_metadata *_metadata,
			const struct xd_peer *xp, const char *verb,
			unsigned int arg, const char *acc, unsigned int seed)
{
	char out[XD_MSG_MAX] = "", *end;
	unsigned long long id;
	int rc;

	rc = peer_cmd(_metadata, xp, out, sizeof(out), "%s %u %s %u", verb, arg,
		      acc, seed);
	id = strtoull(out, &end, 10);
	if (rc || end == out || *end) {
		TH_LOG("%s %u %s: rc %d '%s'", verb, arg, acc, rc, out);
		return ~0ULL;
	}
	return id;
}

/* State of grant @id in the domU (0 live, 2 quarantined), or -errno. */
static int peer_state(struct __test_metadata *_metadata,
		      const struct xd_peer *xp, __u64 id, __u32 *first_ref)
{
	char out[XD_MSG_MAX];
	unsigned int state, order, ro;
	unsigned long long pte;
	int rc;

	rc = peer_cmd(_metadata, xp, out, sizeof(out), "query %llu",
		      (unsigned long long)id);
	if (rc)
		return rc;
	if (sscanf(out, "%u %u %u %llx", &state, &order, &ro, &pte) != 4)
		return -EPROTO;
	if (first_ref)
		*first_ref = (__u32)PTE_FRAME(pte);
	return (int)state;
}

/* One counter of the peer's tree ("grants", "quarantined", ...), or -1. */
static long long peer_stat(struct __test_metadata *_metadata,
			   const struct xd_peer *xp, const char *key)
{
	char out[XD_MSG_MAX], pat[40], *p;
	long long v;

	if (peer_cmd(_metadata, xp, out, sizeof(out), "stats"))
		return -1;
	snprintf(pat, sizeof(pat), "%s=", key);
	p = strstr(out, pat);
	if (!p || sscanf(p + strlen(pat), "%lld", &v) != 1)
		return -1;
	return v;
}

/* Poll the peer until its tree has no quarantined grant; 0 or -1. */
static int peer_wait_drained(struct __test_metadata *_metadata,
			     const struct xd_peer *xp, double timeout)
{
	double end = xd_now() + timeout;
	long long q;

	do {
		q = peer_stat(_metadata, xp, "quarantined");
		if (q == 0)
			return 0;
		xd_msleep(100);
	} while (xd_now() < end);
	TH_LOG("quarantine of the domU not drained after %.0f s (%lld)", timeout, q);
	return -1;
}

/*
 * Read @len bytes of mapping @map and compare them with pattern @seed:
 * -1 if they match, else the first differing offset (or -2 if the read
 * failed).
 */
static long map_mismatch(int fd, __u32 map, size_t len, unsigned int seed)
{
	unsigned char *buf = malloc(len);
	long off;

	if (!buf)
		return -2;
	if (_gntv3_map_rw(fd, map, GNTV3_IOC_RW_READ, 0, len, buf)) {
		free(buf);
		return -2;
	}
	off = xd_mismatch(buf, len, seed);
	free(buf);
	return off;
}

/* Write pattern @seed over @len bytes of mapping @map; 0 or -1. */
static int map_fill(int fd, __u32 map, size_t len, unsigned int seed)
{
	unsigned char *buf = malloc(len);
	int ret;

	if (!buf)
		return -1;
	xd_fill(buf, len, seed);
	ret = _gntv3_map_rw(fd, map, GNTV3_IOC_RW_WRITE, 0, len, buf);
	free(buf);
	return ret;
}

FIXTURE_SETUP(xd)
{
	const char *env = getenv("GNTV3_XDOMAIN_DOMID");
	char val[XD_MSG_MAX];

	self->fd = -1;
	if (!env || !*env)
		SKIP(return, "no domU peer: GNTV3_XDOMAIN_DOMID unset (run by xdomain-dom0.sh)");
	self->xp.domid = (__u16)strtoul(env, NULL, 10);
	ASSERT_LT(0, self->xp.domid);
	snprintf(self->xp.dir, sizeof(self->xp.dir), "/local/domain/%u/" XD_DIR,
		 self->xp.domid);
	ASSERT_EQ(0, xd_read_key(&self->xp, "state", val, sizeof(val)));
	ASSERT_STREQ(XD_READY, val);
	ASSERT_EQ(0, xd_read_key(&self->xp, "tree-ref", val, sizeof(val)));
	self->tree_ref = strtoul(val, NULL, 10);

	self->fd = open(GNTV3_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->fd) TH_LOG("open %s: %s", GNTV3_DEV, strerror(errno));
	ASSERT_EQ(0, _gntv3_back_stats(self->fd, &self->st0));
	ASSERT_EQ(0, _gntv3_attach(self->fd, self->xp.domid, self->tree_ref,
				   &self->back))
		TH_LOG("attach d%u ref %u: %s", self->xp.domid, self->tree_ref,
		       strerror(errno));
}

FIXTURE_TEARDOWN(xd)
{
	if (self->fd >= 0)
		close(self->fd);
}

/* Back stats as in @st0 (a pointer): no mapping of this test left. */
#define expect_back_idle(fd, st0)					\
	({								\
		const struct gntv3_ioc_back_stats *__st0 = (st0);	\
		struct gntv3_ioc_back_stats __st;			\
		ASSERT_EQ(0, _gntv3_back_stats(fd, &__st));		\
		EXPECT_EQ(__st0->nr_mapped, __st.nr_mapped);		\
		EXPECT_EQ(__st0->nr_pages_mapped, __st.nr_pages_mapped); \
		EXPECT_EQ(__st0->nr_unmap_pending, __st.nr_unmap_pending); \
		EXPECT_EQ(__st0->nr_unmap_stuck, __st.nr_unmap_stuck);	\
	})

/* ------------------------------------------------------------------------
 * The handshake: what the domU published, and our attachment to it.
 */
TEST_F(xd, handshake)
{
	char val[XD_MSG_MAX], line[256], want[96];
	struct gntv3_ioc_info info;
	int found = 0;
	__u32 back2;
	FILE *f;

	ASSERT_EQ(0, xd_read_key(&self->xp, "backend", val, sizeof(val)));
	EXPECT_STREQ("0", val);
	ASSERT_EQ(0, _gntv3_info(self->fd, &info));
	EXPECT_EQ(0, info.self_domid);
	/* v1 refs 0..7 are reserved (console, xenstore) */
	EXPECT_LE(8, self->tree_ref);
	/* a fresh tree: nothing granted, the descriptor's v1 ref in use */
	EXPECT_EQ(0, peer_stat(_metadata, &self->xp, "grants"));
	EXPECT_LE(1, peer_stat(_metadata, &self->xp, "v1_refs"));

	/* our attachment names the domU and its tree reference */
	snprintf(want, sizeof(want), "attach domid %u tree_ref %u ",
		 self->xp.domid, self->tree_ref);
	f = fopen(GNTV3_DEBUGFS_BACK, "r");
	ASSERT_NE(NULL, f);
	while (fgets(line, sizeof(line), f))
		found += !strncmp(line, want, strlen(want));
	fclose(f);
	EXPECT_EQ(1, found);

	/* a second attachment to the same tree works and detaches */
	ASSERT_EQ(0, _gntv3_attach(self->fd, self->xp.domid, self->tree_ref, &back2));
	EXPECT_NE(self->back, back2);
	EXPECT_EQ(0, _gntv3_detach(self->fd, back2));
	EXPECT_ERRNO(ENOENT, _gntv3_detach(self->fd, back2));
}

/* ------------------------------------------------------------------------
 * Data both ways, one test per page size.
 */
static void both_ways(struct __test_metadata *_metadata,
		      const struct xd_peer *xp, int fd, __u32 back,
		      const struct gntv3_ioc_back_stats *st0,
		      unsigned int order, unsigned int seed)
{
	const size_t len = PAGE_SZ << order;
	char out[XD_MSG_MAX], key[64], want[64];
	struct gntv3_ioc_back_stats st;
	__u32 map, ref = 0;
	char why[300];
	__u64 id;
	int res;

	id = peer_grant(_metadata, xp, "grant", order, "rw", seed);
	ASSERT_NE(~0ULL, id);
	EXPECT_EQ(0, id % (1U << order));
	/* the peer published it */
	snprintf(key, sizeof(key), "grant/%llu", (unsigned long long)id);
	ASSERT_EQ(0, xd_read_key(xp, key, out, sizeof(out)));
	snprintf(want, sizeof(want), "%u rw %u", order, seed);
	EXPECT_STREQ(want, out);
	ASSERT_EQ(0, peer_state(_metadata, xp, id, &ref));
	EXPECT_LE(8, ref);

	ASSERT_EQ(0, _gntv3_map(fd, back, 0, &id, 1, &map))
		TH_LOG("map id %llu: %s", (unsigned long long)id, strerror(errno));
	ASSERT_EQ(0, _gntv3_back_stats(fd, &st));
	EXPECT_EQ(st0->nr_mapped + 1, st.nr_mapped);
	EXPECT_EQ(st0->nr_pages_mapped + (1U << order), st.nr_pages_mapped);
	/* every page is a foreign page of the domU, v1 refs ref + i */
	EXPECT_EQ(0, gntv3_check_foreign(xp->domid, id, 1U << order, ref, -1, 1,
					 why, sizeof(why))) TH_LOG("%s", why);

	/* domU -> dom0 */
	EXPECT_EQ(-1, map_mismatch(fd, map, len, seed));
	/* dom0 -> domU: the peer sees the new pattern, no longer the old */
	ASSERT_EQ(0, map_fill(fd, map, len, seed + 1));
	peer_ok(xp, out, "check %llu %u", (unsigned long long)id, seed + 1);
	EXPECT_STREQ("ok", out);
	EXPECT_EQ(-EILSEQ, peer_cmd(_metadata, xp, out, sizeof(out), "check %llu %u",
				    (unsigned long long)id, seed));
	EXPECT_STREQ("at 0", out);
	/* domU writes again while mapped: dom0 sees it at once */
	peer_ok(xp, out, "write %llu %u", (unsigned long long)id, seed + 2);
	EXPECT_EQ(-1, map_mismatch(fd, map, len, seed + 2));

	ASSERT_EQ(0, _gntv3_unmap(fd, map, 0, &res));
	ASSERT_EQ(0, res);
	EXPECT_ERRNO(ENOENT, _gntv3_unmap(fd, map, 0, &res));
	expect_back_idle(fd, st0);
	EXPECT_EQ(0, gntv3_check_foreign(xp->domid, id, 1U << order, ref, -1, 0,
					 why, sizeof(why))) TH_LOG("%s", why);

	/* nothing maps it any more: access ends at once, the key goes */
	peer_ok(xp, out, "end %llu", (unsigned long long)id);
	EXPECT_STREQ("0", out);
	EXPECT_EQ(-1, xd_read_key(xp, key, out, sizeof(out)));
	EXPECT_EQ(-ENOENT, peer_state(_metadata, xp, id, NULL));
	EXPECT_ERRNO(ENOENT, _gntv3_map(fd, back, 0, &id, 1, &map));
}

TEST_F_TIMEOUT(xd, map_4k_both_ways, 60)
{
	both_ways(_metadata, &self->xp, self->fd, self->back, &self->st0, 0, 11);
}

TEST_F_TIMEOUT(xd, map_2m_both_ways, 60)
{
	both_ways(_metadata, &self->xp, self->fd, self->back, &self->st0, 9, 23);
}

/* ------------------------------------------------------------------------
 * Read-only grants map read-only only.
 */
TEST_F_TIMEOUT(xd, readonly_grants, 60)
{
	static const unsigned int orders[] = { 0, 9 };
	char out[XD_MSG_MAX];
	unsigned char c = 0x5a;
	unsigned int i, seed;
	__u32 map;
	__u64 id;

	for (i = 0; i < 2; i++) {
		seed = 31 + i;
		id = peer_grant(_metadata, &self->xp, "grant", orders[i], "ro", seed);
		ASSERT_NE(~0ULL, id);
		EXPECT_ERRNO(EACCES, _gntv3_map(self->fd, self->back, 0, &id, 1, &map));
		expect_back_idle(self->fd, &self->st0);

		ASSERT_EQ(0, _gntv3_map(self->fd, self->back, GNTV3_IOC_MAP_READONLY,
					&id, 1, &map));
		EXPECT_EQ(-1, map_mismatch(self->fd, map, PAGE_SZ << orders[i], seed));
		EXPECT_ERRNO(EACCES, _gntv3_map_rw(self->fd, map, GNTV3_IOC_RW_WRITE,
						   0, 1, &c));
		test_unmap(map);
		/* the domU's memory is untouched */
		peer_ok(&self->xp, out, "check %llu %u", (unsigned long long)id, seed);
		peer_ok(&self->xp, out, "end %llu", (unsigned long long)id);
		EXPECT_STREQ("0", out);
	}
	expect_back_idle(self->fd, &self->st0);
}

/* ------------------------------------------------------------------------
 * One MAP of many ids: NR_BATCH 4 KiB grants and a 2 MiB one.
 */
TEST_F_TIMEOUT(xd, batch_map, 90)
{
	__u64 ids[NR_BATCH + 1], first, big;
	__u32 maps[NR_BATCH + 1];
	struct gntv3_ioc_back_stats st;
	char out[XD_MSG_MAX];
	unsigned int k, ended, nq;
	int n;

	first = peer_grant(_metadata, &self->xp, "grantn", NR_BATCH, "rw", 40);
	ASSERT_NE(~0ULL, first);
	big = peer_grant(_metadata, &self->xp, "grant", 9, "rw", 200);
	ASSERT_NE(~0ULL, big);
	for (k = 0; k < NR_BATCH; k++)
		ids[k] = first + k;
	ids[NR_BATCH] = big;

	ASSERT_EQ(0, _gntv3_map(self->fd, self->back, 0, ids, NR_BATCH + 1, maps))
		TH_LOG("batch map: %s", strerror(errno));
	ASSERT_EQ(0, _gntv3_back_stats(self->fd, &st));
	EXPECT_EQ(self->st0.nr_mapped + NR_BATCH + 1, st.nr_mapped);
	EXPECT_EQ(self->st0.nr_pages_mapped + NR_BATCH + 512, st.nr_pages_mapped);
	/* each page of the batch carries its own pattern: none swapped */
	for (k = 0; k < NR_BATCH; k++)
		EXPECT_EQ(-1, map_mismatch(self->fd, maps[k], PAGE_SZ, 40 + k))
			TH_LOG("id %llu", (unsigned long long)ids[k]);
	EXPECT_EQ(-1, map_mismatch(self->fd, maps[NR_BATCH], SZ_2M, 200));

	/* dom0 -> domU through the first, a middle and the last mapping */
	ASSERT_EQ(0, map_fill(self->fd, maps[0], PAGE_SZ, 90));
	ASSERT_EQ(0, map_fill(self->fd, maps[NR_BATCH / 2], PAGE_SZ, 91));
	ASSERT_EQ(0, map_fill(self->fd, maps[NR_BATCH], SZ_2M, 92));
	peer_ok(&self->xp, out, "check %llu 90", (unsigned long long)ids[0]);
	peer_ok(&self->xp, out, "check %llu 91", (unsigned long long)ids[NR_BATCH / 2]);
	peer_ok(&self->xp, out, "check %llu 92", (unsigned long long)big);
	/* its neighbour kept its own pattern */
	peer_ok(&self->xp, out, "check %llu %u", (unsigned long long)ids[1], 41);

	for (k = 0; k <= NR_BATCH; k++)
		test_unmap(maps[k]);
	expect_back_idle(self->fd, &self->st0);
	peer_ok(&self->xp, out, "endn %llu %u", (unsigned long long)first, NR_BATCH);
	n = sscanf(out, "%u %u", &ended, &nq);
	ASSERT_EQ(2, n);
	EXPECT_EQ(NR_BATCH, ended);
	EXPECT_EQ(0, nq);
	peer_ok(&self->xp, out, "end %llu", (unsigned long long)big);
	EXPECT_STREQ("0", out);
	EXPECT_EQ(0, peer_stat(_metadata, &self->xp, "grants"));
}

/* ------------------------------------------------------------------------
 * The domU ends a grant dom0 still maps: quarantined until dom0 unmaps.
 */
TEST_F_TIMEOUT(xd, end_while_mapped_quarantines, 90)
{
	static const unsigned int orders[] = { 0, 9 };
	char out[XD_MSG_MAX];
	unsigned int i, seed;
	__u32 map, map2;
	__u64 id;

	for (i = 0; i < 2; i++) {
		seed = 50 + i;
		id = peer_grant(_metadata, &self->xp, "grant", orders[i], "rw", seed);
		ASSERT_NE(~0ULL, id);
		ASSERT_EQ(0, _gntv3_map(self->fd, self->back, 0, &id, 1, &map));

		peer_ok(&self->xp, out, "end %llu", (unsigned long long)id);
		EXPECT_STREQ("1", out) TH_LOG("order %u", orders[i]);
		EXPECT_EQ(2, peer_state(_metadata, &self->xp, id, NULL));
		EXPECT_EQ(1, peer_stat(_metadata, &self->xp, "quarantined"));
		/* ended: a second END fails, a new MAP sees the revoked leaf */
		EXPECT_EQ(-ENOENT, peer_cmd(_metadata, &self->xp, out, sizeof(out),
					    "end %llu", (unsigned long long)id));
		EXPECT_ERRNO(EACCES, _gntv3_map(self->fd, self->back, 0, &id, 1, &map2));
		/* the memory is not reused while dom0 maps it */
		EXPECT_EQ(-1, map_mismatch(self->fd, map, PAGE_SZ << orders[i], seed));
		ASSERT_EQ(0, map_fill(self->fd, map, PAGE_SZ << orders[i], seed + 7));

		test_unmap(map);
		expect_back_idle(self->fd, &self->st0);
		ASSERT_EQ(0, peer_wait_drained(_metadata, &self->xp, 20));
		EXPECT_EQ(-ENOENT, peer_state(_metadata, &self->xp, id, NULL));
		EXPECT_EQ(0, peer_stat(_metadata, &self->xp, "grants"));
	}
}

/* ------------------------------------------------------------------------
 * Bad ids and tree references from the other domain.
 */
TEST_F_TIMEOUT(xd, bad_ids_and_refs, 60)
{
	struct gntv3_ioc_back_stats st;
	char out[XD_MSG_MAX];
	__u64 id4k, id2m, ids[2];
	__u32 maps[2], back;

	id4k = peer_grant(_metadata, &self->xp, "grant", 0, "rw", 60);
	ASSERT_NE(~0ULL, id4k);
	id2m = peer_grant(_metadata, &self->xp, "grant", 9, "rw", 61);
	ASSERT_NE(~0ULL, id2m);

	/* beyond any tree, not granted, inside a superpage */
	ids[0] = 1ULL << 62;
	EXPECT_ERRNO(ERANGE, _gntv3_map(self->fd, self->back, 0, ids, 1, maps));
	ids[0] = id4k + 1;
	if (ids[0] == id2m)
		ids[0] = id2m + 512;
	EXPECT_ERRNO(ENOENT, _gntv3_map(self->fd, self->back, 0, ids, 1, maps));
	ids[0] = id2m + 1;
	EXPECT_ERRNO(EINVAL, _gntv3_map(self->fd, self->back, 0, ids, 1, maps));
	ids[0] = id2m + 511;
	EXPECT_ERRNO(EINVAL, _gntv3_map(self->fd, self->back, 0, ids, 1, maps));
	/* all or nothing: a good id with a bad one maps nothing */
	ids[0] = id4k;
	ids[1] = id2m + 3;
	EXPECT_ERRNO(EINVAL, _gntv3_map(self->fd, self->back, 0, ids, 2, maps));
	ASSERT_EQ(0, _gntv3_back_stats(self->fd, &st));
	EXPECT_EQ(self->st0.nr_mapped, st.nr_mapped);
	EXPECT_EQ(self->st0.nr_pages_mapped, st.nr_pages_mapped);

	/* tree references: not a descriptor, not granted, wrong domain */
	/* ref 1, the xenstore ring, is granted to dom0 but is no tree */
	EXPECT_ERRNO(EPROTO, _gntv3_attach(self->fd, self->xp.domid, 1, &back));
	EXPECT_ERRNO(ENOENT, _gntv3_attach(self->fd, self->xp.domid, 0xfffff, &back));
	EXPECT_ERRNO(ESRCH, _gntv3_attach(self->fd, self->xp.domid + 100,
					  self->tree_ref, &back));
	EXPECT_ERRNO(EINVAL, _gntv3_attach(self->fd, DOMID_FIRST_RESERVED,
					   self->tree_ref, &back));

	/* the good ids still map after all that */
	ids[0] = id4k;
	ids[1] = id2m;
	ASSERT_EQ(0, _gntv3_map(self->fd, self->back, 0, ids, 2, maps));
	EXPECT_EQ(-1, map_mismatch(self->fd, maps[0], PAGE_SZ, 60));
	EXPECT_EQ(-1, map_mismatch(self->fd, maps[1], SZ_2M, 61));
	test_unmap(maps[0]);
	test_unmap(maps[1]);
	expect_back_idle(self->fd, &self->st0);
	peer_ok(&self->xp, out, "end %llu", (unsigned long long)id4k);
	EXPECT_STREQ("0", out);
	peer_ok(&self->xp, out, "end %llu", (unsigned long long)id2m);
	EXPECT_STREQ("0", out);
	/* ended ids are gone for dom0 too */
	EXPECT_ERRNO(ENOENT, _gntv3_map(self->fd, self->back, 0, &id4k, 1, maps));
	EXPECT_ERRNO(ENOENT, _gntv3_map(self->fd, self->back, 0, &id2m, 1, maps));
}

/* ------------------------------------------------------------------------
 * Reload the backend module while the domU keeps its tree and grants.
 */
TEST_F_TIMEOUT(xd, backend_module_reload, 90)
{
	const char *ko = getenv("GNTV3_KO") ?: GNTV3_KO;
	char out[XD_MSG_MAX];
	__u32 map;
	__u64 id;
	int kfd;

	if (access(ko, R_OK))
		SKIP(return, "%s: %s", ko, strerror(errno));
	id = peer_grant(_metadata, &self->xp, "grant", 9, "rw", 70);
	ASSERT_NE(~0ULL, id);
	ASSERT_EQ(0, _gntv3_map(self->fd, self->back, 0, &id, 1, &map));
	EXPECT_EQ(-1, map_mismatch(self->fd, map, SZ_2M, 70));

	/* closing the file unmaps and detaches; then the module can go */
	EXPECT_ERRNO(EWOULDBLOCK, syscall(SYS_delete_module, "gntv3", O_NONBLOCK));
	ASSERT_EQ(0, close(self->fd));
	self->fd = -1;
	ASSERT_EQ(0, syscall(SYS_delete_module, "gntv3", O_NONBLOCK))
		TH_LOG("delete_module: %s", strerror(errno));
	EXPECT_ERRNO(ENOENT, access("/sys/module/gntv3", F_OK));
	/* the domU's grant is not mapped any more: not quarantined */
	EXPECT_EQ(0, peer_state(_metadata, &self->xp, id, NULL));

	kfd = open(ko, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, kfd);
	ASSERT_EQ(0, syscall(SYS_finit_module, kfd, "", 0))
		TH_LOG("finit_module %s: %s", ko, strerror(errno));
	close(kfd);

	self->fd = open(GNTV3_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->fd) TH_LOG("open after reload: %s", strerror(errno));
	ASSERT_EQ(0, _gntv3_back_stats(self->fd, &self->st0));
	EXPECT_EQ(0, self->st0.nr_mapped);
	EXPECT_EQ(0, self->st0.nr_pages_mapped);
	ASSERT_EQ(0, _gntv3_attach(self->fd, self->xp.domid, self->tree_ref, &self->back));
	ASSERT_EQ(0, _gntv3_map(self->fd, self->back, 0, &id, 1, &map));
	EXPECT_EQ(-1, map_mismatch(self->fd, map, SZ_2M, 70));
	ASSERT_EQ(0, map_fill(self->fd, map, SZ_2M, 71));
	peer_ok(&self->xp, out, "check %llu 71", (unsigned long long)id);
	test_unmap(map);
	peer_ok(&self->xp, out, "end %llu", (unsigned long long)id);
	EXPECT_STREQ("0", out);
	EXPECT_EQ(0, peer_stat(_metadata, &self->xp, "grants"));
}

/* ------------------------------------------------------------------------
 * Last (the harness runs tests in declaration order): the domU is
 * destroyed while dom0 maps its pages.  dom0 keeps working on what it
 * maps, gets a clean error for what it does not, unmaps, and the dead
 * domain is released once dom0 let go of its last page.
 */

/* 1 if "xl list" shows domain @domid (dying ones too), 0 if not, -1. */
static int xl_lists(__u16 domid)
{
	char *const argv[] = { "xl", "list", NULL };
	char out[4096], *line, *save;
	unsigned int id;

	if (xd_run(argv, out, sizeof(out)))
		return -1;
	for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if (sscanf(line, "%*s %u", &id) == 1 && id == domid)
			return 1;
	return 0;
}

TEST_F_TIMEOUT(xd, domu_destroyed_while_mapped, 120)
{
	char path[64], domid[8];
	char *const destroy[] = { "xl", "destroy", domid, NULL };
	__u64 ids[3];
	__u32 maps[2], map;
	long long leaked;
	double end;
	int gone;

	ids[0] = peer_grant(_metadata, &self->xp, "grant", 0, "rw", 80);
	ASSERT_NE(~0ULL, ids[0]);
	ids[1] = peer_grant(_metadata, &self->xp, "grant", 9, "rw", 81);
	ASSERT_NE(~0ULL, ids[1]);
	ids[2] = peer_grant(_metadata, &self->xp, "grant", 0, "rw", 82);
	ASSERT_NE(~0ULL, ids[2]);
	ASSERT_EQ(0, _gntv3_map(self->fd, self->back, 0, ids, 2, maps));
	leaked = gntv3_back_stat("leaked");
	ASSERT_LE(0, leaked);

	snprintf(domid, sizeof(domid), "%u", self->xp.domid);
	snprintf(path, sizeof(path), "/local/domain/%u", self->xp.domid);
	ASSERT_EQ(0, xd_run(destroy, NULL, 0));
	/* the toolstack removed the domain's xenstore directory */
	end = xd_now() + 30;
	while (!(gone = xd_read(path, NULL, 0)) && xd_now() < end)
		xd_msleep(100);
	EXPECT_EQ(-1, gone);

	/* what dom0 maps is still there, readable and writable */
	EXPECT_EQ(-1, map_mismatch(self->fd, maps[0], PAGE_SZ, 80));
	EXPECT_EQ(-1, map_mismatch(self->fd, maps[1], SZ_2M, 81));
	EXPECT_EQ(0, map_fill(self->fd, maps[0], PAGE_SZ, 83));
	/* the dying domain's pages stay until dom0 lets go */
	EXPECT_EQ(1, xl_lists(self->xp.domid));
	/*
	 * A grant dom0 did not map yet cannot be mapped any more: Xen no
	 * longer maps a dying domain's grants; gntv3 reports that as EIO.
	 */
	EXPECT_ERRNO(EIO, _gntv3_map(self->fd, self->back, 0, &ids[2], 1, &map));

	test_unmap(maps[0]);
	test_unmap(maps[1]);
	EXPECT_EQ(0, _gntv3_detach(self->fd, self->back));
	expect_back_idle(self->fd, &self->st0);
	EXPECT_EQ(leaked, gntv3_back_stat("leaked"));
	EXPECT_EQ(0, gntv3_back_stat("attachments"));

	/* with dom0's last reference gone, Xen frees the domain */
	end = xd_now() + 30;
	while ((gone = !xl_lists(self->xp.domid)) == 0 && xd_now() < end)
		xd_msleep(200);
	EXPECT_EQ(1, gone) TH_LOG("d%u still listed 30 s after dom0 unmapped", self->xp.domid);
	/* and a new attach finds no domain (GNTST_bad_domain) */
	EXPECT_ERRNO(ESRCH, _gntv3_attach(self->fd, self->xp.domid, self->tree_ref, &map));
}

TEST_HARNESS_MAIN
