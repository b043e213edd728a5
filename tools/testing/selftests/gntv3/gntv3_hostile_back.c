// SPDX-License-Identifier: GPL-2.0-only
/*
 * gntv3 kselftests: a hostile backend against the kernel's frontend.
 *
 * The test process plays the backend of a standalone connection by hand,
 * as a backend domain could: it answers the frontend's xenstore handshake
 * itself (backend/feature-gntv3, backend/state), maps the frontend's ring
 * page through gntdev, binds the frontend's event channel through
 * /dev/xen/evtchn, and then writes whatever it likes into the ring.  The
 * frontend's REVOKE ioctls run in a second thread (the frontend waits for
 * the answer with its file's lock held).
 *
 * A control test first answers correctly and must get DONE, so that the
 * fake backend is known to speak the protocol; then the backend stays
 * silent, forges ACKs (wrong cookie, id, range, op, flags, reserved bits,
 * status), corrupts the ACK index, floods and corrupts the notification
 * lane, scribbles over the whole page while revokes run, and vanishes with
 * a revoke pending.  Every revoke must come back within its timeout plus
 * a margin, as DONE only when honestly answered and DEAD otherwise; each
 * forgery must be counted; and the frontend must still tear down cleanly
 * (dom0.sh checks for leaks and kernel reports after the module unloads).
 *
 * Must run as root in a PV dom0 with gntv3.ko loaded and xenstored running.
 */
#include <pthread.h>
#include <sys/mman.h>

#include "gntv3_conn_utils.h"	/* before <xen/evtchn.h>: domid_t */

#include <xen/evtchn.h>

#define EVTCHN_PATH	"/dev/xen/evtchn"

/* Slack on top of a revoke's timeout before a test calls it a hang. */
#define HANG_MARGIN_S	1.5

/* ---- xenstore, by the command line tools as gntv3_ring.c does ---- */

static int xs_write(__u32 devid, const char *key, const char *val)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd),
		 "xenstore-write /local/domain/0/data/gntv3/%u/%s '%s'",
		 devid, key, val);
	return system(cmd) ? -1 : 0;
}

static void xs_rm(__u32 devid)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd),
		 "xenstore-rm /local/domain/0/data/gntv3/%u 2>/dev/null", devid);
	if (system(cmd))
		return;
}

/* Wait up to @ms for the frontend's own state to be @want. */
static int wait_state(int fd, __u32 tree, __u32 want, unsigned int ms)
{
	struct gntv3_ioc_conn_info ci;
	double end = gntv3_now() + ms / 1000.0;

	do {
		if (!conn_info(fd, tree, &ci) && ci.state == want)
			return 0;
		gntv3_msleep(10);
	} while (gntv3_now() < end);
	return -1;
}

/* ---- the revoke, run in a thread while the test plays the backend ---- */

struct revoker {
	pthread_t thread;
	int fd;
	__u32 tree;
	__u64 id;
	__u32 timeout_ms;
	int ret;
	int err;
	int result;
	double secs;
};

static void *revoke_thread(void *arg)
{
	struct revoker *r = arg;
	double t0 = gntv3_now();

	r->result = -1;
	r->ret = do_revoke(r->fd, r->tree, r->id, 0, r->timeout_ms, &r->result);
	r->err = errno;
	r->secs = gntv3_now() - t0;
	return NULL;
}

static int revoke_start(struct revoker *r, int fd, __u32 tree, __u64 id,
			__u32 timeout_ms)
{
	r->fd = fd;
	r->tree = tree;
	r->id = id;
	r->timeout_ms = timeout_ms;
	return pthread_create(&r->thread, NULL, revoke_thread, r);
}

static void revoke_join(struct revoker *r)
{
	pthread_join(r->thread, NULL);
}

/* The backend this test plays: its view of the ring and event channel. */
struct fake_backend {
	int efd;
	__u32 port;		/* our end of the event channel */
	struct fake_sring *sr;
	__u32 f2b_cons;		/* requests we have read */
	__u32 b2f_prod;		/* notifications we have written */
};

FIXTURE(hostile) {
	int fd;
	int gfd;
	__u32 tree;
	__u32 tree_ref;
	__u32 devid;
	__u64 gntdev_index;
	struct fake_backend hb;
	long long malformed0, bad_index0;
};

static void kick(struct fake_backend *hb)
{
	struct ioctl_evtchn_notify n = { .port = hb->port };

	if (ioctl(hb->efd, IOCTL_EVTCHN_NOTIFY, &n))
		perror("evtchn notify");
}

