// SPDX-License-Identifier: GPL-2.0-only
/*
 * gntv3 backend connection: find a frontend's keys in xenstore, attach to
 * its tree, map its ring, bind its event channel, and carry out its
 * REVOKE and DOWNGRADE requests.
 *
 * gntv3_back_connect() says InitWait (with feature-gntv3) in the backend
 * directory below the frontend's (see conn.h), waits for the frontend's
 * Initialised, reads its keys in one transaction and validates them, then
 * attaches, maps the ring read-write, binds the event channel (with late
 * EOI, so that a frontend flooding events is throttled) and says
 * Connected.  When the frontend leaves Initialised/Connected the ring is
 * let go and we say Closed; the attachment stays its owner's until
 * gntv3_back_detach(), which also removes the backend directory.
 *
 * A FORGET (the frontend ended grants we still map) unmaps what the
 * attachment's mapping cache holds of its range and is ACKed at once.
 *
 * Revoke flow: every request read from the ring is validated (a malformed
 * one is counted and NACKed with GNTST_general_error).  The frontend
 * already changed the leaf, so new mappings of the range fail.  The
 * attachment's owner is asked (its revoke handler) to unmap its mappings
 * of the range through the safe unmap path (gntv3_back_call_revoke());
 * gntv3 asks the attachment whether the range is still mapped
 * (gntv3_back_range_mapped()) each time some of its mappings went away
 * (the mappings_gone event of struct gntv3_back_notifier, once the owner
 * was told) and, in case the owner unmaps some other way, polls it
 * with a backoff (1 ms doubling to 64 ms), and ACKs with GNTST_okay once
 * none overlaps the range any more: for a revoke and, on
 * the v1 transport, for a downgrade too (v1 entries cannot change mode
 * while mapped).  A request waits as long as that takes; the frontend's
 * timeout decides what happens meanwhile.  With the debugfs knob
 * back_ignore_revokes set, requests are dropped unanswered instead.
 *
 * Lock order: a connection's lock, then its attachment's back->lock.
 * Revoke handlers are called with neither held.  The attachment (attach.c)
 * knows us only through the struct gntv3_back_notifier we hand down.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/err.h>
#include <linux/interrupt.h>
#include <linux/jiffies.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/wait.h>
#include <xen/events.h>
#include <xen/grant_table.h>
#include <xen/xenbus.h>
#include <xen/interface/event_channel.h>
#include <asm/xen/hypercall.h>

#include "backend.h"
#include "conn.h"
#include "hypercall.h"
#include "internal.h"
#include "retry.h"
#include "ring.h"
#include "trace.h"

/* Polling of a pending request: 1, 2, 4, ... ms, then every 64 ms. */
static const struct gntv3_retry_policy gntv3_bconn_poll = {
	.base_ms = 1,
	.cap_ms = 64,
};

/**
 * struct gntv3_bconn_req - a frontend request being carried out
 * @node: in &gntv3_bconn.reqs
 * @msg: the validated request
 */
struct gntv3_bconn_req {
	struct list_head node;
	struct gntv3_ring_msg msg;
};

/**
 * struct gntv3_bconn - a backend's connection to one frontend
 * @back: the attachment it belongs to
 * @frontend: the frontend domain
 * @devid: the frontend's connection number
 * @fdir: the frontend's xenstore directory; NULL for a connection made by
 *	gntv3_back_connect_keys(), whose xenstore side is its driver's
 * @bdir: ours, below @fdir; NULL with @fdir
 * @node: in gntv3_bconns, under gntv3_bconns_lock
 * @watch: on @fdir/state; queues @state_work
 * @state_work: follows the frontend's state
 * @ring_work: consumes requests; queued by the interrupt, which stays
 *	masked until this work's late EOI
 * @poll: ACKs requests whose range has no mapping left
 * @lock: protects everything below
 * @connected: the ring is mapped and the event channel bound
 * @fstate: the frontend's XenbusState, as last read
 * @events: bumped by every frontend state change (@wq)
 * @wq: woken when @events changes
 * @ring_page: the frontend's ring page, mapped read-write
 * @ring_handle: grant handle of that mapping
 * @ring: our view of the ring
 * @pend: our UNMAPPED notifications waiting for their ACK
 * @next_cookie: cookie of the next notification
 * @irq: the event channel's irq, 0 when unbound
 * @reqs: requests being carried out (struct gntv3_bconn_req)
 * @nr_reqs: how many; also read without @lock by
 *	gntv3_bconn_mappings_gone()
 * @poll_round: polls since the last time @reqs was empty
 * @done: requests ACKed
 * @ignored: requests dropped by the fault injection knob
 * @malformed: malformed messages and corrupt indices seen
 */
struct gntv3_bconn {
	struct gntv3_back *back;
	domid_t frontend;
	u32 devid;
	char *fdir;
	char *bdir;
	struct list_head node;
	struct xenbus_watch watch;
	struct work_struct state_work;
	struct work_struct ring_work;
	struct delayed_work poll;

