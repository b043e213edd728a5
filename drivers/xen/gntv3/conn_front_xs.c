// SPDX-License-Identifier: GPL-2.0-only
/*
 * gntv3 frontend connection, xenstore side: how the ring of conn_front.c
 * reaches the backend.
 *
 * Bound to a xenbus driver (gntv3_front_xs_publish()): the keys go into the
 * driver's own device directory, in its transaction, and the driver's one
 * state machine says when the backend connected (gntv3_front_ring_up())
 * or left (gntv3_front_ring_down()).  Nothing here writes a state then.
 *
 * Standalone (gntv3_front_connect(), for /dev/gntv3 and tests): our own
 * state machine in data/gntv3/<devid> (our "state" key; the backend's is
 * read from <dir>/backend/state, see conn.h for the layout):
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
 * reset and a fresh page and event channel are made: the state goes back
 * to Initialising, ready for the next backend.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/err.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <xen/grant_table.h>
#include <xen/xenbus.h>

#include "conn.h"
#include "conn_front.h"
#include "internal.h"

static void gntv3_fconn_watch(struct xenbus_watch *watch, const char *path,
			      const char *token)
{
	struct gntv3_fconn *c = container_of(watch, struct gntv3_fconn, watch);

	queue_work(gntv3_conn_wq(), &c->state_work);
}

/* ---- standalone: our own state machine ---- */

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

void gntv3_fconn_state_work(struct work_struct *work)
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
