/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * gntv3 frontend/backend connection: the revoke/notification ring and how
 * it reaches the peer through xenstore.  conn_front.c is the frontend half
 * (it owns the ring page and the event channel; conn_front_xs.c its
 * xenstore side), conn_back.c the backend half, conn.c what both share
 * (counters, the debugfs show function, workqueue).  The connection sits
 * on top of the core: it calls down and hands its callbacks down
 * (struct gntv3_front_conn_ops, struct gntv3_back_notifier); the revoke
 * sequence itself is revoke.c's.
 *
 * A xenbus driver keeps the keys in its own device directory and runs its
 * own state machine (xenbus.c, gntv3_front_xs_publish(),
 * gntv3_back_connect_keys()).  The standalone connection of
 * gntv3_front_connect() and gntv3_back_connect(), for /dev/gntv3 and
 * tests, has this layout, everything under the frontend domain F's own
 * tree so that
 * F can write its keys and read the backend's (Linux offers no way to set
 * xenstore permissions from the kernel, so a backend directory in the
 * backend's tree could not be made readable for F):
 *
 *   /local/domain/F/data/gntv3/<devid>/          written by F
 *	backend-id, state, gntv3-version, gntv3-transport, gntv3-tree-ref,
 *	gntv3-ring-ref, gntv3-event-channel
 *   /local/domain/F/data/gntv3/<devid>/backend/  written by the backend
 *	frontend-id, state, feature-gntv3
 *
 * The backend must therefore be privileged (dom0), or the toolstack must
 * create the backend directory writable for it.
 */
#ifndef _GNTV3_CONN_H
#define _GNTV3_CONN_H

#include <linux/atomic.h>
#include <linux/types.h>
#include <xen/gntv3.h>

struct gntv3_back;
struct gntv3_bconn;
struct gntv3_front;
struct seq_file;

#define GNTV3_XS_ROOT		"data/gntv3"	/* below /local/domain/<F> */
#define GNTV3_XS_BACKDIR	"backend"	/* below the frontend dir */
#define GNTV3_XS_STATE		"state"
#define GNTV3_XS_BACKEND_ID	"backend-id"
#define GNTV3_XS_FRONTEND_ID	"frontend-id"

/**
 * struct gntv3_conn_counters - module-wide connection counters (debugfs
 * "conn", GNTV3_IOC_CONN_STATS); atomics, no lock
 * @revokes_sent: REVOKE requests put on a ring
 * @downgrades_sent: DOWNGRADE requests put on a ring
 * @late_acks: ACKs that arrived after their request timed out
 * @malformed: malformed messages dropped, both sides
 * @bad_index: corrupt ring indices seen, both sides (the ring is broken)
 * @unmapped_rx: UNMAPPED notifications received by frontends
 * @unmapped_tx: UNMAPPED notifications sent by backends
 * @back_done: REVOKE/DOWNGRADE requests a backend carried out and ACKed
 * @back_ignored: requests a backend ignored (fault injection)
 * @forgets_sent: FORGET requests put on a ring (grants ended while mapped)
 * @back_forgets: FORGET requests a backend carried out and ACKed
 * @forget_acks: ACKs of FORGET requests frontends received
 * @resets: frontend rings torn down and re-created (backend went away)
 */
struct gntv3_conn_counters {
	atomic64_t revokes_sent;
	atomic64_t downgrades_sent;
	atomic64_t late_acks;
	atomic64_t malformed;
	atomic64_t bad_index;
	atomic64_t unmapped_rx;
	atomic64_t unmapped_tx;
	atomic64_t back_done;
	atomic64_t back_ignored;
	atomic64_t resets;
	atomic64_t forgets_sent;
	atomic64_t back_forgets;
	atomic64_t forget_acks;
};

extern struct gntv3_conn_counters gntv3_conn_cnt;

/* Fault injection knobs (debugfs), see conn.c. */
extern u32 gntv3_back_ignore_revokes;

/* conn.c */
int gntv3_conn_init(void);
void gntv3_conn_exit(void);
struct workqueue_struct *gntv3_conn_wq(void);
int gntv3_conn_show(struct seq_file *s, void *unused);
char *gntv3_conn_frontdir(domid_t frontend, u32 devid);

/* conn_front.c */
void gntv3_fconn_show(struct seq_file *s);
int gntv3_fconn_inject(u32 what);
void gntv3_fconn_exit(void);

/* conn_back.c */
void gntv3_bconn_show(struct seq_file *s);

#endif /* _GNTV3_CONN_H */
