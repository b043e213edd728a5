// SPDX-License-Identifier: GPL-2.0-only
/*
 * gntv3 frontend connection: publish a tree and a revoke/notification ring
 * to the backend through xenstore, and take grants back over the ring.
 *
 * State machine (our "state" key; the backend's is read from
 * <dir>/backend/state, see conn.h for the layout):
 *
 *   Initialising  ring page granted, event channel allocated; waiting for
 *		   the backend's InitWait and feature-gntv3
 *   Initialised   keys published (one transaction with the state);
 *		   waiting for the backend to connect
 *   Connected     requests may be sent
 *   Closing	   gntv3_front_disconnect(): waiting (bounded) for the
 *		   backend to let go of the ring, then the directory goes
 *
 * Whenever the backend leaves (its state is anything but Connected while
 * we are, or Closing/Closed/gone while we are Initialised), the ring is
 * reset: pending requests fail (their grants go down the timeout path),
 * the ring page is ended (or left to Linux's deferred end-foreign-access
 * while still mapped), a fresh page and event channel are made, and the
 * state goes back to Initialising, ready for the next backend.
 *
 * Revoke flow (gntv3_revoke()): the leaf is marked (R for a revoke, D and
 * no W for a downgrade), a request goes on the ring, and the caller waits
 * for its ACK up to the timeout.  ACK with GNTST_okay: the grant is ended
 * (revoke) or made read-only (downgrade).  Anything else: the grant is
 * dead, ended without the backend's cooperation, and whatever the backend
 * still maps stays quarantined, never freed nor reused, until it lets go.
 * A request that timed out keeps its ring slot and cookie: its late ACK is
 * recognised and counted, never matched to another request.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/completion.h>
#include <linux/interrupt.h>
#include <linux/jiffies.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/wait.h>
#include <xen/events.h>
#include <xen/grant_table.h>
#include <xen/page.h>
#include <xen/xenbus.h>
#include <xen/interface/event_channel.h>
#include <asm/xen/hypercall.h>

#include "conn.h"
#include "internal.h"
#include "ring.h"

static unsigned int close_timeout_ms = 2000;
module_param(close_timeout_ms, uint, 0644);
MODULE_PARM_DESC(close_timeout_ms,
		 "How long a closing frontend waits for its backend to let go of the ring (ms)");

/**
 * struct gntv3_fconn_waiter - one gntv3_revoke() waiting for its ACK
 * @done: completed by the ring work (ACK) or by a reset (no ACK)
 * @answered: an ACK arrived
 * @status: its GNTST_* status
 */
struct gntv3_fconn_waiter {
	struct completion done;
	bool answered;
	s16 status;
};

/**
 * struct gntv3_fconn - a frontend's connection to its backend
 * @front: the tree it publishes; the connection is torn down before the
 *	front is destroyed
 * @backend: the backend domain
 * @devid: connection number, names the xenstore directory
 * @dir: our xenstore directory, NULL for a connection bound to a driver's
 *	xenbus device (gntv3_front_xs_publish()), whose state machine and
 *	directory are the driver's
 * @bdir: the backend's, below @dir; NULL with @dir
 * @name: @dir, or the driver's directory, for messages and debugfs
 * @node: in gntv3_fconns, under gntv3_fconns_lock
 * @watch: on @bdir; queues @state_work
 * @state_work: runs the state machine
 * @ring_work: consumes ACKs and notifications; queued by the interrupt
 * @lock: protects everything below
 * @state: our XenbusState
 * @peer_state: the backend's, as last read
 * @connected: requests may be sent
 * @dying: gntv3_fconn_destroy() started
 * @broken_seen: @ring broke and it was accounted
 * @ring_page: the shared ring page, granted rw to @backend
 * @ring_ref: its v1 grant reference
 * @port: our event channel port
 * @irq: its irq, 0 when unbound
 * @ring: our view of the ring
 * @pend: requests waiting for their ACK (timed-out ones included)
 * @waiter: per @pend entry, the gntv3_revoke() waiting, or NULL
 * @next_cookie: cookie of the next request
 * @events: bumped by every change a request waits for (@wq)
 * @wq: woken when @events changes
 * @info: counters of this connection
 */
struct gntv3_fconn {
	struct gntv3_front *front;
	domid_t backend;
	u32 devid;
	char *dir;
	char *bdir;
	char *name;
	struct list_head node;
	struct xenbus_watch watch;
	struct work_struct state_work;
	struct work_struct ring_work;

	struct mutex lock;	/* see @lock above */
	enum xenbus_state state;
	enum xenbus_state peer_state;
	bool connected;
	bool dying;
	bool broken_seen;
	struct page *ring_page;
	grant_ref_t ring_ref;
	evtchn_port_t port;
	int irq;
	struct gntv3_ring ring;
	struct gntv3_ring_pending pend;
	struct gntv3_fconn_waiter *waiter[GNTV3_RING_SLOTS];
	u32 next_cookie;
	unsigned long events;
	wait_queue_head_t wq;
	struct gntv3_conn_info info;
};