	struct mutex lock;	/* see @lock above */
	bool connected;
	enum xenbus_state fstate;
	unsigned long events;
	wait_queue_head_t wq;
	struct page *ring_page;
	grant_handle_t ring_handle;
	struct gntv3_ring ring;
	struct gntv3_ring_pending pend;
	u32 next_cookie;
	int irq;
	struct list_head reqs;
	unsigned int nr_reqs;
	unsigned int poll_round;
	u64 done;
	u64 ignored;
	u64 malformed;
};

/* Every backend connection, for debugfs. */
static LIST_HEAD(gntv3_bconns);
/* Protects gntv3_bconns; taken before any connection's lock. */
static DEFINE_MUTEX(gntv3_bconns_lock);

static irqreturn_t gntv3_bconn_interrupt(int irq, void *data)
{
	struct gntv3_bconn *bc = data;

	queue_work(gntv3_conn_wq(), &bc->ring_work);
	return IRQ_HANDLED;
}

static void gntv3_bconn_watch(struct xenbus_watch *watch, const char *path,
			      const char *token)
{
	struct gntv3_bconn *bc = container_of(watch, struct gntv3_bconn, watch);

	queue_work(gntv3_conn_wq(), &bc->state_work);
}

static void gntv3_bconn_malformed(struct gntv3_bconn *bc, bool index)
{
	bc->malformed++;
	atomic64_inc(index ? &gntv3_conn_cnt.bad_index :
		     &gntv3_conn_cnt.malformed);
}

/**
 * struct gntv3_bconn_state - one state change of a standalone connection
 * @bc: the connection
 * @state: the new state
 */
struct gntv3_bconn_state {
	struct gntv3_bconn *bc;
	enum xenbus_state state;
};

/*
 * Say @state in our directory, but only while the frontend's directory
 * exists: a write below a directory that is gone (the frontend domain was
 * destroyed and the toolstack removed its tree, or the frontend withdrew)
 * would create it again, as a privileged domain's writes create missing
 * parents, and leave nodes of a dead domain behind.  -ENOENT then; but
 * -ENOMEM when the check itself failed for want of memory
 * (xenbus_exists() would say "gone" for both).
 */
static int gntv3_bconn_state_xbt(struct xenbus_transaction xbt, void *data)
{
	struct gntv3_bconn_state *st = data;
	char *id;

	id = xenbus_read(xbt, st->bc->fdir, GNTV3_XS_BACKEND_ID, NULL);
	if (IS_ERR(id))
		return PTR_ERR(id) == -ENOMEM ? -ENOMEM : -ENOENT;
	kfree(id);
	return xenbus_printf(xbt, st->bc->bdir, GNTV3_XS_STATE, "%d",
			     st->state);
}

static int gntv3_bconn_write_state(struct gntv3_bconn *bc,
				   enum xenbus_state state)
{
	struct gntv3_bconn_state st = { .bc = bc, .state = state };

	/* a driver's connection: the driver says its own state */
	if (!bc->fdir)
		return 0;
	return gntv3_xs_transaction(gntv3_bconn_state_xbt, &st);
}

/* ---- the ring page ---- */

static int gntv3_bconn_map_ring(struct gntv3_bconn *bc, grant_ref_t ref)
{
	return gntv3_map_one_page(bc->frontend, ref, false, &bc->ring_page,
				  &bc->ring_handle);
}

static void gntv3_bconn_unmap_ring(struct gntv3_bconn *bc)
{
	if (!bc->ring_page)
		return;
	gntv3_unmap_one_page(bc->ring_page, bc->ring_handle);
	bc->ring_page = NULL;
}

/* Let go of the ring and the event channel; under bc->lock. */
static void gntv3_bconn_disconnect(struct gntv3_bconn *bc)
{
	struct gntv3_bconn_req *req, *tmp;

	if (!bc->connected)
		return;
	bc->connected = false;
	unbind_from_irqhandler(bc->irq, bc);	/* closes the port */
	bc->irq = 0;
	gntv3_bconn_unmap_ring(bc);
	list_for_each_entry_safe(req, tmp, &bc->reqs, node) {
		list_del(&req->node);
		kfree(req);
	}
	WRITE_ONCE(bc->nr_reqs, 0);
	gntv3_bconn_write_state(bc, XenbusStateClosed);
}

/* ---- requests ---- */

/*
 * Answer every pending request whose range the backend no longer tracks:
 * an ACK, or a refusal (GNTST_general_error) where a mapping of the range
 * was leaked and so is still mapped.  Under bc->lock, connected.  Returns
 * true when requests are left.
 */
