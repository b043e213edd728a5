// SPDX-License-Identifier: GPL-2.0-only
/*
 * gntv3 backend: the persistent mapping cache.
 *
 * A mapping made with GNTV3_MAP_F_CACHE on a connected attachment may stay
 * mapped after its owner unmapped it, as xen-blkback's persistent grants
 * do: the owner's unmap completes at once (done(0), or result 0 from
 * gntv3_unmap_batch()), the mapping goes to the attachment's cache, and
 * the next gntv3_map() of the same id with the same flags takes it back
 * without a hypercall or a tree walk.
 *
 * Why that is safe: the frontend keeps the right to take its page back.
 *  - A REVOKE or DOWNGRADE request from the frontend evicts every cached
 *    mapping of its range before the owner's revoke handler runs, and the
 *    request is not ACKed while one of them is still mapped: a cached
 *    mapping stays on back->maps, so gntv3_back_range_mapped() counts it.
 *    While any request is being carried out (&gntv3_back_notifier.revoking)
 *    no mapping enters the cache, so none slips in behind the eviction.
 *  - A grant the frontend ends while it is cached cannot be reused: Xen
 *    keeps its v1 entry (or native leaf) busy while it is mapped, and the
 *    frontend quarantines it (frontend.c) until it is unmapped.  The
 *    frontend then sends a REVOKE for it, which evicts it here
 *    (gntv3_front_forget(), conn_front.c); without a connection it waits
 *    for one of the other evictions below.
 *  - Only attachments with a connection cache (the frontend could not
 *    reach the cache otherwise), and only mappings whose pages nobody else
 *    holds: what is cached is gntv3's alone.
 * The cache is bounded per attachment by back_map_cache_pages (module
 * parameter, read at attach): a new entry evicts the least recently cached
 * ones.  Eviction is the safe unmap path (unmap.c) with nobody to call
 * back.  Detach unmaps whatever is left.
 *
 * Counters (debugfs "back"): hits, misses (maps of GNTV3_MAP_F_CACHE that
 * found nothing), entries put, evictions by the bound and by the
 * frontend's requests, and the maps and pages cached now.
 */
#include <linux/atomic.h>
#include <linux/list.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/seq_file.h>
#include <linux/xarray.h>

#include "backend.h"

static unsigned int back_map_cache_pages = 1024;
module_param(back_map_cache_pages, uint, 0644);
MODULE_PARM_DESC(back_map_cache_pages,
		 "Pages an attachment keeps mapped for GNTV3_MAP_F_CACHE users after their unmap (0: no cache; read at attach; default 1024)");

/**
 * struct gntv3_cache_counters - module-wide mapping cache counters; atomics
 * @hits: maps served from the cache
 * @misses: GNTV3_MAP_F_CACHE maps the cache could not serve
 * @puts: unmaps that left their mapping in the cache
 * @evicted: cached mappings unmapped to make room
 * @invalidated: cached mappings unmapped for a request of the frontend
 * @maps: mappings in caches now
 * @pages: their pages
 */
static struct {
	atomic64_t hits;
	atomic64_t misses;
	atomic64_t puts;
	atomic64_t evicted;
	atomic64_t invalidated;
	atomic64_t maps;
	atomic64_t pages;
} gntv3_cache_cnt;

/**
 * gntv3_cache_init() - set up the cache of a new attachment
 * @back: the attachment, not yet visible to anybody
 */
void gntv3_cache_init(struct gntv3_back *back)
{
	xa_init(&back->cache);
	INIT_LIST_HEAD(&back->cache_lru);
	back->cache_pages = 0;
	back->cache_max = READ_ONCE(back_map_cache_pages);
}

/* Take @mp out of the cache's index and LRU; under back->lock. */
static void gntv3_cache_unlink(struct gntv3_back *back,
			       struct gntv3_map_priv *mp)
{
	xa_erase(&back->cache, mp->pub.id);
	list_del_init(&mp->lru);
	back->cache_pages -= mp->pub.nr_pages;
	atomic64_dec(&gntv3_cache_cnt.maps);
	atomic64_sub(mp->pub.nr_pages, &gntv3_cache_cnt.pages);
}

/* Out of the cache and into the safe unmap path; under back->lock. */
static void gntv3_cache_evict(struct gntv3_back *back,
			      struct gntv3_map_priv *mp, atomic64_t *why)
{
	gntv3_cache_unlink(back, mp);
	mp->map_flags &= ~GNTV3_MAP_F_CACHE;
	atomic64_inc(why);
	gntv3_unmap_evict(mp);
}

static bool gntv3_cache_pages_ours(const struct gntv3_map_priv *mp)
{
	unsigned int i;

	for (i = 0; i < mp->pub.nr_pages; i++)
		if (page_count(mp->pub.pages[i]) != GNTV3_PAGE_REFS_OURS)
			return false;
	return true;
}

/* May @mp enter the cache of @back now?  Under back->lock. */
static bool gntv3_cache_admits(struct gntv3_back *back,
			       struct gntv3_map_priv *mp)
{
	const struct gntv3_back_notifier *n = back->notifier;

	if (!(mp->map_flags & GNTV3_MAP_F_CACHE) || back->dying ||
	    mp->pub.nr_pages > back->cache_max)
		return false;
	/* no connection, no way for the frontend to take the page back */
	if (!n || !n->revoking || n->revoking(back, back->notifier_data))
		return false;
	return !xa_load(&back->cache, mp->pub.id) &&
	       gntv3_cache_pages_ours(mp);
}