/* Every frontend connection, for debugfs, fault injection and unload. */
static LIST_HEAD(gntv3_fconns);
/* Protects gntv3_fconns; taken before any connection's lock. */
static DEFINE_MUTEX(gntv3_fconns_lock);

static void gntv3_fconn_event(struct gntv3_fconn *c)
{
	WRITE_ONCE(c->events, c->events + 1);
	wake_up_all(&c->wq);
}

static irqreturn_t gntv3_fconn_interrupt(int irq, void *data)
{
	struct gntv3_fconn *c = data;

	queue_work(gntv3_conn_wq(), &c->ring_work);
	return IRQ_HANDLED;
}

static void gntv3_fconn_watch(struct xenbus_watch *watch, const char *path,
			      const char *token)
{
	struct gntv3_fconn *c = container_of(watch, struct gntv3_fconn, watch);

	queue_work(gntv3_conn_wq(), &c->state_work);
}

/* ---- the ring page and the event channel (under c->lock) ---- */

static void gntv3_fconn_ring_release(struct gntv3_fconn *c)
{
	if (c->irq > 0)
		unbind_from_irqhandler(c->irq, c);	/* closes the port */
	c->irq = 0;
	if (c->ring_page) {
		/* Frees the page now, or once the backend unmapped it. */
		gnttab_end_foreign_access(c->ring_ref, c->ring_page);
		c->ring_page = NULL;
	}
}

static int gntv3_fconn_ring_create(struct gntv3_fconn *c)
{
	struct evtchn_alloc_unbound alloc = {
		.dom = DOMID_SELF,
		.remote_dom = c->backend,
	};
	struct gntv3_sring *sring;
	struct page *page;
	int rc;

	page = alloc_page(GFP_KERNEL | __GFP_ZERO);
	if (!page)
		return -ENOMEM;
	sring = page_address(page);
	gntv3_ring_reset_shared(sring);
	rc = gnttab_grant_foreign_access(c->backend, xen_page_to_gfn(page), 0);
	if (rc < 0) {
		__free_page(page);
		return rc;
	}
	c->ring_ref = rc;
	c->ring_page = page;

	rc = HYPERVISOR_event_channel_op(EVTCHNOP_alloc_unbound, &alloc);
	if (rc)
		goto err;
	c->port = alloc.port;
	rc = bind_evtchn_to_irqhandler(c->port, gntv3_fconn_interrupt, 0,
				       "gntv3-front", c);
	if (rc < 0) {
		struct evtchn_close close = { .port = c->port };

		HYPERVISOR_event_channel_op(EVTCHNOP_close, &close);
		goto err;
	}
	c->irq = rc;
	gntv3_ring_init(&c->ring, sring, true);
	memset(&c->pend, 0, sizeof(c->pend));
	c->broken_seen = false;
	return 0;

err:
	gntv3_fconn_ring_release(c);
	return rc;
}

/* Fail every waiting request: its grant goes down the timeout path. */
static void gntv3_fconn_fail_waiters(struct gntv3_fconn *c)
{
	unsigned int i;

	for (i = 0; i < GNTV3_RING_SLOTS; i++) {
		struct gntv3_fconn_waiter *w = c->waiter[i];

		if (!w)
			continue;
		c->waiter[i] = NULL;
		w->answered = false;
		complete(&w->done);
	}
}

/* ---- xenstore (under c->lock) ---- */

static int gntv3_fconn_write_state(struct gntv3_fconn *c,
				   enum xenbus_state state)
{
	int rc = 0;

	/* a driver's connection: the driver says its own state */
	if (c->dir)
		rc = xenbus_printf(XBT_NIL, c->dir, GNTV3_XS_STATE, "%d", state);
	if (rc)
		pr_warn("%s: cannot write state %d: %d\n", c->name, state, rc);
	c->state = state;
	gntv3_fconn_event(c);
	return rc;
}

/* What we publish: the ring, the event channel and the tree. */
static void gntv3_fconn_keys(struct gntv3_fconn *c, unsigned int version,
			     struct gntv3_xs_keys *keys)
{
	grant_ref_t tree_ref = gntv3_front_tree_ref(c->front);

	keys->version = version;
	keys->native = tree_ref == INVALID_GRANT_REF;
	keys->tree_ref = keys->native ? 0 : tree_ref;
	keys->ring_ref = c->ring_ref;
	keys->evtchn = c->port;
}

/**
 * struct gntv3_fconn_pub - one publication of a standalone connection
 * @dir: where
 * @keys: what
 */