/* Wait up to @ms for the frontend's next request; 0 with it in @m. */
static int next_request(struct fake_backend *hb, struct fake_ring_msg *m,
			unsigned int ms)
{
	double end = gntv3_now() + ms / 1000.0;

	while (idx_read(&hb->sr->idx.f2b.req_prod) == hb->f2b_cons) {
		if (gntv3_now() > end)
			return -1;
		gntv3_msleep(2);
	}
	*m = hb->sr->f2b[hb->f2b_cons % FAKE_RING_SLOTS];
	return 0;
}

/* Answer the request just read with @ack (honest or forged). */
static void answer(struct fake_backend *hb, const struct fake_ring_msg *ack)
{
	hb->sr->f2b[hb->f2b_cons % FAKE_RING_SLOTS] = *ack;
	hb->f2b_cons++;
	idx_write(&hb->sr->idx.f2b.rsp_prod, hb->f2b_cons);
	kick(hb);
}

static struct fake_ring_msg honest_ack(const struct fake_ring_msg *req)
{
	struct fake_ring_msg ack = *req;

	ack.op |= FAKE_RING_OP_ACK;
	ack.status = 0;
	return ack;
}

FIXTURE_SETUP(hostile)
{
	struct ioctl_evtchn_bind_interdomain bind = { .remote_domain = 0 };
	struct ioctl_gntdev_map_grant_ref m = { .count = 1 };
	struct gntv3_ioc_connect c = { 0 };
	struct gntv3_ioc_conn_info ci;
	char ver[16];
	void *page;
	int port;

	self->fd = -1;
	self->gfd = -1;
	self->hb.efd = -1;
	self->hb.sr = NULL;
	if (!xenstored_ok)
		SKIP(return, "xenstored is not running and cannot be started");
	if (gntv3_self_translated())
		SKIP(return, GNTV3_SKIP_TRANSLATED_MSG);
	self->fd = open(GNTV3_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->fd);
	self->gfd = open(GNTDEV_PATH, O_RDWR | O_CLOEXEC);
	self->hb.efd = open(EVTCHN_PATH, O_RDWR | O_CLOEXEC);
	if (self->gfd < 0 || self->hb.efd < 0)
		SKIP(return, "%s or %s missing", GNTDEV_PATH, EVTCHN_PATH);
	self->malformed0 = conn_stat("malformed");
	self->bad_index0 = conn_stat("bad_index");
	ASSERT_LE(0, self->malformed0);
	ASSERT_LE(0, self->bad_index0);

	test_tree_create(SELF_DOMID, &self->tree, &self->tree_ref);
	self->devid = 300000 + getpid() % 100000;
	xs_rm(self->devid);
	c.tree = self->tree;
	c.devid = self->devid;
	ASSERT_EQ(0, ioctl(self->fd, GNTV3_IOC_CONNECT, &c))
		TH_LOG("connect: %s", strerror(errno));

	/* the backend's half of the handshake, by hand */
	snprintf(ver, sizeof(ver), "%u", GNTV3_ABI_VERSION);
	ASSERT_EQ(0, xs_write(self->devid, "backend/frontend-id", "0"));
	ASSERT_EQ(0, xs_write(self->devid, "backend/feature-gntv3", ver));
	ASSERT_EQ(0, xs_write(self->devid, "backend/state", "2"));
	ASSERT_EQ(0, wait_state(self->fd, self->tree,
				GNTV3_XS_STATE_INITIALISED, 5000));
	ASSERT_EQ(0, conn_info(self->fd, self->tree, &ci));

	m.refs[0].domid = SELF_DOMID;
	m.refs[0].ref = ci.ring_ref;
	ASSERT_EQ(0, ioctl(self->gfd, IOCTL_GNTDEV_MAP_GRANT_REF, &m))
		TH_LOG("gntdev map of ring ref %u: %s", ci.ring_ref,
		       strerror(errno));
	self->gntdev_index = m.index;
	page = mmap(NULL, PAGE_SZ, PROT_READ | PROT_WRITE, MAP_SHARED,
		    self->gfd, m.index);
	ASSERT_NE(MAP_FAILED, page);
	self->hb.sr = page;
	bind.remote_port = ci.evtchn;
	port = ioctl(self->hb.efd, IOCTL_EVTCHN_BIND_INTERDOMAIN, &bind);
	ASSERT_LT(0, port) TH_LOG("bind to port %u: %s", ci.evtchn,
				  strerror(errno));
	self->hb.port = port;
	self->hb.f2b_cons = idx_read(&self->hb.sr->idx.f2b.rsp_prod);
	self->hb.b2f_prod = idx_read(&self->hb.sr->idx.b2f.req_prod);

	ASSERT_EQ(0, xs_write(self->devid, "backend/state", "4"));
	ASSERT_EQ(0, wait_connected(self->fd, self->tree, 1, 5000));
}

