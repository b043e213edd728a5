// SPDX-License-Identifier: GPL-2.0-only
/*
 * gntv3 revoke ring kselftests: the frontend/backend connection through
 * xenstore and the revoke, downgrade and notification flows, in a PV dom0
 * in loopback.  One open file of /dev/gntv3 is the frontend (it grants to
 * domid 0 and connects its tree), another the backend (BACK_CONNECT finds
 * the frontend's keys, attaches and maps the ring), as two domains would.
 *
 * Checks: the connection comes up on both sides; a revoke of an idle grant,
 * of a mapped grant, and of a grant whose page the backend holds (the ACK
 * waits for the release); a downgrade (rw mapping gone, ro allowed after,
 * the entry read-only); a backend that ignores revokes (debugfs knob): the
 * timeout path leaves the grant dead and quarantined, its ids not reused,
 * until the backend lets go; UNMAPPED notifications drain the quarantine at
 * once; the mapping cache (GNTV3_IOC_MAP_CACHE): hits, misses, the
 * revoke's eviction, the FORGET an end sends, the bound, detach; malformed messages are counted on
 * both sides; reconnect after the
 * backend detaches and attaches again; bad arguments; a frontend whose
 * xenstore numbers are not numbers ("12abc") is refused with EPROTO.
 *
 * Must run as root with gntv3.ko loaded, and with xenstored running: a
 * dom0 kernel's xenstore requests block until it runs.  If it does not,
 * the tests start it (as scripts/vm/vm.sh's vm_toolstack_start does) and
 * are skipped if that fails.
 */
#include <pthread.h>
#include <linux/types.h>

#include "gntv3_conn_utils.h"

#define GNTV3_KNOB_IGNORE	GNTV3_DEBUGFS_DIR "/back_ignore_revokes"
#define GNTV3_KNOB_INJECT	GNTV3_DEBUGFS_DIR "/front_inject"

/* Unmap through the backend file and assert that it worked. */
#define back_unmap(map)							\
	({								\
		int __res = -1;						\
		ASSERT_EQ(0, _gntv3_unmap(self->bfd, map, 0, &__res));	\
		ASSERT_EQ(0, __res);					\
	})

FIXTURE(ring) {
	int fd;		/* frontend file (the utils' macros use self->fd) */
	int bfd;	/* backend file */
	__u32 tree;
	__u32 tree_ref;
	__u32 devid;
	__u32 back;
};

FIXTURE_SETUP(ring)
{
	struct gntv3_ioc_connect c = { 0 };
	struct gntv3_ioc_back_conn_info bi = { 0 };

	self->fd = -1;
	self->bfd = -1;
	if (!xenstored_ok)
		SKIP(return, "xenstored is not running and cannot be started");
	if (gntv3_self_translated())
		SKIP(return, GNTV3_SKIP_TRANSLATED_MSG);
	self->fd = open(GNTV3_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->fd) TH_LOG("open %s: %s", GNTV3_DEV, strerror(errno));
	self->bfd = open(GNTV3_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->bfd);
	ASSERT_EQ(0, gntv3_write_file(GNTV3_KNOB_IGNORE, "0"));
	test_tree_create(SELF_DOMID, &self->tree, &self->tree_ref);
	self->devid = 1000 + getpid() % 100000;
	c.tree = self->tree;
	c.devid = self->devid;
	ASSERT_EQ(0, ioctl(self->fd, GNTV3_IOC_CONNECT, &c))
		TH_LOG("connect: %s", strerror(errno));
	ASSERT_EQ(0, back_connect(self->bfd, self->devid, 5000, &self->back))
		TH_LOG("back connect: %s", strerror(errno));
	ASSERT_EQ(0, wait_connected(self->fd, self->tree, 1, 5000));
	bi.back = self->back;
	ASSERT_EQ(0, ioctl(self->bfd, GNTV3_IOC_BACK_CONN_INFO, &bi));
	ASSERT_EQ(1, bi.connected);
}

FIXTURE_TEARDOWN(ring)
{
	gntv3_write_file(GNTV3_KNOB_IGNORE, "0");
	if (self->bfd >= 0)
		close(self->bfd);
	if (self->fd >= 0)
		close(self->fd);
}

TEST_F(ring, connected_both_sides)
{
	struct gntv3_ioc_conn_info ci;
	struct gntv3_ioc_connect c = { .tree = self->tree, .devid = self->devid };

	ASSERT_EQ(0, conn_info(self->fd, self->tree, &ci));
	EXPECT_EQ(GNTV3_XS_STATE_CONNECTED, ci.state);
	EXPECT_EQ(GNTV3_XS_STATE_CONNECTED, ci.peer_state);
	EXPECT_EQ(1, ci.connected);
	EXPECT_LT(0, ci.ring_ref);
	EXPECT_LT(0, ci.evtchn);
	EXPECT_EQ(0, ci.sent);
	EXPECT_EQ(0, ci.malformed);
	EXPECT_EQ(0, ci.resets);
	/* one connection per tree */
	EXPECT_ERRNO(EEXIST, ioctl(self->fd, GNTV3_IOC_CONNECT, &c));
	/* a frontend connection that does not exist */
	EXPECT_ERRNO(ENOENT, back_connect(self->bfd, self->devid + 1, 100, NULL));
}

TEST_F(ring, revoke_idle)
{
	long long acked = conn_stat("acked"), done = conn_stat("back_done");
	unsigned char *buf = gntv3_buf(1);
	struct gntv3_ioc_conn_info ci;
	struct gntv3_ioc_tree_stats st;
	int res = -1;
	__u64 id;

	ASSERT_NE(NULL, buf);
	ASSERT_LE(0, acked);
	test_grant_user(self->tree, 0, buf, 1, &id);
	ASSERT_EQ(0, do_revoke(self->fd, self->tree, id, 0, 2000, &res));
	EXPECT_EQ(GNTV3_REVOKE_RESULT_DONE, res);
	/* the grant is gone, its memory released */
	test_err_query(ENOENT, self->tree, id);
	test_err_end(ENOENT, self->tree, id);
	test_stats(self->tree, &st);
	EXPECT_EQ(0, st.nr_grants);
	EXPECT_EQ(0, st.nr_quarantined);
	ASSERT_EQ(0, conn_info(self->fd, self->tree, &ci));
	EXPECT_EQ(1, ci.sent);
	EXPECT_EQ(1, ci.acked);
	EXPECT_EQ(0, ci.timed_out);
	EXPECT_EQ(acked + 1, conn_stat("acked"));
	EXPECT_EQ(done + 1, conn_stat("back_done"));
	/* a second revoke finds nothing */
	EXPECT_ERRNO(ENOENT, do_revoke(self->fd, self->tree, id, 0, 100, &res));
}