struct gntv3_fconn_pub {
	const char *dir;
	struct gntv3_xs_keys keys;
};

static int gntv3_fconn_publish_xbt(struct xenbus_transaction xbt, void *data)
{
	struct gntv3_fconn_pub *pub = data;

	return gntv3_xs_write_keys(xbt, pub->dir, &pub->keys) ?:
	       xenbus_printf(xbt, pub->dir, GNTV3_XS_STATE, "%d",
			     XenbusStateInitialised);
}

/* Publish the keys, then Initialised, in one transaction. */
static int gntv3_fconn_publish(struct gntv3_fconn *c, unsigned int version)
{
	struct gntv3_fconn_pub pub = { .dir = c->dir };
	int rc;

	gntv3_fconn_keys(c, version, &pub.keys);
	rc = gntv3_xs_transaction(gntv3_fconn_publish_xbt, &pub);
	if (!rc) {
		c->state = XenbusStateInitialised;
		gntv3_fconn_event(c);
	}
	return rc;
}

/* The backend went away: start over with a fresh ring. */
static void gntv3_fconn_reset(struct gntv3_fconn *c)
{
	int rc;

	c->connected = false;
	gntv3_fconn_fail_waiters(c);
	gntv3_fconn_ring_release(c);
	c->info.resets++;
	atomic64_inc(&gntv3_conn_cnt.resets);
	if (!c->dir) {
		/* a driver's: the next gntv3_front_xs_publish() makes one */
		gntv3_fconn_write_state(c, XenbusStateInitialising);
		return;
	}
	gntv3_xs_remove_keys(XBT_NIL, c->dir);
	rc = gntv3_fconn_ring_create(c);
	if (rc) {
		pr_err("%s: cannot make a new ring (%d), closing\n", c->dir, rc);
		gntv3_fconn_write_state(c, XenbusStateClosed);
		return;
	}
	gntv3_fconn_write_state(c, XenbusStateInitialising);
}

static void gntv3_fconn_step(struct gntv3_fconn *c)
{
	enum xenbus_state peer = c->peer_state;
	int version;

	switch (c->state) {
	case XenbusStateConnected:
		if (peer == XenbusStateConnected)
			return;
		gntv3_fconn_reset(c);
		fallthrough;
	case XenbusStateInitialising:
		if (peer != XenbusStateInitWait || !c->ring_page)
			return;
		version = gntv3_xs_read_feature(XBT_NIL, c->bdir);
		if (version > 0)
			gntv3_fconn_publish(c, version);
		return;
	case XenbusStateInitialised:
		if (peer == XenbusStateConnected) {
			c->connected = true;
			gntv3_fconn_write_state(c, XenbusStateConnected);
			/* notifications sent before we knew */
			queue_work(gntv3_conn_wq(), &c->ring_work);
		} else if (peer != XenbusStateInitWait &&
			   peer != XenbusStateInitialised) {
			gntv3_fconn_reset(c);
		}
		return;
	default:
		return;
	}
}

static void gntv3_fconn_state_work(struct work_struct *work)
{
	struct gntv3_fconn *c = container_of(work, struct gntv3_fconn,
					     state_work);

	mutex_lock(&c->lock);
	WRITE_ONCE(c->peer_state,
		   xenbus_read_unsigned(c->bdir, GNTV3_XS_STATE,
					XenbusStateUnknown));
	c->info.peer_state = c->peer_state;
	gntv3_fconn_event(c);
	if (!c->dying)
		gntv3_fconn_step(c);
	mutex_unlock(&c->lock);
}

/* ---- the ring ---- */

static void gntv3_fconn_malformed(struct gntv3_fconn *c)
{
	c->info.malformed++;
	atomic64_inc(&gntv3_conn_cnt.malformed);
}

/* A corrupt index: count it once, fail what waits. */
static void gntv3_fconn_broken(struct gntv3_fconn *c)
{
	if (c->broken_seen)
		return;
	c->broken_seen = true;
	pr_warn_ratelimited("%s: backend corrupted the ring indices\n",
			    c->name);
	c->info.malformed++;
	atomic64_inc(&gntv3_conn_cnt.bad_index);
	gntv3_fconn_fail_waiters(c);
	gntv3_fconn_event(c);
}

static void gntv3_fconn_take_acks(struct gntv3_fconn *c)
{
	struct gntv3_fconn_waiter *w;
	struct gntv3_ring_msg ack;
	int rc, slot;

	while ((rc = gntv3_ring_get_ack(&c->ring, &ack)) != -EAGAIN) {
		if (rc == -EPROTO) {
			gntv3_fconn_broken(c);
			return;
		}
		slot = rc ? rc : gntv3_ring_pending_match(&c->pend, &ack);
		if (slot < 0) {
			/* malformed, or answers nothing we ever asked */
			gntv3_fconn_malformed(c);
			continue;
		}
		gntv3_ring_pending_del(&c->pend, slot);
		w = c->waiter[slot];
		c->waiter[slot] = NULL;
		if (w) {
			w->answered = true;
			w->status = ack.status;
			complete(&w->done);
		} else {
			atomic64_inc(&gntv3_conn_cnt.late_acks);
		}
		gntv3_fconn_event(c);	/* a slot is free */
	}
}

