// SPDX-License-Identifier: GPL-2.0-only
/*
 * gntv3 frontend: granting pages and folios to a backend through a grant
 * tree.
 *
 * Each struct gntv3_front owns a tree (tree.c), an id allocator (idalloc.c)
 * and a descriptor page, all serialised by its mutex.  Every grant is a
 * struct gntv3_grant record, found through the tree (the leaf's priv).
 * This file keeps the fronts, their tables, the grant records, revocation
 * and the quarantine; the granting API is in grant.c.
 *
 * Ending access (the XSA-396 rule): the frames of a grant and a table page
 * are reused only once the transport ended the backend's access to every
 * 4 KiB piece of them.  Until then the grant is quarantined: its leaf stays,
 * marked revoked (GNTV3_TREE_REVOKED) so that no new mapping is made, and
 * its ids, grant references and folio reference are kept.  A delayed work retries
 * every quarantine_retry_ms and releases what ended.  A front that is
 * destroyed while something is quarantined lives on until that drained; at
 * module unload whatever the backend still maps is leaked on purpose.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/err.h>
#include <linux/export.h>
#include <linux/jiffies.h>
#include <linux/minmax.h>
#include <linux/sched.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <asm/barrier.h>
#include <xen/interface/xen.h>

#include "internal.h"

/* Protects gntv3_fronts (the list, not the fronts on it). */
DEFINE_MUTEX(gntv3_fronts_lock);
LIST_HEAD(gntv3_fronts);

/* Runs the retry works; destroyed at unload after every front drained. */
static struct workqueue_struct *gntv3_front_wq;

/*
 * Bytes a grant record really takes: the kmalloc() bucket of its size,
 * what ksize() of a record answers.  Set at load.
 */
static size_t gntv3_rec_size;

/*
 * Bytes a table of a tree takes: its page and the granter's node of it
 * (tree.c's, at its kmalloc() bucket); and the array of per-entry pointers
 * a table gets once it holds a second entry.  Set at load.
 */
static size_t gntv3_table_size;
static size_t gntv3_slots_size;

static unsigned long gntv3_retry_delay(void)
{
	return msecs_to_jiffies(max(READ_ONCE(gntv3_quarantine_retry_ms), 1U));
}

static void gntv3_front_failed(struct gntv3_front *front)
{
	front->nr_failures++;
	atomic_long_inc(&gntv3_stats.nr_failures);
}

/* ---- pages: tables and the descriptor ---- */

/* Give a page back, or park it on @qpages while the backend maps it. */
static void gntv3_front_page_release(struct gntv3_front *front,
				     struct page *page)
{
	if (gntv3_transport->page_release(page)) {
		front->nr_refs -= gntv3_transport->refs_per_page;
		return;
	}
	/* Our own page, on no LRU: its lru field is free for our list. */
	list_add_tail(&page->lru, &front->qpages);
	front->nr_qpages++;
}

static bool gntv3_front_release_desc(struct gntv3_front *front)
{
	if (!front->desc_page)
		return true;
	if (front->registered) {
		if (gntv3_transport->unregister_tree(front->backend,
						     front->tree_ref))
			return false;
		front->registered = false;
	}
	if (!gntv3_transport->page_release(front->desc_page))
		return false;

	front->nr_refs -= gntv3_transport->refs_per_page;
	front->desc_page = NULL;
	front->desc = NULL;
	return true;
}

static int gntv3_front_table_alloc(void *ctx, __le64 **ptes, u64 *ref)
{
	struct gntv3_front *front = ctx;
	struct page *page;
	int rc;

	rc = gntv3_transport->page_alloc(front->backend, &page, ref);
	if (rc) {
		gntv3_front_failed(front);
		return rc;
	}
	front->nr_refs += gntv3_transport->refs_per_page;
	*ptes = page_address(page);
	return 0;
}

static void gntv3_front_table_free(void *ctx, __le64 *ptes, u64 ref)
{
	gntv3_front_page_release(ctx, virt_to_page(ptes));
}

/*
 * The backend reads the root word, then the tables below it.  The reader is
 * another domain, hence the virt_ barriers.
 */
static void gntv3_front_publish_root(void *ctx, u64 root)
{
	struct gntv3_front *front = ctx;
	struct gntv3_tree_desc *desc = front->desc;

	/* Order the tables tree.c wrote before the root that reaches them. */
	virt_wmb();
	WRITE_ONCE(desc->root, root);
	/* Order the root before the generation that announces the change. */
	virt_wmb();
	WRITE_ONCE(desc->generation, desc->generation + 1);
}