TEST_F(ring, revoke_mapped)
{
	unsigned char *buf = gntv3_buf(4), rd[16];
	struct gntv3_ioc_back_stats st0, st;
	struct gntv3_ioc_tree_stats ts;
	__u32 maps[4];
	__u64 id, ids[4];
	int res = -1, i;

	ASSERT_NE(NULL, buf);
	memset(buf, 0x5a, 4 * PAGE_SZ);
	ASSERT_EQ(0, _gntv3_back_stats(self->bfd, &st0));
	test_grant_user(self->tree, 0, buf, 4, &id);
	for (i = 0; i < 4; i++)
		ids[i] = id + i;
	ASSERT_EQ(0, _gntv3_map(self->bfd, self->back, 0, ids, 4, maps));
	ASSERT_EQ(0, _gntv3_map_rw(self->bfd, maps[1], GNTV3_IOC_RW_READ, 0, 16, rd));
	EXPECT_EQ(0x5a, rd[15]);

	/* revoke the second page: only its mapping goes */
	ASSERT_EQ(0, do_revoke(self->fd, self->tree, id + 1, 0, 5000, &res));
	EXPECT_EQ(GNTV3_REVOKE_RESULT_DONE, res);
	EXPECT_ERRNO(ENOENT, _gntv3_map_rw(self->bfd, maps[1], GNTV3_IOC_RW_READ,
					   0, 16, rd));
	ASSERT_EQ(0, _gntv3_map_rw(self->bfd, maps[2], GNTV3_IOC_RW_READ, 0, 16, rd));
	ASSERT_EQ(0, _gntv3_back_stats(self->bfd, &st));
	EXPECT_EQ(st0.nr_mapped + 3, st.nr_mapped);
	test_err_query(ENOENT, self->tree, id + 1);
	test_stats(self->tree, &ts);
	EXPECT_EQ(3, ts.nr_grants);
	EXPECT_EQ(0, ts.nr_quarantined);
	/* a new map of the revoked id fails */
	EXPECT_ERRNO(ENOENT, _gntv3_map(self->bfd, self->back, 0, &ids[1], 1, maps));
	for (i = 0; i < 4; i++)
		if (i != 1)
			back_unmap(maps[i]);
	for (i = 0; i < 4; i++)
		if (i != 1)
			test_end(self->tree, id + i);
}

struct revoke_thread {
	int fd;
	__u32 tree;
	__u64 id;
	int ret;
	int result;
	int finished;
	double took;
};

static void *revoke_fn(void *arg)
{
	struct revoke_thread *t = arg;
	double t0 = gntv3_now();

	t->ret = do_revoke(t->fd, t->tree, t->id, 0, 10000, &t->result);
	t->took = gntv3_now() - t0;
	__atomic_store_n(&t->finished, 1, __ATOMIC_RELEASE);
	return NULL;
}

/* The backend's safe unmap waits for its page user: so does the ACK. */
TEST_F(ring, revoke_waits_for_held_page)
{
	struct revoke_thread t = { .fd = self->fd, .tree = self->tree };
	unsigned char *buf = gntv3_buf(1);
	struct gntv3_ioc_back_stats st;
	struct gntv3_ioc_tree_stats ts;
	pthread_t th;
	__u32 map;
	__u64 id;

	ASSERT_NE(NULL, buf);
	test_grant_user(self->tree, 0, buf, 1, &id);
	ASSERT_EQ(0, _gntv3_map(self->bfd, self->back, 0, &id, 1, &map));
	ASSERT_EQ(0, _gntv3_map_hold(self->bfd, map, 0, 1));
	t.id = id;
	ASSERT_EQ(0, pthread_create(&th, NULL, revoke_fn, &t));
	gntv3_msleep(400);
	/* still waiting: the unmap is pending on our hold */
	EXPECT_EQ(0, __atomic_load_n(&t.finished, __ATOMIC_ACQUIRE));
	ASSERT_EQ(0, _gntv3_back_stats(self->bfd, &st));
	EXPECT_LE(1, st.nr_unmap_pending);
	ASSERT_EQ(0, _gntv3_map_hold(self->bfd, map, 0, 0));
	ASSERT_EQ(0, pthread_join(th, NULL));
	EXPECT_EQ(0, t.ret);
	EXPECT_EQ(GNTV3_REVOKE_RESULT_DONE, t.result);
	EXPECT_LE(0.4, t.took);
	EXPECT_GT(9.0, t.took);
	test_stats(self->tree, &ts);
	EXPECT_EQ(0, ts.nr_grants);
	EXPECT_EQ(0, ts.nr_quarantined);
	EXPECT_ERRNO(ENOENT, _gntv3_unmap(self->bfd, map, 0, NULL));
}