static bool gntv3_bconn_ack_unmapped(struct gntv3_bconn *bc)
{
	struct gntv3_bconn_req *req, *tmp;
	struct gntv3_ring_msg ack;
	bool notify = false, leaked;
	s16 status;

	list_for_each_entry_safe(req, tmp, &bc->reqs, node) {
		if (gntv3_back_range_mapped(bc->back, req->msg.id,
					    req->msg.nr_ids, &leaked))
			continue;
		status = leaked ? GNTST_general_error : GNTST_okay;
		gntv3_ring_make_ack(&req->msg, status, &ack);
		if (!gntv3_ring_put_ack(&bc->ring, &ack))
			notify = true;
		trace_gntv3_revoke_ack(bc->frontend, req->msg.id,
				       req->msg.nr_ids,
				       req->msg.op == GNTV3_RING_OP_DOWNGRADE,
				       status);
		bc->done++;
		atomic64_inc(&gntv3_conn_cnt.back_done);
		list_del(&req->node);
		WRITE_ONCE(bc->nr_reqs, bc->nr_reqs - 1);
		kfree(req);
	}
	if (notify)
		notify_remote_via_irq(bc->irq);
	return !list_empty(&bc->reqs);
}

/*
 * The poll is the safety net of pending requests: a handler that takes its
 * time, an unmap whose completion kick was missed.  Its first round comes
 * after the policy's first delay; an armed poll is left as it is.
 */
static void gntv3_bconn_arm_poll(struct gntv3_bconn *bc)
{
	if (!delayed_work_pending(&bc->poll))
		queue_delayed_work(gntv3_conn_wq(), &bc->poll,
				   msecs_to_jiffies(gntv3_retry_delay(&gntv3_bconn_poll,
								      0)));
}

static void gntv3_bconn_poll_work(struct work_struct *work)
{
	struct gntv3_bconn *bc = container_of(to_delayed_work(work),
					      struct gntv3_bconn, poll);

	mutex_lock(&bc->lock);
	if (!bc->connected)
		goto out;
	if (!gntv3_bconn_ack_unmapped(bc)) {
		bc->poll_round = 0;
	} else {
		queue_delayed_work(gntv3_conn_wq(), &bc->poll,
				   msecs_to_jiffies(gntv3_retry_delay(&gntv3_bconn_poll,
								      bc->poll_round)));
		bc->poll_round++;
	}
out:
	mutex_unlock(&bc->lock);
}

/*
 * &gntv3_back_notifier.revoking: a request is being carried out.  Called
 * with the attachment's lock held, so @nr_reqs is read without @bc's lock
 * (see below).  A request is counted before gntv3_back_call_revoke()
 * evicts its range from the mapping cache under that same lock, so a
 * mapping is either admitted before the eviction, which then finds it, or
 * refused.
 */
static bool gntv3_bconn_revoking(struct gntv3_back *back, void *data)
{
	struct gntv3_bconn *bc = data;

	return READ_ONCE(bc->nr_reqs) != 0;
}

/*
 * &gntv3_back_notifier.mappings_gone: check the pending requests now.
 * Called with the attachment's lock held, which keeps @bc alive: detach
 * clears the notifier under it before it tells us it is detaching, and we
 * cancel the poll only then.  @bc's own lock comes before the
 * attachment's, so @nr_reqs is read without it; a kick missed that way
 * leaves the request to the poll.
 */
static void gntv3_bconn_mappings_gone(struct gntv3_back *back, void *data)
{
	struct gntv3_bconn *bc = data;

	if (READ_ONCE(bc->nr_reqs))
		mod_delayed_work(gntv3_conn_wq(), &bc->poll, 0);
}

static void gntv3_bconn_nack(struct gntv3_bconn *bc,
			     const struct gntv3_ring_msg *req)
{
	struct gntv3_ring_msg ack;

	gntv3_ring_make_ack(req, GNTST_general_error, &ack);
	if (!gntv3_ring_put_ack(&bc->ring, &ack))
		notify_remote_via_irq(bc->irq);
}

/*
 * A FORGET: the frontend ended grants we may still have cached.  Carried
 * out at once, and ACKed at once: the ACK is only a hint to the frontend
 * (include/xen/interface/grant_table_v3.h).  Under bc->lock.
 */
static void gntv3_bconn_forget(struct gntv3_bconn *bc,
			       const struct gntv3_ring_msg *req)
{
	struct gntv3_ring_msg ack;

	gntv3_cache_drop_range(bc->back, req->id, req->nr_ids);
	atomic64_inc(&gntv3_conn_cnt.back_forgets);
	gntv3_ring_make_ack(req, GNTST_okay, &ack);
	if (!gntv3_ring_put_ack(&bc->ring, &ack))
		notify_remote_via_irq(bc->irq);
}

/*
 * Take the requests off the ring; the valid ones go on bc->reqs and are
 * copied to @todo for the revoke handler.  Returns how many, or -1 when
 * nothing at all was found (a spurious event).
 */
static int gntv3_bconn_take_reqs(struct gntv3_bconn *bc,
				 struct gntv3_ring_msg *todo)
{
	bool was_broken = bc->ring.broken, found = false;
	struct gntv3_bconn_req *r;
	struct gntv3_ring_msg m;
	int rc, n = 0;

