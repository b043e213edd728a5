// SPDX-License-Identifier: GPL-2.0-only
/*
 * gntv3 frontend connection: a revoke/notification ring page and event
 * channel granted to the backend, the requests gntv3_revoke() (revoke.c)
 * sends over it, and the UNMAPPED notifications that come back.  How the
 * ring reaches the backend through xenstore (the standalone handshake, or
 * a xenbus driver's own device directory) is conn_front_xs.c's.
 *
 * A request's life: gntv3_revoke() marked the leaf (R for a revoke, D and
 * no W for a downgrade) and calls &gntv3_front_conn_ops.send; the request
 * goes on the ring and the caller waits for its ACK up to its deadline.  A
 * request that timed out keeps its ring slot and cookie: its late ACK is
 * recognised and counted, never matched to another request.
 *
 * Whenever the backend leaves, the ring is reset: pending requests fail
 * (their grants go down the timeout path), the ring page is ended (or left
 * to Linux's deferred end-foreign-access while still mapped) and the
 * event channel closed.
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
#include "conn_front.h"
#include "hypercall.h"
#include "internal.h"
#include "ring.h"

static unsigned int close_timeout_ms = 2000;
module_param(close_timeout_ms, uint, 0644);
MODULE_PARM_DESC(close_timeout_ms,
		 "How long a closing frontend waits for its backend to let go of the ring (ms)");

/* Every frontend connection, for debugfs, fault injection and unload. */
static LIST_HEAD(gntv3_fconns);
/* Protects gntv3_fconns; taken before any connection's lock. */
static DEFINE_MUTEX(gntv3_fconns_lock);

void gntv3_fconn_event(struct gntv3_fconn *c)
{
	WRITE_ONCE(c->events, c->events + 1);
	wake_up_all(&c->wq);
}

static irqreturn_t gntv3_fconn_interrupt(int irq, void *data)
{
	struct gntv3_fconn *c = data;

	/* one interrupt at a time: the event channel's irq is not shared */
	WRITE_ONCE(c->irqs, c->irqs + 1);
	wake_up_all(&c->wq);
	queue_work(gntv3_conn_wq(), &c->ring_work);
	return IRQ_HANDLED;
}

/* ---- the ring page and the event channel (under c->lock) ---- */

void gntv3_fconn_ring_release(struct gntv3_fconn *c)
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