TEST_F(ring, downgrade)
{
	long long sent = conn_stat("downgrades_sent");
	unsigned char *buf = gntv3_buf(1), rd[64], wr[8] = "written";
	struct gntv3_ioc_query q;
	__u32 map, rmap;
	int res = -1;
	__u64 id;

	ASSERT_NE(NULL, buf);
	memset(buf, 0x33, PAGE_SZ);
	test_grant_user(self->tree, 0, buf, 1, &id);
	ASSERT_EQ(0, _gntv3_map(self->bfd, self->back, 0, &id, 1, &map));
	ASSERT_EQ(0, _gntv3_map_rw(self->bfd, map, GNTV3_IOC_RW_WRITE, 8, 8, wr));

	ASSERT_EQ(0, do_revoke(self->fd, self->tree, id,
			       GNTV3_IOC_REVOKE_DOWNGRADE, 5000, &res));
	EXPECT_EQ(GNTV3_REVOKE_RESULT_DONE, res);
	EXPECT_EQ(sent + 1, conn_stat("downgrades_sent"));
	/* the rw mapping is gone; the grant stays, read-only */
	EXPECT_ERRNO(ENOENT, _gntv3_map_rw(self->bfd, map, GNTV3_IOC_RW_READ, 0, 8, rd));
	test_query(self->tree, id, &q);
	EXPECT_EQ(1, q.readonly);
	EXPECT_EQ(0, q.state);
	EXPECT_EQ(0, q.pte & PTE_WRITE);
	EXPECT_EQ(0, q.pte & PTE_DOWNGRADE);
	EXPECT_EQ(0, q.pte & PTE_REVOKED);
	EXPECT_ERRNO(EACCES, _gntv3_map(self->bfd, self->back, 0, &id, 1, &rmap));
	ASSERT_EQ(0, _gntv3_map(self->bfd, self->back, GNTV3_IOC_MAP_READONLY,
				&id, 1, &rmap));
	ASSERT_EQ(0, _gntv3_map_rw(self->bfd, rmap, GNTV3_IOC_RW_READ, 0, 64, rd));
	EXPECT_EQ(0x33, rd[0]);
	EXPECT_EQ(0, memcmp(rd + 8, "written", 8));
	EXPECT_ERRNO(EACCES, _gntv3_map_rw(self->bfd, rmap, GNTV3_IOC_RW_WRITE, 0, 8, wr));
	/* downgrading a read-only grant is done at once */
	ASSERT_EQ(0, do_revoke(self->fd, self->tree, id,
			       GNTV3_IOC_REVOKE_DOWNGRADE, 100, &res));
	EXPECT_EQ(GNTV3_REVOKE_RESULT_DONE, res);
	EXPECT_EQ(sent + 1, conn_stat("downgrades_sent"));
	back_unmap(rmap);
	test_end(self->tree, id);
}

/* A backend that never answers: the grant dies, quarantined, not reused. */
/*
 * A backend that ignores revokes.  v1: the timeout leaves the grant dead
 * and quarantined, still readable by the backend, until it lets go.
 * native: the frontend takes the grant back by force (GNTTABOP_v3_revoke
 * with a scratch page): nothing is quarantined, the backend's mapping now
 * reads the scratch page (zeroes) while the frontend writes its own page
 * again, and the backend's later unmap works.
 */
TEST_F(ring, ignored_revoke_times_out)
{
	long long dead = conn_stat("dead"), dq = conn_stat("dead_quarantined");
	long long ign = conn_stat("back_ignored"), to = conn_stat("timed_out");
	long long forced = conn_stat("forced");
	long long q0 = gntv3_debugfs_stat("quarantined");
	int native = gntv3_native;
	unsigned char *buf = gntv3_buf(2), rd[8];
	struct gntv3_ioc_tree_stats ts;
	struct gntv3_ioc_query q;
	__u64 id, id2;
	double t0, took;
	int res = -1;
	__u32 map;

	ASSERT_NE(NULL, buf);
	memset(buf, 0x77, 2 * PAGE_SZ);
	test_grant_user(self->tree, 0, buf, 1, &id);
	ASSERT_EQ(0, _gntv3_map(self->bfd, self->back, 0, &id, 1, &map));
	ASSERT_EQ(0, _gntv3_map_rw(self->bfd, map, GNTV3_IOC_RW_READ, 0, 8, rd));
	ASSERT_EQ(0x77, rd[7]);
	ASSERT_EQ(0, gntv3_write_file(GNTV3_KNOB_IGNORE, "1"));

	t0 = gntv3_now();
	ASSERT_EQ(0, do_revoke(self->fd, self->tree, id, 0, 500, &res));
	took = gntv3_now() - t0;
	EXPECT_EQ(GNTV3_REVOKE_RESULT_DEAD, res);
	EXPECT_LE(0.45, took);
	EXPECT_GT(3.0, took);
	EXPECT_EQ(dead + 1, conn_stat("dead"));
	EXPECT_EQ(ign + 1, conn_stat("back_ignored"));
	EXPECT_EQ(to + 1, conn_stat("timed_out"));
	EXPECT_EQ(forced + native, conn_stat("forced"));
	EXPECT_EQ(dq + !native, conn_stat("dead_quarantined"));
	EXPECT_EQ(q0 + !native, gntv3_debugfs_stat("quarantined"));
	test_stats(self->tree, &ts);
	EXPECT_EQ(0, ts.nr_grants);
	EXPECT_EQ(!native, ts.nr_quarantined);
	test_err_end(ENOENT, self->tree, id);

	if (native) {
		/* the frontend reuses its page; the backend sees scratch */
		memset(buf, 0x55, PAGE_SZ);
		ASSERT_EQ(0, _gntv3_map_rw(self->bfd, map, GNTV3_IOC_RW_READ,
					   0, 8, rd));
		EXPECT_EQ(0, rd[0]);
		EXPECT_EQ(0, rd[7]);
		EXPECT_EQ(0x55, buf[7]);
	} else {
		/* dead: revoked in the tree, quarantined, not the file's */
		test_query(self->tree, id, &q);
		EXPECT_EQ(2, q.state);
		EXPECT_NE(0, q.pte & PTE_REVOKED);
		/* the backend still reads the page: it was never freed */
		ASSERT_EQ(0, _gntv3_map_rw(self->bfd, map, GNTV3_IOC_RW_READ,
					   0, 8, rd));
		EXPECT_EQ(0x77, rd[7]);
	}
	/* v1: its id is not reused while quarantined (native: free again) */
	test_grant_user(self->tree, 0, buf + PAGE_SZ, 1, &id2);
	if (!native)
		EXPECT_NE(id, id2);

	/* once the backend lets go, the quarantine drains */
	ASSERT_EQ(0, gntv3_write_file(GNTV3_KNOB_IGNORE, "0"));
	back_unmap(map);
	EXPECT_EQ(0, wait_quarantined(self->fd, self->tree, 0, 5000));
	EXPECT_EQ(q0, gntv3_debugfs_stat("quarantined"));
	/* native may have given id2 the revoked id: both ended first */
	test_end(self->tree, id2);
	test_err_query(ENOENT, self->tree, id);
}

/*
 * Grant a page, map it through the backend file with @map_flags and end
 * it: quarantined, as Xen still maps it.  Its FORGET is ACKed and, the
 * mapping being live, changes nothing; after the unmap the grant stays
 * quarantined (the periodic retry is set to 60 s here) until the
 * UNMAPPED notification drains it, within 3 s.  (@self is the harness's
 * struct behind FIXTURE_DATA(ring).)
 */