	while ((rc = gntv3_ring_get_req(&bc->ring, &m)) != -EAGAIN) {
		if (rc == -EPROTO) {
			/* counted once; events on a broken ring are spurious */
			if (!was_broken)
				gntv3_bconn_malformed(bc, true);
			break;
		}
		found = true;
		if (rc) {
			gntv3_bconn_malformed(bc, false);
			gntv3_bconn_nack(bc, &m);
			continue;
		}
		if (m.op == GNTV3_RING_OP_FORGET) {
			gntv3_bconn_forget(bc, &m);
			continue;
		}
		if (READ_ONCE(gntv3_back_ignore_revokes)) {
			bc->ignored++;
			atomic64_inc(&gntv3_conn_cnt.back_ignored);
			continue;
		}
		r = kzalloc(sizeof(*r), GFP_KERNEL);
		if (!r) {
			/* the frontend then treats the grant as dead */
			gntv3_bconn_nack(bc, &m);
			continue;
		}
		r->msg = m;
		trace_gntv3_revoke_req(bc->frontend, m.id, m.nr_ids,
				       m.op == GNTV3_RING_OP_DOWNGRADE, 0);
		list_add_tail(&r->node, &bc->reqs);
		WRITE_ONCE(bc->nr_reqs, bc->nr_reqs + 1);
		todo[n++] = m;
	}
	return found ? n : -1;
}

/* ACKs of our UNMAPPED notifications. */
static bool gntv3_bconn_take_acks(struct gntv3_bconn *bc)
{
	bool was_broken = bc->ring.broken, found = false;
	struct gntv3_ring_msg ack;
	int rc, slot;

	while ((rc = gntv3_ring_get_ack(&bc->ring, &ack)) != -EAGAIN) {
		if (rc == -EPROTO) {
			if (!was_broken)
				gntv3_bconn_malformed(bc, true);
			break;
		}
		found = true;
		slot = rc ? rc : gntv3_ring_pending_match(&bc->pend, &ack);
		if (slot < 0)
			gntv3_bconn_malformed(bc, false);
		else
			gntv3_ring_pending_del(&bc->pend, slot);
	}
	return found;
}

static void gntv3_bconn_ring_work(struct work_struct *work)
{
	struct gntv3_bconn *bc = container_of(work, struct gntv3_bconn,
					      ring_work);
	struct gntv3_ring_msg todo[GNTV3_RING_SLOTS];
	struct gntv3_back *back = bc->back;
	bool acks;
	int i, n;

	mutex_lock(&bc->lock);
	if (!bc->connected) {
		/* the irq is gone or going: no EOI owed */
		mutex_unlock(&bc->lock);
		return;
	}
	n = gntv3_bconn_take_reqs(bc, todo);
	acks = gntv3_bconn_take_acks(bc);
	if (n > 0)
		gntv3_bconn_arm_poll(bc);
	xen_irq_lateeoi(bc->irq, n < 0 && !acks ? XEN_EOI_FLAG_SPURIOUS : 0);
	mutex_unlock(&bc->lock);

	if (n <= 0)
		return;
	for (i = 0; i < n; i++)
		gntv3_back_call_revoke(back, todo[i].id, todo[i].nr_ids,
				       todo[i].op == GNTV3_RING_OP_DOWNGRADE);

	/*
	 * A handler that unmapped at once (a cached mapping, a synchronous
	 * unmap) is ACKed from here rather than from the poll, which would
	 * cost the round trip another wake-up.  What is left is ACKed by the
	 * poll, which the unmap's completion kicks (mappings_gone); with
	 * nothing left, the poll has nothing to do.
	 */
	mutex_lock(&bc->lock);
	if (bc->connected) {
		if (gntv3_bconn_ack_unmapped(bc)) {
			gntv3_bconn_arm_poll(bc);
		} else {
			cancel_delayed_work(&bc->poll);
			bc->poll_round = 0;
		}
	}
	mutex_unlock(&bc->lock);
}

static void gntv3_bconn_state_work(struct work_struct *work)
{
	struct gntv3_bconn *bc = container_of(work, struct gntv3_bconn,
					      state_work);
	enum xenbus_state s;

	s = xenbus_read_unsigned(bc->fdir, GNTV3_XS_STATE, XenbusStateUnknown);
	mutex_lock(&bc->lock);
	bc->fstate = s;
	WRITE_ONCE(bc->events, bc->events + 1);
	wake_up_all(&bc->wq);
	if (bc->connected && s != XenbusStateInitialised &&
	    s != XenbusStateConnected)
		gntv3_bconn_disconnect(bc);
	mutex_unlock(&bc->lock);
}

/* ---- connect ---- */

/**
 * struct gntv3_bconn_read - the frontend's keys, read in one transaction
 * @dir: the frontend's directory
 * @keys: what it published
 */
