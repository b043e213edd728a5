// SPDX-License-Identifier: GPL-2.0-only
/*
 * gntv3 backend: attach to a frontend's grant tree and detach again.
 *
 * An attachment (struct gntv3_back) reaches the frontend's tree through the
 * transport of that tree (struct gntv3_transport_ops, grantee half: v1 maps
 * the descriptor and caches table pages, transport_v1_tree.c), and owns a
 * pool of mapping objects and a page cache (pool.c) and the list of its
 * mappings (map.c, unmap.c).
 *
 * The layer above (the connection, conn_back.c) asks questions
 * (gntv3_back_range_mapped()), has the owner's revoke handler called
 * (gntv3_back_call_revoke()) and learns of events through the
 * struct gntv3_back_notifier it hands down; nothing here calls it by name.
 */
#include <linux/err.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/wait_bit.h>
#include <xen/features.h>
#include <xen/grant_table.h>

#include "backend.h"
#include "internal.h"
#include "tree.h"

struct gntv3_back_counters gntv3_back_cnt;

/* Every live attachment, for debugfs and module unload. */
LIST_HEAD(gntv3_backs);
/* Protects gntv3_backs; taken before any back->lock. */
DEFINE_MUTEX(gntv3_backs_lock);

/*
 * An auto-translated domain (PVH, HVM) cannot map grants of its own.  Xen
 * adds a grant mapping to the p2m like a page, and first takes a frame the
 * domain owns out of the gfn it had (Xen 4.17, p2m_add_page()): the
 * granted page leaves the frontend, whose gfn then reads as all ones, and
 * once unmapped it is nowhere.  Seen on a PVH dom0: "pagealloc: memory
 * corruption", then oopses.  A PV domain maps through its page tables and
 * loops back safely.
 */
static bool gntv3_back_self_loop_unsafe(const struct gntv3_back *back)
{
	return back->domid == back->self &&
	       xen_feature(XENFEAT_auto_translated_physmap);
}

/**
 * gntv3_back_attach() - attach to a frontend's grant tree
 * @frontend: the granting domain (our own domain id for loopback)
 * @tree_ref: the frontend's tree reference (gntv3_front_tree_ref()): the v1
 *	grant reference of its descriptor page, or the hypervisor's handle of
 *	a tree it walks (native transport)
 *
 * The transport this module uses (gntv3_transport_grantee()) opens it: v1
 * maps the descriptor read-only and checks its magic, version (1 or 2,
 * the same layout), transport and that it grants to us; native only
 * remembers the handle, which the hypervisor checks at every map.
 *
 * Context: process context, may sleep.
 * Return: the attachment, or ERR_PTR(): -EOPNOTSUPP for a v1 reference
 * naming a native descriptor (or, native, a translated guest on a
 * hypervisor that maps for PV guests only), or for @frontend our own
 * domain in an auto-translated guest (PVH, HVM: Xen would move the granted
 * page out of the frontend), -ENOENT if @tree_ref is not
 * granted to us (native: handle 0), -EPROTO for a
 * malformed descriptor (reserved fields included) or one that grants to
 * another domain, -ENXIO if our own domain id is unknown, -ENOMEM.
 */
struct gntv3_back *gntv3_back_attach(domid_t frontend, grant_ref_t tree_ref)
{
	struct gntv3_back *back;
	int rc;

	if (frontend >= DOMID_FIRST_RESERVED)
		return ERR_PTR(-EINVAL);
	back = kzalloc(sizeof(*back), GFP_KERNEL);
	if (!back)
		return ERR_PTR(-ENOMEM);
	back->domid = frontend;
	back->tree_ref = tree_ref;
	mutex_init(&back->lock);
	INIT_LIST_HEAD(&back->maps);
	gntv3_unmap_work_init(back);
	gntv3_cache_init(back);
	kref_init(&back->ref);
	back->xops = gntv3_transport_grantee();
	rc = back->xops ? gntv3_xs_self_domid(&back->self) : -EOPNOTSUPP;
	if (!rc && gntv3_back_self_loop_unsafe(back))
		rc = -EOPNOTSUPP;
	if (rc)
		goto err_free;
	if (gntv3_back_caches_init(back)) {
		rc = -ENOMEM;
		goto err_free;
	}
	rc = back->xops->tree_open(back);
	if (rc)
		goto err_free;

	mutex_lock(&gntv3_backs_lock);
	list_add_tail(&back->link, &gntv3_backs);
	mutex_unlock(&gntv3_backs_lock);
	atomic64_inc(&gntv3_back_cnt.attachments);
	return back;

err_free:
	gntv3_back_caches_free(back);
	kfree(back);
	return ERR_PTR(rc);
}
EXPORT_SYMBOL_GPL(gntv3_back_attach);

/**
 * gntv3_back_detach() - detach from a frontend's tree
 * @back: the attachment
 *
 * Every mapping of @back is released: a pending unmap gets one last
 * synchronous attempt and its done callback (0 or -ECANCELED); a live
 * mapping the caller never gave back is unmapped (debugfs counter
 * "unmapped_at_detach").  A mapping whose pages are still in use stays
 * mapped and is leaked on purpose (pr_warn, counted as "leaked"): its
 * pages are never freed while mapped.  Returns once no done callback of
 * @back is running any more; after that no struct gntv3_mapping of @back
 * may be used.
 *
 * Context: process context, may sleep; not from a done callback of @back.
 */