FIXTURE_TEARDOWN(hostile)
{
	struct ioctl_gntdev_unmap_grant_ref um = { .count = 1 };
	struct gntv3_ioc_tree t = { .tree = self->tree };

	if (self->hb.sr) {
		munmap(self->hb.sr, PAGE_SZ);
		um.index = self->gntdev_index;
		ioctl(self->gfd, IOCTL_GNTDEV_UNMAP_GRANT_REF, &um);
	}
	if (self->fd >= 0) {
		/* the backend leaves; the frontend must let go at once */
		xs_write(self->devid, "backend/state", "6");
		ioctl(self->fd, GNTV3_IOC_DISCONNECT, &t);
		close(self->fd);
	}
	if (self->hb.efd >= 0)
		close(self->hb.efd);
	if (self->gfd >= 0)
		close(self->gfd);
	xs_rm(self->devid);
}

/* Grant one fresh page and return its id. */
static __u64 grant_one(struct __test_metadata *_metadata, int fd, __u32 tree)
{
	unsigned char *buf = gntv3_buf(1);
	__u64 id = 0;

	if (!buf || _gntv3_grant(fd, tree, 0, buf, 1, 0, &id, NULL))
		TH_LOG("grant: %s", strerror(errno));
	return id;
}

/* The fake backend speaks the protocol: an honest ACK gives DONE. */
TEST_F(hostile, honest_ack_is_done)
{
	struct fake_ring_msg req, ack;
	struct revoker r;
	__u64 id = grant_one(_metadata, self->fd, self->tree);

	ASSERT_EQ(0, revoke_start(&r, self->fd, self->tree, id, 5000));
	ASSERT_EQ(0, next_request(&self->hb, &req, 3000));
	EXPECT_EQ(FAKE_RING_OP_REVOKE, req.op);
	EXPECT_EQ(id, req.id);
	EXPECT_EQ(1, req.nr_ids);
	ack = honest_ack(&req);
	answer(&self->hb, &ack);
	revoke_join(&r);
	ASSERT_EQ(0, r.ret) TH_LOG("revoke: %s", strerror(r.err));
	EXPECT_EQ(GNTV3_REVOKE_RESULT_DONE, r.result);
	EXPECT_GT(2.0, r.secs);
	EXPECT_EQ(self->malformed0, conn_stat("malformed"));
}

/* No answer at all: each revoke ends DEAD at its deadline, never later. */
TEST_F(hostile, silent_backend)
{
	struct gntv3_ioc_conn_info ci;
	struct revoker r;
	int i;

	for (i = 0; i < 3; i++) {
		__u64 id = grant_one(_metadata, self->fd, self->tree);

		ASSERT_EQ(0, revoke_start(&r, self->fd, self->tree, id, 300));
		revoke_join(&r);
		ASSERT_EQ(0, r.ret) TH_LOG("revoke: %s", strerror(r.err));
		EXPECT_EQ(GNTV3_REVOKE_RESULT_DEAD, r.result);
		EXPECT_LT(0.25, r.secs);
		EXPECT_GT(0.3 + HANG_MARGIN_S, r.secs);
	}
	ASSERT_EQ(0, conn_info(self->fd, self->tree, &ci));
	EXPECT_EQ(3, ci.timed_out);
	EXPECT_EQ(0, ci.acked);
	/* nothing maps the dead grants: the quarantine drains */
	EXPECT_EQ(0, wait_quarantined(self->fd, self->tree, 0, 5000));
}

/* Forgery @i of an honest @ack to @req; none past the last one. */
static void forge(struct fake_ring_msg *ack, const struct fake_ring_msg *req,
		  unsigned int i)
{
	switch (i) {
	case 0:
		ack->cookie ^= 0x5a5a;
		break;
	case 1:
		ack->id += 1;
		break;
	case 2:
		ack->nr_ids += 1;
		break;
	case 3:
		ack->op = req->op;
		break;
	case 4:
		ack->op = FAKE_RING_OP_DOWNGRADE | FAKE_RING_OP_ACK;
		break;
	case 5:
		ack->flags = 1;
		break;
	case 6:
		ack->pad = 1;
		break;
	case 7:
		ack->reserved = 1ULL << 40;
		break;
	case 8:
		ack->status = 7;
		break;
	default:
		break;
	}
}

