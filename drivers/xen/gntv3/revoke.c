// SPDX-License-Identifier: GPL-2.0-only
/*
 * gntv3 revoke: take a grant back, or make it read-only, with the
 * backend's cooperation.
 *
 * The sequence lives here, with the frontend: the tree's leaf changes
 * first (gntv3_front_revoke_begin(), frontend.c), the front's connection
 * carries one request and its answer (&gntv3_front_conn_ops.send, handed
 * down by conn_front.c), and the grant is ended or made read-only
 * (gntv3_front_revoke_end()).  The connection knows nothing of grants;
 * the frontend knows nothing of rings.  See Documentation/gntv3/revoke.rst
 * for the whole sequence, both domains.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/jiffies.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <xen/gntv3.h>

#include "internal.h"
#include "trace.h"

static unsigned int revoke_timeout_ms = 5000;
module_param(revoke_timeout_ms, uint, 0644);
MODULE_PARM_DESC(revoke_timeout_ms,
		 "Default time a backend has to acknowledge a revoke or downgrade before the grant is declared dead (ms)");

struct gntv3_revoke_counters gntv3_revoke_cnt;

/**
 * gntv3_revoke() - take a grant back, or make it read-only, with the
 * backend's cooperation
 * @front: the tree
 * @id: first id of an active grant
 * @flags: GNTV3_REVOKE_F_DOWNGRADE to take only write access away
 * @timeout_ms: how long the backend has to acknowledge; 0 for the
 *	revoke_timeout_ms module parameter (5 s by default)
 *
 * The backend can make no new mapping (no writable one for a downgrade) as
 * soon as this starts.  A REVOKE or DOWNGRADE request then goes over the
 * connection's ring (whatever connection the front has: the standalone
 * one of gntv3_front_connect() or a driver's, gntv3_front_xs_publish());
 * the backend unmaps through its safe unmap path (which waits for its own
 * users of the pages) and acknowledges.  Then a revoked
 * grant is ended like gntv3_end_grant() does, its memory released; a
 * downgraded grant stays, read-only.
 *
 * Without an acknowledgment in time (no connection, a backend that does
 * not answer or answers with an error, a connection reset, a corrupt ring)
 * the grant is dead: it is ended without the backend's cooperation (on a
 * native v3 hypervisor with a scratch page redirect), and every page the
 * backend may still map stays quarantined, never freed nor reused, until it
 * lets go.  The caller must forget a dead grant, as after gntv3_end_grant().
 *
 * Must not run concurrently with gntv3_front_disconnect() or
 * gntv3_front_destroy() of @front; may run concurrently with other
 * revokes.
 *
 * Better not from the xenwatch thread (a xenbus driver's otherend_changed
 * or probe callback): the ACK comes through the event channel, but a
 * backend that went away is noticed through a xenstore watch, which that
 * thread delivers, so a revoke to a vanished backend would wait for its
 * whole @timeout_ms.  Call it from a work item instead.
 *
 * Context: process context, sleeps up to @timeout_ms.
 * Return: GNTV3_REVOKE_DONE, GNTV3_REVOKE_DEAD, or -EINVAL (bad flags, an
 * id inside a grant), -ENOENT (no such grant), -EALREADY (the grant is
 * being revoked or is quarantined already).  A downgrade of a read-only
 * grant is GNTV3_REVOKE_DONE at once.
 */
int gntv3_revoke(struct gntv3_front *front, gntv3_id_t id,
		 unsigned int flags, unsigned int timeout_ms)
{
	bool downgrade = flags & GNTV3_REVOKE_F_DOWNGRADE;
	unsigned long deadline;
	const struct gntv3_front_conn_ops *ops;
	bool answered = false, quarantined;
	s16 status = 0;
	void *conn;
	u32 nr_ids;
	int rc;

	if (!front || (flags & ~GNTV3_REVOKE_F_DOWNGRADE))
		return -EINVAL;
	if (!timeout_ms)
		timeout_ms = READ_ONCE(revoke_timeout_ms);
	deadline = jiffies + msecs_to_jiffies(timeout_ms);

	rc = gntv3_front_revoke_begin(front, id, downgrade, &nr_ids);
	if (rc)
		return rc < 0 ? rc : GNTV3_REVOKE_DONE;

	/* the connection only carries the request and its answer */
	mutex_lock(&front->lock);
	ops = front->conn_ops;
	conn = front->conn;
	mutex_unlock(&front->lock);
	trace_gntv3_revoke_sent(gntv3_front_backend(front), id, nr_ids,
				downgrade, 0);
	if (ops)
		answered = ops->send(conn, downgrade, id, nr_ids, deadline,
				     &status);
	trace_gntv3_revoke_acked(gntv3_front_backend(front), id, nr_ids,
				 downgrade, answered ? status : 1);
	if (!answered)
		atomic64_inc(&gntv3_revoke_cnt.timed_out);
	else if (status == GNTST_okay)
		atomic64_inc(&gntv3_revoke_cnt.acked);
	else
		atomic64_inc(&gntv3_revoke_cnt.nacked);

	rc = gntv3_front_revoke_end(front, id, downgrade,
				    answered && status == GNTST_okay,
				    &quarantined);
	if (rc == GNTV3_REVOKE_DEAD) {
		atomic64_inc(&gntv3_revoke_cnt.dead);
		if (quarantined)
			atomic64_inc(&gntv3_revoke_cnt.dead_quarantined);
		pr_info_ratelimited("domain %u: grant %#llx is dead (%s)%s\n",
				    gntv3_front_backend(front), id,
				    !answered ? "no answer" : "refused",
				    quarantined ? ", quarantined" : "");
	}
	return rc;
}
EXPORT_SYMBOL_GPL(gntv3_revoke);

/**
 * gntv3_front_forget() - tell the backend that grants it maps were ended
 * @front: the tree
 * @id: first id of the grants
 * @nr_ids: their length
 *
 * Called after gntv3_end_grant() quarantined a grant: the backend may only
 * be keeping it mapped for reuse (its mapping cache, GNTV3_MAP_F_CACHE).
 * A FORGET on the connection's ring, if the front has one with room, asks
 * it to let go; its ACK retries the quarantine at once.  Nothing waits:
 * without a connection, or with a full ring, the grant stays quarantined
 * until the backend unmaps it some other way.
 *
 * Context: process context, may sleep; not under @front's lock.
 */
void gntv3_front_forget(struct gntv3_front *front, gntv3_id_t id, u32 nr_ids)
{
	const struct gntv3_front_conn_ops *ops;
	void *conn;

	mutex_lock(&front->lock);
	ops = front->conn_ops;
	conn = front->conn;
	mutex_unlock(&front->lock);
	if (ops && ops->forget)
		ops->forget(conn, id, nr_ids);
}
