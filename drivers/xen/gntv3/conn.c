// SPDX-License-Identifier: GPL-2.0-only
/*
 * gntv3 connections: what the frontend half (conn_front.c) and the backend
 * half (conn_back.c) share: counters, the workqueue, xenstore paths and the
 * show function of the debugfs file "conn" (debugfs.c creates the files).
 */

#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/workqueue.h>
#include <xen/xen.h>
#include <xen/xenbus.h>

#include "conn.h"
#include "internal.h"

struct gntv3_conn_counters gntv3_conn_cnt;

/*
 * Fault injection (debugfs back_ignore_revokes, 0 by default): non-zero
 * makes every backend drop REVOKE and DOWNGRADE requests unanswered (the
 * frontend's timeout path).
 */
u32 gntv3_back_ignore_revokes;

/* Runs the state machines, ring processing and revoke polling. */
static struct workqueue_struct *gntv3_cwq;

/**
 * gntv3_conn_wq() - the workqueue of every connection
 *
 * Return: the workqueue, valid between gntv3_conn_init() and
 * gntv3_conn_exit().
 */
struct workqueue_struct *gntv3_conn_wq(void)
{
	return gntv3_cwq;
}

/**
 * gntv3_conn_frontdir() - xenstore directory of one frontend connection
 * @frontend: the frontend domain
 * @devid: the connection number, chosen by the frontend
 *
 * Return: "/local/domain/<frontend>/data/gntv3/<devid>", kmalloc()ed, or
 * NULL.
 */
char *gntv3_conn_frontdir(domid_t frontend, u32 devid)
{
	return kasprintf(GFP_KERNEL, "/local/domain/%u/%s/%u", frontend,
			 GNTV3_XS_ROOT, devid);
}

/**
 * gntv3_conn_show() - the debugfs file "conn" (created by debugfs.c)
 * @s: its seq_file
 * @unused: unused
 *
 * Return: 0.
 */
int gntv3_conn_show(struct seq_file *s, void *unused)
{
	struct gntv3_revoke_counters *r = &gntv3_revoke_cnt;
	struct gntv3_conn_counters *c = &gntv3_conn_cnt;

	seq_printf(s, "revokes_sent: %lld\ndowngrades_sent: %lld\nacked: %lld\n",
		   atomic64_read(&c->revokes_sent),
		   atomic64_read(&c->downgrades_sent), atomic64_read(&r->acked));
	seq_printf(s, "nacked: %lld\ntimed_out: %lld\ndead: %lld\n",
		   atomic64_read(&r->nacked), atomic64_read(&r->timed_out),
		   atomic64_read(&r->dead));
	seq_printf(s, "dead_quarantined: %lld\nforced: %lld\nlate_acks: %lld\n",
		   atomic64_read(&r->dead_quarantined),
		   atomic64_read(&r->forced), atomic64_read(&c->late_acks));
	seq_printf(s, "malformed: %lld\nbad_index: %lld\nunmapped_rx: %lld\n",
		   atomic64_read(&c->malformed), atomic64_read(&c->bad_index),
		   atomic64_read(&c->unmapped_rx));
	seq_printf(s, "unmapped_tx: %lld\nback_done: %lld\nback_ignored: %lld\n",
		   atomic64_read(&c->unmapped_tx), atomic64_read(&c->back_done),
		   atomic64_read(&c->back_ignored));
	seq_printf(s, "resets: %lld\nforgets_sent: %lld\nback_forgets: %lld\nforget_acks: %lld\n",
		   atomic64_read(&c->resets), atomic64_read(&c->forgets_sent),
		   atomic64_read(&c->back_forgets),
		   atomic64_read(&c->forget_acks));
	gntv3_fconn_show(s);
	gntv3_bconn_show(s);
	return 0;
}

/**
 * gntv3_conn_init() - set up the connection code at module load
 *
 * Return: 0 or -ENOMEM.
 */
int gntv3_conn_init(void)
{
	gntv3_cwq = alloc_workqueue("gntv3_conn", WQ_UNBOUND, 0);
	return gntv3_cwq ? 0 : -ENOMEM;
}

/**
 * gntv3_conn_exit() - module unload
 *
 * Called after every attachment was detached (which tears backend
 * connections down) and before the fronts are released: frontend
 * connections a kernel user left behind are torn down here.
 */
void gntv3_conn_exit(void)
{
	gntv3_fconn_exit();
	destroy_workqueue(gntv3_cwq);
}