struct gntv3_bconn_read {
	const char *dir;
	struct gntv3_xs_keys keys;
};

static int gntv3_bconn_read_xbt(struct xenbus_transaction xbt, void *data)
{
	struct gntv3_bconn_read *r = data;

	return gntv3_back_xs_read(xbt, r->dir, &r->keys);
}

static void gntv3_bconn_detaching(struct gntv3_back *back, void *data);

/* What the attachment tells us. */
static const struct gntv3_back_notifier gntv3_bconn_notifier = {
	.mappings_gone = gntv3_bconn_mappings_gone,
	.detaching = gntv3_bconn_detaching,
	.revoking = gntv3_bconn_revoking,
};

/* Attach, map the ring and bind the event channel; under bc->lock. */
static int gntv3_bconn_bind(struct gntv3_bconn *bc,
			    const struct gntv3_xs_keys *k)
{
	struct evtchn_bind_interdomain bind = {
		.remote_dom = bc->frontend,
	};
	struct gntv3_back *back;
	int rc;

	back = gntv3_back_attach(bc->frontend, k->tree_ref);
	if (IS_ERR(back))
		return PTR_ERR(back);
	rc = gntv3_bconn_map_ring(bc, k->ring_ref);
	if (rc)
		goto err_detach;
	bind.remote_port = k->evtchn;
	rc = gntv3_hyp_evtchn_setup(EVTCHNOP_bind_interdomain, &bind);
	if (rc)
		goto err_unmap;
	rc = bind_evtchn_to_irqhandler_lateeoi(bind.local_port,
					       gntv3_bconn_interrupt, 0,
					       "gntv3-back", bc);
	if (rc < 0) {
		gntv3_hyp_evtchn_close(bind.local_port);
		goto err_unmap;
	}
	bc->irq = rc;
	gntv3_ring_init(&bc->ring, page_address(bc->ring_page), false);
	memset(&bc->pend, 0, sizeof(bc->pend));
	bc->back = back;
	/* a fresh attachment: nobody else handed callbacks down yet */
	gntv3_back_set_notifier(back, &gntv3_bconn_notifier, bc);
	bc->connected = true;
	return 0;

err_unmap:
	gntv3_bconn_unmap_ring(bc);
err_detach:
	gntv3_back_detach(back);
	return rc;
}

/* Read the keys, bind and say Connected; under bc->lock. */
static int gntv3_bconn_try_connect(struct gntv3_bconn *bc)
{
	struct gntv3_bconn_read r = { .dir = bc->fdir };
	struct gntv3_back *back;
	int rc;

	rc = gntv3_xs_transaction(gntv3_bconn_read_xbt, &r);
	if (rc)
		return rc;
	rc = gntv3_bconn_bind(bc, &r.keys);
	if (rc)
		return rc;
	rc = gntv3_bconn_write_state(bc, XenbusStateConnected);
	if (rc) {
		back = bc->back;
		gntv3_bconn_disconnect(bc);
		/* @bc is the caller's to free: no detaching event */
		gntv3_back_set_notifier(back, NULL, NULL);
		bc->back = NULL;
		gntv3_back_detach(back);
		return rc;
	}
	return 0;
}

static void gntv3_bconn_free(struct gntv3_bconn *bc)
{
	kfree(bc->bdir);
	kfree(bc->fdir);
	mutex_destroy(&bc->lock);
	kfree(bc);
}

/*
 * One backend connection per frontend connection: a second one would share
 * our xenstore directory, and whichever went first would remove it under
 * the other.  An owner whose frontend went away (and came back, e.g. after
 * its module was reloaded) detaches the old attachment before connecting
 * again.
 */
static int gntv3_bconn_register(struct gntv3_bconn *bc)
{
	struct gntv3_bconn *other;
	int rc = 0;

	mutex_lock(&gntv3_bconns_lock);
	list_for_each_entry(other, &gntv3_bconns, node) {
		if (other->fdir && other->frontend == bc->frontend &&
		    other->devid == bc->devid) {
			rc = -EBUSY;
			break;
		}
	}
	if (!rc)
		list_add_tail(&bc->node, &gntv3_bconns);
	mutex_unlock(&gntv3_bconns_lock);
	return rc;
}

/**
 * struct gntv3_bconn_hello - gntv3_bconn_announce()'s transaction
 * @bc: the connection
 * @self: our domain id, which the frontend must name
 */
struct gntv3_bconn_hello {
	struct gntv3_bconn *bc;
	domid_t self;
};