void gntv3_back_detach(struct gntv3_back *back)
{
	const struct gntv3_back_notifier *ops;
	struct gntv3_map_priv *mp;
	unsigned int left = 0;
	bool was_pending;
	void *data;

	if (!back)
		return;
	/* the layer above first: no revoke may look at the maps below */
	mutex_lock(&back->lock);
	ops = back->notifier;
	data = back->notifier_data;
	back->notifier = NULL;
	back->notifier_data = NULL;
	mutex_unlock(&back->lock);
	if (ops && ops->detaching)
		ops->detaching(back, data);
	mutex_lock(&gntv3_backs_lock);
	list_del(&back->link);
	gntv3_cache_retire(back);
	mutex_unlock(&gntv3_backs_lock);

	mutex_lock(&back->lock);
	back->dying = true;
	mutex_unlock(&back->lock);
	/* no unmap work runs after this: what it left queued is ours */
	gntv3_unmap_stop(back);

	mutex_lock(&back->lock);
	while ((mp = list_first_entry_or_null(&back->maps,
					      struct gntv3_map_priv, node))) {
		gntv3_cache_unindex(back, mp);
		list_del_init(&mp->node);
		was_pending = mp->state == GNTV3_MAP_PENDING;
		if (was_pending)
			list_del_init(&mp->queue);	/* back->unmap_queue */
		if (mp->state == GNTV3_MAP_CACHED)
			gntv3_cache_forget(back, mp);
		left += mp->state == GNTV3_MAP_LIVE;
		mp->state = GNTV3_MAP_CANCELLING;
		mutex_unlock(&back->lock);
		gntv3_unmap_cancel(mp, was_pending);
		mutex_lock(&back->lock);
	}
	mutex_unlock(&back->lock);
	if (left) {
		/* normal for a closed /dev/gntv3, a bug in a kernel driver */
		atomic64_add(left, &gntv3_back_cnt.unmapped_at_detach);
		pr_info_ratelimited("gntv3: d%u: detach unmapped %u mappings their user left\n",
				    back->domid, left);
	}
	/* unmap works that took a mapping off back->maps before we looked */
	wait_var_event(&back->in_done, !atomic_read(&back->in_done));

	/* every mapping is unmapped or leaked: nobody uses the caches now */
	xa_destroy(&back->cache);
	gntv3_back_caches_free(back);
	back->xops->tree_close(back);
	atomic64_dec(&gntv3_back_cnt.attachments);
	/* an unmap work may still be in a done callback of ours */
	gntv3_back_put(back);
}
EXPORT_SYMBOL_GPL(gntv3_back_detach);

static void gntv3_back_release(struct kref *ref)
{
	kfree(container_of(ref, struct gntv3_back, ref));
}

/**
 * gntv3_back_put() - drop a reference to an attachment
 * @back: the attachment; the last reference frees what detach left of it
 */
void gntv3_back_put(struct gntv3_back *back)
{
	kref_put(&back->ref, gntv3_back_release);
}

/**
 * gntv3_back_mappings_gone() - mappings of @back went away
 * @back: the attachment, with its lock held
 *
 * Tells the layer above (&gntv3_back_notifier.mappings_gone): a connected
 * attachment re-checks its pending revoke requests at once rather than on
 * its next poll, as the mapping that kept one waiting may have been among
 * them.  Called once the owner knows (its done callback ran, or
 * gntv3_unmap_batch() is about to return), so that an ACK never runs ahead
 * of what the owner has been told.
 */
void gntv3_back_mappings_gone(struct gntv3_back *back)
{
	lockdep_assert_held(&back->lock);
	if (back->notifier && back->notifier->mappings_gone)
		back->notifier->mappings_gone(back, back->notifier_data);
}

/**
 * gntv3_back_set_notifier() - the layer above an attachment hands down its
 * event callbacks
 * @back: the attachment, not yet handed out to its owner
 * @ops: the callbacks, or NULL to remove them
 * @data: their argument
 *
 * Context: process context, may sleep.
 * Return: 0, or -EBUSY when @back has other callbacks already.
 */
int gntv3_back_set_notifier(struct gntv3_back *back,
			    const struct gntv3_back_notifier *ops, void *data)
{
	int rc = 0;

	mutex_lock(&back->lock);
	if (ops && back->notifier) {
		rc = -EBUSY;
	} else {
		back->notifier = ops;
		back->notifier_data = ops ? data : NULL;
	}
	mutex_unlock(&back->lock);
	return rc;
}

/**
 * gntv3_back_notifier_data() - the argument the layer above handed down
 * @back: the attachment
 * @ops: the callbacks it was handed down with
 *
 * Context: process context, may sleep; not under @back's lock.
 * Return: the argument, or NULL when @back has no such callbacks.
 */