static const struct gntv3_tree_ops gntv3_front_tree_ops = {
	.table_alloc	= gntv3_front_table_alloc,
	.table_free	= gntv3_front_table_free,
	.publish_root	= gntv3_front_publish_root,
};

/* ---- lifetime ---- */

static void gntv3_front_free(struct gntv3_front *front)
{
	while (front->nr_rec_pool)
		kfree(front->rec_pool[--front->nr_rec_pool]);
	kfree(front->rec_pool);
	mutex_destroy(&front->lock);
	kfree(front);
}

/* Called by kref_put_mutex() with gntv3_fronts_lock held; drops it. */
static void gntv3_front_release(struct kref *kref)
{
	struct gntv3_front *front = container_of(kref, struct gntv3_front,
						 kref);

	list_del(&front->node);
	mutex_unlock(&gntv3_fronts_lock);
	gntv3_front_free(front);
}

static void gntv3_front_put(struct gntv3_front *front)
{
	kref_put_mutex(&front->kref, gntv3_front_release, &gntv3_fronts_lock);
}

static bool gntv3_front_pending(struct gntv3_front *front)
{
	return !list_empty(&front->quarantine) ||
	       !list_empty(&front->qpages) ||
	       (front->torn_down && front->desc_page);
}

/*
 * Make sure the retry work runs while something is pending.  Called before
 * dropping the lock by every path that may have quarantined something.
 */
static void gntv3_front_kick(struct gntv3_front *front)
{
	if (front->shutdown || !gntv3_front_pending(front))
		return;
	if (!front->qref) {
		kref_get(&front->kref);
		front->qref = true;
	}
	queue_delayed_work(gntv3_front_wq, &front->retry, gntv3_retry_delay());
}

void gntv3_front_unlock(struct gntv3_front *front)
{
	gntv3_front_kick(front);
	mutex_unlock(&front->lock);
}

/* No grant will take a spare reference any more. */
static void gntv3_front_release_spare(struct gntv3_front *front)
{
	if (gntv3_transport->spare_release)
		gntv3_transport->spare_release(&front->spare);
}

/* Release tree, ids, spare references and descriptor once no grant is left. */
static void gntv3_front_teardown(struct gntv3_front *front)
{
	int rc;

	front->torn_down = true;
	rc = gntv3_tree_fini(&front->tree);
	if (rc)
		pr_err("tree of domain %u not empty at teardown (%d): leaking it\n",
		       front->backend, rc);
	gntv3_ida_destroy(&front->ida);
	gntv3_front_release_spare(front);
	gntv3_front_release_desc(front);
}

/* ---- grants ---- */

/*
 * Grant records a tree freed are kept, up to GNTV3_REC_POOL_MAX, for its
 * next grants: a fresh record from kzalloc() cost a 4 KiB grant about as
 * much as the rest of its bookkeeping.  A stack of pointers rather than a
 * list: no list operation (each a call with CONFIG_DEBUG_LIST) per grant.
 * Under front->lock.
 */
static struct gntv3_grant *gntv3_grant_alloc(struct gntv3_front *front)
{
	struct gntv3_grant *g;

	if (!front->nr_rec_pool) {
		g = kzalloc(sizeof(*g), GFP_KERNEL);
	} else {
		g = front->rec_pool[--front->nr_rec_pool];
		memset(g, 0, sizeof(*g));
	}
	if (g)
		front->nr_records++;
	return g;
}

/* @g is on no list any more. */
static void gntv3_grant_release(struct gntv3_front *front,
				struct gntv3_grant *g)
{
	front->nr_records--;
	if (front->nr_rec_pool >= GNTV3_REC_POOL_MAX) {
		kfree(g);
		return;
	}
	front->rec_pool[front->nr_rec_pool++] = g;
}

/* Try to end the backend's access to @g; true once all of it ended. */
static bool gntv3_grant_end_access(struct gntv3_front *front,
				   struct gntv3_grant *g)
{
	unsigned int refs = gntv3_xgrant_refs(&g->xg);
	bool ended;

	/* A split grant's leaves may have been in the tree for a while. */
	if (g->installed || g->xg.split)
		ended = gntv3_transport->end(front->backend, front->tree_ref,
					     g->first_id, &g->xg);
	else
		ended = gntv3_transport->abort(&g->xg);
	front->nr_refs -= refs - gntv3_xgrant_refs(&g->xg);
	return ended;
}