/* UNMAPPED notifications; returns true when the quarantine may drain. */
static bool gntv3_fconn_take_notes(struct gntv3_fconn *c, bool *notify)
{
	struct gntv3_ring_msg req, ack;
	bool kick = false;
	int rc;

	while ((rc = gntv3_ring_get_req(&c->ring, &req)) != -EAGAIN) {
		if (rc == -EPROTO) {
			gntv3_fconn_broken(c);
			break;
		}
		if (rc) {
			gntv3_fconn_malformed(c);
			gntv3_ring_make_ack(&req, GNTST_general_error, &ack);
		} else {
			atomic64_inc(&gntv3_conn_cnt.unmapped_rx);
			kick = true;
			gntv3_ring_make_ack(&req, GNTST_okay, &ack);
		}
		if (!gntv3_ring_put_ack(&c->ring, &ack))
			*notify = true;
	}
	return kick;
}

static void gntv3_fconn_ring_work(struct work_struct *work)
{
	struct gntv3_fconn *c = container_of(work, struct gntv3_fconn,
					     ring_work);
	bool notify = false, kick = false;

	mutex_lock(&c->lock);
	if (c->connected) {
		gntv3_fconn_take_acks(c);
		kick = gntv3_fconn_take_notes(c, &notify);
		if (notify)
			notify_remote_via_irq(c->irq);
	}
	mutex_unlock(&c->lock);
	if (kick)
		gntv3_front_retry_now(c->front);
}

static bool gntv3_fconn_can_send(struct gntv3_fconn *c)
{
	return c->connected && !c->ring.broken &&
	       gntv3_ring_req_space(&c->ring) &&
	       c->pend.used != U32_MAX;
}

/*
 * Put one request on the ring and wait for its ACK until @deadline.
 * Returns true with the ACK's status in @status, false without an ACK
 * (no connection, timeout, reset, broken ring).
 */
static bool gntv3_fconn_request(struct gntv3_fconn *c, u8 op, gntv3_id_t id,
				u32 nr_ids, unsigned long deadline, s16 *status)
{
	struct gntv3_fconn_waiter w;
	struct gntv3_ring_msg req;
	unsigned long events;
	long left;
	int slot;

	init_completion(&w.done);
	w.answered = false;
	mutex_lock(&c->lock);
	while (!gntv3_fconn_can_send(c)) {
		left = (long)(deadline - jiffies);
		if (c->dying || c->ring.broken || left <= 0) {
			mutex_unlock(&c->lock);
			return false;
		}
		events = c->events;
		mutex_unlock(&c->lock);
		wait_event_timeout(c->wq, READ_ONCE(c->events) != events, left);
		mutex_lock(&c->lock);
	}
	do {
		gntv3_ring_make_req(&req, op, id, nr_ids, c->next_cookie++);
		slot = gntv3_ring_pending_add(&c->pend, &req);
	} while (slot == -EEXIST);	/* a cookie 2^32 requests old */
	gntv3_ring_put_req(&c->ring, &req);
	c->waiter[slot] = &w;
	c->info.sent++;
	atomic64_inc(op == GNTV3_RING_OP_REVOKE ? &gntv3_conn_cnt.revokes_sent :
		     &gntv3_conn_cnt.downgrades_sent);
	notify_remote_via_irq(c->irq);
	mutex_unlock(&c->lock);

	left = (long)(deadline - jiffies);
	wait_for_completion_timeout(&w.done, max(left, 1L));

	mutex_lock(&c->lock);
	if (c->waiter[slot] == &w) {
		/* abandoned: its slot and cookie wait for a late ACK */
		c->waiter[slot] = NULL;
	}
	mutex_unlock(&c->lock);
	*status = w.status;
	return w.answered;
}

static void gntv3_fconn_account(struct gntv3_fconn *c, bool answered,
				s16 status)
{
	mutex_lock(&c->lock);
	if (!answered)
		c->info.timed_out++;
	else if (status == GNTST_okay)
		c->info.acked++;
	else
		c->info.nacked++;
	mutex_unlock(&c->lock);
}

/*
 * &gntv3_front_conn_ops.send: carry one REVOKE or DOWNGRADE for
 * gntv3_revoke() (revoke.c) and count the outcome on this connection.
 */