/**
 * gntv3_cache_put() - keep a mapping its owner is unmapping
 * @back: its attachment, with its lock held
 * @mp: the mapping, in the safe unmap path (its state GNTV3_MAP_PENDING)
 *
 * On success @mp is GNTV3_MAP_CACHED and stays on back->maps; the owner
 * must be told it is unmapped and must not touch it again.
 *
 * Return: true if @mp is now cached; false if it must be unmapped
 * (not made with GNTV3_MAP_F_CACHE, no cache or connection, a request of
 * the frontend in progress, its id cached already, a page still in use,
 * or no memory for the index).
 */
bool gntv3_cache_put(struct gntv3_back *back, struct gntv3_map_priv *mp)
{
	struct gntv3_map_priv *old;

	lockdep_assert_held(&back->lock);
	if (!gntv3_cache_admits(back, mp))
		return false;
	if (xa_err(xa_store(&back->cache, mp->pub.id, mp, GFP_KERNEL)))
		return false;
	while (back->cache_pages + mp->pub.nr_pages > back->cache_max) {
		old = list_first_entry(&back->cache_lru, struct gntv3_map_priv,
				       lru);
		gntv3_cache_evict(back, old, &gntv3_cache_cnt.evicted);
	}
	mp->state = GNTV3_MAP_CACHED;
	list_add_tail(&mp->lru, &back->cache_lru);
	back->cache_pages += mp->pub.nr_pages;
	atomic64_inc(&gntv3_cache_cnt.puts);
	atomic64_inc(&gntv3_cache_cnt.maps);
	atomic64_add(mp->pub.nr_pages, &gntv3_cache_cnt.pages);
	return true;
}

/**
 * gntv3_cache_find() - claim a cached mapping for gntv3_map()
 * @back: the attachment, with its lock held
 * @id: the id to map
 * @flags: the gntv3_map() flags; only a mapping made with the same flags
 *	serves (read-only, vmap, 2 MiB: the same request gets the same
 *	mapping)
 *
 * The mapping found is claimed (GNTV3_MAP_LIVE, so that a second @id in
 * the same batch misses) but stays indexed until gntv3_cache_commit() or
 * gntv3_cache_abort(), which the caller calls once it knows whether the
 * whole batch mapped.
 *
 * Return: the mapping, or NULL.
 */
struct gntv3_map_priv *gntv3_cache_find(struct gntv3_back *back,
					gntv3_id_t id, unsigned int flags)
{
	struct gntv3_map_priv *mp;

	lockdep_assert_held(&back->lock);
	if (!back->cache_pages || id > ULONG_MAX)
		goto miss;
	mp = xa_load(&back->cache, id);
	if (!mp || mp->state != GNTV3_MAP_CACHED || mp->map_flags != flags)
		goto miss;
	mp->state = GNTV3_MAP_LIVE;
	return mp;
miss:
	if (flags & GNTV3_MAP_F_CACHE)
		atomic64_inc(&gntv3_cache_cnt.misses);
	return NULL;
}

/**
 * gntv3_cache_commit() - a claimed mapping is its new owner's
 * @back: the attachment, with its lock held
 * @mp: from gntv3_cache_find()
 */
void gntv3_cache_commit(struct gntv3_back *back, struct gntv3_map_priv *mp)
{
	lockdep_assert_held(&back->lock);
	gntv3_cache_unlink(back, mp);
	atomic64_inc(&gntv3_cache_cnt.hits);
}

/**
 * gntv3_cache_abort() - give a claimed mapping back to the cache
 * @back: the attachment, with its lock held
 * @mp: from gntv3_cache_find(); its batch failed
 */
void gntv3_cache_abort(struct gntv3_back *back, struct gntv3_map_priv *mp)
{
	lockdep_assert_held(&back->lock);
	mp->state = GNTV3_MAP_CACHED;
}

/**
 * gntv3_cache_forget() - detach takes a cached mapping out of the cache
 * @back: the attachment, dying, with its lock held
 * @mp: a GNTV3_MAP_CACHED mapping, which detach then unmaps
 */
void gntv3_cache_forget(struct gntv3_back *back, struct gntv3_map_priv *mp)
{
	lockdep_assert_held(&back->lock);
	gntv3_cache_unlink(back, mp);
}

/**
 * gntv3_cache_evict_range() - unmap what the cache holds of a range of ids
 * @back: the attachment, with its lock held
 * @first: first id of the range (a request of the frontend)
 * @nr_ids: its length
 *
 * The evicted mappings go through the safe unmap path; each one's end
 * kicks the pending request's range check (gntv3_back_mappings_gone()).
 */
void gntv3_cache_evict_range(struct gntv3_back *back, gntv3_id_t first,
			     u64 nr_ids)
{
	struct gntv3_map_priv *mp, *tmp;

	lockdep_assert_held(&back->lock);
	list_for_each_entry_safe(mp, tmp, &back->cache_lru, lru)
		if (mp->pub.id < first + nr_ids &&
		    first < mp->pub.id + mp->pub.nr_pages)
			gntv3_cache_evict(back, mp,
					  &gntv3_cache_cnt.invalidated);
}

/**
 * gntv3_cache_show() - the cache counters, for debugfs "back"
 * @s: the seq_file
 */
void gntv3_cache_show(struct seq_file *s)
{
	seq_printf(s, "cache_hits: %lld\ncache_misses: %lld\ncache_puts: %lld\n",
		   atomic64_read(&gntv3_cache_cnt.hits),
		   atomic64_read(&gntv3_cache_cnt.misses),
		   atomic64_read(&gntv3_cache_cnt.puts));
	seq_printf(s, "cache_evicted: %lld\ncache_invalidated: %lld\ncache_maps: %lld\ncache_pages: %lld\n",
		   atomic64_read(&gntv3_cache_cnt.evicted),
		   atomic64_read(&gntv3_cache_cnt.invalidated),
		   atomic64_read(&gntv3_cache_cnt.maps),
		   atomic64_read(&gntv3_cache_cnt.pages));
}