/*
 * Freeing part of a run of ids (one page of gntv3_grant_pages()) may need
 * memory; without it the ids merely stay reserved.
 */
void gntv3_front_free_ids(struct gntv3_front *front, gntv3_id_t first,
			  u64 nr)
{
	int rc = gntv3_ida_free(&front->ida, first, nr);

	if (rc)
		pr_warn_ratelimited("domain %u: ids %#llx..%#llx stay reserved (%d)\n",
				    front->backend, first, first + nr - 1, rc);
}

/* A split 1 GiB grant has 2^18 leaves: let others run now and then. */
static void gntv3_leaf_resched(unsigned int i)
{
	if (i % GNTV3_PTES_PER_TABLE == GNTV3_PTES_PER_TABLE - 1)
		cond_resched();
}

/* Leaves of @g: one, or one per 4 KiB piece of a split grant. */
static unsigned int gntv3_grant_nr_leaves(const struct gntv3_grant *g)
{
	return g->xg.split ? gntv3_xgrant_pieces(&g->xg) : 1;
}

/* Change the flags of every leaf of @g, see gntv3_tree_update(). */
static int gntv3_grant_update(struct gntv3_front *front,
			      struct gntv3_grant *g, unsigned int set,
			      unsigned int clear)
{
	unsigned int i, n = gntv3_grant_nr_leaves(g);
	int rc = 0;

	for (i = 0; i < n && !rc; i++) {
		rc = gntv3_tree_update(&front->tree, g->first_id + i, set,
				       clear);
		gntv3_leaf_resched(i);
	}
	return rc;
}

/* Remove the first @n leaves of @g from the tree. */
static void gntv3_grant_remove(struct gntv3_front *front,
			       struct gntv3_grant *g, unsigned int n)
{
	struct gntv3_leaf leaf;
	unsigned int i;
	int rc;

	for (i = 0; i < n; i++) {
		rc = gntv3_tree_remove(&front->tree, g->first_id + i, &leaf);
		if (rc)
			pr_err_ratelimited("domain %u: cannot remove grant %#llx (%d)\n",
					   front->backend, g->first_id + i, rc);
		gntv3_leaf_resched(i);
	}
}

/*
 * Put the leaves of @g, of GNTV3_SIZE_* @size, in the tree: one leaf, or
 * one 4 KiB leaf per piece of a split grant (all or none).
 */
static int gntv3_grant_install(struct gntv3_front *front,
			       struct gntv3_grant *g, int size,
			       unsigned int flags)
{
	unsigned int i;
	int rc;

	if (!g->xg.split)
		return gntv3_tree_install(&front->tree, g->first_id, size,
					  g->xg.frame, flags, g);
	for (i = 0; i < gntv3_xgrant_pieces(&g->xg); i++) {
		rc = gntv3_tree_install(&front->tree, g->first_id + i,
					GNTV3_SIZE_4K,
					gntv3_transport->piece_frame(g->page, i),
					flags, g);
		if (rc) {
			gntv3_grant_remove(front, g, i);
			return rc;
		}
		gntv3_leaf_resched(i);
	}
	return 0;
}

/* Forget the leaves and the ids of @g. */
static void gntv3_grant_uninstall(struct gntv3_front *front,
				  struct gntv3_grant *g)
{
	if (!g->installed)
		return;
	gntv3_grant_remove(front, g, gntv3_grant_nr_leaves(g));
	gntv3_front_free_ids(front, g->first_id, gntv3_xgrant_pieces(&g->xg));
	g->installed = false;
}

/* Free @g, whose access ended: leaf, ids, folio reference, record. */
static void gntv3_grant_free(struct gntv3_front *front, struct gntv3_grant *g)
{
	gntv3_grant_uninstall(front, g);
	folio_put(page_folio(g->page));
	gntv3_grant_release(front, g);
}

/*
 * Module unload with the backend still mapping @g: forget the record but
 * keep the folio reference and the grant references forever, so the frames
 * are never reused while another domain can reach them.
 */
static void gntv3_grant_leak(struct gntv3_front *front, struct gntv3_grant *g)
{
	pr_warn_ratelimited("domain %u still maps grant %#llx (%u of %u frames): leaking it\n",
			    front->backend, g->first_id, g->xg.nr_live,
			    gntv3_xgrant_pieces(&g->xg));
	gntv3_grant_uninstall(front, g);
	gntv3_xgrant_forget(&g->xg);
	atomic_long_inc(&gntv3_stats.nr_leaked);
	gntv3_grant_release(front, g);
}