/*
 * Forged ACKs: each is counted as malformed and never taken for an answer;
 * the revoke it pretends to answer ends DEAD.  Only the honest ACK after
 * them gives DONE.
 */
TEST_F(hostile, forged_acks)
{
	static const char *const what[] = {
		"cookie", "id", "nr_ids", "op without ACK bit", "ACK of another op",
		"flags", "pad", "reserved", "positive status",
	};
	struct fake_ring_msg req, ack;
	struct revoker r;
	unsigned int i;

	for (i = 0; i <= ARRAY_SIZE(what); i++) {
		__u64 id = grant_one(_metadata, self->fd, self->tree);
		long long mal = conn_stat("malformed");

		ASSERT_EQ(0, revoke_start(&r, self->fd, self->tree, id, 400));
		ASSERT_EQ(0, next_request(&self->hb, &req, 3000));
		ack = honest_ack(&req);
		forge(&ack, &req, i);
		answer(&self->hb, &ack);
		revoke_join(&r);
		ASSERT_EQ(0, r.ret) TH_LOG("revoke: %s", strerror(r.err));
		if (i < ARRAY_SIZE(what)) {
			EXPECT_EQ(GNTV3_REVOKE_RESULT_DEAD, r.result)
				TH_LOG("forged %s taken for an answer", what[i]);
			EXPECT_EQ(mal + 1, conn_stat("malformed"))
				TH_LOG("forged %s not counted", what[i]);
		} else {
			EXPECT_EQ(GNTV3_REVOKE_RESULT_DONE, r.result);
			EXPECT_EQ(mal, conn_stat("malformed"));
		}
		EXPECT_GT(0.4 + HANG_MARGIN_S, r.secs);
	}
}

/*
 * An ACK index far ahead of any request: the ring is broken for good.  The
 * revoke waiting on it fails at once rather than at its deadline, later
 * ones do not wait either, and the breakage is counted once.
 */
TEST_F(hostile, ack_index_ahead)
{
	struct fake_ring_msg req;
	struct revoker r;
	int i;

	ASSERT_EQ(0, revoke_start(&r, self->fd, self->tree,
				  grant_one(_metadata, self->fd, self->tree), 10000));
	ASSERT_EQ(0, next_request(&self->hb, &req, 3000));
	idx_write(&self->hb.sr->idx.f2b.rsp_prod, self->hb.f2b_cons + 1000);
	kick(&self->hb);
	revoke_join(&r);
	ASSERT_EQ(0, r.ret) TH_LOG("revoke: %s", strerror(r.err));
	EXPECT_EQ(GNTV3_REVOKE_RESULT_DEAD, r.result);
	EXPECT_GT(3.0, r.secs) TH_LOG("waited for the deadline on a broken ring");
	EXPECT_EQ(self->bad_index0 + 1, conn_stat("bad_index"));

	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, revoke_start(&r, self->fd, self->tree,
					  grant_one(_metadata, self->fd, self->tree), 10000));
		revoke_join(&r);
		ASSERT_EQ(0, r.ret);
		EXPECT_EQ(GNTV3_REVOKE_RESULT_DEAD, r.result);
		EXPECT_GT(3.0, r.secs);
	}
	EXPECT_EQ(self->bad_index0 + 1, conn_stat("bad_index"));
}

/* Write @nr UNMAPPED notifications (malformed every @bad_every-th). */
static void notify_unmapped(struct fake_backend *hb, unsigned int nr,
			    unsigned int bad_every)
{
	unsigned int i;

	for (i = 0; i < nr; i++) {
		struct fake_ring_msg *m =
			&hb->sr->b2f[hb->b2f_prod % FAKE_RING_SLOTS];

		memset(m, 0, sizeof(*m));
		m->op = FAKE_RING_OP_UNMAPPED;
		m->id = 0x100000 + i;	/* ids nobody granted */
		m->nr_ids = 1;
		m->cookie = 77 + hb->b2f_prod;
		if (bad_every && i % bad_every == 0)
			m->flags = 0xff;
		hb->b2f_prod++;
	}
	idx_write(&hb->sr->idx.b2f.req_prod, hb->b2f_prod);
	kick(hb);
}

/*
 * The notification lane: a full lane of notifications (some malformed) is
 * answered slot by slot; then a producer index far ahead breaks the ring,
 * and the frontend neither hangs nor loops on it.
 */