static void end_while_mapped(struct __test_metadata *_metadata,
			     struct _test_data_ring *self, __u32 map_flags)
{
	struct gntv3_ioc_back_notify n = { .back = self->back, .nr_ids = 1 };
	long long old = gntv3_param_get("quarantine_retry_ms");
	long long rx = conn_stat("unmapped_rx");
	long long acks = conn_stat("forget_acks");
	unsigned char *buf = gntv3_buf(1);
	__s32 result = -1;
	double t0;
	__u32 map;
	__u64 id;

	ASSERT_NE(NULL, buf);
	ASSERT_LT(0, old);
	ASSERT_LE(0, acks);
	ASSERT_EQ(0, gntv3_param_set("quarantine_retry_ms", 60000));
	test_grant_user(self->tree, 0, buf, 1, &id);
	ASSERT_EQ(0, _gntv3_map(self->bfd, self->back, map_flags, &id, 1,
				&map));
	ASSERT_EQ(0, _gntv3_end(self->fd, self->tree, id, &result));
	EXPECT_EQ(1, result);			/* quarantined */
	/* its FORGET retried the quarantine: still mapped, nothing changed */
	ASSERT_EQ(0, wait_conn_stat("forget_acks", acks + 1, 3000));
	EXPECT_EQ(0, wait_quarantined(self->fd, self->tree, 1, 0));
	back_unmap(map);
	gntv3_msleep(200);	/* a cached mapping would be there by now */
	EXPECT_EQ(0, wait_quarantined(self->fd, self->tree, 1, 0));
	t0 = gntv3_now();
	n.id = id;
	ASSERT_EQ(0, ioctl(self->bfd, GNTV3_IOC_BACK_NOTIFY, &n));
	EXPECT_EQ(0, wait_quarantined(self->fd, self->tree, 0, 3000));
	EXPECT_GT(3.0, gntv3_now() - t0);
	EXPECT_EQ(rx + 1, conn_stat("unmapped_rx"));
	EXPECT_EQ(0, gntv3_param_set("quarantine_retry_ms", old));
	test_err_query(ENOENT, self->tree, id);
}

/* UNMAPPED: the frontend retries its quarantine at once. */
TEST_F(ring, unmapped_notification_drains_quarantine)
{
	struct gntv3_ioc_back_notify n = { .back = self->back, .nr_ids = 0 };

	end_while_mapped(_metadata, self, 0);
	/* a bad range is refused before it reaches the ring */
	EXPECT_ERRNO(EINVAL, ioctl(self->bfd, GNTV3_IOC_BACK_NOTIFY, &n));
}

/* The mapping cache's counters (debugfs "back"), read as one. */
struct cache_stats {
	long long hits, misses, puts, evicted, invalidated, forgotten;
	long long maps, pages;
};

/*
 * Wait up to 3 s for the cache's counter @key to reach @want.  An unmap's
 * mapping enters the cache just after the unmap's result is reported
 * (once the done callback returned, cache.c), so a test that wants it
 * there waits for it.
 */
static int wait_cache(const char *key, long long want)
{
	return wait_stat(gntv3_back_stat, key, want, 3000);
}

/*
 * Map grant @id through the backend file with GNTV3_IOC_MAP_CACHE, unmap
 * it and wait until it is cached, @puts being cache_puts before.
 */
#define cache_one(id, puts)						\
	({								\
		__u32 __map;						\
		ASSERT_EQ(0, _gntv3_map(self->bfd, self->back,		\
					GNTV3_IOC_MAP_CACHE, &(id), 1,	\
					&__map));			\
		back_unmap(__map);					\
		ASSERT_EQ(0, wait_cache("cache_puts", (puts) + 1));	\
	})

static void cache_stats(struct cache_stats *c)
{
	c->hits = gntv3_back_stat("cache_hits");
	c->misses = gntv3_back_stat("cache_misses");
	c->puts = gntv3_back_stat("cache_puts");
	c->evicted = gntv3_back_stat("cache_evicted");
	c->invalidated = gntv3_back_stat("cache_invalidated");
	c->forgotten = gntv3_back_stat("cache_forgotten");
	c->maps = gntv3_back_stat("cache_maps");
	c->pages = gntv3_back_stat("cache_pages");
}

/*
 * GNTV3_IOC_MAP_CACHE on a connected attachment: UNMAP leaves the pages
 * mapped in the cache, a MAP of the same ids with the same flags is served
 * from it (same contents), and the frontend's REVOKE unmaps the cached
 * mapping of its range before the ACK: the grant is then released, not
 * quarantined, and the id cannot be mapped any more.
 */