static void gntv3_grant_quarantine(struct gntv3_front *front,
				   struct gntv3_grant *g)
{
	g->state = GNTV3_STATE_QUARANTINED;
	list_add_tail(&g->qnode, &front->quarantine);
	front->nr_quarantined++;
	atomic_long_inc(&gntv3_stats.nr_quarantined);
}

static void gntv3_grant_unquarantine(struct gntv3_front *front,
				     struct gntv3_grant *g)
{
	list_del(&g->qnode);
	front->nr_quarantined--;
	atomic_long_dec(&gntv3_stats.nr_quarantined);
}

/* End the active grant @g: 0 if its access ended, 1 if quarantined. */
int gntv3_grant_end(struct gntv3_front *front, struct gntv3_grant *g)
{
	int rc;

	/* Tell the backend first: no new mapping from now on. */
	rc = gntv3_grant_update(front, g, GNTV3_TREE_REVOKED, 0);
	if (rc)
		pr_err_ratelimited("domain %u: cannot mark grant %#llx revoked (%d)\n",
				   front->backend, g->first_id, rc);

	front->nr_grants--;
	if (gntv3_grant_end_access(front, g)) {
		gntv3_grant_free(front, g);
		return 0;
	}
	gntv3_grant_quarantine(front, g);
	return 1;
}

/*
 * Grant the 1 << @order pages from @page under the (allocated) ids from
 * @id.  The range is a whole folio, or one page of a larger folio (a 4 KiB
 * grant of a page of a transparent huge page, say); either way gntv3's
 * reference is on the folio.
 */
int gntv3_grant_one(struct gntv3_front *front, struct page *page,
		    unsigned int order, int size, bool ro, gntv3_id_t id)
{
	struct folio *folio = page_folio(page);
	struct gntv3_grant *g;
	int rc;

	g = gntv3_grant_alloc(front);
	if (!g)
		return -ENOMEM;
	/* A page nobody holds a reference on is not ours to grant. */
	if (!folio_try_get(folio)) {
		rc = -EINVAL;
		goto err_free;
	}
	g->first_id = id;
	g->readonly = ro;
	g->state = GNTV3_STATE_ACTIVE;
	g->page = page;

	rc = INDIRECT_CALL_2(gntv3_transport->grant, gntv3_v1_grant,
			     gntv3_native_grant, front->backend, &front->spare,
			     page, 1U << order, ro, &g->xg);
	if (rc) {
		gntv3_front_failed(front);
		goto err_put;
	}
	front->nr_refs += gntv3_xgrant_refs(&g->xg);

	rc = gntv3_grant_install(front, g, size,
				 ro ? GNTV3_TREE_RO : GNTV3_TREE_RW);
	if (rc)
		goto err_end;

	g->installed = true;
	front->nr_grants++;
	return 0;

err_end:
	/*
	 * Not in the tree, but v1 references can be guessed: the frames are
	 * reused only once the access ended.  The caller frees the ids.
	 */
	if (!gntv3_grant_end_access(front, g)) {
		gntv3_grant_quarantine(front, g);
		return rc;
	}
err_put:
	folio_put(folio);
err_free:
	gntv3_grant_release(front, g);
	return rc;
}

/* ---- revocation, driven by gntv3_revoke() (revoke.c) ---- */

/**
 * gntv3_front_revoke_begin() - first step of a revoke or a downgrade
 * @front: the tree
 * @id: first id of an active grant
 * @downgrade: clear W and set D instead of setting R
 * @nr_ids: set to the number of ids of the grant
 *
 * Changes the leaf so that the backend makes no new (writable) mapping and
 * marks the grant GNTV3_STATE_REVOKING, which no other call changes until
 * gntv3_front_revoke_end().
 *
 * Return: 0, 1 for a downgrade of a read-only grant (nothing to do),
 * -ENOENT, -EINVAL for an id inside a grant, -EALREADY for a grant that is
 * not active.
 */