static int gntv3_bconn_announce_xbt(struct xenbus_transaction xbt,
				    void *data)
{
	struct gntv3_bconn_hello *h = data;
	struct gntv3_bconn *bc = h->bc;
	u32 backend_id;
	int rc;

	/*
	 * The frontend must exist and name us.  A read that failed for want
	 * of memory says nothing about the frontend: -ENOMEM, not -ENOENT.
	 */
	rc = gntv3_xs_read_u32(xbt, bc->fdir, GNTV3_XS_BACKEND_ID, &backend_id);
	if (rc)
		return rc == -EPROTO || rc == -ENOMEM ? rc : -ENOENT;
	if (backend_id != h->self)
		return -EACCES;
	xenbus_rm(xbt, bc->bdir, "");
	return xenbus_printf(xbt, bc->bdir, GNTV3_XS_FRONTEND_ID, "%u",
			     bc->frontend) ?:
	       gntv3_back_xs_advertise(xbt, bc->bdir) ?:
	       xenbus_printf(xbt, bc->bdir, GNTV3_XS_STATE, "%d",
			     XenbusStateInitWait);
}

static int gntv3_bconn_announce(struct gntv3_bconn *bc, domid_t self)
{
	struct gntv3_bconn_hello h = { .bc = bc, .self = self };

	return gntv3_xs_transaction(gntv3_bconn_announce_xbt, &h);
}

/*
 * Wait for the frontend's Initialised and connect, until @deadline.  An
 * attempt that failed is made again only when the frontend's state changes
 * (it may have published new keys); at the deadline the last attempt's
 * error is the answer, not one more attempt, so that a refused grant or
 * event channel reaches the caller as such.
 */
static int gntv3_bconn_wait_connect(struct gntv3_bconn *bc,
				    unsigned long deadline)
{
	unsigned long events;
	int rc = -ETIMEDOUT;
	long left;

	for (;;) {
		mutex_lock(&bc->lock);
		events = bc->events;
		if (bc->fstate == XenbusStateInitialised) {
			rc = gntv3_bconn_try_connect(bc);
			/*
			 * A permanent refusal ends the wait at once, and so
			 * does a failed allocation: the frontend waits for
			 * us, no event of its would bring a second attempt.
			 */
			if (!rc || rc == -EOPNOTSUPP || rc == -EPROTO ||
			    rc == -ENOMEM) {
				mutex_unlock(&bc->lock);
				return rc;
			}
		}
		mutex_unlock(&bc->lock);
		left = (long)(deadline - jiffies);
		if (left <= 0)
			return rc;
		left = wait_event_interruptible_timeout(bc->wq,
							READ_ONCE(bc->events) != events,
							left);
		if (left < 0)
			return -EINTR;
		if (!left)
			return rc;
	}
}

static struct gntv3_bconn *gntv3_bconn_alloc(domid_t frontend)
{
	struct gntv3_bconn *bc = kzalloc(sizeof(*bc), GFP_KERNEL);

	if (!bc)
		return NULL;
	bc->frontend = frontend;
	mutex_init(&bc->lock);
	init_waitqueue_head(&bc->wq);
	INIT_LIST_HEAD(&bc->reqs);
	INIT_WORK(&bc->state_work, gntv3_bconn_state_work);
	INIT_WORK(&bc->ring_work, gntv3_bconn_ring_work);
	INIT_DELAYED_WORK(&bc->poll, gntv3_bconn_poll_work);
	return bc;
}

/**
 * gntv3_back_connect() - connect to a frontend's tree and ring
 * @frontend: the frontend domain (our own for loopback)
 * @devid: its connection number (see gntv3_front_connect())
 * @timeout_ms: how long to wait for the frontend; 0 means 10 s
 *
 * The standalone connection, for /dev/gntv3 and tests: a xenbus driver
 * reads the same keys from its frontend's device directory instead
 * (gntv3_back_xs_read()) and calls gntv3_back_connect_keys().
 * Announces us in the backend directory below the frontend's, waits for
 * the frontend to publish its keys, validates them, attaches to the tree
 * and connects the ring (see the top of this file).  The result is an
 * ordinary attachment, mapped with gntv3_map() and released with
 * gntv3_back_detach(); its owner should set a revoke handler
 * (gntv3_back_set_revoke_handler()) so that revokes complete.
 *
 * Not from the xenwatch thread (a xenbus driver's otherend_changed or
 * probe callback): the wait below is fed by xenstore watches, which that
 * thread delivers, so it would only ever end by timing out.  Call it from
 * a work item instead.
 *
 * Context: process context, sleeps up to @timeout_ms.
 * Return: the attachment, or an ERR_PTR(): -ENOENT when the frontend has
 * no such connection, -EACCES when it names another backend, -EBUSY while
 * another attachment of this domain is (or was) connected to the same
 * frontend connection and is not detached yet, -ETIMEDOUT,
 * -EINTR, -EOPNOTSUPP for a tree of another transport than ours (or,
 * as gntv3_back_attach(), our own domain's in an auto-translated guest),
 * -EPROTO for bad keys or a bad descriptor, -ENOMEM, or an error of
 * xenstore, the grant or the event channel.
 */