TEST_F(ring, cache_hit_then_revoke)
{
	unsigned char *buf = gntv3_buf(4), rd[16];
	struct gntv3_ioc_tree_stats ts;
	struct cache_stats c0, c;
	__u32 maps[4];
	__u64 id, ids[4];
	int res = -1, i;

	ASSERT_NE(NULL, buf);
	for (i = 0; i < 4; i++)
		memset(buf + i * PAGE_SZ, 0x30 + i, PAGE_SZ);
	cache_stats(&c0);
	ASSERT_LE(0, c0.hits);
	test_grant_user(self->tree, 0, buf, 4, &id);
	for (i = 0; i < 4; i++)
		ids[i] = id + i;
	ASSERT_EQ(0, _gntv3_map(self->bfd, self->back, GNTV3_IOC_MAP_CACHE,
				ids, 4, maps));
	for (i = 0; i < 4; i++)
		back_unmap(maps[i]);
	ASSERT_EQ(0, wait_cache("cache_puts", c0.puts + 4));
	cache_stats(&c);
	EXPECT_EQ(c0.misses + 4, c.misses);
	EXPECT_EQ(c0.puts + 4, c.puts);
	EXPECT_EQ(c0.maps + 4, c.maps);
	EXPECT_EQ(c0.pages + 4, c.pages);

	/* the same ids with the same flags: from the cache */
	ASSERT_EQ(0, _gntv3_map(self->bfd, self->back, GNTV3_IOC_MAP_CACHE,
				ids, 4, maps));
	cache_stats(&c);
	EXPECT_EQ(c0.hits + 4, c.hits);
	EXPECT_EQ(c0.maps, c.maps);
	for (i = 0; i < 4; i++) {
		ASSERT_EQ(0, _gntv3_map_rw(self->bfd, maps[i], GNTV3_IOC_RW_READ,
					   PAGE_SZ - 16, 16, rd));
		EXPECT_EQ(0x30 + i, rd[15]);
	}
	for (i = 0; i < 4; i++)
		back_unmap(maps[i]);
	ASSERT_EQ(0, wait_cache("cache_puts", c0.puts + 8));

	/* a revoke unmaps the cached mapping of its range, then ACKs */
	ASSERT_EQ(0, do_revoke(self->fd, self->tree, id + 1, 0, 5000, &res));
	EXPECT_EQ(GNTV3_REVOKE_RESULT_DONE, res);
	cache_stats(&c);
	EXPECT_EQ(c0.invalidated + 1, c.invalidated);
	EXPECT_EQ(c0.maps + 3, c.maps);
	test_err_query(ENOENT, self->tree, id + 1);
	EXPECT_ERRNO(ENOENT, _gntv3_map(self->bfd, self->back,
					GNTV3_IOC_MAP_CACHE, &ids[1], 1, maps));
	test_stats(self->tree, &ts);
	EXPECT_EQ(3, ts.nr_grants);
	EXPECT_EQ(0, ts.nr_quarantined);
	for (i = 0; i < 4; i++) {
		if (i == 1)
			continue;
		ASSERT_EQ(0, do_revoke(self->fd, self->tree, id + i, 0, 5000,
				       &res));
		EXPECT_EQ(GNTV3_REVOKE_RESULT_DONE, res);
	}
	cache_stats(&c);
	EXPECT_EQ(c0.maps, c.maps);
	EXPECT_EQ(c0.pages, c.pages);
	EXPECT_EQ(c0.evicted, c.evicted);
}

/*
 * Only the same request is served: other flags miss and map anew; without
 * the flag nothing enters the cache, nor does a second mapping of an id
 * (only the first mapping of an id may be cached); a mapping still live
 * when a revoke comes is unmapped by the revoke, not cached: a cached one
 * would hold the ACK back, and the revoke would time out.
 */
TEST_F(ring, cache_only_what_it_may)
{
	unsigned char *buf = gntv3_buf(2), wr[8] = "cached";
	struct cache_stats c0, c;
	__u32 map, map2;
	__u64 id;
	int res = -1;

	ASSERT_NE(NULL, buf);
	cache_stats(&c0);
	test_grant_user(self->tree, 0, buf, 2, &id);

	/* no flag: a plain unmap */
	ASSERT_EQ(0, _gntv3_map(self->bfd, self->back, 0, &id, 1, &map));
	back_unmap(map);
	cache_stats(&c);
	EXPECT_EQ(c0.puts, c.puts);
	EXPECT_EQ(c0.misses, c.misses);

	/* cached read-write; a read-only map of the id misses */
	ASSERT_EQ(0, _gntv3_map(self->bfd, self->back, GNTV3_IOC_MAP_CACHE,
				&id, 1, &map));
	ASSERT_EQ(0, _gntv3_map_rw(self->bfd, map, GNTV3_IOC_RW_WRITE, 0,
				   sizeof(wr), wr));
	back_unmap(map);
	ASSERT_EQ(0, wait_cache("cache_puts", c0.puts + 1));
	ASSERT_EQ(0, _gntv3_map(self->bfd, self->back,
				GNTV3_IOC_MAP_CACHE | GNTV3_IOC_MAP_READONLY,
				&id, 1, &map2));
	cache_stats(&c);
	EXPECT_EQ(c0.hits, c.hits);
	EXPECT_EQ(c0.misses + 2, c.misses);
	EXPECT_EQ(c0.maps + 1, c.maps);
	EXPECT_EQ(0, memcmp(buf, wr, sizeof(wr)));
	/* its id is cached already: this one is unmapped for real */
	back_unmap(map2);
	cache_stats(&c);
	EXPECT_EQ(c0.puts + 1, c.puts);
	EXPECT_EQ(c0.maps + 1, c.maps);

	/*
	 * A hit claims the cached mapping: a second map of the id misses
	 * and maps anew, and that second mapping is unmapped for real.
	 */
	ASSERT_EQ(0, _gntv3_map(self->bfd, self->back, GNTV3_IOC_MAP_CACHE,
				&id, 1, &map));
	ASSERT_EQ(0, _gntv3_map(self->bfd, self->back, GNTV3_IOC_MAP_CACHE,
				&id, 1, &map2));
	back_unmap(map2);
	cache_stats(&c);
	EXPECT_EQ(c0.hits + 1, c.hits);
	EXPECT_EQ(c0.misses + 3, c.misses);
	EXPECT_EQ(c0.puts + 1, c.puts);
	EXPECT_EQ(c0.maps, c.maps);

	/* a live mapping the revoke handler unmaps does not enter the cache */
	ASSERT_EQ(0, do_revoke(self->fd, self->tree, id, 0, 5000, &res));
	EXPECT_EQ(GNTV3_REVOKE_RESULT_DONE, res);
	cache_stats(&c);
	EXPECT_EQ(c0.maps, c.maps);
	EXPECT_EQ(c0.puts + 1, c.puts);
	EXPECT_EQ(c0.invalidated, c.invalidated);
	EXPECT_ERRNO(ENOENT, _gntv3_map_rw(self->bfd, map, GNTV3_IOC_RW_READ,
					   0, sizeof(wr), wr));
	test_end(self->tree, id + 1);
}

/*
 * A grant ended while its mapping is cached is quarantined (Xen still maps
 * it) and a FORGET goes to the backend, which unmaps the cached mapping
 * and ACKs; the ACK drains the quarantine at once, long before its
 * periodic retry.
 */