int gntv3_front_revoke_begin(struct gntv3_front *front, gntv3_id_t id,
			     bool downgrade, u32 *nr_ids)
{
	struct gntv3_leaf leaf;
	struct gntv3_grant *g;
	int rc;

	mutex_lock(&front->lock);
	if (front->dead || gntv3_tree_lookup(&front->tree, id, &leaf)) {
		rc = -ENOENT;
		goto out;
	}
	g = leaf.priv;
	if (g->first_id != id) {
		rc = -EINVAL;
	} else if (g->state != GNTV3_STATE_ACTIVE) {
		rc = -EALREADY;
	} else if (downgrade && g->readonly) {
		rc = 1;
	} else {
		if (downgrade)
			rc = gntv3_grant_update(front, g, GNTV3_TREE_DOWNGRADE,
						GNTV3_TREE_RW);
		else
			rc = gntv3_grant_update(front, g, GNTV3_TREE_REVOKED,
						0);
		if (!rc) {
			g->state = GNTV3_STATE_REVOKING;
			*nr_ids = gntv3_xgrant_pieces(&g->xg);
		}
	}
out:
	mutex_unlock(&front->lock);
	return rc;
}

/**
 * gntv3_front_revoke_end() - last step of a revoke or a downgrade
 * @front: the tree
 * @id: the grant, from a successful gntv3_front_revoke_begin()
 * @downgrade: as given to gntv3_front_revoke_begin()
 * @acked: the backend acknowledged: it maps none of the grant any more
 *	(a downgrade: none writable, and none at all on the v1 transport)
 * @quarantined: set when the grant's pages are kept in quarantine
 *
 * Acknowledged downgrade: the transport makes the grant read-only (v1:
 * every v1 entry is ended and granted again read-only), D is cleared and
 * the grant is active again.  Everything else ends the grant as
 * gntv3_end_grant() does: without an ACK it is dead, and after
 * GNTTABOP_v3_revoke with a scratch page where the transport offers it;
 * whatever the backend still maps stays quarantined.
 *
 * Return: GNTV3_REVOKE_DONE when acknowledged and carried out,
 * GNTV3_REVOKE_DEAD when the grant had to be taken back without the
 * backend's cooperation (or despite its ACK, it still mapped the grant).
 */
int gntv3_front_revoke_end(struct gntv3_front *front, gntv3_id_t id,
			   bool downgrade, bool acked, bool *quarantined)
{
	const struct gntv3_transport_ops *ops = gntv3_transport;
	struct gntv3_leaf leaf;
	struct gntv3_grant *g;
	int rc;

	*quarantined = false;
	mutex_lock(&front->lock);
	rc = gntv3_tree_lookup(&front->tree, id, &leaf);
	g = rc ? NULL : leaf.priv;
	if (!g || g->first_id != id || g->state != GNTV3_STATE_REVOKING) {
		/* only revoke_begin sets REVOKING, and nothing else clears it */
		pr_err_ratelimited("domain %u: grant %#llx lost its revoke state\n",
				   front->backend, id);
		mutex_unlock(&front->lock);
		return -EIO;
	}
	if (downgrade && acked) {
		if (!ops->downgrade(front->backend, front->tree_ref, id,
				    g->page, &g->xg)) {
			gntv3_grant_update(front, g, 0, GNTV3_TREE_DOWNGRADE);
			g->readonly = true;
			g->state = GNTV3_STATE_ACTIVE;
			mutex_unlock(&front->lock);
			return GNTV3_REVOKE_DONE;
		}
		/* still mapped despite the ACK: take all of it back */
		acked = false;
	}
	if (!acked && ops->revoke_scratch &&
	    !ops->revoke_scratch(front->backend, front->tree_ref, id, &g->xg))
		atomic64_inc(&gntv3_revoke_cnt.forced);
	g->state = GNTV3_STATE_ACTIVE;
	rc = gntv3_grant_end(front, g);
	*quarantined = rc == 1;
	gntv3_front_unlock(front);
	return acked && !rc ? GNTV3_REVOKE_DONE : GNTV3_REVOKE_DEAD;
}

/**
 * gntv3_front_retry_now() - retry the quarantine at once
 * @front: the tree
 *
 * For a backend's UNMAPPED notification: what it unmapped can be released
 * now rather than at the next periodic retry.
 */
void gntv3_front_retry_now(struct gntv3_front *front)
{
	mutex_lock(&front->lock);
	if (!front->shutdown && gntv3_front_pending(front)) {
		if (!front->qref) {
			kref_get(&front->kref);
			front->qref = true;
		}
		mod_delayed_work(gntv3_front_wq, &front->retry, 0);
	}
	mutex_unlock(&front->lock);
}

/* ---- retry work and unload ---- */