int gntv3_fconn_ring_create(struct gntv3_fconn *c)
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

	rc = gntv3_hyp_evtchn_setup(EVTCHNOP_alloc_unbound, &alloc);
	if (rc)
		goto err;
	c->port = alloc.port;
	rc = bind_evtchn_to_irqhandler(c->port, gntv3_fconn_interrupt, 0,
				       "gntv3-front", c);
	if (rc < 0) {
		gntv3_hyp_evtchn_close(c->port);
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

/*
 * The waiter of every FORGET: nobody waits, the ACK only makes the
 * quarantine retry (gntv3_fconn_take_acks()).  Only its address is used.
 */
static struct gntv3_fconn_waiter gntv3_fconn_forget_waiter;

/* Fail every waiting request: its grant goes down the timeout path. */
static void gntv3_fconn_fail_waiters(struct gntv3_fconn *c)
{
	unsigned int i;

	for (i = 0; i < GNTV3_RING_SLOTS; i++) {
		struct gntv3_fconn_waiter *w = c->waiter[i];

		c->waiter[i] = NULL;
		if (!w || w == &gntv3_fconn_forget_waiter)
			continue;
		w->answered = false;
		complete(&w->done);
	}
}

/* ---- xenstore (under c->lock) ---- */

int gntv3_fconn_write_state(struct gntv3_fconn *c, enum xenbus_state state)
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
void gntv3_fconn_keys(struct gntv3_fconn *c, unsigned int version,
		      struct gntv3_xs_keys *keys)
{
	grant_ref_t tree_ref = gntv3_front_tree_ref(c->front);

	keys->version = version;
	keys->native = gntv3_transport == &gntv3_transport_native;
	keys->tree_ref = tree_ref;
	keys->ring_ref = c->ring_ref;
	keys->evtchn = c->port;
}

/* The backend went away: start over with a fresh ring. */
void gntv3_fconn_reset(struct gntv3_fconn *c)
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

/* ACKs of our requests; returns true when the quarantine may drain. */
static bool gntv3_fconn_take_acks(struct gntv3_fconn *c)
{
	struct gntv3_fconn_waiter *w;
	struct gntv3_ring_msg ack;
	bool kick = false;
	int rc, slot;

	while ((rc = gntv3_ring_get_ack(&c->ring, &ack)) != -EAGAIN) {
		if (rc == -EPROTO) {
			gntv3_fconn_broken(c);
			break;
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
		if (w == &gntv3_fconn_forget_waiter) {
			atomic64_inc(&gntv3_conn_cnt.forget_acks);
			kick = true;
		} else if (w) {
			w->answered = true;
			w->status = ack.status;
			complete(&w->done);
		} else {
			atomic64_inc(&gntv3_conn_cnt.late_acks);
		}
		gntv3_fconn_event(c);	/* a slot is free */
	}
	return kick;
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

/*
 * Take what the backend put on the ring, for the ring work or a waiter;
 * under c->lock.  Returns true when the quarantine may drain.
 */
static bool gntv3_fconn_drain_locked(struct gntv3_fconn *c)
{
	bool notify = false, kick;

	if (!c->connected)
		return false;
	kick = gntv3_fconn_take_acks(c);
	kick |= gntv3_fconn_take_notes(c, &notify);
	if (notify)
		notify_remote_via_irq(c->irq);
	return kick;
}

static void gntv3_fconn_ring_work(struct work_struct *work)
{
	struct gntv3_fconn *c = container_of(work, struct gntv3_fconn,
					     ring_work);
	bool kick;

	mutex_lock(&c->lock);
	kick = gntv3_fconn_drain_locked(c);
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
 * Put one request on the ring for @w, and notify; under c->lock, with
 * gntv3_fconn_can_send().  Returns its slot.
 */
static int gntv3_fconn_put_req(struct gntv3_fconn *c, u8 op, gntv3_id_t id,
			       u32 nr_ids, struct gntv3_fconn_waiter *w)
{
	struct gntv3_ring_msg req;
	int slot;

	do {
		gntv3_ring_make_req(&req, op, id, nr_ids, c->next_cookie++);
		slot = gntv3_ring_pending_add(&c->pend, &req);
	} while (slot == -EEXIST);	/* a cookie 2^32 requests old */
	gntv3_ring_put_req(&c->ring, &req);
	c->waiter[slot] = w;
	notify_remote_via_irq(c->irq);
	return slot;
}

/*
 * &gntv3_front_conn_ops.forget: put a FORGET on the ring if there is room,
 * without waiting for anything; see gntv3_front_forget().
 */
static void gntv3_fconn_forget(void *conn, gntv3_id_t id, u32 nr_ids)
{
	struct gntv3_fconn *c = conn;

	mutex_lock(&c->lock);
	if (gntv3_fconn_can_send(c)) {
		gntv3_fconn_put_req(c, GNTV3_RING_OP_FORGET, id, nr_ids,
				    &gntv3_fconn_forget_waiter);
		atomic64_inc(&gntv3_conn_cnt.forgets_sent);
	}
	mutex_unlock(&c->lock);
}

/*
 * A waiter's drain.  One drainer is enough: when c->lock is taken, its
 * holder (another waiter, the ring work) drains, or else the ring work
 * the interrupt queued does; so many waiters woken by one interrupt do not
 * queue up on the lock in turn to find the ring empty.
 */
static void gntv3_fconn_try_drain(struct gntv3_fconn *c)
{
	bool kick;

	if (!mutex_trylock(&c->lock))
		return;
	kick = gntv3_fconn_drain_locked(c);
	mutex_unlock(&c->lock);
	if (kick)
		gntv3_front_retry_now(c->front);
}

/*
 * Wait for @w's ACK until @deadline (at least one jiffy).  The interrupt
 * wakes us as well as queueing the ring work, and whoever takes c->lock
 * first drains the ring: the ACK need not wait for a worker to be
 * scheduled before it reaches us.  @irqs: c->irqs when the request went.
 */
static void gntv3_fconn_wait_ack(struct gntv3_fconn *c,
				 struct gntv3_fconn_waiter *w,
				 unsigned long deadline, unsigned long irqs)
{
	long left = max_t(long, deadline - jiffies, 1);

	while (!completion_done(&w->done) && left > 0) {
		wait_event_timeout(c->wq, completion_done(&w->done) ||
				   READ_ONCE(c->irqs) != irqs, left);
		if (READ_ONCE(c->irqs) != irqs) {
			irqs = READ_ONCE(c->irqs);
			gntv3_fconn_try_drain(c);
		}
		left = (long)(deadline - jiffies);
	}
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
	unsigned long events, irqs;
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
	irqs = READ_ONCE(c->irqs);
	slot = gntv3_fconn_put_req(c, op, id, nr_ids, &w);
	c->info.sent++;
	atomic64_inc(op == GNTV3_RING_OP_REVOKE ? &gntv3_conn_cnt.revokes_sent :
		     &gntv3_conn_cnt.downgrades_sent);
	mutex_unlock(&c->lock);

	gntv3_fconn_wait_ack(c, &w, deadline, irqs);

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

void gntv3_fconn_free(struct gntv3_fconn *c)
{
	if (c->name != c->dir)
		kfree(c->name);
	kfree(c->bdir);
	kfree(c->dir);
	mutex_destroy(&c->lock);
	kfree(c);
}

struct gntv3_fconn *gntv3_fconn_alloc(struct gntv3_front *front)
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

static void gntv3_fconn_destroy(struct gntv3_fconn *c);

/* &gntv3_front_conn_ops.destroying: the front is being destroyed. */
static void gntv3_fconn_destroying(void *conn)
{
	gntv3_fconn_destroy(conn);
}

/* What we do for the front we are bound to. */
static const struct gntv3_front_conn_ops gntv3_fconn_ops = {
	.send = gntv3_fconn_send,
	.forget = gntv3_fconn_forget,
	.destroying = gntv3_fconn_destroying,
};

/* Bind @c to @front, or unbind with NULL; under front->lock. */
void gntv3_fconn_set(struct gntv3_front *front, struct gntv3_fconn *c)
{
	lockdep_assert_held(&front->lock);
	front->conn_ops = c ? &gntv3_fconn_ops : NULL;
	front->conn = c;
}

/* Make @c the connection of @front; under nobody's lock. */
int gntv3_fconn_reserve(struct gntv3_front *front, struct gntv3_fconn *c)
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

void gntv3_fconn_link(struct gntv3_fconn *c)
{
	mutex_lock(&gntv3_fconns_lock);
	list_add_tail(&c->node, &gntv3_fconns);
	mutex_unlock(&gntv3_fconns_lock);
}

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
 * A standalone connection says Closing and gives the backend up to the
 * close_timeout_ms module parameter to let go of the ring; then revokes
 * still waiting for an ACK fail, the event channel and the ring page are
 * released (the page once the backend unmapped it) and a standalone
 * connection's directory is removed.  A driver's connection
 * (gntv3_front_xs_publish()) is released at once: its driver's state
 * machine saw the backend go.  Must not run concurrently with
 * gntv3_revoke() on @front.  gntv3_front_destroy() does this itself.
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
			   c->name, c->backend, c->state, c->peer_state,
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