TEST_F(ring, cache_end_sends_forget)
{
	long long old = gntv3_param_get("quarantine_retry_ms");
	long long sent = conn_stat("forgets_sent");
	long long done = conn_stat("back_forgets");
	unsigned char *buf = gntv3_buf(1);
	struct cache_stats c0, c;
	__s32 result = -1;
	__u64 id;

	ASSERT_NE(NULL, buf);
	ASSERT_LT(0, old);
	ASSERT_LE(0, sent);
	ASSERT_EQ(0, gntv3_param_set("quarantine_retry_ms", 60000));
	cache_stats(&c0);
	test_grant_user(self->tree, 0, buf, 1, &id);
	cache_one(id, c0.puts);
	ASSERT_EQ(0, _gntv3_end(self->fd, self->tree, id, &result));
	EXPECT_EQ(1, result);		/* quarantined: still mapped */
	EXPECT_EQ(0, wait_quarantined(self->fd, self->tree, 0, 3000));
	EXPECT_EQ(sent + 1, conn_stat("forgets_sent"));
	EXPECT_EQ(done + 1, conn_stat("back_forgets"));
	cache_stats(&c);
	EXPECT_EQ(c0.forgotten + 1, c.forgotten);
	EXPECT_EQ(c0.maps, c.maps);
	EXPECT_EQ(0, gntv3_param_set("quarantine_retry_ms", old));
	test_err_query(ENOENT, self->tree, id);
}

/*
 * A grant ended while its GNTV3_IOC_MAP_CACHE mapping is still live: the
 * FORGET takes the id out of the cache's index, so the owner's later
 * unmap is a real one and its UNMAPPED notification drains the quarantine
 * (cached, the mapping would hold the ended grant until evicted).
 */
TEST_F(ring, cache_end_while_mapped_is_not_cached)
{
	struct cache_stats c0, c;

	cache_stats(&c0);
	end_while_mapped(_metadata, self, GNTV3_IOC_MAP_CACHE);
	cache_stats(&c);
	EXPECT_EQ(c0.puts, c.puts);		/* none was cached */
	EXPECT_EQ(c0.maps, c.maps);
	EXPECT_EQ(c0.forgotten, c.forgotten);
}

/*
 * Detach (closing the backend's file) unmaps what the cache holds, and
 * does not count it as left mapped by its user; the grant then ends at
 * once.
 */
TEST_F(ring, cache_emptied_at_detach)
{
	long long left = gntv3_back_stat("unmapped_at_detach");
	unsigned char *buf = gntv3_buf(1);
	struct cache_stats c0, c;
	__s32 result = -1;
	__u64 id;

	ASSERT_NE(NULL, buf);
	cache_stats(&c0);
	test_grant_user(self->tree, 0, buf, 1, &id);
	cache_one(id, c0.puts);
	cache_stats(&c);
	EXPECT_EQ(c0.maps + 1, c.maps);
	close(self->bfd);
	self->bfd = -1;
	cache_stats(&c);
	EXPECT_EQ(c0.maps, c.maps);
	EXPECT_EQ(c0.pages, c.pages);
	EXPECT_EQ(c0.puts + 1, c.puts);	/* kept across the detach */
	EXPECT_EQ(left, gntv3_back_stat("unmapped_at_detach"));
	ASSERT_EQ(0, _gntv3_end(self->fd, self->tree, id, &result));
	EXPECT_EQ(0, result);
}

/*
 * The bound (back_map_cache_pages, read at attach): filling the cache and
 * caching one more evicts the least recently cached mapping.
 */
TEST_F(ring, cache_bound_evicts_oldest)
{
	long long max = gntv3_param_get("back_map_cache_pages");
	struct cache_stats c0, c;
	unsigned char *buf;
	__u32 *maps;
	__u64 id, *ids;
	int res = -1;
	long long i, n;

	ASSERT_LT(0, max);
	if (max > 4096)
		SKIP(return, "back_map_cache_pages %lld: too many pages", max);
	n = max + 1;
	buf = gntv3_buf(n);
	maps = calloc(n, sizeof(*maps));
	ids = calloc(n, sizeof(*ids));
	ASSERT_NE(NULL, buf);
	ASSERT_NE(NULL, maps);
	ASSERT_NE(NULL, ids);
	cache_stats(&c0);
	test_grant_user(self->tree, 0, buf, n, &id);
	for (i = 0; i < n; i++)
		ids[i] = id + i;
	ASSERT_EQ(0, _gntv3_map(self->bfd, self->back, GNTV3_IOC_MAP_CACHE,
				ids, max, maps));
	for (i = 0; i < max; i++)
		back_unmap(maps[i]);
	ASSERT_EQ(0, wait_cache("cache_puts", c0.puts + max));
	cache_stats(&c);
	EXPECT_EQ(c0.pages + max, c.pages);
	EXPECT_EQ(c0.evicted, c.evicted);
	ASSERT_EQ(0, _gntv3_map(self->bfd, self->back, GNTV3_IOC_MAP_CACHE,
				&ids[max], 1, maps));
	back_unmap(maps[0]);
	ASSERT_EQ(0, wait_cache("cache_puts", c0.puts + max + 1));
	cache_stats(&c);
	EXPECT_EQ(c0.evicted + 1, c.evicted);
	EXPECT_EQ(c0.pages + max, c.pages);
	/* the oldest went: its map misses, the newest hits */
	ASSERT_EQ(0, _gntv3_map(self->bfd, self->back, GNTV3_IOC_MAP_CACHE,
				&ids[max], 1, maps));
	back_unmap(maps[0]);
	ASSERT_EQ(0, wait_cache("cache_puts", c0.puts + max + 2));
	cache_stats(&c);
	EXPECT_EQ(c0.hits + 1, c.hits);
	for (i = 0; i < n; i++) {
		ASSERT_EQ(0, do_revoke(self->fd, self->tree, id + i, 0, 5000,
				       &res));
		ASSERT_EQ(GNTV3_REVOKE_RESULT_DONE, res);
	}
	cache_stats(&c);
	EXPECT_EQ(c0.pages, c.pages);
	free(ids);
	free(maps);
}