/* Module unload: the backend still maps the tree descriptor, leak it. */
static void __cold gntv3_front_leak_desc(struct gntv3_front *front)
{
	pr_warn_ratelimited("domain %u still maps the tree descriptor: leaking it\n",
			    front->backend);
	atomic_long_inc(&gntv3_stats.nr_leaked);
	front->desc_page = NULL;
	front->desc = NULL;
}

/*
 * Retry everything pending.  With @final (module unload) what still fails
 * is leaked instead of kept.  Returns true when nothing is pending any more.
 */
static bool gntv3_front_drain(struct gntv3_front *front, bool final)
{
	struct gntv3_grant *g, *gtmp;
	struct page *page, *ptmp;
	LIST_HEAD(pages);

	list_for_each_entry_safe(g, gtmp, &front->quarantine, qnode) {
		if (gntv3_grant_end_access(front, g)) {
			gntv3_grant_unquarantine(front, g);
			gntv3_grant_free(front, g);
		} else if (final) {
			gntv3_grant_unquarantine(front, g);
			gntv3_grant_leak(front, g);
		}
	}

	if (front->dead && !front->torn_down && !front->nr_grants &&
	    list_empty(&front->quarantine))
		gntv3_front_teardown(front);

	list_splice_init(&front->qpages, &pages);
	front->nr_qpages = 0;
	list_for_each_entry_safe(page, ptmp, &pages, lru) {
		list_del(&page->lru);
		if (!final) {
			gntv3_front_page_release(front, page);
		} else if (!gntv3_transport->page_release(page)) {
			pr_warn_ratelimited("domain %u still maps a table page: leaking it\n",
					    front->backend);
			atomic_long_inc(&gntv3_stats.nr_leaked);
		}
	}

	if (front->torn_down && !gntv3_front_release_desc(front) && final)
		gntv3_front_leak_desc(front);

	return !gntv3_front_pending(front);
}

static void gntv3_front_retry(struct work_struct *work)
{
	struct gntv3_front *front = container_of(to_delayed_work(work),
						 struct gntv3_front, retry);
	bool put = false;

	mutex_lock(&front->lock);
	if (gntv3_front_drain(front, false)) {
		put = front->qref;
		front->qref = false;
	}
	gntv3_front_unlock(front);
	if (put)
		gntv3_front_put(front);
}

/*
 * End every active grant of @front.  The tree holds every installed grant,
 * a split one under each of its leaves; ending one removes its leaves or
 * quarantines it, so the walk goes on from the id after the leaf.
 */
static void gntv3_front_end_all(struct gntv3_front *front)
{
	struct gntv3_leaf leaf;
	struct gntv3_grant *g;
	gntv3_id_t id = 0;

	while (!gntv3_tree_next(&front->tree, id, &leaf)) {
		g = leaf.priv;
		id = leaf.first_id + (1ULL << GNTV3_SIZE_ORDER(leaf.size));
		if (g->state == GNTV3_STATE_ACTIVE)
			gntv3_grant_end(front, g);
		cond_resched();
	}
}

/* Module unload: end or leak everything of @front.  No user is left. */
static void gntv3_front_shutdown(struct gntv3_front *front)
{
	mutex_lock(&front->lock);
	front->shutdown = true;
	if (!front->dead) {
		pr_warn("tree of domain %u was never destroyed\n",
			front->backend);
		gntv3_front_end_all(front);
		front->dead = true;
		atomic_long_dec(&gntv3_stats.nr_trees);
	}
	gntv3_front_drain(front, true);
	/* A front with leaked grants is never torn down. */
	gntv3_front_release_spare(front);
	mutex_unlock(&front->lock);
}

/**
 * gntv3_front_init() - set up the frontend at module load
 *
 * Return: 0 or -ENOMEM.
 */
int gntv3_front_init(void)
{
	size_t node, slots;

	/* A grant record costs every 4 KiB grant 1/64 of its page at most. */
	BUILD_BUG_ON(IS_ENABLED(CONFIG_64BIT) && sizeof(struct gntv3_grant) > 64);
	gntv3_rec_size = kmalloc_size_roundup(sizeof(struct gntv3_grant));
	gntv3_tree_shadow_sizes(&node, &slots);
	gntv3_table_size = PAGE_SIZE + kmalloc_size_roundup(node);
	gntv3_slots_size = kmalloc_size_roundup(slots);
	gntv3_front_wq = alloc_workqueue("gntv3_front", WQ_UNBOUND, 0);
	return gntv3_front_wq ? 0 : -ENOMEM;
}