static bool gntv3_fconn_send(void *conn, bool downgrade, gntv3_id_t id,
			     u32 nr_ids, unsigned long deadline, s16 *status)
{
	struct gntv3_fconn *c = conn;
	bool answered;

	answered = gntv3_fconn_request(c, downgrade ? GNTV3_RING_OP_DOWNGRADE :
				       GNTV3_RING_OP_REVOKE, id, nr_ids,
				       deadline, status);
	gntv3_fconn_account(c, answered, *status);
	return answered;
}

/* ---- connect and disconnect ---- */

static void gntv3_fconn_free(struct gntv3_fconn *c)
{
	if (c->name != c->dir)
		kfree(c->name);
	kfree(c->bdir);
	kfree(c->dir);
	mutex_destroy(&c->lock);
	kfree(c);
}

static struct gntv3_fconn *gntv3_fconn_alloc(struct gntv3_front *front)
{
	struct gntv3_fconn *c = kzalloc(sizeof(*c), GFP_KERNEL);

	if (!c)
		return NULL;
	c->front = front;
	c->backend = gntv3_front_backend(front);
	mutex_init(&c->lock);
	init_waitqueue_head(&c->wq);
	INIT_WORK(&c->state_work, gntv3_fconn_state_work);
	INIT_WORK(&c->ring_work, gntv3_fconn_ring_work);
	c->state = XenbusStateInitialising;
	return c;
}

static bool gntv3_fconn_send(void *conn, bool downgrade, gntv3_id_t id,
			     u32 nr_ids, unsigned long deadline, s16 *status);
static void gntv3_fconn_destroy(struct gntv3_fconn *c);

/* &gntv3_front_conn_ops.destroying: the front is being destroyed. */
static void gntv3_fconn_destroying(void *conn)
{
	gntv3_fconn_destroy(conn);
}

/* What we do for the front we are bound to. */
static const struct gntv3_front_conn_ops gntv3_fconn_ops = {
	.send = gntv3_fconn_send,
	.destroying = gntv3_fconn_destroying,
};

/* Bind @c to @front, or unbind with NULL; under front->lock. */
static void gntv3_fconn_set(struct gntv3_front *front, struct gntv3_fconn *c)
{
	lockdep_assert_held(&front->lock);
	front->conn_ops = c ? &gntv3_fconn_ops : NULL;
	front->conn = c;
}

/* Make @c the connection of @front; under nobody's lock. */
static int gntv3_fconn_reserve(struct gntv3_front *front, struct gntv3_fconn *c)
{
	int rc = 0;

	mutex_lock(&front->lock);
	if (front->dead)
		rc = -ENODEV;
	else if (front->conn)
		rc = -EEXIST;
	else
		gntv3_fconn_set(front, c); /* to revokes once set up */
	mutex_unlock(&front->lock);
	return rc;
}

static void gntv3_fconn_link(struct gntv3_fconn *c)
{
	mutex_lock(&gntv3_fconns_lock);
	list_add_tail(&c->node, &gntv3_fconns);
	mutex_unlock(&gntv3_fconns_lock);
}

static int gntv3_fconn_announce_xbt(struct xenbus_transaction xbt, void *data)
{
	struct gntv3_fconn *c = data;

	/* a stale directory from an earlier life */
	xenbus_rm(xbt, c->dir, "");
	return xenbus_printf(xbt, c->dir, GNTV3_XS_BACKEND_ID, "%u",
			     c->backend) ?:
	       xenbus_printf(xbt, c->dir, GNTV3_XS_STATE, "%d",
			     XenbusStateInitialising);
}

/**
 * gntv3_front_connect() - offer the tree and a revoke ring to the backend
 * @front: the tree
 * @devid: connection number, unique among this domain's connections; names
 *	the xenstore directory /local/domain/<self>/data/gntv3/<devid>
 *
 * The standalone connection, for /dev/gntv3 and tests: a xenbus driver
 * publishes the same keys in its own device directory instead, with
 * gntv3_front_xs_publish().  Grants a ring page to the backend, allocates
 * an event channel for it and announces them in xenstore (see conn.h).
 * The rest happens in the background: once the backend says InitWait the
 * keys are published, once it says Connected gntv3_revoke() uses the ring.
 * If the backend goes away the connection resets and waits for the next
 * one.
 *
 * Context: process context, may sleep.
 * Return: 0, -EINVAL, -EEXIST when @front is connected already, -ENODEV
 * after gntv3_front_destroy(), -ENXIO when our domain id is unknown,
 * -ENOMEM, -ENOSPC (no grant reference), or a xenstore error.
 */
