/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * gntv3 frontend connection, shared by its two files: conn_front.c (the
 * ring, its requests, teardown) and conn_front_xs.c (how the ring reaches
 * the backend through xenstore).
 */
#ifndef _GNTV3_CONN_FRONT_H
#define _GNTV3_CONN_FRONT_H

#include <linux/completion.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <xen/gntv3.h>
#include <xen/xenbus.h>

#include "ring.h"

struct gntv3_front;

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
 * @irqs: bumped by the interrupt, which also wakes @wq, so that a request
 *	waiting for its ACK can drain the ring itself; read without @lock
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
	unsigned long irqs;

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

/* conn_front.c */
void gntv3_fconn_event(struct gntv3_fconn *c);
int gntv3_fconn_ring_create(struct gntv3_fconn *c);
void gntv3_fconn_ring_release(struct gntv3_fconn *c);
int gntv3_fconn_write_state(struct gntv3_fconn *c, enum xenbus_state state);
void gntv3_fconn_keys(struct gntv3_fconn *c, unsigned int version,
		      struct gntv3_xs_keys *keys);
void gntv3_fconn_reset(struct gntv3_fconn *c);
struct gntv3_fconn *gntv3_fconn_alloc(struct gntv3_front *front);
void gntv3_fconn_free(struct gntv3_fconn *c);
int gntv3_fconn_reserve(struct gntv3_front *front, struct gntv3_fconn *c);
void gntv3_fconn_link(struct gntv3_fconn *c);
void gntv3_fconn_set(struct gntv3_front *front, struct gntv3_fconn *c);

/* conn_front_xs.c */
void gntv3_fconn_state_work(struct work_struct *work);

#endif /* _GNTV3_CONN_FRONT_H */