/**
 * gntv3_front_exit() - release every front at module unload
 *
 * Called once no user of the frontend API is left.  Fronts still draining
 * their quarantine get a last try; whatever the backend still maps is
 * leaked, with a warning, rather than freed.
 */
void gntv3_front_exit(void)
{
	struct gntv3_front *front, *tmp;
	long leaked;

	mutex_lock(&gntv3_fronts_lock);
	/* Pin every front so that no retry work drops the last reference. */
	list_for_each_entry(front, &gntv3_fronts, node)
		kref_get(&front->kref);
	list_for_each_entry_safe(front, tmp, &gntv3_fronts, node) {
		cancel_delayed_work_sync(&front->retry);
		gntv3_front_shutdown(front);
		list_del(&front->node);
		gntv3_front_free(front);
	}
	mutex_unlock(&gntv3_fronts_lock);
	destroy_workqueue(gntv3_front_wq);

	leaked = atomic_long_read(&gntv3_stats.nr_leaked);
	if (leaked)
		pr_warn("%ld grants or pages were still mapped by their backends and are leaked\n",
			leaked);
}

/* ---- API ---- */

/**
 * gntv3_front_create() - create the grant tree for one backend domain
 * @backend: the domain that will map the grants
 *
 * Allocates the descriptor page and grants it read-only to @backend (v1
 * transport; its reference is gntv3_front_tree_ref()) or registers it with
 * the hypervisor (native transport).  The tree itself starts empty.
 *
 * Context: process context, may sleep.
 * Return: the new front, or an ERR_PTR(): -EINVAL for a reserved domain id,
 * -ENOMEM, -ENOSPC when no v1 grant reference is left, or the transport's
 * error.
 */
struct gntv3_front *gntv3_front_create(domid_t backend)
{
	const struct gntv3_transport_ops *ops = gntv3_transport;
	struct gntv3_tree_desc *desc;
	struct gntv3_front *front;
	u64 frame;
	int rc;

	if (backend >= DOMID_FIRST_RESERVED)
		return ERR_PTR(-EINVAL);

	front = kzalloc(sizeof(*front), GFP_KERNEL);
	if (!front)
		return ERR_PTR(-ENOMEM);
	kref_init(&front->kref);
	front->backend = backend;
	INIT_DELAYED_WORK(&front->retry, gntv3_front_retry);
	mutex_init(&front->lock);
	INIT_LIST_HEAD(&front->quarantine);
	INIT_LIST_HEAD(&front->qpages);

	/* Allocated apart: inside, its 4 KiB made the front an 8 KiB object. */
	rc = -ENOMEM;
	front->rec_pool = kcalloc(GNTV3_REC_POOL_MAX, sizeof(*front->rec_pool),
				  GFP_KERNEL);
	if (!front->rec_pool)
		goto err_free;

	rc = gntv3_ida_init(&front->ida, 1ULL << GNTV3_ID_BITS);
	if (rc)
		goto err_free;

	rc = ops->page_alloc(backend, &front->desc_page, &frame);
	if (rc)
		goto err_ida;
	front->nr_refs += ops->refs_per_page;
	desc = page_address(front->desc_page);
	desc->magic = GNTV3_TREE_MAGIC;
	desc->version = GNTV3_ABI_VERSION;
	desc->grantee = backend;
	desc->flags = ops->tree_flags;
	front->desc = desc;

	if (ops->register_tree) {
		rc = ops->register_tree(backend, front->desc_page);
		if (rc)
			goto err_desc;
		front->registered = true;
	}
	front->tree_ref = ops->tree_ref(front->desc_page);

	gntv3_tree_init(&front->tree, &gntv3_front_tree_ops, front);

	mutex_lock(&gntv3_fronts_lock);
	list_add_tail(&front->node, &gntv3_fronts);
	mutex_unlock(&gntv3_fronts_lock);
	atomic_long_inc(&gntv3_stats.nr_trees);
	return front;

err_desc:
	/* Nobody was told its reference, but references can be guessed. */
	if (!ops->page_release(front->desc_page)) {
		pr_warn("domain %u maps a descriptor it was never given: leaking it\n",
			backend);
		atomic_long_inc(&gntv3_stats.nr_leaked);
	}
err_ida:
	gntv3_ida_destroy(&front->ida);
err_free:
	gntv3_front_free(front);
	return ERR_PTR(rc);
}
EXPORT_SYMBOL_GPL(gntv3_front_create);

