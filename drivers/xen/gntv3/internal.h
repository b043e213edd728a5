/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * gntv3 module internals shared between its files.
 *
 * Lock order: gntv3_fronts_lock, then a front's &gntv3_front.lock.
 */
#ifndef _GNTV3_INTERNAL_H
#define _GNTV3_INTERNAL_H

#include <linux/atomic.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/types.h>
#include <linux/workqueue.h>
#include <xen/gntv3.h>
#include <xen/interface/grant_table_v3.h>

#include "idalloc.h"
#include "transport.h"
#include "tree.h"

struct dentry;
struct page;

/* ---- module state, main.c; set before any other part starts ---- */

/* The transport picked at load; never changes afterwards. */
extern const struct gntv3_transport_ops *gntv3_transport;
/* Result of gntv3_transport_probe() at load (-ENOSYS on stock Xen). */
extern int gntv3_probe_rc;
/* Module parameter: delay between retries of quarantined grants and pages. */
extern unsigned int gntv3_quarantine_retry_ms;

/**
 * struct gntv3_global_stats - module-wide frontend counters (atomics, no lock)
 * @nr_trees: trees created and not destroyed yet
 * @nr_quarantined: grants ended while still mapped, not released yet
 * @nr_failures: transport failures: a grant, table page or descriptor the
 *	transport could not set up (a quarantine is not a failure: it is
 *	counted in @nr_quarantined)
 * @nr_leaked: grants and pages the backend still mapped at module unload,
 *	deliberately never freed
 */
struct gntv3_global_stats {
	atomic_long_t nr_trees;
	atomic_long_t nr_quarantined;
	atomic_long_t nr_failures;
	atomic_long_t nr_leaked;
};

extern struct gntv3_global_stats gntv3_stats;

/* ---- frontend, frontend.c and grant.c ---- */

/**
 * struct gntv3_front_conn_ops - what a front's connection does for it
 * @send: carry one REVOKE (or with @downgrade a DOWNGRADE) of the ids
 *	@id .. @id + @nr_ids - 1 to the backend and wait for its answer
 *	until @deadline (jiffies); returns true with the answer's GNTST_*
 *	status in @status, false without an answer (no ring, timeout, reset,
 *	a broken ring); may sleep
 * @forget: put a FORGET of the ids @id .. @id + @nr_ids - 1 on the ring
 *	if there is room, without waiting: the grants were ended while the
 *	backend still mapped them (gntv3_front_forget()); may sleep
 * @destroying: gntv3_front_destroy() runs: tear the connection down; the
 *	front no longer knows it
 *
 * Handed down by the connection (conn_front.c) when it binds to a front;
 * the frontend and gntv3_revoke() never call the connection by name.
 */
struct gntv3_front_conn_ops {
	bool (*send)(void *conn, bool downgrade, gntv3_id_t id, u32 nr_ids,
		     unsigned long deadline, s16 *status);
	void (*forget)(void *conn, gntv3_id_t id, u32 nr_ids);
	void (*destroying)(void *conn);
};

/* Freed grant records a front keeps for its next grants (frontend.c). */
#define GNTV3_REC_POOL_MAX	512

/**
 * struct gntv3_front - the grant tree a frontend keeps for one backend
 * @kref: one reference held by the creator until gntv3_front_destroy(), one
 *	by the quarantine while @qref is set; the last put unlinks @node and
 *	frees the front
 * @node: entry in gntv3_fronts, protected by gntv3_fronts_lock
 * @backend: the backend (grantee) domain; constant
 * @tree_ref: what the backend attaches with, from
 *	&gntv3_transport_ops.tree_ref; constant
 * @retry: delayed work retrying @quarantine, @qpages and the descriptor
 * @lock: protects every field below, the tree's pages and every grant
 *	record of this front
 * @tree: the grant tree (tree.c); its ops are called with @lock held
 * @ida: grant id allocator
 * @spare: grant references set aside for the next 4 KiB grants (v1),
 *	given back at teardown or module unload; not in @nr_refs
 * @desc_page: the descriptor page (struct gntv3_tree_desc), NULL once it
 *	was released at teardown
 * @desc: kernel address of @desc_page
 * @registered: the descriptor is registered with the hypervisor (native)
 * @rec_pool: freed grant records kept for the next grants, an array of
 *	GNTV3_REC_POOL_MAX
 * @nr_rec_pool: how many
 * @nr_records: grant records of this front's grants, out of @rec_pool and
 *	not freed (&gntv3_front_stats.record_bytes)
 * @quarantine: grants ended while the backend still mapped them
 * @qpages: table pages the backend still mapped when the tree dropped
 *	them, linked through page->lru
 * @qref: the quarantine holds a reference on @kref (something is pending)
 * @dead: gntv3_front_destroy() succeeded; no new grant is accepted
 * @torn_down: tree, ids and descriptor were released (or are pending in
 *	@qpages and @desc_page)
 * @shutdown: module unload is draining this front; @retry stays idle
 * @nr_grants: active grants
 * @nr_quarantined: grants on @quarantine
 * @nr_qpages: pages on @qpages
 * @nr_refs: grant references held through the transport (grants, tables,
 *	descriptor; v1 references, none with the native transport)
 * @nr_failures: transport failures, see &gntv3_front_stats.nr_failures
 * @conn_ops: what the front's connection (conn_front.c) does for it, or
 *	NULL without a connection
 * @conn: the connection, the argument of @conn_ops
 */