/* Malformed messages are counted and dropped; the ring keeps working. */
TEST_F(ring, malformed_messages_counted)
{
	long long mal = conn_stat("malformed");
	struct gntv3_ioc_conn_info ci;
	unsigned char *buf = gntv3_buf(1);
	int res = -1, i;
	__u64 id;

	ASSERT_NE(NULL, buf);
	ASSERT_LE(0, mal);
	/* unknown op, then a bogus reserved field */
	ASSERT_EQ(0, gntv3_write_file(GNTV3_KNOB_INJECT, "1"));
	ASSERT_EQ(0, gntv3_write_file(GNTV3_KNOB_INJECT, "2"));
	ASSERT_NE(0, gntv3_write_file(GNTV3_KNOB_INJECT, "3"));
	/* backend: 2 malformed requests; frontend: 2 NACKs answering nothing */
	for (i = 0; i < 200 && conn_stat("malformed") < mal + 4; i++)
		gntv3_msleep(10);
	EXPECT_EQ(mal + 4, conn_stat("malformed"));
	ASSERT_EQ(0, conn_info(self->fd, self->tree, &ci));
	EXPECT_EQ(2, ci.malformed);
	EXPECT_EQ(1, ci.connected);
	EXPECT_EQ(0, ci.sent);

	test_grant_user(self->tree, 0, buf, 1, &id);
	ASSERT_EQ(0, do_revoke(self->fd, self->tree, id, 0, 2000, &res));
	EXPECT_EQ(GNTV3_REVOKE_RESULT_DONE, res);
}

/*
 * A frontend that breaks the ring: an ACK index on the backend's lane far
 * ahead of anything it sent.  The test maps the ring page itself through
 * gntdev, as a hostile frontend in another domain could write it.  The
 * backend must stop using the ring and answer every notification with
 * EPROTO, without leaving one waiting for an ACK that cannot come.
 */

TEST_F(ring, notify_on_broken_ring)
{
	struct gntv3_ioc_back_notify n = { .back = self->back, .nr_ids = 1 };
	struct ioctl_gntdev_unmap_grant_ref um = { .count = 1 };
	struct ioctl_gntdev_map_grant_ref m = { .count = 1 };
	struct fake_sring_head *sr;
	struct gntv3_ioc_conn_info ci;
	long long bad;
	void *page;
	int gfd, i;

	ASSERT_EQ(0, conn_info(self->fd, self->tree, &ci));
	gfd = open(GNTDEV_PATH, O_RDWR | O_CLOEXEC);
	if (gfd < 0)
		SKIP(return, "%s: %s", GNTDEV_PATH, strerror(errno));
	m.refs[0].domid = SELF_DOMID;
	m.refs[0].ref = ci.ring_ref;
	ASSERT_EQ(0, ioctl(gfd, IOCTL_GNTDEV_MAP_GRANT_REF, &m))
		TH_LOG("gntdev map of ring ref %u: %s", ci.ring_ref, strerror(errno));
	page = mmap(NULL, PAGE_SZ, PROT_READ | PROT_WRITE, MAP_SHARED, gfd,
		    m.index);
	ASSERT_NE(MAP_FAILED, page) TH_LOG("mmap: %s", strerror(errno));
	sr = page;

	/* the notification path works before */
	n.id = 1;
	ASSERT_EQ(0, ioctl(self->bfd, GNTV3_IOC_BACK_NOTIFY, &n));
	for (i = 0; i < 300 && idx_read(&sr->b2f.rsp_prod) !=
			       idx_read(&sr->b2f.req_prod); i++)
		gntv3_msleep(10);
	ASSERT_EQ(idx_read(&sr->b2f.req_prod), idx_read(&sr->b2f.rsp_prod));

	/* corrupt the frontend's ACK index, then make the backend look */
	bad = conn_stat("bad_index");
	ASSERT_LE(0, bad);
	__atomic_store_n(&sr->b2f.rsp_prod, idx_read(&sr->b2f.rsp_prod) + 1000,
			 __ATOMIC_RELEASE);
	ASSERT_EQ(0, gntv3_write_file(GNTV3_KNOB_INJECT, "1"));
	for (i = 0; i < 300 && conn_stat("bad_index") < bad + 1; i++)
		gntv3_msleep(10);
	EXPECT_EQ(bad + 1, conn_stat("bad_index"));

	/* more than the ring's 32 slots: EPROTO every time, never EBUSY */
	for (i = 0; i < 40; i++) {
		n.id = 1 + i;
		EXPECT_ERRNO(EPROTO, ioctl(self->bfd, GNTV3_IOC_BACK_NOTIFY, &n));
	}

	munmap(page, PAGE_SZ);
	um.index = m.index;
	EXPECT_EQ(0, ioctl(gfd, IOCTL_GNTDEV_UNMAP_GRANT_REF, &um));
	close(gfd);
	/* detaching tears the broken connection down cleanly */
	ASSERT_EQ(0, _gntv3_detach(self->bfd, self->back));
	ASSERT_EQ(0, wait_connected(self->fd, self->tree, 0, 3000));
}

/* The backend detaches: the frontend resets; a new backend reconnects. */
TEST_F(ring, reconnect_after_backend_detach)
{
	long long resets = conn_stat("resets");
	struct gntv3_ioc_conn_info ci, ci0;
	unsigned char *buf = gntv3_buf(1);
	int res = -1;
	__u32 map;
	__u64 id;

	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, conn_info(self->fd, self->tree, &ci0));
	ASSERT_EQ(0, _gntv3_detach(self->bfd, self->back));
	ASSERT_EQ(0, wait_connected(self->fd, self->tree, 0, 3000));
	for (int i = 0; i < 300; i++) {
		ASSERT_EQ(0, conn_info(self->fd, self->tree, &ci));
		if (ci.state == GNTV3_XS_STATE_INITIALISING && ci.resets == 1)
			break;
		gntv3_msleep(10);
	}
	EXPECT_EQ(GNTV3_XS_STATE_INITIALISING, ci.state);
	EXPECT_EQ(1, ci.resets);
	EXPECT_EQ(resets + 1, conn_stat("resets"));
	/* without a backend a revoke gets no answer: dead, nothing mapped */
	test_grant_user(self->tree, 0, buf, 1, &id);
	ASSERT_EQ(0, do_revoke(self->fd, self->tree, id, 0, 200, &res));
	EXPECT_EQ(GNTV3_REVOKE_RESULT_DEAD, res);
	EXPECT_EQ(0, wait_quarantined(self->fd, self->tree, 0, 0));
	ASSERT_EQ(0, conn_info(self->fd, self->tree, &ci));
	EXPECT_EQ(0, ci.sent);		/* nobody to send it to */
	EXPECT_EQ(1, ci.timed_out);

	ASSERT_EQ(0, back_connect(self->bfd, self->devid, 5000, &self->back));
	ASSERT_EQ(0, wait_connected(self->fd, self->tree, 1, 5000));
	ASSERT_EQ(0, conn_info(self->fd, self->tree, &ci));
	EXPECT_EQ(GNTV3_XS_STATE_CONNECTED, ci.state);
	EXPECT_EQ(GNTV3_XS_STATE_CONNECTED, ci.peer_state);
	EXPECT_EQ(1, ci.resets);
	EXPECT_EQ(0, ci0.sent);
	test_grant_user(self->tree, 0, buf, 1, &id);
	ASSERT_EQ(0, _gntv3_map(self->bfd, self->back, 0, &id, 1, &map));
	ASSERT_EQ(0, do_revoke(self->fd, self->tree, id, 0, 5000, &res));
	EXPECT_EQ(GNTV3_REVOKE_RESULT_DONE, res);
	ASSERT_EQ(0, conn_info(self->fd, self->tree, &ci));
	EXPECT_EQ(1, ci.sent);
	EXPECT_EQ(1, ci.acked);
}