/**
 * gntv3_front_destroy() - destroy a grant tree
 * @front: the tree, from gntv3_front_create()
 *
 * Fails while the tree has active grants: end them first.  A connection
 * (gntv3_front_connect()) is torn down first.  Grants still
 * quarantined do not block it: the caller is done with @front when this
 * returns 0, but the tree, its pages and the quarantined grants live on
 * until the backend let go of them all.  @front must not be used after a
 * successful call.
 *
 * Context: process context, may sleep.
 * Return: 0, or -EBUSY while active grants exist.
 */
int gntv3_front_destroy(struct gntv3_front *front)
{
	const struct gntv3_front_conn_ops *ops;
	void *conn;

	mutex_lock(&front->lock);
	if (front->nr_grants) {
		mutex_unlock(&front->lock);
		return -EBUSY;
	}
	front->dead = true;
	ops = front->conn_ops;
	conn = front->conn;
	front->conn_ops = NULL;
	front->conn = NULL;
	mutex_unlock(&front->lock);

	/* The backend lets go of the ring before the tree goes. */
	if (ops)
		ops->destroying(conn);

	mutex_lock(&front->lock);
	/*
	 * The retry work may have torn the front down already, while the
	 * lock was dropped: once @dead is set, it does so as soon as the
	 * quarantine drained.
	 */
	if (!front->torn_down && list_empty(&front->quarantine))
		gntv3_front_teardown(front);
	gntv3_front_unlock(front);

	atomic_long_dec(&gntv3_stats.nr_trees);
	gntv3_front_put(front);
	return 0;
}
EXPORT_SYMBOL_GPL(gntv3_front_destroy);

/**
 * gntv3_front_backend() - the backend domain a tree grants to
 * @front: the tree
 *
 * Context: any context.
 * Return: the domain id given to gntv3_front_create().
 */
domid_t gntv3_front_backend(const struct gntv3_front *front)
{
	return front->backend;
}
EXPORT_SYMBOL_GPL(gntv3_front_backend);

/**
 * gntv3_front_tree_ref() - the tree reference a backend attaches with
 * @front: the tree
 *
 * This is what the transport names the tree's descriptor page by, to be
 * published to the backend (GNTV3_XS_TREE_REF) and passed to
 * gntv3_back_attach() there (see &gntv3_transport_ops.tree_ref).
 *
 * Context: any context.
 * Return: the reference.
 */
grant_ref_t gntv3_front_tree_ref(const struct gntv3_front *front)
{
	return front->tree_ref;
}
EXPORT_SYMBOL_GPL(gntv3_front_tree_ref);

/**
 * gntv3_front_stats_locked() - fill @stats for @front
 * @front: the tree, with its lock held
 * @stats: filled in
 */
void gntv3_front_stats_locked(struct gntv3_front *front,
			      struct gntv3_front_stats *stats)
{
	lockdep_assert_held(&front->lock);

	stats->nr_grants = front->nr_grants;
	stats->nr_ids = front->torn_down ? 0 : front->ida.nr_used;
	stats->nr_quarantined = front->nr_quarantined;
	stats->nr_tables = front->tree.nr_tables;
	stats->table_bytes = (u64)front->tree.nr_tables * gntv3_table_size +
			     (u64)front->tree.nr_slot_arrays * gntv3_slots_size;
	stats->levels = front->tree.levels;
	stats->nr_v1_refs = front->nr_refs;
	stats->nr_failures = front->nr_failures;
	stats->record_bytes = front->nr_records * gntv3_rec_size;
	stats->record_pool_bytes = (u64)front->nr_rec_pool * gntv3_rec_size;
}

/**
 * gntv3_front_get_stats() - counters of one grant tree
 * @front: the tree
 * @stats: filled in with a consistent snapshot
 *
 * Context: process context, may sleep.
 */
void gntv3_front_get_stats(struct gntv3_front *front,
			   struct gntv3_front_stats *stats)
{
	mutex_lock(&front->lock);
	gntv3_front_stats_locked(front, stats);
	mutex_unlock(&front->lock);
}
EXPORT_SYMBOL_GPL(gntv3_front_get_stats);

/**
 * gntv3_transport_name() - how grant trees reach backends in this domain
 *
 * Context: any context.
 * Return: "v1" or "native" (the GNTV3_XS_TRANSPORT_* strings).
 */
const char *gntv3_transport_name(void)
{
	return gntv3_transport->name;
}
EXPORT_SYMBOL_GPL(gntv3_transport_name);