void *gntv3_back_notifier_data(struct gntv3_back *back,
			       const struct gntv3_back_notifier *ops)
{
	void *data;

	mutex_lock(&back->lock);
	data = back->notifier == ops ? back->notifier_data : NULL;
	mutex_unlock(&back->lock);
	return data;
}

/**
 * gntv3_back_range_mapped() - does any mapping still overlap a range of ids
 * @back: the attachment
 * @first: first id of the range
 * @nr_ids: its length
 * @leaked: OUT: whether a leaked mapping may overlap the range
 *
 * Mappings in the safe unmap path count until they are unmapped, and a
 * mapping whose unmap finished counts until its owner's done callback
 * returned: an asynchronous unmap takes the mapping off @back->maps
 * before it calls back, and an ACK sent in between would run ahead of
 * what the owner has been told.  Such mappings are only counted (in
 * @back->in_done), not listed, so while any is in flight every range is
 * busy; the unmap kicks the check again once it is done (see
 * gntv3_unmap_complete() for the ordering).
 *
 * A leaked mapping (the hypervisor refused its unmap) is off @back->maps
 * and never comes back, yet its grants are still mapped: @leaked tells
 * the caller to refuse a revoke of the range rather than acknowledge it.
 * Conservative: true for any id between the first and the last leaked one
 * (see &struct gntv3_back, @leak_first).
 *
 * Context: process context, may sleep; not under @back's lock.
 * Return: true while a mapping of @back overlaps the range or a done
 * callback of @back is in flight.
 */
bool gntv3_back_range_mapped(struct gntv3_back *back, gntv3_id_t first,
			     u64 nr_ids, bool *leaked)
{
	struct gntv3_map_priv *mp;
	bool busy;

	mutex_lock(&back->lock);
	/* raised and dropped under @back->lock by the unmap work */
	busy = atomic_read(&back->in_done) != 0;
	list_for_each_entry(mp, &back->maps, node) {
		if (busy)
			break;
		busy = mp->pub.id < first + nr_ids &&
		       first < mp->pub.id + mp->pub.nr_pages;
	}
	*leaked = first < back->leak_end && back->leak_first < first + nr_ids;
	mutex_unlock(&back->lock);
	return busy;
}

/**
 * gntv3_back_call_revoke() - ask the owner to unmap a range
 * @back: the attachment
 * @first: first id of the range
 * @nr_ids: its length
 * @downgrade: only write access is taken away
 *
 * First unmaps what the mapping cache holds of the range (cache.c), then
 * calls the owner's revoke handler (gntv3_back_set_revoke_handler()), if
 * any, without any gntv3 lock held.
 *
 * Context: process context, may sleep.
 */
void gntv3_back_call_revoke(struct gntv3_back *back, gntv3_id_t first,
			    u64 nr_ids, bool downgrade)
{
	gntv3_revoke_handler_t fn;
	void *data;

	mutex_lock(&back->lock);
	gntv3_cache_evict_range(back, first, nr_ids);
	fn = back->revoke_fn;
	data = back->revoke_data;
	mutex_unlock(&back->lock);
	if (fn)
		fn(back, first, nr_ids, downgrade, data);
}

/**
 * gntv3_back_set_revoke_handler() - who unmaps when the frontend revokes
 * @back: the attachment
 * @fn: the handler, see gntv3_revoke_handler_t; NULL to remove it
 * @data: its argument
 *
 * Without a handler gntv3 still acknowledges a request, once the owner
 * unmapped the range of its own accord.  A handler call already running
 * may finish after a NULL @fn was set: @data must stay valid until
 * gntv3_back_detach(), which waits for it.
 *
 * Context: process context, may sleep.
 */
void gntv3_back_set_revoke_handler(struct gntv3_back *back,
				   gntv3_revoke_handler_t fn, void *data)
{
	if (!back)
		return;
	mutex_lock(&back->lock);
	back->revoke_fn = fn;
	back->revoke_data = data;
	mutex_unlock(&back->lock);
}
EXPORT_SYMBOL_GPL(gntv3_back_set_revoke_handler);

/**
 * gntv3_back_init() - set up the backend half of the module
 *
 * Return: 0 or a negative errno.
 */
int gntv3_back_init(void)
{
	int rc;

	rc = gntv3_pool_init();
	if (rc)
		return rc;
	rc = gntv3_unmap_init();
	if (rc)
		gntv3_pool_exit();
	return rc;
}

/**
 * gntv3_back_exit() - tear the backend half down at module unload
 *
 * Attachments a kernel user left behind are detached, which finishes or
 * cancels every pending unmap and leaks (never frees) pages still in use.
 */
void gntv3_back_exit(void)
{
	struct gntv3_back *back;

	for (;;) {
		mutex_lock(&gntv3_backs_lock);
		back = list_first_entry_or_null(&gntv3_backs, struct gntv3_back,
						link);
		mutex_unlock(&gntv3_backs_lock);
		if (!back)
			break;
		pr_warn("gntv3: unload with an attachment to d%u left, detaching\n",
			back->domid);
		gntv3_back_detach(back);
	}
	gntv3_unmap_exit();
	/* every mapping was freed or, leaked, forgotten by now */
	gntv3_pool_exit();
}