int gntv3_front_connect(struct gntv3_front *front, u32 devid)
{
	struct gntv3_fconn *c;
	domid_t self;
	int rc;

	if (!front)
		return -EINVAL;
	rc = gntv3_xs_self_domid(&self);
	if (rc)
		return rc;
	c = gntv3_fconn_alloc(front);
	if (!c)
		return -ENOMEM;
	c->devid = devid;
	c->dir = gntv3_conn_frontdir(self, devid);
	c->name = c->dir;
	c->bdir = c->dir ? kasprintf(GFP_KERNEL, "%s/%s", c->dir,
				     GNTV3_XS_BACKDIR) : NULL;
	if (!c->bdir) {
		rc = -ENOMEM;
		goto err_free;
	}
	rc = gntv3_fconn_reserve(front, c);
	if (rc)
		goto err_free;

	mutex_lock(&c->lock);
	rc = gntv3_fconn_ring_create(c);
	mutex_unlock(&c->lock);
	if (rc)
		goto err_unreserve;
	rc = gntv3_xs_transaction(gntv3_fconn_announce_xbt, c);
	if (rc)
		goto err_ring;
	c->watch.node = c->bdir;
	c->watch.callback = gntv3_fconn_watch;
	rc = register_xenbus_watch(&c->watch);
	if (rc)
		goto err_rm;
	gntv3_fconn_link(c);
	return 0;

err_rm:
	xenbus_rm(XBT_NIL, c->dir, "");
err_ring:
	mutex_lock(&c->lock);
	gntv3_fconn_ring_release(c);
	mutex_unlock(&c->lock);
err_unreserve:
	mutex_lock(&front->lock);
	gntv3_fconn_set(front, NULL);
	mutex_unlock(&front->lock);
err_free:
	gntv3_fconn_free(c);
	return rc;
}
EXPORT_SYMBOL_GPL(gntv3_front_connect);

/* The connection of @front bound to a driver, made at the first call. */
static struct gntv3_fconn *gntv3_fconn_bound(struct gntv3_front *front,
					     const char *dir)
{
	struct gntv3_fconn *c;
	int rc;

	mutex_lock(&front->lock);
	c = front->conn;
	mutex_unlock(&front->lock);
	if (c)
		return c->dir ? ERR_PTR(-EEXIST) : c;

	c = gntv3_fconn_alloc(front);
	if (!c)
		return ERR_PTR(-ENOMEM);
	c->name = kstrdup(dir, GFP_KERNEL);
	if (!c->name) {
		gntv3_fconn_free(c);
		return ERR_PTR(-ENOMEM);
	}
	rc = gntv3_fconn_reserve(front, c);
	if (rc) {
		gntv3_fconn_free(c);
		return ERR_PTR(rc);
	}
	gntv3_fconn_link(c);
	return c;
}

/**
 * gntv3_front_xs_publish() - publish the tree and a revoke ring in a
 * driver's own device directory
 * @front: the tree
 * @xbt: the driver's transaction
 * @dir: the driver's directory (dev->nodename)
 * @otherend: the backend's directory (dev->otherend), whose feature-gntv3
 *	is read through @xbt
 *
 * For a xenbus frontend driver, once its backend said InitWait: writes
 * gntv3-version, gntv3-transport, gntv3-tree-ref, gntv3-ring-ref and
 * gntv3-event-channel (struct gntv3_xs_keys) into @dir, next to the
 * driver's own keys, in the driver's transaction, before the driver says
 * Initialised.  The first call binds a connection to @front (torn down by
 * gntv3_front_destroy()); a ring page and an event channel are made when
 * there is none (at the first call and after gntv3_front_ring_down()).
 * Calling it again, as a transaction that must be retried does, publishes
 * the same ring.  gntv3 writes no state of its own: the driver tells it
 * when the backend connected (gntv3_front_ring_up()) and left
 * (gntv3_front_ring_down()).
 *
 * Context: process context, may sleep.
 * Return: 0, -EPROTONOSUPPORT when the backend offers no gntv3,
 * -EEXIST when @front has a standalone connection (gntv3_front_connect()),
 * -ENODEV after gntv3_front_destroy(), -ENOMEM, -ENOSPC (no grant
 * reference), or an error of xenstore or the event channel.
 */
int gntv3_front_xs_publish(struct gntv3_front *front,
			   struct xenbus_transaction xbt, const char *dir,
			   const char *otherend)
{
	struct gntv3_xs_keys keys;
	struct gntv3_fconn *c;
	int version, rc = 0;

	if (!front || !dir || !otherend)
		return -EINVAL;
	version = gntv3_xs_read_feature(xbt, otherend);
	if (version < 0)
		return version;
	c = gntv3_fconn_bound(front, dir);
	if (IS_ERR(c))
		return PTR_ERR(c);
	mutex_lock(&c->lock);
	if (!c->ring_page)
		rc = gntv3_fconn_ring_create(c);
	if (!rc) {
		gntv3_fconn_keys(c, version, &keys);
		rc = gntv3_xs_write_keys(xbt, dir, &keys);
	}
	if (!rc)
		gntv3_fconn_write_state(c, XenbusStateInitialised);
	mutex_unlock(&c->lock);
	return rc;
}
EXPORT_SYMBOL_GPL(gntv3_front_xs_publish);