struct gntv3_back *gntv3_back_connect(domid_t frontend, u32 devid,
				      unsigned int timeout_ms)
{
	unsigned long deadline = jiffies +
		msecs_to_jiffies(timeout_ms ? timeout_ms : 10000);
	struct gntv3_bconn *bc;
	domid_t self;
	int rc;

	if (frontend >= DOMID_FIRST_RESERVED)
		return ERR_PTR(-EINVAL);
	rc = gntv3_xs_self_domid(&self);
	if (rc)
		return ERR_PTR(rc);
	bc = gntv3_bconn_alloc(frontend);
	if (!bc)
		return ERR_PTR(-ENOMEM);
	bc->devid = devid;
	bc->fdir = gntv3_conn_frontdir(frontend, devid);
	bc->bdir = bc->fdir ? kasprintf(GFP_KERNEL, "%s/%s", bc->fdir,
					GNTV3_XS_BACKDIR) : NULL;
	if (!bc->bdir) {
		rc = -ENOMEM;
		goto err_free;
	}
	rc = gntv3_bconn_register(bc);
	if (rc)
		goto err_free;
	rc = gntv3_bconn_announce(bc, self);
	if (rc)
		goto err_unregister;
	bc->watch.node = kasprintf(GFP_KERNEL, "%s/%s", bc->fdir,
				   GNTV3_XS_STATE);
	if (!bc->watch.node) {
		rc = -ENOMEM;
		goto err_rm;
	}
	bc->watch.callback = gntv3_bconn_watch;
	rc = register_xenbus_watch(&bc->watch);
	if (rc)
		goto err_node;

	rc = gntv3_bconn_wait_connect(bc, deadline);
	if (rc)
		goto err_watch;
	return bc->back;

err_watch:
	unregister_xenbus_watch(&bc->watch);
	cancel_work_sync(&bc->state_work);
	/*
	 * A connect that failed late unbound the event channel, but its
	 * handler may have queued ring work (which queues the poll) first.
	 */
	cancel_work_sync(&bc->ring_work);
	cancel_delayed_work_sync(&bc->poll);
err_node:
	kfree(bc->watch.node);
err_rm:
	xenbus_rm(XBT_NIL, bc->bdir, "");
err_unregister:
	mutex_lock(&gntv3_bconns_lock);
	list_del(&bc->node);
	mutex_unlock(&gntv3_bconns_lock);
err_free:
	gntv3_bconn_free(bc);
	return ERR_PTR(rc);
}
EXPORT_SYMBOL_GPL(gntv3_back_connect);

/**
 * gntv3_back_connect_keys() - connect to a frontend's tree and ring, as a
 * xenbus driver's frontend published them
 * @frontend: the frontend domain (dev->otherend_id)
 * @keys: from gntv3_back_xs_read() of the frontend's directory
 *
 * For a xenbus backend driver whose frontend said Initialised: attaches to
 * the tree, maps the revoke ring and binds its event channel, at once,
 * writing nothing to xenstore (the driver says Connected in its own state
 * machine afterwards).  The result is an ordinary attachment, as from
 * gntv3_back_connect(): set a revoke handler, map, and
 * gntv3_back_detach() when the frontend goes away or the device is
 * removed.
 *
 * Context: process context, may sleep; fine from the xenwatch thread.
 * Return: the attachment, or an ERR_PTR(): -EINVAL, -EOPNOTSUPP for a
 * tree of another transport than ours, -EPROTO for a bad descriptor,
 * -ENOMEM, or an error of the grant or the event channel.
 */
struct gntv3_back *gntv3_back_connect_keys(domid_t frontend,
					   const struct gntv3_xs_keys *keys)
{
	struct gntv3_bconn *bc;
	int rc;

	if (frontend >= DOMID_FIRST_RESERVED || !keys || !keys->version ||
	    keys->version > GNTV3_ABI_VERSION)
		return ERR_PTR(-EINVAL);
	/* gntv3_back_xs_read() checked this too; @keys may come from elsewhere */
	if (keys->native != gntv3_grantee_is_native())
		return ERR_PTR(-EOPNOTSUPP);
	bc = gntv3_bconn_alloc(frontend);
	if (!bc)
		return ERR_PTR(-ENOMEM);
	mutex_lock(&bc->lock);
	rc = gntv3_bconn_bind(bc, keys);
	mutex_unlock(&bc->lock);
	if (rc) {
		/* a late failure's irq may have queued ring work */
		cancel_work_sync(&bc->ring_work);
		cancel_delayed_work_sync(&bc->poll);
		gntv3_bconn_free(bc);
		return ERR_PTR(rc);
	}
	mutex_lock(&gntv3_bconns_lock);
	list_add_tail(&bc->node, &gntv3_bconns);
	mutex_unlock(&gntv3_bconns_lock);
	return bc->back;
}
EXPORT_SYMBOL_GPL(gntv3_back_connect_keys);

/*
 * &gntv3_back_notifier.detaching: detach's first step, let go of the ring.
 *
 * Releases the event channel and the ring page and drops pending requests
 * (the frontend's timeout decides about them); a standalone connection
 * also says Closed and removes its backend directory.
 */
