// SPDX-License-Identifier: GPL-2.0-only
/*
 * gntv3 backend: the mapping objects and the pages they map into.
 */
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <xen/grant_table.h>

#include "backend.h"
#include "memstats.h"

/*
 * What a map/unmap cycle would otherwise allocate and free again is kept
 * per attachment, under back->lock, in two bounded stacks:
 *
 *  - the pool of mapping objects.  Mappings come from their own slab
 *    cache, a batch's all at once with kmem_cache_alloc_bulk(); those
 *    gntv3_unmap_batch() (or a failed batch) gives back go to the pool, up
 *    to GNTV3_MAP_POOL_MAX, and the next gntv3_map() takes them from there
 *    without zeroing them (init_on_alloc zeroing is a good part of the cost
 *    of a fresh object).  A mapping the unmap work frees goes straight back
 *    to the slab: it is freed after its done callback, by which time its
 *    attachment may be gone.
 *  - the page cache: pages unmapped mappings were in, up to
 *    back_cached_pages.  gnttab_alloc_pages() is the most expensive part of
 *    a map after the hypercall (a PV guest sets up a p2m entry per page),
 *    which is why xen-blkback and xen-scsiback keep such a cache as well.
 *    The pages have no memory behind them (unpopulated or ballooned), so
 *    the cache costs struct pages, not RAM.  It is a plain stack rather
 *    than a struct gnttab_page_cache because a batch takes and gives back
 *    hundreds of pages at once, under back->lock anyway, where
 *    gnttab_page_cache_get() takes one page per call and an irq-safe lock
 *    each time.
 *
 * Both are emptied at detach.  A page that may still be mapped (its unmap
 * failed) is leaked, never cached.
 */
static struct kmem_cache *gntv3_map_cache;

/*
 * Bytes one mapping object really takes in its slab: ksize() of one,
 * measured when the cache is made (the cache's slot size, alignment and
 * free pointer included).  The gauges of memstats.h count in it.
 */
static size_t gntv3_map_obj_size;

/*
 * Count @nr mapping objects handed out (@sign 1) or given back (-1),
 * @pooled of them taken from or put into a pool.
 */
static void gntv3_map_mem(long sign, unsigned int nr, unsigned int pooled)
{
	atomic64_add(sign * (long)(nr * gntv3_map_obj_size),
		     &gntv3_mem_cnt.map_tracking);
	if (pooled)
		atomic64_sub(sign * (long)(pooled * gntv3_map_obj_size),
			     &gntv3_mem_cnt.map_pooled);
}

/* Bytes of the arrays of @mp, as gntv3_mapping_init() allocated them. */
static size_t gntv3_mapping_arrays_bytes(const struct gntv3_map_priv *mp)
{
	size_t nr = mp->pub.nr_pages, bytes = 0;

	if (mp->pub.pages != &mp->page0) {
		bytes += gntv3_kv_bytes(mp->pub.pages, nr, sizeof(*mp->pub.pages));
		bytes += gntv3_kv_bytes(mp->handles, nr, sizeof(*mp->handles));
	}
	bytes += gntv3_kv_bytes(mp->vptes, nr, GNTV3_VMAP_SLOT);
	return bytes;
}

static unsigned int back_cached_pages = 1024;
module_param(back_cached_pages, uint, 0644);
MODULE_PARM_DESC(back_cached_pages,
		 "Free mapping pages each new attachment keeps for its next maps (default 1024)");

/* Take up to @n pointers off @s into @out; returns how many. */
static unsigned int gntv3_stack_pop(struct gntv3_stack *s, void **out,
				    unsigned int n)
{
	n = min(n, s->nr);
	s->nr -= n;
	memcpy(out, &s->slot[s->nr], n * sizeof(*out));
	return n;
}

/* Push what fits of the @n pointers of @in onto @s; returns how many. */
static unsigned int gntv3_stack_push(struct gntv3_stack *s, void *const *in,
				     unsigned int n)
{
	n = min(n, s->max - s->nr);
	memcpy(&s->slot[s->nr], in, n * sizeof(*in));
	s->nr += n;
	return n;
}

static int gntv3_stack_init(struct gntv3_stack *s, unsigned int max)
{
	s->nr = 0;
	s->max = max;
	s->slot = max ? kvmalloc_array(max, sizeof(*s->slot), GFP_KERNEL) : NULL;
	return !max || s->slot ? 0 : -ENOMEM;
}

/*
 * Free the arrays of @mp (not its pages) and leave its array pointers NULL:
 * that is all a mapping needs to be freed again, or set up again by
 * gntv3_mapping_init().  Single-page mappings, the common case, have none.
 */