struct gntv3_front {
	struct kref kref;
	struct list_head node;
	domid_t backend;
	grant_ref_t tree_ref;
	struct delayed_work retry;

	/* Protects everything below, see the kernel-doc above. */
	struct mutex lock;
	struct gntv3_tree tree;
	struct gntv3_ida ida;
	struct gntv3_xspare spare;
	struct page *desc_page;
	struct gntv3_tree_desc *desc;
	bool registered;
	struct gntv3_grant **rec_pool;
	unsigned int nr_rec_pool;
	u64 nr_records;
	struct list_head quarantine;
	struct list_head qpages;
	bool qref;
	bool dead;
	bool torn_down;
	bool shutdown;
	u64 nr_grants;
	u64 nr_quarantined;
	u64 nr_qpages;
	u64 nr_refs;
	u64 nr_failures;
	const struct gntv3_front_conn_ops *conn_ops;
	void *conn;
};

/**
 * struct gntv3_grant - one grant of a front
 * @first_id: first id of the grant
 * @page: the first granted page: of a whole folio of the grant's order, or
 *	(a 4 KiB grant) one page of a larger folio; gntv3 holds a reference
 *	on its folio until the backend's access to every piece ended
 * @qnode: entry in &gntv3_front.quarantine while quarantined
 * @xg: transport state, also the grant's page order (&gntv3_xgrant.order:
 *	0, 9 or 18; gntv3_xgrant_pieces())
 * @readonly: the backend may only read
 * @installed: the leaf is in the tree and the ids belong to this record
 *	(false only for a grant whose install failed and whose frames could
 *	not be taken back at once)
 * @state: GNTV3_STATE_ACTIVE, GNTV3_STATE_REVOKING or
 *	GNTV3_STATE_QUARANTINED
 *
 * Protected by the front's lock.  Every grant has one, so it is kept to
 * the 64-byte kmalloc() bucket on 64-bit (see gntv3_front_init()): the
 * small fields come last.
 */
struct gntv3_grant {
	gntv3_id_t first_id;
	struct page *page;
	struct list_head qnode;
	struct gntv3_xgrant xg;
	bool readonly;
	bool installed;
	enum gntv3_grant_state state;
};

/* Every front that is not freed yet, destroyed ones included. */
extern struct mutex gntv3_fronts_lock;
extern struct list_head gntv3_fronts;

void gntv3_front_stats_locked(struct gntv3_front *front,
			      struct gntv3_front_stats *stats);
int gntv3_front_init(void);
void gntv3_front_exit(void);
int gntv3_front_revoke_begin(struct gntv3_front *front, gntv3_id_t id,
			     bool downgrade, u32 *nr_ids);
int gntv3_front_revoke_end(struct gntv3_front *front, gntv3_id_t id,
			   bool downgrade, bool acked, bool *quarantined);
void gntv3_front_retry_now(struct gntv3_front *front);
void gntv3_front_forget(struct gntv3_front *front, gntv3_id_t id, u32 nr_ids);
void gntv3_front_unlock(struct gntv3_front *front);
void gntv3_front_free_ids(struct gntv3_front *front, gntv3_id_t first, u64 nr);
int gntv3_grant_end(struct gntv3_front *front, struct gntv3_grant *g);
int gntv3_grant_one(struct gntv3_front *front, struct page *page,
		    unsigned int order, int size, bool ro, gntv3_id_t id);

/* ---- revoke, revoke.c ---- */

/**
 * struct gntv3_revoke_counters - outcomes of gntv3_revoke(), module-wide
 * (debugfs "conn"); atomics, no lock
 * @acked: requests the backend acknowledged with GNTST_okay
 * @nacked: requests the backend answered with an error status
 * @timed_out: requests that got no answer in time (or whose connection
 *	went away first, or that had no connection)
 * @dead: grants marked dead (revoked without the backend's ACK)
 * @dead_quarantined: of those, grants whose pages the backend still
 *	mapped, now quarantined
 * @forced: dead grants taken back with GNTTABOP_v3_revoke and a scratch
 *	page (native transport only)
 */
struct gntv3_revoke_counters {
	atomic64_t acked;
	atomic64_t nacked;
	atomic64_t timed_out;
	atomic64_t dead;
	atomic64_t dead_quarantined;
	atomic64_t forced;
};

extern struct gntv3_revoke_counters gntv3_revoke_cnt;

/* ---- xenstore helpers, xenbus.c ---- */

int gntv3_xs_self_domid(domid_t *domid);
int gntv3_xs_write_keys(struct xenbus_transaction xbt, const char *dir,
			const struct gntv3_xs_keys *keys);
void gntv3_xs_remove_keys(struct xenbus_transaction xbt, const char *dir);

/* ---- debugfs.c ---- */

void gntv3_debugfs_init(void);
void gntv3_debugfs_exit(void);
struct dentry *gntv3_debugfs_root(void);

/* ---- /dev/gntv3, dev.c ---- */

int gntv3_dev_init(void);
void gntv3_dev_exit(void);

/* ---- backend, attach.c ---- */

int gntv3_back_init(void);
void gntv3_back_exit(void);

#endif /* _GNTV3_INTERNAL_H */