/* The connection a driver bound to @front, or NULL. */
static struct gntv3_fconn *gntv3_fconn_of_driver(struct gntv3_front *front)
{
	struct gntv3_fconn *c;

	if (!front)
		return NULL;
	mutex_lock(&front->lock);
	c = front->conn;
	mutex_unlock(&front->lock);
	return c && !c->dir ? c : NULL;
}

/**
 * gntv3_front_ring_up() - the backend connected to what we published
 * @front: the tree, after gntv3_front_xs_publish()
 *
 * The driver's backend said Connected (it read the keys, attached and
 * mapped the ring): gntv3_revoke() now uses the ring.  Nothing happens
 * without a published ring.
 *
 * Context: process context, may sleep; not concurrently with
 * gntv3_front_destroy().
 */
void gntv3_front_ring_up(struct gntv3_front *front)
{
	struct gntv3_fconn *c = gntv3_fconn_of_driver(front);

	if (!c)
		return;
	mutex_lock(&c->lock);
	if (c->ring_page && !c->connected) {
		c->connected = true;
		gntv3_fconn_write_state(c, XenbusStateConnected);
		/* notifications sent before we knew */
		queue_work(gntv3_conn_wq(), &c->ring_work);
	}
	mutex_unlock(&c->lock);
}
EXPORT_SYMBOL_GPL(gntv3_front_ring_up);

/**
 * gntv3_front_ring_down() - the backend let go of the ring
 * @front: the tree
 *
 * The driver's backend closed or went away: revokes waiting for an ACK
 * fail (their grants are dead), the event channel is closed and the ring
 * page ended (Linux frees it once the backend unmapped it).  The next
 * gntv3_front_xs_publish() makes a fresh ring for the next backend.
 *
 * Context: process context, may sleep; not concurrently with
 * gntv3_front_destroy().
 */
void gntv3_front_ring_down(struct gntv3_front *front)
{
	struct gntv3_fconn *c = gntv3_fconn_of_driver(front);

	if (!c)
		return;
	mutex_lock(&c->lock);
	if (c->ring_page)
		gntv3_fconn_reset(c);
	mutex_unlock(&c->lock);
	/* the irq is gone: nothing queues the ring work any more */
	cancel_work_sync(&c->ring_work);
}
EXPORT_SYMBOL_GPL(gntv3_front_ring_down);

static bool gntv3_fconn_peer_gone(struct gntv3_fconn *c)
{
	enum xenbus_state s = READ_ONCE(c->peer_state);

	return s != XenbusStateInitialised && s != XenbusStateConnected &&
	       s != XenbusStateClosing;
}

/**
 * gntv3_fconn_destroy() - tear a frontend connection down
 * @c: the connection, already unlinked from its front; NULL is ignored
 *
 * A standalone connection says Closing and gives the backend up to
 * close_timeout_ms to let go of the ring (a driver's state machine did
 * that already).  Then the requests still waiting fail, the event channel
 * and the ring page are released (the page left to Linux's deferred
 * end-foreign-access if the backend still maps it) and a standalone
 * connection's directory is removed.
 */
static void gntv3_fconn_destroy(struct gntv3_fconn *c)
{
	if (!c)
		return;
	mutex_lock(&gntv3_fconns_lock);
	list_del(&c->node);
	mutex_unlock(&gntv3_fconns_lock);

	mutex_lock(&c->lock);
	c->dying = true;
	c->connected = false;
	gntv3_fconn_fail_waiters(c);
	gntv3_fconn_write_state(c, XenbusStateClosing);
	mutex_unlock(&c->lock);

	if (c->dir) {
		wait_event_timeout(c->wq, gntv3_fconn_peer_gone(c),
				   msecs_to_jiffies(READ_ONCE(close_timeout_ms)));
		unregister_xenbus_watch(&c->watch);
		cancel_work_sync(&c->state_work);
	}
	mutex_lock(&c->lock);
	gntv3_fconn_ring_release(c);
	mutex_unlock(&c->lock);
	/* the irq is gone: nothing queues the ring work any more */
	cancel_work_sync(&c->ring_work);
	if (c->dir)
		xenbus_rm(XBT_NIL, c->dir, "");
	gntv3_fconn_free(c);
}

