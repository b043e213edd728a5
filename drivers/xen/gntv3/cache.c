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
 *    frontend then sends a FORGET for its range (gntv3_end_grant(),
 *    conn_front.c), which unmaps it here at once
 *    (gntv3_cache_drop_range()); the ACK makes the frontend retry its
 *    quarantine.  A FORGET that cannot be sent (a full or broken ring)
 *    leaves the grant to one of the other evictions below.
 *  - Only attachments with a connection cache (the frontend could not
 *    reach the cache otherwise), and only mappings whose pages nobody else
 *    holds: what is cached is gntv3's alone.
 * The cache is bounded per attachment by back_map_cache_pages (module
 * parameter, read at attach): a new entry evicts the least recently cached
 * ones.  Eviction is the safe unmap path (unmap.c) with nobody to call
 * back.  Detach unmaps whatever is left.
 *
 * Cost: the index (an xarray by id) holds the one mapping of each id that
 * may be cached from the moment it is mapped until it is really unmapped,
 * live or cached; putting it into the cache and taking it out again is a
 * state change and an LRU move under the attachment's lock, with plain
 * counters under that lock too.  Only a miss, a real unmap and an
 * eviction touch the index.
 *
 * Counters (debugfs "back"): hits, misses (maps of GNTV3_MAP_F_CACHE that
 * found nothing), entries put, evictions by the bound, by the frontend's
 * REVOKE/DOWNGRADE and by its FORGET, and the maps and pages cached now.
 */
#include <linux/atomic.h>
#include <linux/list.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/seq_file.h>
#include <linux/string.h>
#include <linux/xarray.h>

#include "backend.h"

static unsigned int back_map_cache_pages = 1024;
module_param(back_map_cache_pages, uint, 0644);
MODULE_PARM_DESC(back_map_cache_pages,
		 "Pages an attachment keeps mapped for GNTV3_MAP_F_CACHE users after their unmap (0: no cache; read at attach; default 1024)");

/*
 * Counters of detached attachments (struct gntv3_cache_stats, folded in by
 * gntv3_cache_retire()); the live ones keep theirs under their own lock,
 * so that a hit costs no atomic operation.
 */
static struct {
	atomic64_t hits;
	atomic64_t misses;
	atomic64_t puts;
	atomic64_t evicted;
	atomic64_t invalidated;
	atomic64_t forgotten;
} gntv3_cache_retired;

/**
 * gntv3_cache_init() - set up the cache of a new attachment
 * @back: the attachment, not yet visible to anybody
 */
void gntv3_cache_init(struct gntv3_back *back)
{
	xa_init(&back->cache);
	INIT_LIST_HEAD(&back->cache_lru);
	back->cache_nr = 0;
	back->cache_pages = 0;
	back->cache_max = READ_ONCE(back_map_cache_pages);
	back->cache_span = 0;
	memset(&back->cache_stats, 0, sizeof(back->cache_stats));
}

/**
 * gntv3_cache_retire() - an attachment leaves: keep what its cache counted
 * @back: the attachment, off gntv3_backs, with gntv3_backs_lock held
 */
void gntv3_cache_retire(struct gntv3_back *back)
{
	struct gntv3_cache_stats *st = &back->cache_stats;

	lockdep_assert_held(&gntv3_backs_lock);
	mutex_lock(&back->lock);
	atomic64_add(st->hits, &gntv3_cache_retired.hits);
	atomic64_add(st->misses, &gntv3_cache_retired.misses);
	atomic64_add(st->puts, &gntv3_cache_retired.puts);
	atomic64_add(st->evicted, &gntv3_cache_retired.evicted);
	atomic64_add(st->invalidated, &gntv3_cache_retired.invalidated);
	atomic64_add(st->forgotten, &gntv3_cache_retired.forgotten);
	memset(st, 0, sizeof(*st));
	mutex_unlock(&back->lock);
}

/* The index is an xarray: ids beyond an unsigned long are never cached. */
static bool gntv3_cache_id_ok(gntv3_id_t id)
{
	return (unsigned long)id == id;
}

/**
 * gntv3_cache_index() - a new mapping made with GNTV3_MAP_F_CACHE
 * @back: its attachment, with its lock held
 * @mp: the mapping, just listed on back->maps
 *
 * The first mapping of an id becomes the one that may be cached: indexed
 * once here, it stays indexed while it is mapped, live or cached, so that
 * putting it into the cache and taking it out again costs no index
 * update.  A second mapping of the same id, or one the index has no
 * memory for, is unmapped for real when its owner unmaps it.
 */