TEST_F(ring, bad_arguments)
{
	unsigned char *buf = gntv3_buf(1);
	struct gntv3_ioc_tree t = { .tree = self->tree };
	struct gntv3_ioc_conn_info ci;
	int res;
	__u64 id;

	ASSERT_NE(NULL, buf);
	test_grant_user(self->tree, 0, buf, 1, &id);
	EXPECT_ERRNO(EINVAL, do_revoke(self->fd, self->tree, id, 0x80, 100, &res));
	EXPECT_ERRNO(ENOENT, do_revoke(self->fd, self->tree, id + 1, 0, 100, &res));
	EXPECT_ERRNO(ENOENT, do_revoke(self->fd, self->tree + 1, id, 0, 100, &res));
	EXPECT_ERRNO(ENOENT, conn_info(self->fd, self->tree + 1, &ci));
	{
		struct gntv3_ioc_connect c = { .tree = self->tree + 1,
					       .devid = self->devid + 1 };

		EXPECT_ERRNO(ENOENT, ioctl(self->fd, GNTV3_IOC_CONNECT, &c));
	}
	EXPECT_ERRNO(ENOENT, ioctl(self->fd, GNTV3_IOC_DISCONNECT,
				   &(struct gntv3_ioc_tree){ .tree = self->tree + 1 }));
	/* disconnect, then there is nothing to query or disconnect */
	ASSERT_EQ(0, ioctl(self->fd, GNTV3_IOC_DISCONNECT, &t));
	EXPECT_ERRNO(ENOTCONN, conn_info(self->fd, self->tree, &ci));
	EXPECT_ERRNO(ENOTCONN, ioctl(self->fd, GNTV3_IOC_DISCONNECT, &t));
	/* the backend saw the frontend go */
	for (int i = 0; i < 300; i++) {
		struct gntv3_ioc_back_conn_info bi = { .back = self->back };

		ASSERT_EQ(0, ioctl(self->bfd, GNTV3_IOC_BACK_CONN_INFO, &bi));
		if (!bi.connected)
			break;
		gntv3_msleep(10);
	}
	{
		struct gntv3_ioc_back_conn_info bi = { .back = self->back };

		ASSERT_EQ(0, ioctl(self->bfd, GNTV3_IOC_BACK_CONN_INFO, &bi));
		EXPECT_EQ(0, bi.connected);
	}
	test_end(self->tree, id);
}

/*
 * A frontend written by hand into xenstore, already Initialised, whose
 * numbers are not numbers: the backend must refuse at once with EPROTO
 * (a permanent refusal), never read "12abc" as tree reference 12.
 */
static int fake_frontend(__u32 devid, const char *key, const char *val)
{
	static const char *const keys[][2] = {
		{ "backend-id", "0" },
		{ "gntv3-version", "1" },
		{ "gntv3-transport", "v1" },
		{ "gntv3-tree-ref", "8" },
		{ "gntv3-ring-ref", "9" },
		{ "gntv3-event-channel", "10" },
	};
	char cmd[256];
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(keys); i++) {
		snprintf(cmd, sizeof(cmd),
			 "xenstore-write -- /local/domain/0/data/gntv3/%u/%s '%s'",
			 devid, keys[i][0],
			 strcmp(keys[i][0], key) ? keys[i][1] : val);
		if (system(cmd))
			return -1;
	}
	snprintf(cmd, sizeof(cmd),
		 "xenstore-write /local/domain/0/data/gntv3/%u/state 3", devid);
	return system(cmd) ? -1 : 0;
}

static void fake_frontend_rm(__u32 devid)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd),
		 "xenstore-rm /local/domain/0/data/gntv3/%u", devid);
	if (system(cmd))
		return;
}

TEST(strict_xenstore_numbers)
{
	static const char *const bad[][2] = {
		{ "gntv3-tree-ref", "12abc" },
		{ "gntv3-tree-ref", "-1" },
		{ "gntv3-tree-ref", "4294967296" },
		{ "gntv3-ring-ref", "9 " },
		{ "gntv3-event-channel", "0x10" },
		{ "gntv3-version", "1x" },
		{ "gntv3-transport", "v2" },
	};
	__u32 devid = 200000 + getpid() % 100000;
	int bfd, rc, err;
	unsigned int i;
	double t0;

	if (!xenstored_ok)
		SKIP(return, "xenstored is not running and cannot be started");
	bfd = open(GNTV3_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, bfd);
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		ASSERT_EQ(0, fake_frontend(devid + i, bad[i][0], bad[i][1]));
		t0 = gntv3_now();
		errno = 0;
		rc = back_connect(bfd, devid + i, 10000, NULL);
		err = errno;
		EXPECT_EQ(-1, rc)
			TH_LOG("%s = \"%s\" accepted", bad[i][0], bad[i][1]);
		EXPECT_EQ(EPROTO, err)
			TH_LOG("%s = \"%s\": %s", bad[i][0], bad[i][1],
			       strerror(err));
		/*
		 * refused at once, not after the 10 s timeout (a loaded TCG
		 * host once took 2 s to answer)
		 */
		EXPECT_GT(5.0, gntv3_now() - t0);
		fake_frontend_rm(devid + i);
	}
	close(bfd);
}

TEST_HARNESS_MAIN