/**
 * gntv3_front_disconnect() - withdraw the tree and the ring
 * @front: the tree
 *
 * See gntv3_fconn_destroy(); must not run concurrently with gntv3_revoke()
 * on @front.  gntv3_front_destroy() does this itself.
 *
 * Not from the xenwatch thread for a standalone connection: the backend's
 * answer arrives through a xenstore watch, so the wait would always last
 * close_timeout_ms.
 *
 * Context: process context, may sleep up to close_timeout_ms.
 * Return: 0, or -ENOTCONN when @front has no connection.
 */
int gntv3_front_disconnect(struct gntv3_front *front)
{
	struct gntv3_fconn *c;

	if (!front)
		return -EINVAL;
	mutex_lock(&front->lock);
	c = front->conn;
	gntv3_fconn_set(front, NULL);
	mutex_unlock(&front->lock);
	if (!c)
		return -ENOTCONN;
	gntv3_fconn_destroy(c);
	return 0;
}
EXPORT_SYMBOL_GPL(gntv3_front_disconnect);

/**
 * gntv3_front_conn_info() - state and counters of a front's connection
 * @front: the tree
 * @info: filled in
 *
 * Context: process context, may sleep.
 * Return: 0, or -ENOTCONN when @front has no connection.
 */
int gntv3_front_conn_info(struct gntv3_front *front,
			  struct gntv3_conn_info *info)
{
	struct gntv3_fconn *c;

	if (!front || !info)
		return -EINVAL;
	mutex_lock(&front->lock);
	c = front->conn;
	if (c) {
		mutex_lock(&c->lock);
		*info = c->info;
		info->state = c->state;
		info->peer_state = c->peer_state;
		info->connected = c->connected;
		info->ring_ref = c->ring_ref;
		info->evtchn = c->port;
		mutex_unlock(&c->lock);
	}
	mutex_unlock(&front->lock);
	return c ? 0 : -ENOTCONN;
}
EXPORT_SYMBOL_GPL(gntv3_front_conn_info);

/* ---- debugfs and unload ---- */

/**
 * gntv3_fconn_show() - one debugfs line per frontend connection
 * @s: the seq_file of debugfs "conn"
 */
void gntv3_fconn_show(struct seq_file *s)
{
	struct gntv3_fconn *c;

	mutex_lock(&gntv3_fconns_lock);
	list_for_each_entry(c, &gntv3_fconns, node) {
		mutex_lock(&c->lock);
		seq_printf(s, "front: %s backend: %u state: %d peer: %d connected: %d ring_ref: %u evtchn: %u sent: %llu acked: %llu nacked: %llu timed_out: %llu malformed: %llu resets: %llu pending: %u\n",
			   c->dir, c->backend, c->state, c->peer_state,
			   c->connected, c->ring_ref, c->port, c->info.sent,
			   c->info.acked, c->info.nacked, c->info.timed_out,
			   c->info.malformed, c->info.resets,
			   hweight32(c->pend.used));
		mutex_unlock(&c->lock);
	}
	mutex_unlock(&gntv3_fconns_lock);
}

/**
 * gntv3_fconn_inject() - fault injection: a malformed request on each ring
 * @what: 1 an unknown op, 2 a non-zero reserved field
 *
 * The backend must count and NACK it; its NACK is in turn malformed for us
 * (an ACK of an op we never send) and counted here.
 *
 * Return: 0, or -EINVAL for an unknown @what.
 */
int gntv3_fconn_inject(u32 what)
{
	struct gntv3_ring_msg m;
	struct gntv3_fconn *c;

	if (what != 1 && what != 2)
		return -EINVAL;
	mutex_lock(&gntv3_fconns_lock);
	list_for_each_entry(c, &gntv3_fconns, node) {
		mutex_lock(&c->lock);
		if (c->connected) {
			gntv3_ring_make_req(&m, GNTV3_RING_OP_REVOKE, 0, 1,
					    c->next_cookie++);
			if (what == 1)
				m.op = 0x7f;
			else
				m.reserved = 0xbad;
			if (!gntv3_ring_put_req(&c->ring, &m))
				notify_remote_via_irq(c->irq);
		}
		mutex_unlock(&c->lock);
	}
	mutex_unlock(&gntv3_fconns_lock);
	return 0;
}

/**
 * gntv3_fconn_exit() - module unload: tear down connections left behind
 *
 * A kernel user that never destroyed its front left its connection too.
 */
void gntv3_fconn_exit(void)
{
	struct gntv3_fconn *c;

	for (;;) {
		mutex_lock(&gntv3_fconns_lock);
		c = list_first_entry_or_null(&gntv3_fconns, struct gntv3_fconn,
					     node);
		mutex_unlock(&gntv3_fconns_lock);
		if (!c)
			break;
		mutex_lock(&c->front->lock);
		gntv3_fconn_set(c->front, NULL);
		mutex_unlock(&c->front->lock);
		gntv3_fconn_destroy(c);
	}
}