void gntv3_mapping_free_arrays(struct gntv3_map_priv *mp)
{
	/* a one-page mapping has no array (NULL ones count 0) */
	if (mp->pub.pages != &mp->page0)
		atomic64_sub(gntv3_mapping_arrays_bytes(mp),
			     &gntv3_mem_cnt.map_tracking);
	if (unlikely(mp->vptes)) {
		kvfree(mp->vptes);
		mp->vptes = NULL;
	}
	if (mp->pub.pages != &mp->page0) {
		kvfree(mp->handles);
		kvfree(mp->pub.pages);
	}
	mp->pub.pages = NULL;
	mp->handles = NULL;
}

/*
 * @nr mappings for a batch of @back: from its pool first, then from the
 * slab.  Their array pointers are NULL; gntv3_mapping_init() sets every
 * other field.  On -ENOMEM none is left allocated.
 */
int gntv3_mappings_alloc(struct gntv3_back *back,
			 struct gntv3_map_priv **mps, unsigned int nr)
{
	unsigned int n;

	lockdep_assert_held(&back->lock);
	n = gntv3_stack_pop(&back->pool, (void **)mps, nr);
	if (n == nr ||
	    kmem_cache_alloc_bulk(gntv3_map_cache, GFP_KERNEL | __GFP_ZERO,
				  nr - n, (void **)&mps[n]) == nr - n) {
		gntv3_map_mem(1, nr, n);
		return 0;
	}
	gntv3_stack_push(&back->pool, (void *const *)mps, n);
	return -ENOMEM;
}

/*
 * Free @nr mappings of @back, fresh from gntv3_mappings_alloc() or set up
 * by gntv3_mapping_init() and no longer mapped: into the pool while it has
 * room, the rest to the slab.
 */
void gntv3_mappings_free(struct gntv3_back *back,
			 struct gntv3_map_priv **mps, unsigned int nr)
{
	unsigned int n;

	lockdep_assert_held(&back->lock);
	for (n = 0; n < nr; n++)
		gntv3_mapping_free_arrays(mps[n]);
	n = gntv3_stack_push(&back->pool, (void *const *)mps, nr);
	gntv3_map_mem(-1, nr, n);
	if (n < nr)
		kmem_cache_free_bulk(gntv3_map_cache, nr - n, (void **)&mps[n]);
}

/*
 * Pages to map @nr grants into: from @back's page cache first, the rest
 * with one gnttab_alloc_pages() call.  On error none is left allocated.
 */
int gntv3_pages_get(struct gntv3_back *back, struct page **pages,
		    unsigned int nr)
{
	unsigned int n;
	int rc;

	lockdep_assert_held(&back->lock);
	n = gntv3_stack_pop(&back->page_cache, (void **)pages, nr);
	if (n == nr)
		return 0;
	rc = gnttab_alloc_pages(nr - n, &pages[n]);
	if (rc)
		gntv3_stack_push(&back->page_cache, (void *const *)pages, n);
	return rc;
}

/* Give @nr unmapped pages of @back back: cache what fits, free the rest. */
void gntv3_pages_put(struct gntv3_back *back, struct page **pages,
		     unsigned int nr)
{
	unsigned int n;

	lockdep_assert_held(&back->lock);
	n = gntv3_stack_push(&back->page_cache, (void *const *)pages, nr);
	if (n < nr)
		gnttab_free_pages(nr - n, &pages[n]);
}

/**
 * gntv3_mapping_init() - set up a mapping from gntv3_mappings_alloc()
 * @mp: the mapping, whose array pointers are NULL
 * @back: its attachment
 * @id: the grant id it maps
 * @order: page order of the mapping
 * @readonly: mapped read-only
 * @first_ref: v1 reference of page 0 (0 if the transport has none)
 * @pv_vmap: a PV GNTV3_MAP_F_VMAP mapping: also the vmap handle arrays
 *
 * Field by field: pooled mappings are not zeroed.
 *
 * Return: 0, or -ENOMEM with @mp left for gntv3_mappings_free().
 */