TEST_F(hostile, notification_flood)
{
	long long mal = conn_stat("malformed");
	struct revoker r;
	int i;

	notify_unmapped(&self->hb, FAKE_RING_SLOTS, 4);
	for (i = 0; i < 300 && idx_read(&self->hb.sr->idx.b2f.rsp_prod) !=
			       self->hb.b2f_prod; i++)
		gntv3_msleep(10);
	EXPECT_EQ(self->hb.b2f_prod, idx_read(&self->hb.sr->idx.b2f.rsp_prod));
	EXPECT_EQ(mal + FAKE_RING_SLOTS / 4, conn_stat("malformed"));
	/* each malformed one got an error ACK, the others success */
	EXPECT_NE(0, self->hb.sr->b2f[0].status);
	EXPECT_EQ(0, self->hb.sr->b2f[1].status);
	EXPECT_EQ(FAKE_RING_OP_UNMAPPED | FAKE_RING_OP_ACK, self->hb.sr->b2f[1].op);

	idx_write(&self->hb.sr->idx.b2f.req_prod, self->hb.b2f_prod + 5000);
	kick(&self->hb);
	for (i = 0; i < 300 && conn_stat("bad_index") == self->bad_index0; i++)
		gntv3_msleep(10);
	EXPECT_EQ(self->bad_index0 + 1, conn_stat("bad_index"));

	ASSERT_EQ(0, revoke_start(&r, self->fd, self->tree,
				  grant_one(_metadata, self->fd, self->tree), 2000));
	revoke_join(&r);
	ASSERT_EQ(0, r.ret);
	EXPECT_EQ(GNTV3_REVOKE_RESULT_DEAD, r.result);
	EXPECT_GT(2.0 + HANG_MARGIN_S, r.secs);
}

struct scribbler {
	pthread_t thread;
	int stop;		/* __atomic: set by the test, read by the thread */
	__u32 *page;
	unsigned long writes;
};

static void *scribble_thread(void *arg)
{
	struct scribbler *s = arg;
	__u32 x = 0x12345678;

	while (!__atomic_load_n(&s->stop, __ATOMIC_RELAXED)) {
		/* xorshift: every word of the page, indices included */
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		__atomic_store_n(&s->page[x % (PAGE_SZ / 4)], x, __ATOMIC_RELAXED);
		s->writes++;
	}
	return NULL;
}

/*
 * A backend that scribbles over the whole ring page while the frontend
 * sends revokes: every revoke still returns within its bound, and the
 * frontend counts what it rejects.
 */
TEST_F(hostile, scribbler)
{
	struct scribbler s = { .page = (__u32 *)self->hb.sr };
	struct revoker r;
	int i;

	ASSERT_EQ(0, pthread_create(&s.thread, NULL, scribble_thread, &s));
	for (i = 0; i < 8; i++) {
		ASSERT_EQ(0, revoke_start(&r, self->fd, self->tree,
					  grant_one(_metadata, self->fd, self->tree), 300));
		kick(&self->hb);
		revoke_join(&r);
		ASSERT_EQ(0, r.ret) TH_LOG("revoke %d: %s", i, strerror(r.err));
		EXPECT_EQ(GNTV3_REVOKE_RESULT_DEAD, r.result);
		EXPECT_GT(0.3 + HANG_MARGIN_S, r.secs);
	}
	__atomic_store_n(&s.stop, 1, __ATOMIC_RELAXED);
	pthread_join(s.thread, NULL);
	TH_LOG("%lu random writes to the ring page", s.writes);
	EXPECT_LT(1000, s.writes);
	/* what it wrote was noticed: malformed messages or a broken index */
	EXPECT_LT(self->malformed0 + self->bad_index0,
		  conn_stat("malformed") + conn_stat("bad_index"));
}

/*
 * The backend goes away with a revoke pending: the revoke ends at once,
 * not at its deadline, and the frontend waits for the next backend.
 */
TEST_F(hostile, backend_vanishes)
{
	struct gntv3_ioc_conn_info ci;
	struct fake_ring_msg req;
	struct revoker r;

	ASSERT_EQ(0, revoke_start(&r, self->fd, self->tree,
				  grant_one(_metadata, self->fd, self->tree), 10000));
	ASSERT_EQ(0, next_request(&self->hb, &req, 3000));
	ASSERT_EQ(0, xs_write(self->devid, "backend/state", "6"));
	revoke_join(&r);
	ASSERT_EQ(0, r.ret);
	EXPECT_EQ(GNTV3_REVOKE_RESULT_DEAD, r.result);
	EXPECT_GT(3.0, r.secs) TH_LOG("waited for the deadline after the backend left");
	ASSERT_EQ(0, wait_connected(self->fd, self->tree, 0, 3000));
	ASSERT_EQ(0, conn_info(self->fd, self->tree, &ci));
	EXPECT_LE(1, ci.resets);
}

TEST_HARNESS_MAIN