void gntv3_cache_index(struct gntv3_back *back, struct gntv3_map_priv *mp)
{
	lockdep_assert_held(&back->lock);
	mp->indexed = back->cache_max && gntv3_cache_id_ok(mp->pub.id) &&
		      mp->pub.nr_pages <= back->cache_max &&
		      !xa_cmpxchg(&back->cache, mp->pub.id, NULL, mp,
				  GFP_KERNEL);
	if (mp->indexed)
		back->cache_span = max(back->cache_span, mp->pub.nr_pages);
}

/**
 * gntv3_cache_unindex() - a mapping leaves back->maps
 * @back: its attachment, with its lock held
 * @mp: the mapping, which is unmapped (or leaked) and freed next
 */
void gntv3_cache_unindex(struct gntv3_back *back, struct gntv3_map_priv *mp)
{
	lockdep_assert_held(&back->lock);
	if (mp->indexed) {
		xa_erase(&back->cache, mp->pub.id);
		mp->indexed = false;
	}
}

/* Take a GNTV3_MAP_CACHED @mp off the LRU; under back->lock. */
static void gntv3_cache_unlink(struct gntv3_back *back,
			       struct gntv3_map_priv *mp)
{
	list_del_init(&mp->queue);
	back->cache_nr--;
	back->cache_pages -= mp->pub.nr_pages;
}

/*
 * Out of the cache and its index (so never to be cached again), into the
 * safe unmap path; under back->lock.
 */
static void gntv3_cache_evict(struct gntv3_back *back,
			      struct gntv3_map_priv *mp, u64 *why)
{
	gntv3_cache_unlink(back, mp);
	gntv3_cache_unindex(back, mp);
	(*why)++;
	gntv3_unmap_evict(mp);
}

/**
 * gntv3_cache_open() - may mappings of @back enter its cache now
 * @back: the attachment, with its lock held
 *
 * Asked once per unmap call, before gntv3_cache_put() of its mappings.
 *
 * Return: false without a cache or a connection (the frontend could not
 * take a cached page back), while detaching, or while a request of the
 * frontend is being carried out.
 */
bool gntv3_cache_open(struct gntv3_back *back)
{
	const struct gntv3_back_notifier *n = back->notifier;

	lockdep_assert_held(&back->lock);
	return back->cache_max && !back->dying && n && n->revoking &&
	       !n->revoking(back, back->notifier_data);
}

/**
 * gntv3_cache_put() - keep a mapping its owner is unmapping
 * @back: its attachment, with its lock held; gntv3_cache_open() said yes
 *	under this same hold of the lock
 * @mp: the mapping, in the safe unmap path (its state GNTV3_MAP_PENDING)
 * @idle: the caller found that nobody but gntv3 holds its pages
 *
 * On success @mp is GNTV3_MAP_CACHED and stays on back->maps; the owner
 * must be told it is unmapped and must not touch it again.
 *
 * Return: true if @mp is now cached; false if it must be unmapped (not
 * the indexed mapping of its id, which only a GNTV3_MAP_F_CACHE one can
 * be, or a page still in use).
 */
bool gntv3_cache_put(struct gntv3_back *back, struct gntv3_map_priv *mp,
		     bool idle)
{
	struct gntv3_map_priv *old;

	lockdep_assert_held(&back->lock);
	if (!mp->indexed || (!idle && !gntv3_pages_idle(mp)))
		return false;
	/* indexed, so not larger than the bound: the loop ends */
	while (back->cache_pages + mp->pub.nr_pages > back->cache_max) {
		old = list_first_entry(&back->cache_lru, struct gntv3_map_priv,
				       queue);
		gntv3_cache_evict(back, old, &back->cache_stats.evicted);
	}
	mp->state = GNTV3_MAP_CACHED;
	list_add_tail(&mp->queue, &back->cache_lru);
	back->cache_nr++;
	back->cache_pages += mp->pub.nr_pages;
	back->cache_stats.puts++;
	return true;
}

/**
 * gntv3_cache_may_put() - would gntv3_cache_put() take this mapping now
 * @back: its attachment, with its lock held; the caller also asks
 *	gntv3_cache_open(), after this cheaper check
 * @mp: the mapping, in the safe unmap path
 *
 * For the unmap work, which must not hand the mapping to the cache before
 * the owner's done callback returned (the callback may still read it):
 * the work marks it GNTV3_MAP_CACHING instead and calls
 * gntv3_cache_settle() after the callback.
 *
 * Return: true if @mp is its id's index entry and nobody else holds its
 * pages.
 */
bool gntv3_cache_may_put(struct gntv3_back *back, struct gntv3_map_priv *mp)
{
	lockdep_assert_held(&back->lock);
	return mp->indexed && gntv3_pages_idle(mp);
}

