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
 * frontend, and, last, the domU destroyed while dom0 maps its pages and
 * is connected to its ring.
 *
 * The xr tests connect the domU's tree (GNTV3_IOC_CONNECT) and dom0 as its
 * backend (GNTV3_IOC_BACK_CONNECT) over the real interdomain event channel
 * and ring: revoke of idle and mapped grants of both sizes, a revoke whose
 * ACK waits for a page dom0 holds, downgrade, a backend ignoring revokes
 * (the timeout path: dead, quarantined, ids not reused, drained), and
 * reconnection after dom0's and after the domU's gntv3 module reload.
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
#define RESET_MS	20000	/* the peer's reset: revoke, quarantine */
#define GNTV3_KNOB_IGNORE	GNTV3_DEBUGFS_DIR "/back_ignore_revokes"

/* The domU running gntv3-xpeer. */
struct xd_peer {
	__u16 domid;
	char dir[64];		/* /local/domain/<domid>/data/gntv3x */
};

/*
 * The harness runs fixture by fixture, in the order the fixtures are
 * declared, each one's tests in declaration order.  xr (the ring tests,
 * below) is declared first so that xd's last test, which destroys the domU,
 * runs last of all.
 */
FIXTURE(xr) {
	int fd;
	struct xd_peer xp;
	__u32 devid;
	__u32 back;
	struct gntv3_ioc_back_stats st0;
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
 * Write one command for the peer without waiting for its answer.  Returns
 * the command's seq, or 0 if it could not be written (logged).
 */
static unsigned long peer_vsend(struct __test_metadata *_metadata,
				const struct xd_peer *xp, const char *fmt,
				va_list ap)
{
	char path[128], line[XD_MSG_MAX + 24], msg[XD_MSG_MAX], rsp[XD_MSG_MAX];
	unsigned long last;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (xd_read_key(xp, "rsp", rsp, sizeof(rsp))) {
		TH_LOG("cannot read %s/rsp", xp->dir);
		return 0;
	}
	last = strtoul(rsp, NULL, 10);
	snprintf(line, sizeof(line), "%lu %s", last + 1, msg);
	xd_path(xp, path, sizeof(path), "cmd");
	if (xd_write(path, line)) {
		TH_LOG("cannot write %s", path);
		return 0;
	}
	return last + 1;
}

static unsigned long peer_send(struct __test_metadata *_metadata,
			       const struct xd_peer *xp, const char *fmt, ...)
{
	unsigned long seq;
	va_list ap;

	va_start(ap, fmt);
	seq = peer_vsend(_metadata, xp, fmt, ap);
	va_end(ap);
	return seq;
}

/*
 * Wait up to @timeout s for the answer to command @seq.  Returns the peer's
 * rc (0 or -errno) with its payload in @out, or -ETIME (logged if @log).
 */
static int peer_recv(struct __test_metadata *_metadata, const struct xd_peer *xp,
		     unsigned long seq, double timeout, int log, char *out,
		     size_t outlen)
{
	char rsp[XD_MSG_MAX] = "";
	double end = xd_now() + timeout;
	unsigned long got;
	int rc, pos;

	if (!seq)
		return -ETIME;
	do {
		if (!xd_read_key(xp, "rsp", rsp, sizeof(rsp)) &&
		    sscanf(rsp, "%lu %d %n", &got, &rc, &pos) == 2 && got == seq) {
			if (out)
				snprintf(out, outlen, "%s", rsp + pos);
			return rc;
		}
		xd_msleep(5);
	} while (xd_now() < end);
	if (log)
		TH_LOG("the domU did not answer command %lu within %.1f s (rsp '%s')",
		       seq, timeout, rsp);
	return -ETIME;
}

/*
 * Send one command to the peer and wait for its answer.  Returns the peer's
 * rc (0 or -errno) with its payload in @out, or -ETIME if it did not
 * answer within CMD_TIMEOUT (logged).
 */
static int peer_cmd(struct __test_metadata *_metadata, const struct xd_peer *xp,
		    char *out, size_t outlen, const char *fmt, ...)
{
	unsigned long seq;
	va_list ap;

	va_start(ap, fmt);
	seq = peer_vsend(_metadata, xp, fmt, ap);
	va_end(ap);
	return peer_recv(_metadata, xp, seq, CMD_TIMEOUT, 1, out, outlen);
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

/*
 * State of grant @id in the domU (0 live, 2 quarantined), or -errno; *@pte
 * gets its leaf entry (of the id itself: a split superpage's piece on native).
 */
static int peer_state(struct __test_metadata *_metadata,
		      const struct xd_peer *xp, __u64 id, __u64 *pte_out)
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
	if (pte_out)
		*pte_out = pte;
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
 * Read or write (@dir) the @len bytes of one grant that @n mappings hold,
 * @len / @n bytes each, in order; 0 or -1.
 */
static int maps_rw(int fd, const __u32 *maps, unsigned int n, __u32 dir,
		   size_t len, unsigned char *buf)
{
	size_t piece = len / n;
	unsigned int i;

	for (i = 0; i < n; i++)
		if (_gntv3_map_rw(fd, maps[i], dir, 0, piece, buf + i * piece))
			return -1;
	return 0;
}

/*
 * Read the @len bytes @n mappings hold (see maps_rw()) and compare them with
 * pattern @seed: -1 if they match, else the first differing offset (or -2
 * if a read failed).
 */
static long maps_mismatch(int fd, const __u32 *maps, unsigned int n,
			  size_t len, unsigned int seed)
{
	unsigned char *buf = malloc(len);
	long off;

	if (!buf)
		return -2;
	if (maps_rw(fd, maps, n, GNTV3_IOC_RW_READ, len, buf)) {
		free(buf);
		return -2;
	}
	off = xd_mismatch(buf, len, seed);
	free(buf);
	return off;
}

/* Write pattern @seed over the @len bytes @n mappings hold; 0 or -1. */
static int maps_fill(int fd, const __u32 *maps, unsigned int n, size_t len,
		     unsigned int seed)
{
	unsigned char *buf = malloc(len);
	int ret;

	if (!buf)
		return -1;
	xd_fill(buf, len, seed);
	ret = maps_rw(fd, maps, n, GNTV3_IOC_RW_WRITE, len, buf);
	free(buf);
	return ret;
}

/* maps_mismatch() and maps_fill() of one mapping */
static long map_mismatch(int fd, __u32 map, size_t len, unsigned int seed)
{
	return maps_mismatch(fd, &map, 1, len, seed);
}

static int map_fill(int fd, __u32 map, size_t len, unsigned int seed)
{
	return maps_fill(fd, &map, 1, len, seed);
}

/*
 * One grant as dom0 maps it.  v1 maps a superpage by its first id: one
 * mapping of all its pages.  Native maps every id as its 4 KiB piece, so a
 * 2 MiB grant takes its 512 ids and 512 mappings (the grantee does not
 * learn a leaf's size; Documentation/gntv3/native.rst, "2 MiB leaves").
 */
struct xd_gmap {
	unsigned int n;		/* mappings */
	size_t len;		/* bytes of the grant */
	__u32 maps[512];
};

/* The ids, and mappings, that one grant of @order takes on this transport. */
static unsigned int xd_pieces(unsigned int order)
{
	return gntv3_native ? 1U << order : 1;
}

/*
 * Map grant @id of @order (0 or 9) into @g as this transport maps it, in one
 * GNTV3_IOC_MAP: its result (0, or -1 with errno set).
 */
static int gmap(int fd, __u32 back, __u32 flags, __u64 id, unsigned int order,
		struct xd_gmap *g)
{
	__u64 ids[512];
	unsigned int i;

	if (order > 9) {
		errno = EINVAL;
		return -1;
	}
	g->n = xd_pieces(order);
	g->len = PAGE_SZ << order;
	for (i = 0; i < g->n; i++)
		ids[i] = id + i;
	return _gntv3_map(fd, back, flags, ids, g->n, g->maps);
}

static long gmap_mismatch(int fd, const struct xd_gmap *g, unsigned int seed)
{
	return maps_mismatch(fd, g->maps, g->n, g->len, seed);
}

static int gmap_fill(int fd, const struct xd_gmap *g, unsigned int seed)
{
	return maps_fill(fd, g->maps, g->n, g->len, seed);
}

/* Unmap through @fd and assert that it worked. */
#define test_unmap_fd(fd, map)						\
	({								\
		int __res = -1;						\
		ASSERT_EQ(0, _gntv3_unmap(fd, map, 0, &__res));		\
		ASSERT_EQ(0, __res);					\
	})

/* Unmap every mapping of grant @g through @fd, asserting each. */
#define test_gunmap(fd, g)						\
	({								\
		const struct xd_gmap *__g = (g);			\
		int __fd = (fd);					\
		unsigned int __i;					\
		for (__i = 0; __i < __g->n; __i++)			\
			test_unmap_fd(__fd, __g->maps[__i]);		\
	})

/* The mapping of grant @g is gone: its first and last handle with it. */
#define expect_gmap_gone(fd, g)						\
	({								\
		const struct xd_gmap *__g = (g);			\
		int __fd = (fd);					\
		unsigned char __c;					\
		EXPECT_ERRNO(ENOENT, _gntv3_map_rw(__fd, __g->maps[0],	\
						   GNTV3_IOC_RW_READ, 0, 1, &__c)); \
		EXPECT_ERRNO(ENOENT, _gntv3_map_rw(__fd, __g->maps[__g->n - 1], \
						   GNTV3_IOC_RW_READ, 0, 1, &__c)); \
	})

/* The domU's GNTV3_IOC_INFO: transport (GNTV3_TRANSPORT_*), domain id. */
static int peer_info(struct __test_metadata *_metadata, const struct xd_peer *xp,
		     unsigned int *transport, unsigned int *domid)
{
	char out[XD_MSG_MAX];
	int rc;

	rc = peer_cmd(_metadata, xp, out, sizeof(out), "info");
	if (rc)
		return rc;
	return sscanf(out, "transport=%u %*s %*s domid=%u", transport, domid) == 2 ?
	       0 : -EPROTO;
}

/*
 * The domU's 2 MiB grant @id is split: 4 KiB leaves under its 512 ids, as
 * the native transport grants a folio that is not machine-contiguous
 * (native.rst, "2 MiB leaves"); never on v1.  From the first id's leaf:
 * 1 or 0, or -1 when the query failed.
 */
static int peer_split(struct __test_metadata *_metadata,
		      const struct xd_peer *xp, __u64 id)
{
	__u64 pte;

	if (peer_state(_metadata, xp, id, &pte) < 0)
		return -1;
	return PTE_SIZE(pte) == 0;
}

/*
 * What every test of both fixtures starts from: the domU runs the
 * transport dom0 runs (the tests assert that transport's behaviour), dom0
 * answers revokes, and nothing an earlier test left is still in the domU:
 * no grant, no quarantine, no connection, no revoke in flight.  A test
 * stopped by an ASSERT does not always get its teardown: the 6.12
 * kselftest_harness.h keeps fork()'s result across setjmp() in a variable
 * that is not volatile, and where the compiler keeps it in a register the
 * test's process, back from longjmp(), takes the parent's way out and
 * skips FIXTURE_TEARDOWN.  Its exit releases what dom0 held, not what the
 * domU holds; a test that failed used to leave the domU's tree connected,
 * and every later "connect" failed with EEXIST.
 */
static void peer_prepare(struct __test_metadata *_metadata,
			 const struct xd_peer *xp)
{
	unsigned long long grants = ~0ULL, quar = ~0ULL;
	unsigned int transport = 0, domid = 0, ended = 0, disc = 0;
	char out[XD_MSG_MAX];
	int n;

	ASSERT_EQ(0, gntv3_write_file(GNTV3_KNOB_IGNORE, "0"));
	ASSERT_EQ(0, peer_info(_metadata, xp, &transport, &domid));
	ASSERT_EQ(xp->domid, domid);
	ASSERT_EQ(gntv3_native ? GNTV3_TRANSPORT_NATIVE : GNTV3_TRANSPORT_V1,
		  transport) TH_LOG("dom0 and the domU run different transports");
	ASSERT_EQ(0, peer_cmd(_metadata, xp, out, sizeof(out), "reset %u",
			      RESET_MS)) TH_LOG("reset: '%s'", out);
	n = sscanf(out, "ended=%u disconnected=%u grants=%llu quarantined=%llu",
		   &ended, &disc, &grants, &quar);
	ASSERT_EQ(4, n) TH_LOG("reset: '%s'", out);
	if (ended || disc)
		TH_LOG("an earlier test left %u grant(s)%s in the domU: ended",
		       ended, disc ? " and a connection" : "");
	ASSERT_EQ(0, grants);
	ASSERT_EQ(0, quar);
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
	peer_prepare(_metadata, &self->xp);
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
	char val[XD_MSG_MAX], line[GNTV3_KV_LINE];
	struct gntv3_ioc_info info;
	struct gntv3_kv kv;
	int found = 0;
	__u32 back2;
	FILE *f;

	ASSERT_EQ(0, xd_read_key(&self->xp, "backend", val, sizeof(val)));
	EXPECT_STREQ("0", val);
	ASSERT_EQ(0, _gntv3_info(self->fd, &info));
	EXPECT_EQ(0, info.self_domid);
	EXPECT_EQ(gntv3_native ? GNTV3_TRANSPORT_NATIVE : GNTV3_TRANSPORT_V1,
		  info.transport);
	EXPECT_EQ(0, peer_stat(_metadata, &self->xp, "grants"));
	if (gntv3_native) {
		/* a tree handle from the hypervisor (never 0), no v1 ref */
		EXPECT_NE(0, self->tree_ref);
		EXPECT_EQ(0, peer_stat(_metadata, &self->xp, "v1_refs"));
	} else {
		/* v1 refs 0..7 are reserved (console, xenstore) */
		EXPECT_LE(8, self->tree_ref);
		/* a fresh tree: the descriptor's v1 ref in use */
		EXPECT_LE(1, peer_stat(_metadata, &self->xp, "v1_refs"));
	}

	/* our attachment names the domU and its tree reference */
	f = fopen(GNTV3_DEBUGFS_BACK, "r");
	ASSERT_NE(NULL, f);
	while (fgets(line, sizeof(line), f))
		found += gntv3_kv_parse(line, &kv) > 0 && gntv3_kv_is(&kv, "attach") &&
			 gntv3_kv_num(&kv, "attach", -1) == self->xp.domid &&
			 gntv3_kv_num(&kv, "tree_ref", -1) == self->tree_ref;
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
	char out[XD_MSG_MAX], key[64], want[64];
	struct gntv3_ioc_back_stats st;
	struct xd_gmap g;
	__u64 id, pte = 0;
	unsigned int i;
	char why[300];
	__u32 ref;
	int split;

	id = peer_grant(_metadata, xp, "grant", order, "rw", seed);
	ASSERT_NE(~0ULL, id);
	EXPECT_EQ(0, id % (1U << order));
	/* the peer published it */
	snprintf(key, sizeof(key), "grant/%llu", (unsigned long long)id);
	ASSERT_EQ(0, xd_read_key(xp, key, out, sizeof(out)));
	snprintf(want, sizeof(want), "%u rw %u", order, seed);
	EXPECT_STREQ(want, out);
	ASSERT_EQ(0, peer_state(_metadata, xp, id, &pte));
	/* v1: a leaf over v1 refs, the first one ref; native: frames */
	ref = (__u32)PTE_FRAME(pte);
	EXPECT_EQ(!gntv3_native, !!(pte & PTE_V1));
	if (!gntv3_native)
		EXPECT_LE(8, ref);
	split = order ? peer_split(_metadata, xp, id) : 0;
	ASSERT_LE(0, split);
	EXPECT_FALSE(split && !gntv3_native);
	EXPECT_EQ(split ? 0 : order / 9, PTE_SIZE(pte));

	if (gntv3_native && order) {
		/* native: the first id alone maps its first 4 KiB, no more */
		ASSERT_EQ(0, _gntv3_map(fd, back, 0, &id, 1, g.maps));
		EXPECT_EQ(-1, map_mismatch(fd, g.maps[0], PAGE_SZ, seed));
		EXPECT_ERRNO(EINVAL, _gntv3_map_rw(fd, g.maps[0],
						   GNTV3_IOC_RW_READ, PAGE_SZ,
						   1, out));
		test_unmap_fd(fd, g.maps[0]);
	}
	ASSERT_EQ(0, gmap(fd, back, 0, id, order, &g))
		TH_LOG("map id %llu: %s", (unsigned long long)id, strerror(errno));
	ASSERT_EQ(0, _gntv3_back_stats(fd, &st));
	EXPECT_EQ(st0->nr_mapped + g.n, st.nr_mapped);
	EXPECT_EQ(st0->nr_pages_mapped + (1U << order), st.nr_pages_mapped);
	/* v1: every page is a foreign page of the domU, v1 refs ref + i */
	if (!gntv3_native)
		EXPECT_EQ(0, gntv3_check_foreign(xp->domid, id, 1U << order, ref,
						 -1, 1, why, sizeof(why)))
			TH_LOG("%s", why);

	/* domU -> dom0 */
	EXPECT_EQ(-1, gmap_mismatch(fd, &g, seed));
	/* dom0 -> domU: the peer sees the new pattern, no longer the old */
	ASSERT_EQ(0, gmap_fill(fd, &g, seed + 1));
	peer_ok(xp, out, "check %llu %u", (unsigned long long)id, seed + 1);
	EXPECT_STREQ("ok", out);
	EXPECT_EQ(-EILSEQ, peer_cmd(_metadata, xp, out, sizeof(out), "check %llu %u",
				    (unsigned long long)id, seed));
	EXPECT_STREQ("at 0", out);
	/* domU writes again while mapped: dom0 sees it at once */
	peer_ok(xp, out, "write %llu %u", (unsigned long long)id, seed + 2);
	EXPECT_EQ(-1, gmap_mismatch(fd, &g, seed + 2));

	test_gunmap(fd, &g);
	for (i = 0; i < g.n; i++)
		EXPECT_ERRNO(ENOENT, _gntv3_unmap(fd, g.maps[i], 0, NULL));
	expect_back_idle(fd, st0);
	if (!gntv3_native)
		EXPECT_EQ(0, gntv3_check_foreign(xp->domid, id, 1U << order, ref,
						 -1, 0, why, sizeof(why)))
			TH_LOG("%s", why);

	/* nothing maps it any more: access ends at once, the key goes */
	peer_ok(xp, out, "end %llu", (unsigned long long)id);
	EXPECT_STREQ("0", out);
	EXPECT_EQ(-1, xd_read_key(xp, key, out, sizeof(out)));
	EXPECT_EQ(-ENOENT, peer_state(_metadata, xp, id, NULL));
	EXPECT_ERRNO(ENOENT, gmap(fd, back, 0, id, order, &g));
}

TEST_F_TIMEOUT(xd, map_4k_both_ways, 60)
{
	both_ways(_metadata, &self->xp, self->fd, self->back, &self->st0, 0, 11);
}

TEST_F_TIMEOUT(xd, map_2m_both_ways, 60)
{
	both_ways(_metadata, &self->xp, self->fd, self->back, &self->st0, 9, 23);
}

/*
 * A real 1 GiB grant: the domU grants a 1 GiB hugetlbfs page as one leaf
 * (2^18 consecutive v1 references on stock Xen) and dom0 maps that leaf
 * with one MAP; the data is checked at its first, a middle and its last
 * 4 KiB, both ways.  Only a PVH domU with a 1 GiB page reserved at boot and
 * a grant table raised past 2^18 entries can grant it (the 1 GiB run of
 * vm-test.sh, GNTV3_XD_1G=1); elsewhere the domU answers ENOMEM or ENOSPC
 * and the test skips, unless GNTV3_XD_1G=1 asks for the grant.
 */
TEST_F_TIMEOUT(xd, map_1g_superpage, 600)
{
	const size_t len = PAGE_SZ << 18;
	const size_t offs[] = { 0, len / 2, len - PAGE_SZ };
	const char *need = getenv("GNTV3_XD_1G");
	struct gntv3_ioc_back_stats st;
	unsigned char buf[PAGE_SZ];
	char out[XD_MSG_MAX];
	unsigned long long id;
	__u32 map, maps2[2];
	unsigned int k;
	__u64 two[2];
	double t0;
	size_t i;
	int rc, res;

	t0 = xd_now();
	rc = peer_cmd(_metadata, &self->xp, out, sizeof(out), "granthuge 18 rw 71");
	if ((rc == -ENOMEM || rc == -ENOSPC) && !(need && !strcmp(need, "1")))
		SKIP(return, "the domU cannot grant 1 GiB here: %s", strerror(-rc));
	ASSERT_EQ(0, rc) TH_LOG("granthuge: %s '%s'", strerror(-rc), out);
	id = strtoull(out, NULL, 10);
	EXPECT_EQ(0, id % (1U << 18));
	TH_LOG("1 GiB grant made in %.1f s", xd_now() - t0);

	/* a 1 GiB grant maps alone, and is not a 2 MiB one */
	two[0] = id;
	two[1] = id;
	EXPECT_ERRNO(E2BIG, _gntv3_map(self->fd, self->back, 0, two, 2, maps2));
	EXPECT_ERRNO(EINVAL, _gntv3_map(self->fd, self->back, GNTV3_IOC_MAP_2M,
					(__u64 *)&id, 1, &map));

	t0 = xd_now();
	ASSERT_EQ(0, _gntv3_map(self->fd, self->back, 0, (__u64 *)&id, 1, &map))
		TH_LOG("map id %llu: %s", id, strerror(errno));
	TH_LOG("1 GiB leaf mapped in %.1f s", xd_now() - t0);
	ASSERT_EQ(0, _gntv3_back_stats(self->fd, &st));
	EXPECT_EQ(self->st0.nr_mapped + 1, st.nr_mapped);
	EXPECT_EQ(self->st0.nr_pages_mapped + (1U << 18), st.nr_pages_mapped);

	for (k = 0; k < 3; k++) {
		/* domU -> dom0 */
		ASSERT_EQ(0, _gntv3_map_rw(self->fd, map, GNTV3_IOC_RW_READ,
					   offs[k], PAGE_SZ, buf));
		for (i = 0; i < PAGE_SZ; i++)
			if (buf[i] != xd_pattern(71, offs[k] + i))
				break;
		EXPECT_EQ(PAGE_SZ, i) TH_LOG("4 KiB at %zu differs at +%zu", offs[k], i);
		/* dom0 -> domU: the peer's whole-grant check fails at that page */
		for (i = 0; i < PAGE_SZ; i++)
			buf[i] = xd_pattern(72, offs[k] + i);
		ASSERT_EQ(0, _gntv3_map_rw(self->fd, map, GNTV3_IOC_RW_WRITE,
					   offs[k], PAGE_SZ, buf));
	}
	/* the domU reads back what dom0 wrote, at the same three places */
	for (k = 0; k < 3; k++) {
		EXPECT_EQ(0, peer_cmd(_metadata, &self->xp, out, sizeof(out),
				      "checkat %llu 72 %zu", id, offs[k]))
			TH_LOG("domU at %zu: '%s'", offs[k], out);
	}

	t0 = xd_now();
	ASSERT_EQ(0, _gntv3_unmap(self->fd, map, 0, &res));
	ASSERT_EQ(0, res);
	TH_LOG("1 GiB leaf unmapped in %.1f s", xd_now() - t0);
	expect_back_idle(self->fd, &self->st0);
	peer_ok(&self->xp, out, "end %llu", id);
	EXPECT_STREQ("0", out);
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
	struct xd_gmap g;
	__u64 id;

	for (i = 0; i < 2; i++) {
		seed = 31 + i;
		id = peer_grant(_metadata, &self->xp, "grant", orders[i], "ro", seed);
		ASSERT_NE(~0ULL, id);
		/* native: a writable map of any of its 512 ids fails the batch */
		EXPECT_ERRNO(EACCES, gmap(self->fd, self->back, 0, id, orders[i], &g));
		expect_back_idle(self->fd, &self->st0);

		ASSERT_EQ(0, gmap(self->fd, self->back, GNTV3_IOC_MAP_READONLY, id,
				  orders[i], &g));
		EXPECT_EQ(-1, gmap_mismatch(self->fd, &g, seed));
		EXPECT_ERRNO(EACCES, _gntv3_map_rw(self->fd, g.maps[0],
						   GNTV3_IOC_RW_WRITE, 0, 1, &c));
		EXPECT_ERRNO(EACCES, _gntv3_map_rw(self->fd, g.maps[g.n - 1],
						   GNTV3_IOC_RW_WRITE, 0, 1, &c));
		test_gunmap(self->fd, &g);
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
	__u64 ids[NR_BATCH + 512], first, big;
	__u32 maps[NR_BATCH + 512];
	const unsigned int nbig = xd_pieces(9), nr = NR_BATCH + nbig;
	struct gntv3_ioc_back_stats st;
	char out[XD_MSG_MAX];
	unsigned int k, ended, nq;
	int n;

	first = peer_grant(_metadata, &self->xp, "grantn", NR_BATCH, "rw", 40);
	ASSERT_NE(~0ULL, first);
	big = peer_grant(_metadata, &self->xp, "grant", 9, "rw", 200);
	ASSERT_NE(~0ULL, big);
	/* the 2 MiB grant by its first id (v1) or by its 512 (native) */
	for (k = 0; k < NR_BATCH; k++)
		ids[k] = first + k;
	for (k = 0; k < nbig; k++)
		ids[NR_BATCH + k] = big + k;

	ASSERT_EQ(0, _gntv3_map(self->fd, self->back, 0, ids, nr, maps))
		TH_LOG("batch map: %s", strerror(errno));
	ASSERT_EQ(0, _gntv3_back_stats(self->fd, &st));
	EXPECT_EQ(self->st0.nr_mapped + nr, st.nr_mapped);
	EXPECT_EQ(self->st0.nr_pages_mapped + NR_BATCH + 512, st.nr_pages_mapped);
	/* each page of the batch carries its own pattern: none swapped */
	for (k = 0; k < NR_BATCH; k++)
		EXPECT_EQ(-1, map_mismatch(self->fd, maps[k], PAGE_SZ, 40 + k))
			TH_LOG("id %llu", (unsigned long long)ids[k]);
	EXPECT_EQ(-1, maps_mismatch(self->fd, maps + NR_BATCH, nbig, SZ_2M, 200));

	/* dom0 -> domU through the first, a middle and the last mapping */
	ASSERT_EQ(0, map_fill(self->fd, maps[0], PAGE_SZ, 90));
	ASSERT_EQ(0, map_fill(self->fd, maps[NR_BATCH / 2], PAGE_SZ, 91));
	ASSERT_EQ(0, maps_fill(self->fd, maps + NR_BATCH, nbig, SZ_2M, 92));
	peer_ok(&self->xp, out, "check %llu 90", (unsigned long long)ids[0]);
	peer_ok(&self->xp, out, "check %llu 91", (unsigned long long)ids[NR_BATCH / 2]);
	peer_ok(&self->xp, out, "check %llu 92", (unsigned long long)big);
	/* its neighbour kept its own pattern */
	peer_ok(&self->xp, out, "check %llu %u", (unsigned long long)ids[1], 41);

	for (k = 0; k < nr; k++)
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
	struct xd_gmap g;
	__u32 map2;
	__u64 id;

	for (i = 0; i < 2; i++) {
		seed = 50 + i;
		id = peer_grant(_metadata, &self->xp, "grant", orders[i], "rw", seed);
		ASSERT_NE(~0ULL, id);
		ASSERT_EQ(0, gmap(self->fd, self->back, 0, id, orders[i], &g));

		peer_ok(&self->xp, out, "end %llu", (unsigned long long)id);
		EXPECT_STREQ("1", out) TH_LOG("order %u", orders[i]);
		EXPECT_EQ(2, peer_state(_metadata, &self->xp, id, NULL));
		EXPECT_EQ(1, peer_stat(_metadata, &self->xp, "quarantined"));
		/* ended: a second END fails, a new MAP sees the revoked leaf */
		EXPECT_EQ(-ENOENT, peer_cmd(_metadata, &self->xp, out, sizeof(out),
					    "end %llu", (unsigned long long)id));
		EXPECT_ERRNO(EACCES, _gntv3_map(self->fd, self->back, 0, &id, 1, &map2));
		/* the memory is not reused while dom0 maps it */
		EXPECT_EQ(-1, gmap_mismatch(self->fd, &g, seed));
		ASSERT_EQ(0, gmap_fill(self->fd, &g, seed + 7));

		test_gunmap(self->fd, &g);
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
	static const unsigned int inside[] = { 1, 511 };
	unsigned char page[PAGE_SZ];
	struct gntv3_ioc_back_stats st;
	char out[XD_MSG_MAX];
	__u64 id4k, id2m, nogrant, ids[2], good[1 + 512];
	const unsigned int nbig = xd_pieces(9);
	__u32 maps[2], back, gmaps[1 + 512];
	unsigned int k, i;

	id4k = peer_grant(_metadata, &self->xp, "grant", 0, "rw", 60);
	ASSERT_NE(~0ULL, id4k);
	id2m = peer_grant(_metadata, &self->xp, "grant", 9, "rw", 61);
	ASSERT_NE(~0ULL, id2m);

	/* beyond any tree, not granted */
	ids[0] = 1ULL << 62;
	EXPECT_ERRNO(ERANGE, _gntv3_map(self->fd, self->back, 0, ids, 1, maps));
	nogrant = id4k + 1;
	if (nogrant == id2m)
		nogrant = id2m + 512;
	EXPECT_ERRNO(ENOENT, _gntv3_map(self->fd, self->back, 0, &nogrant, 1, maps));
	/*
	 * either transport: an id inside a superpage maps that 4 KiB piece,
	 * and only that one
	 */
	for (k = 0; k < 2; k++) {
		ids[0] = id2m + inside[k];
		ASSERT_EQ(0, _gntv3_map(self->fd, self->back, 0, ids, 1, maps));
		ASSERT_EQ(0, _gntv3_map_rw(self->fd, maps[0], GNTV3_IOC_RW_READ,
					   0, PAGE_SZ, page));
		for (i = 0; i < PAGE_SZ; i++)
			if (page[i] != xd_pattern(61, inside[k] * PAGE_SZ + i))
				break;
		EXPECT_EQ(PAGE_SZ, i) TH_LOG("piece %u differs at +%u", inside[k], i);
		EXPECT_ERRNO(EINVAL, _gntv3_map_rw(self->fd, maps[0],
						   GNTV3_IOC_RW_READ, PAGE_SZ,
						   1, page));
		test_unmap(maps[0]);
	}
	/* all or nothing: a good id with one not granted maps nothing */
	ids[0] = id4k;
	ids[1] = nogrant;
	EXPECT_ERRNO(ENOENT, _gntv3_map(self->fd, self->back, 0, ids, 2, maps));
	ASSERT_EQ(0, _gntv3_back_stats(self->fd, &st));
	EXPECT_EQ(self->st0.nr_mapped, st.nr_mapped);
	EXPECT_EQ(self->st0.nr_pages_mapped, st.nr_pages_mapped);

	if (!gntv3_native) {
		/* tree references: not a descriptor, not granted, wrong domain */
		/* ref 1, the xenstore ring, is granted to dom0 but is no tree */
		EXPECT_ERRNO(EPROTO, _gntv3_attach(self->fd, self->xp.domid, 1, &back));
		EXPECT_ERRNO(ENOENT, _gntv3_attach(self->fd, self->xp.domid, 0xfffff,
						   &back));
		EXPECT_ERRNO(ESRCH, _gntv3_attach(self->fd, self->xp.domid + 100,
						  self->tree_ref, &back));
	} else {
		/*
		 * native: a tree reference is a handle, which the hypervisor
		 * checks at each map.  0 is refused at once; a handle that
		 * names no tree of the domU maps nothing (GNTST_bad_handle),
		 * nor does the right handle of a domain that does not exist
		 * (GNTST_bad_domain).
		 */
		EXPECT_ERRNO(ENOENT, _gntv3_attach(self->fd, self->xp.domid, 0, &back));
		ASSERT_EQ(0, _gntv3_attach(self->fd, self->xp.domid,
					   self->tree_ref + 1000, &back));
		EXPECT_ERRNO(EIO, _gntv3_map(self->fd, back, 0, &id4k, 1, maps));
		EXPECT_EQ(0, _gntv3_detach(self->fd, back));
		ASSERT_EQ(0, _gntv3_attach(self->fd, self->xp.domid + 100,
					   self->tree_ref, &back));
		EXPECT_ERRNO(ESRCH, _gntv3_map(self->fd, back, 0, &id4k, 1, maps));
		EXPECT_EQ(0, _gntv3_detach(self->fd, back));
	}
	EXPECT_ERRNO(EINVAL, _gntv3_attach(self->fd, DOMID_FIRST_RESERVED,
					   self->tree_ref, &back));

	/* the good ids still map after all that, in one batch */
	good[0] = id4k;
	for (k = 0; k < nbig; k++)
		good[1 + k] = id2m + k;
	ASSERT_EQ(0, _gntv3_map(self->fd, self->back, 0, good, 1 + nbig, gmaps));
	EXPECT_EQ(-1, map_mismatch(self->fd, gmaps[0], PAGE_SZ, 60));
	EXPECT_EQ(-1, maps_mismatch(self->fd, gmaps + 1, nbig, SZ_2M, 61));
	for (k = 0; k < 1 + nbig; k++)
		test_unmap(gmaps[k]);
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
	struct xd_gmap g;
	__u64 id;
	int kfd;

	if (access(ko, R_OK))
		SKIP(return, "%s: %s", ko, strerror(errno));
	id = peer_grant(_metadata, &self->xp, "grant", 9, "rw", 70);
	ASSERT_NE(~0ULL, id);
	ASSERT_EQ(0, gmap(self->fd, self->back, 0, id, 9, &g));
	EXPECT_EQ(-1, gmap_mismatch(self->fd, &g, 70));

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
	ASSERT_EQ(0, gmap(self->fd, self->back, 0, id, 9, &g));
	EXPECT_EQ(-1, gmap_mismatch(self->fd, &g, 70));
	ASSERT_EQ(0, gmap_fill(self->fd, &g, 71));
	peer_ok(&self->xp, out, "check %llu 71", (unsigned long long)id);
	test_gunmap(self->fd, &g);
	peer_ok(&self->xp, out, "end %llu", (unsigned long long)id);
	EXPECT_STREQ("0", out);
	EXPECT_EQ(0, peer_stat(_metadata, &self->xp, "grants"));
}

/* ------------------------------------------------------------------------
 * The revoke ring across the two domains: the domU's tree connects
 * (GNTV3_IOC_CONNECT) and dom0 connects as its backend
 * (GNTV3_IOC_BACK_CONNECT), over a ring page of the domU and a real
 * interdomain event channel.  Each test gets a fresh connection (devid).
 */
#define GNTV3_DEBUGFS_CONN	GNTV3_DEBUGFS_DIR "/conn"
#define HOLD_MS			500	/* a page held across a revoke */

/* The domU's GNTV3_IOC_CONN_INFO, as "conn_info" prints it. */
struct xd_ci {
	unsigned int state, peer, connected, ring_ref, evtchn;
	unsigned long long sent, acked, nacked, timed_out, malformed, resets;
};

static int peer_conn_info(struct __test_metadata *_metadata,
			  const struct xd_peer *xp, struct xd_ci *ci)
{
	char out[XD_MSG_MAX];
	int rc;

	rc = peer_cmd(_metadata, xp, out, sizeof(out), "conn_info");
	if (rc)
		return rc;
	if (sscanf(out,
		   "state=%u peer=%u connected=%u ring_ref=%u evtchn=%u sent=%llu acked=%llu nacked=%llu timed_out=%llu malformed=%llu resets=%llu",
		   &ci->state, &ci->peer, &ci->connected, &ci->ring_ref,
		   &ci->evtchn, &ci->sent, &ci->acked, &ci->nacked,
		   &ci->timed_out, &ci->malformed, &ci->resets) != 11) {
		TH_LOG("conn_info: '%s'", out);
		return -EPROTO;
	}
	return 0;
}

/* Poll the domU's connection until connected == @want; 0 or -1 (logged). */
static int peer_wait_connected(struct __test_metadata *_metadata,
			       const struct xd_peer *xp, unsigned int want,
			       double timeout, struct xd_ci *ci)
{
	double end = xd_now() + timeout;

	do {
		if (!peer_conn_info(_metadata, xp, ci) && ci->connected == want)
			return 0;
		xd_msleep(20);
	} while (xd_now() < end);
	TH_LOG("the domU's connection is not %sconnected after %.0f s",
	       want ? "" : "dis", timeout);
	return -1;
}

/* A number from the domU's debugfs gntv3/@file (see "dstat"), or -1. */
static long long peer_dstat(struct __test_metadata *_metadata,
			    const struct xd_peer *xp, const char *file,
			    const char *key)
{
	char out[XD_MSG_MAX];

	if (peer_cmd(_metadata, xp, out, sizeof(out), "dstat %s %s", file, key))
		return -1;
	return strtoll(out, NULL, 10);
}

/* The domU's grant @id: state, read-only flag and leaf entry; 0 or -errno. */
static int peer_query(struct __test_metadata *_metadata, const struct xd_peer *xp,
		      __u64 id, unsigned int *state, unsigned int *ro,
		      unsigned long long *pte)
{
	char out[XD_MSG_MAX];
	unsigned int order;
	int rc;

	rc = peer_cmd(_metadata, xp, out, sizeof(out), "query %llu",
		      (unsigned long long)id);
	if (rc)
		return rc;
	return sscanf(out, "%u %u %u %llx", state, &order, ro, pte) == 4 ?
	       0 : -EPROTO;
}

/* Parse a revoke's "<result> <took ms>" answer. */
static int revoke_answer(const char *out, int *result, double *took_ms)
{
	return sscanf(out, "%d %lf", result, took_ms) == 2 ? 0 : -EPROTO;
}

/* The domU revokes (or downgrades) @id; the peer's rc, or -EPROTO. */
static int peer_revoke(struct __test_metadata *_metadata, const struct xd_peer *xp,
		       __u64 id, unsigned int flags, unsigned int timeout_ms,
		       int *result, double *took_ms)
{
	char out[XD_MSG_MAX];
	int rc;

	rc = peer_cmd(_metadata, xp, out, sizeof(out), "revoke %llu %u %u",
		      (unsigned long long)id, flags, timeout_ms);
	return rc ? rc : revoke_answer(out, result, took_ms);
}

/* Counter @key of dom0's debugfs gntv3/conn, -1 if missing. */
static long long conn_stat(const char *key)
{
	return gntv3_debugfs_kv(GNTV3_DEBUGFS_CONN, key);
}

/* dom0's backend connection to the domU's connection @devid, from debugfs. */
struct xd_bline {
	int fstate, connected;
	unsigned long long done, ignored, malformed, pending;
};

/* 1 and @bl filled when dom0 has that backend connection, 0 if not, -1. */
static int back_line(__u16 domid, __u32 devid, struct xd_bline *bl)
{
	char line[GNTV3_KV_LINE], want[96];
	const char *dir;
	struct gntv3_kv kv;
	int found = 0;
	FILE *f = fopen(GNTV3_DEBUGFS_CONN, "r");

	if (!f)
		return -1;
	snprintf(want, sizeof(want), "/local/domain/%u/data/gntv3/%u/backend",
		 domid, devid);
	while (fgets(line, sizeof(line), f)) {
		if (gntv3_kv_parse(line, &kv) < 0 || !gntv3_kv_is(&kv, "back"))
			continue;
		dir = gntv3_kv_str(&kv, "back");
		if (strcmp(dir, want) ||
		    gntv3_kv_num(&kv, "frontend", -1) != domid)
			continue;
		bl->fstate = gntv3_kv_num(&kv, "fstate", -1);
		bl->connected = gntv3_kv_num(&kv, "connected", -1);
		bl->done = gntv3_kv_num(&kv, "done", -1);
		bl->ignored = gntv3_kv_num(&kv, "ignored", -1);
		bl->malformed = gntv3_kv_num(&kv, "malformed", -1);
		bl->pending = gntv3_kv_num(&kv, "pending", -1);
		found++;
	}
	fclose(f);
	return found;
}

static int back_connect(int fd, __u16 domid, __u32 devid, __u32 timeout_ms,
			__u32 *back)
{
	struct gntv3_ioc_back_connect c = {
		.domid = domid,
		.devid = devid,
		.timeout_ms = timeout_ms,
	};
	int ret = ioctl(fd, GNTV3_IOC_BACK_CONNECT, &c);

	if (!ret && back)
		*back = c.back;
	return ret;
}

/* 1 or 0 as GNTV3_IOC_BACK_CONN_INFO says, -1 on error. */
static int back_connected(int fd, __u32 back)
{
	struct gntv3_ioc_back_conn_info bi = { .back = back };

	return ioctl(fd, GNTV3_IOC_BACK_CONN_INFO, &bi) ? -1 : (int)bi.connected;
}

/* Poll until back_connected() says @want; 0 or -1. */
static int back_wait_connected(int fd, __u32 back, int want, double timeout)
{
	double end = xd_now() + timeout;

	do {
		if (back_connected(fd, back) == want)
			return 0;
		xd_msleep(20);
	} while (xd_now() < end);
	return -1;
}

/* "<dir of connection devid>/<key>" of the domU, read by dom0. */
static int conn_key(__u16 domid, __u32 devid, const char *key, char *out,
		    size_t len)
{
	char path[160];

	snprintf(path, sizeof(path), "/local/domain/%u/data/gntv3/%u/%s", domid,
		 devid, key);
	return xd_read(path, out, len);
}

FIXTURE_SETUP(xr)
{
	const char *env = getenv("GNTV3_XDOMAIN_DOMID");
	char out[XD_MSG_MAX];
	struct xd_ci ci;

	self->fd = -1;
	if (!env || !*env)
		SKIP(return, "no domU peer: GNTV3_XDOMAIN_DOMID unset (run by xdomain-dom0.sh)");
	self->xp.domid = (__u16)strtoul(env, NULL, 10);
	ASSERT_LT(0, self->xp.domid);
	snprintf(self->xp.dir, sizeof(self->xp.dir), "/local/domain/%u/" XD_DIR,
		 self->xp.domid);
	self->fd = open(GNTV3_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->fd) TH_LOG("open %s: %s", GNTV3_DEV, strerror(errno));
	peer_prepare(_metadata, &self->xp);
	ASSERT_EQ(0, _gntv3_back_stats(self->fd, &self->st0));
	self->devid = 100 + getpid() % 100000;
	peer_ok(&self->xp, out, "connect %u", self->devid);
	ASSERT_EQ(0, back_connect(self->fd, self->xp.domid, self->devid, 10000,
				  &self->back))
		TH_LOG("back connect d%u devid %u: %s", self->xp.domid, self->devid,
		       strerror(errno));
	ASSERT_EQ(0, peer_wait_connected(_metadata, &self->xp, 1, 10, &ci));
	ASSERT_EQ(1, back_connected(self->fd, self->back));
}

FIXTURE_TEARDOWN(xr)
{
	char out[XD_MSG_MAX];

	if (self->fd < 0)
		return;
	gntv3_write_file(GNTV3_KNOB_IGNORE, "0");
	/* the frontend leaves first: the ring closes cleanly on both sides */
	peer_cmd(_metadata, &self->xp, out, sizeof(out), "disconnect");
	close(self->fd);
}

/* Both sides Connected, the keys in the domU's tree, one backend per ring. */
TEST_F_TIMEOUT(xr, ring_connected_both_sides, 60)
{
	char out[XD_MSG_MAX], want[32];
	struct xd_bline bl;
	struct xd_ci ci;
	__u32 back2;
	__u16 d = self->xp.domid;

	ASSERT_EQ(0, peer_conn_info(_metadata, &self->xp, &ci));
	EXPECT_EQ(GNTV3_XS_STATE_CONNECTED, ci.state);
	EXPECT_EQ(GNTV3_XS_STATE_CONNECTED, ci.peer);
	EXPECT_EQ(1, ci.connected);
	EXPECT_LE(8, ci.ring_ref);
	EXPECT_LT(0, ci.evtchn);
	EXPECT_EQ(0, ci.sent);
	EXPECT_EQ(0, ci.malformed);
	EXPECT_EQ(0, ci.resets);

	/* what the domU published, as dom0 reads it */
	ASSERT_EQ(0, conn_key(d, self->devid, "gntv3-ring-ref", out, sizeof(out)));
	snprintf(want, sizeof(want), "%u", ci.ring_ref);
	EXPECT_STREQ(want, out);
	ASSERT_EQ(0, conn_key(d, self->devid, "gntv3-event-channel", out, sizeof(out)));
	snprintf(want, sizeof(want), "%u", ci.evtchn);
	EXPECT_STREQ(want, out);
	ASSERT_EQ(0, conn_key(d, self->devid, "backend-id", out, sizeof(out)));
	EXPECT_STREQ("0", out);
	ASSERT_EQ(0, conn_key(d, self->devid, "gntv3-transport", out, sizeof(out)));
	EXPECT_STREQ(gntv3_native ? "native" : "v1", out);
	ASSERT_EQ(0, conn_key(d, self->devid, "state", out, sizeof(out)));
	EXPECT_STREQ("4", out);
	/* and what dom0 wrote below it */
	ASSERT_EQ(0, conn_key(d, self->devid, "backend/state", out, sizeof(out)));
	EXPECT_STREQ("4", out);
	ASSERT_EQ(0, conn_key(d, self->devid, "backend/frontend-id", out, sizeof(out)));
	snprintf(want, sizeof(want), "%u", d);
	EXPECT_STREQ(want, out);
	ASSERT_EQ(1, back_line(d, self->devid, &bl));
	EXPECT_EQ(GNTV3_XS_STATE_CONNECTED, bl.fstate);
	EXPECT_EQ(1, bl.connected);
	EXPECT_EQ(0, bl.pending);

	/* one backend connection per frontend connection */
	EXPECT_ERRNO(EBUSY, back_connect(self->fd, d, self->devid, 100, &back2));
	EXPECT_ERRNO(ENOENT, back_connect(self->fd, d, self->devid + 1, 100, &back2));
	EXPECT_EQ(-EEXIST, peer_cmd(_metadata, &self->xp, out, sizeof(out),
				    "connect %u", self->devid));
	EXPECT_EQ(1, back_connected(self->fd, self->back));
}

/* Revoke of an idle grant: DONE, gone on both sides, counted on both. */
static void revoke_idle(struct __test_metadata *_metadata,
			const struct xd_peer *xp, int fd, __u32 back,
			unsigned int order, unsigned int seed)
{
	long long done = conn_stat("back_done");
	struct xd_ci c0, c1;
	double took;
	int res = -1;
	__u32 map;
	__u64 id;

	ASSERT_LE(0, done);
	ASSERT_EQ(0, peer_conn_info(_metadata, xp, &c0));
	id = peer_grant(_metadata, xp, "grant", order, "rw", seed);
	ASSERT_NE(~0ULL, id);
	ASSERT_EQ(0, peer_revoke(_metadata, xp, id, 0, 5000, &res, &took));
	EXPECT_EQ(GNTV3_REVOKE_RESULT_DONE, res);
	/* gone in the domU, memory released, not quarantined */
	EXPECT_EQ(-ENOENT, peer_state(_metadata, xp, id, NULL));
	EXPECT_EQ(0, peer_stat(_metadata, xp, "grants"));
	EXPECT_EQ(0, peer_stat(_metadata, xp, "quarantined"));
	ASSERT_EQ(0, peer_conn_info(_metadata, xp, &c1));
	EXPECT_EQ(c0.sent + 1, c1.sent);
	EXPECT_EQ(c0.acked + 1, c1.acked);
	EXPECT_EQ(c0.nacked, c1.nacked);
	EXPECT_EQ(c0.timed_out, c1.timed_out);
	/* dom0 carried it out, and the id is gone for it too */
	EXPECT_EQ(done + 1, conn_stat("back_done"));
	EXPECT_ERRNO(ENOENT, _gntv3_map(fd, back, 0, &id, 1, &map));
	/* a second revoke finds nothing */
	EXPECT_EQ(-ENOENT, peer_revoke(_metadata, xp, id, 0, 100, &res, &took));
}

TEST_F_TIMEOUT(xr, revoke_idle_4k_2m, 60)
{
	revoke_idle(_metadata, &self->xp, self->fd, self->back, 0, 100);
	revoke_idle(_metadata, &self->xp, self->fd, self->back, 9, 101);
}

/* Revoke of a grant dom0 maps: dom0's mapping goes before the ACK. */
static void revoke_mapped(struct __test_metadata *_metadata,
			  const struct xd_peer *xp, int fd, __u32 back,
			  const struct gntv3_ioc_back_stats *st0,
			  unsigned int order, unsigned int seed)
{
	long long done = conn_stat("back_done");
	long long forced = peer_dstat(_metadata, xp, "conn", "forced");
	struct gntv3_ioc_back_stats st;
	struct xd_ci c0, c1;
	struct xd_gmap g;
	double took;
	int res = -1;
	__u64 id;

	ASSERT_LE(0, forced);
	ASSERT_EQ(0, peer_conn_info(_metadata, xp, &c0));
	id = peer_grant(_metadata, xp, "grant", order, "rw", seed);
	ASSERT_NE(~0ULL, id);
	ASSERT_EQ(0, gmap(fd, back, 0, id, order, &g));
	EXPECT_EQ(-1, gmap_mismatch(fd, &g, seed));
	ASSERT_EQ(0, _gntv3_back_stats(fd, &st));
	EXPECT_EQ(st0->nr_mapped + g.n, st.nr_mapped);
	EXPECT_EQ(st0->nr_pages_mapped + (1U << order), st.nr_pages_mapped);

	ASSERT_EQ(0, peer_revoke(_metadata, xp, id, 0, 5000, &res, &took));
	EXPECT_EQ(GNTV3_REVOKE_RESULT_DONE, res);
	/* dom0 unmapped before the ACK: nothing was taken by force */
	EXPECT_EQ(forced, peer_dstat(_metadata, xp, "conn", "forced"));
	/* dom0's mapping is gone (every piece of it): its handles with it */
	expect_gmap_gone(fd, &g);
	expect_back_idle(fd, st0);
	EXPECT_ERRNO(ENOENT, gmap(fd, back, 0, id, order, &g));
	/*
	 * The domU ended the grant after dom0 unmapped: had it ended it
	 * while mapped, it would be quarantined.
	 */
	EXPECT_EQ(-ENOENT, peer_state(_metadata, xp, id, NULL));
	EXPECT_EQ(0, peer_stat(_metadata, xp, "quarantined"));
	EXPECT_EQ(0, peer_stat(_metadata, xp, "grants"));
	ASSERT_EQ(0, peer_conn_info(_metadata, xp, &c1));
	EXPECT_EQ(c0.sent + 1, c1.sent);
	EXPECT_EQ(c0.acked + 1, c1.acked);
	EXPECT_EQ(c0.timed_out, c1.timed_out);
	EXPECT_EQ(done + 1, conn_stat("back_done"));
}

TEST_F_TIMEOUT(xr, revoke_mapped_4k_2m, 60)
{
	revoke_mapped(_metadata, &self->xp, self->fd, self->back, &self->st0, 0, 110);
	revoke_mapped(_metadata, &self->xp, self->fd, self->back, &self->st0, 9, 111);
}

/*
 * dom0 holds a page reference (as a driver doing I/O would): its safe
 * unmap waits, so does the ACK, so does the end of the domU's grant.
 */
TEST_F_TIMEOUT(xr, revoke_waits_for_held_page, 90)
{
	struct gntv3_ioc_back_stats st;
	long long acked, done;
	struct xd_bline bl;
	char out[XD_MSG_MAX];
	double end, took, released;
	int res = -1, seen = 0;
	__u32 map;
	__u64 id;

	id = peer_grant(_metadata, &self->xp, "grant", 0, "rw", 120);
	ASSERT_NE(~0ULL, id);
	ASSERT_EQ(0, _gntv3_map(self->fd, self->back, 0, &id, 1, &map));
	ASSERT_EQ(0, _gntv3_map_hold(self->fd, map, 0, 1));
	acked = peer_dstat(_metadata, &self->xp, "conn", "acked");
	ASSERT_LE(0, acked);
	done = conn_stat("back_done");
	EXPECT_EQ(1, peer_dstat(_metadata, &self->xp, "stats", "grants"));

	peer_ok(&self->xp, out, "revoke_bg %llu 0 30000", (unsigned long long)id);
	/* the request reached dom0, whose unmap now waits for the hold */
	end = xd_now() + 10;
	while (!seen && xd_now() < end) {
		ASSERT_EQ(0, _gntv3_back_stats(self->fd, &st));
		seen = st.nr_unmap_pending > self->st0.nr_unmap_pending &&
		       back_line(self->xp.domid, self->devid, &bl) == 1 &&
		       bl.pending == 1;
		if (!seen)
			xd_msleep(10);
	}
	ASSERT_EQ(1, seen) TH_LOG("dom0 never got the revoke request");
	xd_msleep(HOLD_MS);

	/* ordering, before the release: no ACK, the domU's grant still lives */
	EXPECT_EQ(-EINPROGRESS, peer_cmd(_metadata, &self->xp, out, sizeof(out),
					 "revoke_wait 0"));
	EXPECT_EQ(1, peer_dstat(_metadata, &self->xp, "conn", "pending"));
	EXPECT_EQ(acked, peer_dstat(_metadata, &self->xp, "conn", "acked"));
	EXPECT_EQ(1, peer_dstat(_metadata, &self->xp, "stats", "grants"));
	EXPECT_EQ(done, conn_stat("back_done"));
	ASSERT_EQ(1, back_line(self->xp.domid, self->devid, &bl));
	EXPECT_EQ(1, bl.pending);
	/* the mapping being unmapped takes no new hold */
	EXPECT_ERRNO(EBUSY, _gntv3_map_hold(self->fd, map, 0, 1));

	released = xd_now();
	ASSERT_EQ(0, _gntv3_map_hold(self->fd, map, 0, 0));
	/* after it: the ACK, then the grant ends */
	ASSERT_EQ(0, peer_cmd(_metadata, &self->xp, out, sizeof(out),
			      "revoke_wait 20000"));
	ASSERT_EQ(0, revoke_answer(out, &res, &took));
	EXPECT_EQ(GNTV3_REVOKE_RESULT_DONE, res);
	EXPECT_LE(HOLD_MS, took);
	EXPECT_GT(10.0, xd_now() - released);
	EXPECT_EQ(acked + 1, peer_dstat(_metadata, &self->xp, "conn", "acked"));
	EXPECT_EQ(0, peer_dstat(_metadata, &self->xp, "conn", "pending"));
	EXPECT_EQ(0, peer_dstat(_metadata, &self->xp, "stats", "grants"));
	EXPECT_EQ(0, peer_dstat(_metadata, &self->xp, "stats", "quarantined"));
	EXPECT_EQ(done + 1, conn_stat("back_done"));
	ASSERT_EQ(1, back_line(self->xp.domid, self->devid, &bl));
	EXPECT_EQ(0, bl.pending);
	EXPECT_ERRNO(ENOENT, _gntv3_unmap(self->fd, map, 0, &res));
	expect_back_idle(self->fd, &self->st0);
}

/* Downgrade: dom0's rw mapping goes, ro works after, the leaf is ro. */
static void downgrade(struct __test_metadata *_metadata,
		      const struct xd_peer *xp, int fd, __u32 back,
		      const struct gntv3_ioc_back_stats *st0,
		      unsigned int order, unsigned int seed)
{
	long long sent = peer_dstat(_metadata, xp, "conn", "downgrades_sent");
	char out[XD_MSG_MAX], key[64], want[64];
	unsigned int state = ~0U, ro = 0, k;
	unsigned long long pte = 0;
	unsigned char c = 1;
	struct xd_gmap g, rg;
	double took;
	int res = -1, split;
	__u64 id;

	ASSERT_LE(0, sent);
	id = peer_grant(_metadata, xp, "grant", order, "rw", seed);
	ASSERT_NE(~0ULL, id);
	split = order ? peer_split(_metadata, xp, id) : 0;
	ASSERT_LE(0, split);
	EXPECT_FALSE(split && !gntv3_native);
	ASSERT_EQ(0, gmap(fd, back, 0, id, order, &g));
	ASSERT_EQ(0, gmap_fill(fd, &g, seed + 1));

	ASSERT_EQ(0, peer_revoke(_metadata, xp, id, GNTV3_IOC_REVOKE_DOWNGRADE,
				 5000, &res, &took));
	EXPECT_EQ(GNTV3_REVOKE_RESULT_DONE, res);
	EXPECT_EQ(sent + 1, peer_dstat(_metadata, xp, "conn", "downgrades_sent"));
	/* the writable mapping is gone, and a writable map is refused */
	expect_gmap_gone(fd, &g);
	expect_back_idle(fd, st0);
	EXPECT_ERRNO(EACCES, gmap(fd, back, 0, id, order, &g));
	/*
	 * The domU's leaf: valid, read-only, neither D nor R left; a split
	 * grant's first and last piece (each downgraded on its own)
	 */
	for (k = 0; k < (split ? 2 : 1); k++) {
		ASSERT_EQ(0, peer_query(_metadata, xp, id + k * 511, &state, &ro,
					&pte));
		EXPECT_EQ(0, state);
		EXPECT_EQ(1, ro);
		EXPECT_NE(0, pte & PTE_VALID);
		EXPECT_EQ(0, pte & PTE_WRITE);
		EXPECT_EQ(0, pte & PTE_DOWNGRADE);
		EXPECT_EQ(0, pte & PTE_REVOKED);
		EXPECT_EQ(order && !split ? 1 : 0, PTE_SIZE(pte));
	}
	snprintf(key, sizeof(key), "grant/%llu", (unsigned long long)id);
	ASSERT_EQ(0, xd_read_key(xp, key, out, sizeof(out)));
	snprintf(want, sizeof(want), "%u ro %u", order, seed);
	EXPECT_STREQ(want, out);
	/* read-only still maps, with what dom0 wrote before */
	ASSERT_EQ(0, gmap(fd, back, GNTV3_IOC_MAP_READONLY, id, order, &rg));
	EXPECT_EQ(-1, gmap_mismatch(fd, &rg, seed + 1));
	EXPECT_ERRNO(EACCES, _gntv3_map_rw(fd, rg.maps[0], GNTV3_IOC_RW_WRITE,
					   0, 1, &c));
	EXPECT_ERRNO(EACCES, _gntv3_map_rw(fd, rg.maps[rg.n - 1],
					   GNTV3_IOC_RW_WRITE, 0, 1, &c));
	peer_ok(xp, out, "check %llu %u", (unsigned long long)id, seed + 1);
	/* a read-only grant downgrades at once, without a request */
	ASSERT_EQ(0, peer_revoke(_metadata, xp, id, GNTV3_IOC_REVOKE_DOWNGRADE,
				 100, &res, &took));
	EXPECT_EQ(GNTV3_REVOKE_RESULT_DONE, res);
	EXPECT_EQ(sent + 1, peer_dstat(_metadata, xp, "conn", "downgrades_sent"));
	test_gunmap(fd, &rg);
	peer_ok(xp, out, "end %llu", (unsigned long long)id);
	EXPECT_STREQ("0", out);
}

TEST_F_TIMEOUT(xr, downgrade_4k_2m, 90)
{
	downgrade(_metadata, &self->xp, self->fd, self->back, &self->st0, 0, 130);
	downgrade(_metadata, &self->xp, self->fd, self->back, &self->st0, 9, 131);
}

/*
 * dom0 ignores revokes (fault injection): the domU's revoke times out and
 * the grant is dead.  v1: quarantined, still dom0's to read, its id not
 * reused, until dom0 unmaps.  native: the domU takes it back by force
 * (GNTTABOP_v3_revoke with the module's scratch page): nothing is
 * quarantined, dom0's mapping now reads the scratch page (zeroes), and
 * dom0's later unmap works.
 */
TEST_F_TIMEOUT(xr, ignored_revoke_times_out, 90)
{
	long long dead, dq, to, forced, ign = conn_stat("back_ignored");
	const int native = gntv3_native;
	unsigned int state = 0, ro;
	unsigned long long pte = 0;
	unsigned char rd[8];
	char out[XD_MSG_MAX];
	struct xd_ci c0, c1;
	__u64 id, id2;
	__u32 map, map2;
	double took = 0;
	int res = -1;

	ASSERT_LE(0, ign);
	dead = peer_dstat(_metadata, &self->xp, "conn", "dead");
	dq = peer_dstat(_metadata, &self->xp, "conn", "dead_quarantined");
	to = peer_dstat(_metadata, &self->xp, "conn", "timed_out");
	forced = peer_dstat(_metadata, &self->xp, "conn", "forced");
	ASSERT_LE(0, dead);
	ASSERT_LE(0, forced);
	ASSERT_EQ(0, peer_conn_info(_metadata, &self->xp, &c0));
	id = peer_grant(_metadata, &self->xp, "grant", 0, "rw", 140);
	ASSERT_NE(~0ULL, id);
	ASSERT_EQ(0, _gntv3_map(self->fd, self->back, 0, &id, 1, &map));
	ASSERT_EQ(0, gntv3_write_file(GNTV3_KNOB_IGNORE, "1"));

	ASSERT_EQ(0, peer_revoke(_metadata, &self->xp, id, 0, 500, &res, &took));
	EXPECT_EQ(GNTV3_REVOKE_RESULT_DEAD, res);
	EXPECT_LE(450, took);
	EXPECT_GT(5000, took);
	EXPECT_EQ(ign + 1, conn_stat("back_ignored"));
	EXPECT_EQ(dead + 1, peer_dstat(_metadata, &self->xp, "conn", "dead"));
	EXPECT_EQ(dq + !native,
		  peer_dstat(_metadata, &self->xp, "conn", "dead_quarantined"));
	EXPECT_EQ(forced + native,
		  peer_dstat(_metadata, &self->xp, "conn", "forced"));
	EXPECT_EQ(to + 1, peer_dstat(_metadata, &self->xp, "conn", "timed_out"));
	ASSERT_EQ(0, peer_conn_info(_metadata, &self->xp, &c1));
	EXPECT_EQ(c0.sent + 1, c1.sent);
	EXPECT_EQ(c0.acked, c1.acked);
	EXPECT_EQ(c0.timed_out + 1, c1.timed_out);
	EXPECT_EQ(1, c1.connected);

	EXPECT_EQ(0, peer_stat(_metadata, &self->xp, "grants"));
	EXPECT_EQ(-ENOENT, peer_cmd(_metadata, &self->xp, out, sizeof(out),
				    "end %llu", (unsigned long long)id));
	if (native) {
		/* taken back: gone from the tree, nothing quarantined */
		EXPECT_EQ(-ENOENT, peer_state(_metadata, &self->xp, id, NULL));
		EXPECT_EQ(0, peer_stat(_metadata, &self->xp, "quarantined"));
		/* dom0's mapping reads the scratch page, not the domU's */
		ASSERT_EQ(0, _gntv3_map_rw(self->fd, map, GNTV3_IOC_RW_READ, 0,
					   sizeof(rd), rd));
		EXPECT_EQ(0, rd[0]);
		EXPECT_EQ(0, rd[7]);
		EXPECT_EQ(0, map_mismatch(self->fd, map, PAGE_SZ, 140));
		/* and the id names no grant any more */
		EXPECT_ERRNO(ENOENT, _gntv3_map(self->fd, self->back, 0, &id, 1,
						&map2));
	} else {
		/* dead: revoked leaf, quarantined, no longer the domU file's */
		ASSERT_EQ(0, peer_query(_metadata, &self->xp, id, &state, &ro, &pte));
		EXPECT_EQ(2, state);
		EXPECT_NE(0, pte & PTE_REVOKED);
		EXPECT_EQ(1, peer_stat(_metadata, &self->xp, "quarantined"));
		/* dom0 still reads the page: never freed; no new mapping of it */
		EXPECT_EQ(-1, map_mismatch(self->fd, map, PAGE_SZ, 140));
		EXPECT_ERRNO(EACCES, _gntv3_map(self->fd, self->back, 0, &id, 1,
						&map2));
	}
	/* v1: its id is not handed out again (native: free again) */
	id2 = peer_grant(_metadata, &self->xp, "grant", 0, "rw", 141);
	ASSERT_NE(~0ULL, id2);
	if (!native)
		EXPECT_NE(id, id2);

	/* dom0 lets go: the quarantine drains */
	ASSERT_EQ(0, gntv3_write_file(GNTV3_KNOB_IGNORE, "0"));
	test_unmap(map);
	expect_back_idle(self->fd, &self->st0);
	ASSERT_EQ(0, peer_wait_drained(_metadata, &self->xp, 20));
	/* (native: gone at once, above; id2 may have its id now) */
	if (!native)
		EXPECT_EQ(-ENOENT, peer_state(_metadata, &self->xp, id, NULL));
	/* and the ring still works */
	ASSERT_EQ(0, peer_revoke(_metadata, &self->xp, id2, 0, 5000, &res, &took));
	EXPECT_EQ(GNTV3_REVOKE_RESULT_DONE, res);
	EXPECT_EQ(0, peer_stat(_metadata, &self->xp, "grants"));
}

/*
 * dom0's gntv3 is reloaded under a connected frontend: the domU resets its
 * ring and waits; the reloaded backend connects again and revokes work.
 */
TEST_F_TIMEOUT(xr, backend_module_reload_reconnects, 120)
{
	const char *ko = getenv("GNTV3_KO") ?: GNTV3_KO;
	struct xd_ci c0, ci;
	struct xd_bline bl;
	struct xd_gmap g;
	double end, took;
	int res = -1, kfd;
	__u64 id;

	if (access(ko, R_OK))
		SKIP(return, "%s: %s", ko, strerror(errno));
	ASSERT_EQ(0, peer_conn_info(_metadata, &self->xp, &c0));
	id = peer_grant(_metadata, &self->xp, "grant", 9, "rw", 150);
	ASSERT_NE(~0ULL, id);
	ASSERT_EQ(0, gmap(self->fd, self->back, 0, id, 9, &g));
	EXPECT_EQ(-1, gmap_mismatch(self->fd, &g, 150));

	/* closing unmaps, detaches and closes the ring; the module can go */
	ASSERT_EQ(0, close(self->fd));
	self->fd = -1;
	end = xd_now() + 10;
	do {
		ASSERT_EQ(0, peer_conn_info(_metadata, &self->xp, &ci));
		if (ci.state == GNTV3_XS_STATE_INITIALISING && !ci.connected &&
		    ci.resets == c0.resets + 1)
			break;
		xd_msleep(20);
	} while (xd_now() < end);
	/* the domU noticed: a fresh ring, waiting for the next backend */
	EXPECT_EQ(GNTV3_XS_STATE_INITIALISING, ci.state);
	EXPECT_EQ(0, ci.connected);
	EXPECT_EQ(c0.resets + 1, ci.resets);
	ASSERT_EQ(0, syscall(SYS_delete_module, "gntv3", O_NONBLOCK))
		TH_LOG("delete_module: %s", strerror(errno));
	kfd = open(ko, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, kfd);
	ASSERT_EQ(0, syscall(SYS_finit_module, kfd, "", 0))
		TH_LOG("finit_module %s: %s", ko, strerror(errno));
	close(kfd);

	self->fd = open(GNTV3_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, _gntv3_back_stats(self->fd, &self->st0));
	EXPECT_EQ(0, self->st0.nr_mapped);
	ASSERT_EQ(0, back_connect(self->fd, self->xp.domid, self->devid, 10000,
				  &self->back))
		TH_LOG("back connect after reload: %s", strerror(errno));
	ASSERT_EQ(0, peer_wait_connected(_metadata, &self->xp, 1, 10, &ci));
	EXPECT_EQ(GNTV3_XS_STATE_CONNECTED, ci.state);
	EXPECT_EQ(GNTV3_XS_STATE_CONNECTED, ci.peer);
	EXPECT_EQ(c0.resets + 1, ci.resets);
	EXPECT_EQ(1, back_connected(self->fd, self->back));
	ASSERT_EQ(1, back_line(self->xp.domid, self->devid, &bl));
	EXPECT_EQ(GNTV3_XS_STATE_CONNECTED, bl.fstate);
	EXPECT_EQ(1, bl.connected);

	/* the grant outlived the backend's reload; the new ring revokes it */
	ASSERT_EQ(0, gmap(self->fd, self->back, 0, id, 9, &g));
	EXPECT_EQ(-1, gmap_mismatch(self->fd, &g, 150));
	ASSERT_EQ(0, peer_revoke(_metadata, &self->xp, id, 0, 5000, &res, &took));
	EXPECT_EQ(GNTV3_REVOKE_RESULT_DONE, res);
	expect_gmap_gone(self->fd, &g);
	expect_back_idle(self->fd, &self->st0);
	ASSERT_EQ(0, peer_conn_info(_metadata, &self->xp, &ci));
	EXPECT_EQ(c0.sent + 1, ci.sent);
	EXPECT_EQ(c0.acked + 1, ci.acked);
	EXPECT_EQ(1, conn_stat("back_done"));
}

/*
 * The domU's gntv3 is reloaded while dom0 is connected and maps one of its
 * grants: dom0 notices the ring going, still reads what it maps (the domU
 * quarantined it), detaches, and connects to the reloaded frontend.
 */
TEST_F_TIMEOUT(xr, frontend_module_reload_reconnects, 120)
{
	char out[XD_MSG_MAX], path[128], val[32];
	unsigned int tree_ref = 0;
	long long leaked = -1;
	int n;
	struct xd_bline bl;
	struct xd_ci ci;
	unsigned long seq;
	unsigned char c;
	double took;
	int res = -1;
	__u32 map;
	__u64 id;

	id = peer_grant(_metadata, &self->xp, "grant", 0, "rw", 160);
	ASSERT_NE(~0ULL, id);
	ASSERT_EQ(0, _gntv3_map(self->fd, self->back, 0, &id, 1, &map));
	xd_path(&self->xp, path, sizeof(path), "released");
	xd_rm(path);

	seq = peer_send(_metadata, &self->xp, "reload 60000");
	ASSERT_NE(0, seq);
	/* dom0 notices the frontend leaving: its ring goes */
	EXPECT_EQ(0, back_wait_connected(self->fd, self->back, 0, 15));
	ASSERT_EQ(1, back_line(self->xp.domid, self->devid, &bl));
	EXPECT_EQ(0, bl.connected);
	EXPECT_NE(GNTV3_XS_STATE_CONNECTED, bl.fstate);
	/* what it maps stays readable: the domU quarantined it */
	EXPECT_EQ(-1, map_mismatch(self->fd, map, PAGE_SZ, 160));
	/* the stale attachment goes (unmapping), then the domU reloads */
	ASSERT_EQ(0, _gntv3_detach(self->fd, self->back));
	EXPECT_ERRNO(ENOENT, _gntv3_map_rw(self->fd, map, GNTV3_IOC_RW_READ, 0, 1, &c));
	expect_back_idle(self->fd, &self->st0);
	EXPECT_EQ(0, back_line(self->xp.domid, self->devid, &bl));
	ASSERT_EQ(0, xd_write(path, "1"));
	ASSERT_EQ(0, peer_recv(_metadata, &self->xp, seq, 90, 1, out, sizeof(out)))
		TH_LOG("reload: '%s'", out);
	n = sscanf(out, "%u %lld", &tree_ref, &leaked);
	ASSERT_EQ(2, n);
	/* the old module let go of everything: nothing leaked */
	EXPECT_EQ(0, leaked);
	ASSERT_EQ(0, xd_read_key(&self->xp, "tree-ref", val, sizeof(val)));
	EXPECT_EQ(tree_ref, strtoul(val, NULL, 10));

	/* the reloaded frontend connects again, dom0 follows */
	peer_ok(&self->xp, out, "connect %u", self->devid);
	ASSERT_EQ(0, back_connect(self->fd, self->xp.domid, self->devid, 10000,
				  &self->back))
		TH_LOG("back connect after the domU's reload: %s", strerror(errno));
	ASSERT_EQ(0, peer_wait_connected(_metadata, &self->xp, 1, 10, &ci));
	EXPECT_EQ(GNTV3_XS_STATE_CONNECTED, ci.state);
	EXPECT_EQ(GNTV3_XS_STATE_CONNECTED, ci.peer);
	EXPECT_EQ(0, ci.resets);
	EXPECT_EQ(0, ci.sent);
	EXPECT_EQ(1, back_connected(self->fd, self->back));
	ASSERT_EQ(1, back_line(self->xp.domid, self->devid, &bl));
	EXPECT_EQ(1, bl.connected);

	/* and the new ring works */
	id = peer_grant(_metadata, &self->xp, "grant", 0, "rw", 161);
	ASSERT_NE(~0ULL, id);
	ASSERT_EQ(0, _gntv3_map(self->fd, self->back, 0, &id, 1, &map));
	EXPECT_EQ(-1, map_mismatch(self->fd, map, PAGE_SZ, 161));
	ASSERT_EQ(0, peer_revoke(_metadata, &self->xp, id, 0, 5000, &res, &took));
	EXPECT_EQ(GNTV3_REVOKE_RESULT_DONE, res);
	EXPECT_ERRNO(ENOENT, _gntv3_map_rw(self->fd, map, GNTV3_IOC_RW_READ, 0, 1, &c));
	ASSERT_EQ(0, peer_conn_info(_metadata, &self->xp, &ci));
	EXPECT_EQ(1, ci.acked);
	EXPECT_EQ(0, peer_stat(_metadata, &self->xp, "grants"));
}

/* ------------------------------------------------------------------------
 * Last (see FIXTURE(xr) for the order of the tests): the domU is
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
	char path[64], domid[8], out[XD_MSG_MAX];
	char *const destroy[] = { "xl", "destroy", domid, NULL };
	__u32 maps[1 + 512], map, cback, cmap, devid = 200000;
	const unsigned int nbig = xd_pieces(9);
	__u64 mids[1 + 512];
	unsigned int k;
	struct xd_bline bl;
	struct xd_ci ci;
	long long leaked;
	__u64 ids[4];
	double end;
	int gone;

	ids[0] = peer_grant(_metadata, &self->xp, "grant", 0, "rw", 80);
	ASSERT_NE(~0ULL, ids[0]);
	ids[1] = peer_grant(_metadata, &self->xp, "grant", 9, "rw", 81);
	ASSERT_NE(~0ULL, ids[1]);
	ids[2] = peer_grant(_metadata, &self->xp, "grant", 0, "rw", 82);
	ASSERT_NE(~0ULL, ids[2]);
	ids[3] = peer_grant(_metadata, &self->xp, "grant", 0, "rw", 84);
	ASSERT_NE(~0ULL, ids[3]);
	/* a 4 KiB grant and a 2 MiB one (native: its 512 ids), one batch */
	mids[0] = ids[0];
	for (k = 0; k < nbig; k++)
		mids[1 + k] = ids[1] + k;
	ASSERT_EQ(0, _gntv3_map(self->fd, self->back, 0, mids, 1 + nbig, maps));
	/* the tree is also connected, with a mapping through that attachment */
	peer_ok(&self->xp, out, "connect %u", devid);
	ASSERT_EQ(0, back_connect(self->fd, self->xp.domid, devid, 10000, &cback));
	ASSERT_EQ(0, peer_wait_connected(_metadata, &self->xp, 1, 10, &ci));
	ASSERT_EQ(0, _gntv3_map(self->fd, cback, 0, &ids[3], 1, &cmap));
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
	EXPECT_EQ(-1, maps_mismatch(self->fd, maps + 1, nbig, SZ_2M, 81));
	EXPECT_EQ(0, map_fill(self->fd, maps[0], PAGE_SZ, 83));
	/* the dying domain's pages stay until dom0 lets go */
	EXPECT_EQ(1, xl_lists(self->xp.domid));
	/*
	 * A grant dom0 did not map yet cannot be mapped any more: Xen no
	 * longer maps a dying domain's grants; gntv3 reports that as EIO.
	 */
	EXPECT_ERRNO(EIO, _gntv3_map(self->fd, self->back, 0, &ids[2], 1, &map));

	/* dom0's connection went down cleanly with the domain's xenstore tree */
	EXPECT_EQ(0, back_wait_connected(self->fd, cback, 0, 10));
	ASSERT_EQ(1, back_line(self->xp.domid, devid, &bl));
	EXPECT_EQ(0, bl.connected);
	EXPECT_EQ(0, bl.pending);
	/* and did not bring back nodes of the dead domain by saying Closed */
	xd_msleep(200);
	EXPECT_EQ(-1, xd_read(path, NULL, 0));
	EXPECT_EQ(-1, map_mismatch(self->fd, cmap, PAGE_SZ, 84));

	for (k = 0; k < 1 + nbig; k++)
		test_unmap(maps[k]);
	test_unmap(cmap);
	EXPECT_EQ(0, _gntv3_detach(self->fd, cback));
	EXPECT_EQ(0, back_line(self->xp.domid, devid, &bl));
	EXPECT_EQ(0, _gntv3_detach(self->fd, self->back));
	expect_back_idle(self->fd, &self->st0);
	EXPECT_EQ(leaked, gntv3_back_stat("leaked"));
	EXPECT_EQ(0, gntv3_back_stat("attachments"));

	/* with dom0's last reference gone, Xen frees the domain */
	end = xd_now() + 30;
	while ((gone = !xl_lists(self->xp.domid)) == 0 && xd_now() < end)
		xd_msleep(200);
	EXPECT_EQ(1, gone) TH_LOG("d%u still listed 30 s after dom0 unmapped", self->xp.domid);
	/*
	 * and nothing of it maps any more, no domain (GNTST_bad_domain):
	 * v1 reads the descriptor at attach, native checks the handle at
	 * each map
	 */
	if (!gntv3_native) {
		EXPECT_ERRNO(ESRCH, _gntv3_attach(self->fd, self->xp.domid,
						  self->tree_ref, &map));
	} else {
		ASSERT_EQ(0, _gntv3_attach(self->fd, self->xp.domid,
					   self->tree_ref, &cback));
		EXPECT_ERRNO(ESRCH, _gntv3_map(self->fd, cback, 0, &ids[0], 1, &map));
		EXPECT_EQ(0, _gntv3_detach(self->fd, cback));
	}
}

TEST_HARNESS_MAIN