static void gntv3_bconn_detaching(struct gntv3_back *back, void *data)
{
	struct gntv3_bconn *bc = data;

	/* no mappings_gone event after this; the poll is cancelled below */
	mutex_lock(&gntv3_bconns_lock);
	list_del(&bc->node);
	mutex_unlock(&gntv3_bconns_lock);

	if (bc->fdir) {
		unregister_xenbus_watch(&bc->watch);
		cancel_work_sync(&bc->state_work);
	}
	mutex_lock(&bc->lock);
	gntv3_bconn_disconnect(bc);
	mutex_unlock(&bc->lock);
	cancel_work_sync(&bc->ring_work);
	cancel_delayed_work_sync(&bc->poll);
	if (bc->bdir)
		xenbus_rm(XBT_NIL, bc->bdir, "");
	kfree(bc->watch.node);
	gntv3_bconn_free(bc);
}

/**
 * gntv3_back_connected() - is the ring of an attachment usable
 * @back: the attachment
 *
 * Context: process context, may sleep.
 * Return: true while connected to the frontend; false for an attachment
 * made by gntv3_back_attach() or one whose frontend went away.
 */
bool gntv3_back_connected(struct gntv3_back *back)
{
	struct gntv3_bconn *bc = back ?
		gntv3_back_notifier_data(back, &gntv3_bconn_notifier) : NULL;
	bool connected;

	if (!bc)
		return false;
	mutex_lock(&bc->lock);
	connected = bc->connected;
	mutex_unlock(&bc->lock);
	return connected;
}
EXPORT_SYMBOL_GPL(gntv3_back_connected);

/**
 * gntv3_back_notify_unmapped() - tell the frontend we dropped some ids
 * @back: the attachment, from gntv3_back_connect()
 * @id: first id
 * @nr_ids: number of ids
 *
 * The frontend retries its quarantine at once instead of at its next
 * periodic retry, so grants it ended while we mapped them are released
 * sooner.
 *
 * Context: process context, may sleep.
 * Return: 0, -EINVAL for a bad range, -ENOTCONN without a connected ring,
 * -EPROTO when the frontend broke the ring (a corrupt index), -EBUSY when
 * GNTV3_RING_SLOTS notifications wait for their ACK.  On error nothing
 * waits for an ACK.
 */
int gntv3_back_notify_unmapped(struct gntv3_back *back, gntv3_id_t id,
			       u32 nr_ids)
{
	struct gntv3_bconn *bc = back ?
		gntv3_back_notifier_data(back, &gntv3_bconn_notifier) : NULL;
	struct gntv3_ring_msg m;
	int rc, slot;

	if (gntv3_ring_check_range(id, nr_ids))
		return -EINVAL;
	if (!bc)
		return -ENOTCONN;
	mutex_lock(&bc->lock);
	if (!bc->connected) {
		rc = -ENOTCONN;
		goto out;
	}
	if (bc->ring.broken) {
		rc = -EPROTO;
		goto out;
	}
	if (!gntv3_ring_req_space(&bc->ring)) {
		rc = -EBUSY;
		goto out;
	}
	do {
		gntv3_ring_make_req(&m, GNTV3_RING_OP_UNMAPPED, id, nr_ids,
				    bc->next_cookie++);
		slot = gntv3_ring_pending_add(&bc->pend, &m);
	} while (slot == -EEXIST);
	if (slot < 0) {
		rc = -EBUSY;
		goto out;
	}
	rc = gntv3_ring_put_req(&bc->ring, &m);
	if (rc) {
		/* no ACK will come for it */
		gntv3_ring_pending_del(&bc->pend, slot);
		if (rc == -ENOSPC)
			rc = -EBUSY;
		goto out;
	}
	atomic64_inc(&gntv3_conn_cnt.unmapped_tx);
	notify_remote_via_irq(bc->irq);
out:
	mutex_unlock(&bc->lock);
	return rc;
}
EXPORT_SYMBOL_GPL(gntv3_back_notify_unmapped);

/**
 * gntv3_bconn_show() - one debugfs line per backend connection
 * @s: the seq_file of debugfs "conn"
 */
void gntv3_bconn_show(struct seq_file *s)
{
	struct gntv3_bconn *bc;

	mutex_lock(&gntv3_bconns_lock);
	list_for_each_entry(bc, &gntv3_bconns, node) {
		mutex_lock(&bc->lock);
		/* a driver's connection has no directory of its own */
		seq_printf(s, "back: %s frontend: %u fstate: %d connected: %d done: %llu ignored: %llu malformed: %llu pending: %zu\n",
			   bc->bdir ?: "-", bc->frontend, bc->fstate, bc->connected,
			   bc->done, bc->ignored, bc->malformed,
			   list_count_nodes(&bc->reqs));
		mutex_unlock(&bc->lock);
	}
	mutex_unlock(&gntv3_bconns_lock);
}