/**
 * gntv3_cache_settle() - cache a mapping whose owner's done callback ran
 * @back: its attachment, with its lock held
 * @mp: a mapping the unmap work marked GNTV3_MAP_CACHING
 *
 * Into the cache if it still may go there; otherwise (a request of the
 * frontend came meanwhile, detach started, a page got busy) into the safe
 * unmap path after all.  A mapping detach took over meanwhile
 * (GNTV3_MAP_CANCELLING) is detach's: nothing is done.
 */
void gntv3_cache_settle(struct gntv3_back *back, struct gntv3_map_priv *mp)
{
	lockdep_assert_held(&back->lock);
	if (mp->state != GNTV3_MAP_CACHING)
		return;
	mp->state = GNTV3_MAP_PENDING;
	if (gntv3_cache_open(back) && gntv3_cache_put(back, mp, false))
		return;
	gntv3_cache_unindex(back, mp);
	gntv3_unmap_evict(mp);
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
 * the same batch misses) but stays on the LRU until gntv3_cache_commit()
 * or gntv3_cache_abort(), which the caller calls once it knows whether
 * the whole batch mapped.
 *
 * Return: the mapping, or NULL.
 */
struct gntv3_map_priv *gntv3_cache_find(struct gntv3_back *back,
					gntv3_id_t id, unsigned int flags)
{
	struct gntv3_map_priv *mp;

	lockdep_assert_held(&back->lock);
	if (!back->cache_nr || !gntv3_cache_id_ok(id))
		goto miss;
	mp = xa_load(&back->cache, id);
	if (!mp || mp->state != GNTV3_MAP_CACHED || mp->map_flags != flags)
		goto miss;
	mp->state = GNTV3_MAP_LIVE;
	return mp;
miss:
	if (flags & GNTV3_MAP_F_CACHE)
		back->cache_stats.misses++;
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
	back->cache_stats.hits++;
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

/*
 * The index keys of the mappings that may overlap ids [@first, @first +
 * @nr_ids), @nr_ids at least 1: an indexed mapping is at most
 * back->cache_span pages long, so the first key is that far below @first.
 * A walk of the index between them costs what the range holds, not what
 * the cache holds.
 */
static unsigned long gntv3_cache_first_key(const struct gntv3_back *back,
					   gntv3_id_t first)
{
	if (!gntv3_cache_id_ok(first))
		return ULONG_MAX;
	return first - min_t(u64, first, back->cache_span ?
			     back->cache_span - 1 : 0);
}

static unsigned long gntv3_cache_last_key(gntv3_id_t first, u64 nr_ids)
{
	u64 last = first + nr_ids - 1;

	return last < first || last > ULONG_MAX ? ULONG_MAX : last;
}

static bool gntv3_cache_overlaps(const struct gntv3_map_priv *mp,
				 gntv3_id_t first, u64 nr_ids)
{
	return mp->pub.id < first + nr_ids &&
	       first < mp->pub.id + mp->pub.nr_pages;
}

/**
 * gntv3_cache_evict_range() - unmap what the cache holds of a range of ids
 * @back: the attachment, with its lock held
 * @first: first id of the range (a request of the frontend)
 * @nr_ids: its length, at least 1
 *
 * The evicted mappings go through the safe unmap path; each one's end
 * kicks the pending request's range check (gntv3_back_mappings_gone()).
 */
void gntv3_cache_evict_range(struct gntv3_back *back, gntv3_id_t first,
			     u64 nr_ids)
{
	struct gntv3_map_priv *mp;
	unsigned long key;

	lockdep_assert_held(&back->lock);
	if (!back->cache_nr)
		return;
	xa_for_each_range(&back->cache, key, mp,
			  gntv3_cache_first_key(back, first),
			  gntv3_cache_last_key(first, nr_ids))
		if (mp->state == GNTV3_MAP_CACHED &&
		    gntv3_cache_overlaps(mp, first, nr_ids))
			gntv3_cache_evict(back, mp,
					  &back->cache_stats.invalidated);
}

/* gntv3_cache_drop_range() unmaps this many cached mappings per call. */
#define GNTV3_CACHE_DROP_BATCH	16

/*
 * Take the indexed mappings of a range out of the index, so that none of
 * them is ever cached again, and up to GNTV3_CACHE_DROP_BATCH of the
 * cached ones off the LRU into @batch.  Under back->lock.
 *
 * Return: how many went into @batch.
 */
static unsigned int gntv3_cache_take_range(struct gntv3_back *back,
					   gntv3_id_t first, u64 nr_ids,
					   struct gntv3_map_priv **batch)
{
	struct gntv3_map_priv *mp;
	unsigned int n = 0;
	unsigned long key;

	xa_for_each_range(&back->cache, key, mp,
			  gntv3_cache_first_key(back, first),
			  gntv3_cache_last_key(first, nr_ids)) {
		if (!gntv3_cache_overlaps(mp, first, nr_ids))
			continue;
		if (n == GNTV3_CACHE_DROP_BATCH)
			break;		/* the caller comes back for it */
		/*
		 * A live mapping, or one the unmap work is about to cache
		 * (GNTV3_MAP_CACHING), is unmapped for real once its owner
		 * lets it go: gntv3_cache_put() takes indexed ones only.
		 */
		gntv3_cache_unindex(back, mp);
		if (mp->state != GNTV3_MAP_CACHED)
			continue;
		gntv3_cache_unlink(back, mp);
		batch[n++] = mp;
	}
	return n;
}

/*
 * Unmap the @nr mappings gntv3_cache_take_range() took, with one call of
 * the transport; under back->lock.  One that cannot be unmapped now for
 * want of memory takes the safe unmap path instead.
 */
static void gntv3_cache_unmap_batch(struct gntv3_back *back,
				    struct gntv3_map_priv **batch,
				    unsigned int nr)
{
	int rc[GNTV3_CACHE_DROP_BATCH] = {};
	unsigned int i;

	gntv3_back_unmap_pages(batch, nr, rc);
	back->cache_stats.forgotten += nr;
	for (i = 0; i < nr; i++) {
		if (rc[i] == -ENOMEM) {
			gntv3_unmap_evict(batch[i]);
			continue;
		}
		/* unmapped, or leaked by gntv3_back_unmap_pages() (-EIO) */
		list_del_init(&batch[i]->node);
		gntv3_back_free_mappings(&batch[i], 1);
	}
}

/**
 * gntv3_cache_drop_range() - the frontend ended grants the cache may hold
 * @back: the attachment
 * @first: first id of the range (a FORGET request of the frontend)
 * @nr_ids: its length, at least 1
 *
 * Unmaps the cached mappings of the range at once, in the caller's
 * context and in batches, so that the frontend's quarantine, retried when
 * the request's ACK arrives, finds them gone.  Their pages are idle:
 * nobody but gntv3 held them when they were cached, and their owner gave
 * them up.  Live mappings of the range are their owners' business, but
 * they leave the index: their owners' unmaps then unmap them for real
 * instead of caching grants the frontend has ended.
 *
 * Context: process context, may sleep; not under @back's lock.
 * Return: the number of cached mappings of the range.
 */
unsigned int gntv3_cache_drop_range(struct gntv3_back *back,
				    gntv3_id_t first, u64 nr_ids)
{
	struct gntv3_map_priv *batch[GNTV3_CACHE_DROP_BATCH];
	unsigned int n = 0, nr;

	mutex_lock(&back->lock);
	do {
		nr = gntv3_cache_take_range(back, first, nr_ids, batch);
		if (nr)
			gntv3_cache_unmap_batch(back, batch, nr);
		n += nr;
	} while (nr == GNTV3_CACHE_DROP_BATCH);
	if (n)
		gntv3_back_mappings_gone(back);
	mutex_unlock(&back->lock);
	return n;
}

/**
 * gntv3_cache_show() - the cache counters, for debugfs "back"
 * @s: the seq_file
 *
 * The counters of detached attachments plus those of the live ones, and
 * the mappings and pages cached now.
 */
void gntv3_cache_show(struct seq_file *s)
{
	struct gntv3_cache_stats st = {
		.hits = atomic64_read(&gntv3_cache_retired.hits),
		.misses = atomic64_read(&gntv3_cache_retired.misses),
		.puts = atomic64_read(&gntv3_cache_retired.puts),
		.evicted = atomic64_read(&gntv3_cache_retired.evicted),
		.invalidated = atomic64_read(&gntv3_cache_retired.invalidated),
		.forgotten = atomic64_read(&gntv3_cache_retired.forgotten),
	};
	u64 maps = 0, pages = 0;
	struct gntv3_back *back;

	mutex_lock(&gntv3_backs_lock);
	list_for_each_entry(back, &gntv3_backs, link) {
		mutex_lock(&back->lock);
		st.hits += back->cache_stats.hits;
		st.misses += back->cache_stats.misses;
		st.puts += back->cache_stats.puts;
		st.evicted += back->cache_stats.evicted;
		st.invalidated += back->cache_stats.invalidated;
		st.forgotten += back->cache_stats.forgotten;
		maps += back->cache_nr;
		pages += back->cache_pages;
		mutex_unlock(&back->lock);
	}
	mutex_unlock(&gntv3_backs_lock);
	seq_printf(s, "cache_hits: %llu\ncache_misses: %llu\ncache_puts: %llu\n",
		   st.hits, st.misses, st.puts);
	seq_printf(s, "cache_evicted: %llu\ncache_invalidated: %llu\ncache_forgotten: %llu\ncache_maps: %llu\ncache_pages: %llu\n",
		   st.evicted, st.invalidated, st.forgotten, maps, pages);
}