int gntv3_mapping_init(struct gntv3_map_priv *mp, struct gntv3_back *back,
		       gntv3_id_t id, unsigned int order, bool readonly,
		       grant_ref_t first_ref, bool pv_vmap)
{
	unsigned int nr = 1U << order;

	mp->pub.back = back;
	mp->pub.id = id;
	mp->pub.order = order;
	mp->pub.readonly = readonly;
	mp->pub.nr_pages = nr;
	mp->pub.vaddr = NULL;
	INIT_LIST_HEAD(&mp->node);
	mp->state = GNTV3_MAP_LIVE;
	mp->first_ref = first_ref;
	mp->retry = 0;
	mp->start = 0;
	mp->due = 0;
	mp->result = 0;
	mp->done = NULL;
	mp->data = NULL;
	mp->page0 = NULL;
	mp->handle0 = 0;
	if (nr == 1 && !pv_vmap) {
		mp->pub.pages = &mp->page0;
		mp->handles = &mp->handle0;
		return 0;
	}
	mp->pub.pages = kvcalloc(nr, sizeof(*mp->pub.pages), GFP_KERNEL);
	mp->handles = kvcalloc(nr, sizeof(*mp->handles), GFP_KERNEL);
	if (pv_vmap)
		mp->vptes = kvcalloc(nr, GNTV3_VMAP_SLOT, GFP_KERNEL);
	/* what was allocated, even on failure: freed and counted out alike */
	atomic64_add(gntv3_mapping_arrays_bytes(mp), &gntv3_mem_cnt.map_tracking);
	if (!mp->pub.pages || !mp->handles || (pv_vmap && !mp->vptes))
		return -ENOMEM;
	return 0;
}

/**
 * gntv3_back_caches_init() - set up the mapping pool and page cache
 * @back: a new attachment
 *
 * Return: 0 or -ENOMEM; gntv3_back_caches_free() cleans up either way.
 */
int gntv3_back_caches_init(struct gntv3_back *back)
{
	if (gntv3_stack_init(&back->pool, GNTV3_MAP_POOL_MAX) ||
	    gntv3_stack_init(&back->page_cache,
			     min(READ_ONCE(back_cached_pages), GNTV3_MAP_MAX_PAGES)))
		return -ENOMEM;
	return 0;
}

/**
 * gntv3_back_caches_free() - empty and free the caches at detach
 * @back: the attachment; nothing can use its caches any more
 */
void gntv3_back_caches_free(struct gntv3_back *back)
{
	struct gntv3_stack *pc = &back->page_cache;

	if (back->pool.nr) {
		atomic64_sub(back->pool.nr * gntv3_map_obj_size,
			     &gntv3_mem_cnt.map_pooled);
		kmem_cache_free_bulk(gntv3_map_cache, back->pool.nr,
				     back->pool.slot);
	}
	if (pc->nr)
		gnttab_free_pages(pc->nr, (struct page **)pc->slot);
	kvfree(back->pool.slot);
	kvfree(pc->slot);
}

/**
 * gntv3_pool_init() - create the slab cache of the mapping objects
 *
 * Return: 0 or -ENOMEM.
 */
int gntv3_pool_init(void)
{
	struct gntv3_map_priv *mp;

	gntv3_map_cache = KMEM_CACHE(gntv3_map_priv, 0);
	if (!gntv3_map_cache)
		return -ENOMEM;
	mp = kmem_cache_alloc(gntv3_map_cache, GFP_KERNEL);
	if (!mp) {
		kmem_cache_destroy(gntv3_map_cache);
		return -ENOMEM;
	}
	gntv3_map_obj_size = ksize(mp);
	kmem_cache_free(gntv3_map_cache, mp);
	return 0;
}

/**
 * gntv3_pool_exit() - destroy it, once every mapping was freed or leaked
 */
void gntv3_pool_exit(void)
{
	kmem_cache_destroy(gntv3_map_cache);
}

/**
 * gntv3_back_free_mappings() - free the bookkeeping of mappings
 * @mps: @nr mappings of one attachment, each unmapped by
 *	gntv3_back_unmap_pages() or leaked by gntv3_back_leak_mapping();
 *	their pages are not touched
 * @nr: number of mappings
 *
 * They are kept in their attachment's pool for its next gntv3_map(), so
 * the caller holds the attachment's lock.
 */
void gntv3_back_free_mappings(struct gntv3_map_priv **mps, unsigned int nr)
{
	if (nr)
		gntv3_mappings_free(mps[0]->pub.back, mps, nr);
}

/**
 * gntv3_back_free_mapping() - free the bookkeeping of one mapping
 * @mp: as one of gntv3_back_free_mappings()
 *
 * Straight back to the slab, without the attachment's lock: the unmap work
 * frees a mapping after its done callback, when a detach may already have
 * freed the attachment.
 */
void gntv3_back_free_mapping(struct gntv3_map_priv *mp)
{
	gntv3_mapping_free_arrays(mp);
	gntv3_map_mem(-1, 1, 0);
	kmem_cache_free(gntv3_map_cache, mp);
}
