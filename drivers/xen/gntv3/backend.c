// SPDX-License-Identifier: GPL-2.0-only
/*
 * gntv3 backend: attach to a frontend's grant tree and map its grants.
 *
 * Everything read from the frontend (descriptor, table entries) is written
 * by an untrusted peer that may change it at any time.  Each descriptor
 * field and each entry is read once (READ_ONCE) and validated before use;
 * gntv3_walk() does this for the entries, the table cache below for the
 * table references.  Hostile input yields a negative errno and a count in
 * the "bad entries" counter, never a WARN or BUG.
 *
 * Table cache.  gntv3_walk() asks for each table page on the path of an id.
 * A table page named by v1 reference R is mapped read-only into a page from
 * gnttab_alloc_pages() and kept in a small per-attachment cache (at most
 * back_tcache_max entries, a debugfs knob).  A cached mapping of R stays
 * valid for as long as we hold it: the frontend cannot end access to R, nor
 * reuse R for another page, while we map it.  So the cache never serves a
 * wrong page; it can only keep tables the frontend no longer uses, which
 * would stay in the frontend's quarantine.  Hence entries are dropped
 *  - when a walk finds a different table, a leaf or an empty entry in the
 *    slot (parent table, index) an entry was found through, together with
 *    every cached table below it;
 *  - all at once when the descriptor's generation changes (root replaced);
 *  - least recently used first when the cache is full;
 *  - all at detach.
 * A table reached twice on one walk (a loop), a table reference equal to the
 * descriptor's, or a table met at two levels is rejected with -ELOOP.
 *
 * Mapping.  gntv3_map() resolves every id of a batch first (walk, checks of
 * size, permissions and revocation), then maps all 4 KiB pieces of all ids
 * with one gnttab_map_refs() call: a 2 MiB grant is 512 consecutive v1
 * references first_ref + i.  All or nothing: a partial failure unmaps what
 * did map.  Every mapped page is PageForeign with xen_page_foreign() naming
 * the frontend and the v1 reference (gnttab_map_refs() fills it in).
 *
 * PG_foreign is PF_NO_COMPOUND in 6.12, so a 2 MiB grant is 512 order-0
 * foreign pages under one struct gntv3_mapping, 512 grant handles and 512
 * maptrack entries in Xen.  A native v3 mapping (GNTTABOP_v3_map) would be
 * one hypercall element and one handle for the whole superpage, and on a
 * translated guest could be backed by one 2 MiB host mapping; the struct
 * pages would still be order-0 foreign pages unless PG_foreign learns about
 * folios.  The native path is not implemented: no hypervisor offers
 * GNTTABOP_v3_map, so attach refuses native trees with -EOPNOTSUPP rather
 * than ship code that was never run.
 *
 * GNTV3_MAP_F_VMAP: on a translated guest (PVH/HVM) the pages are simply
 * vmap()ed.  A PV guest may not point its own PTEs at another domain's
 * frames, so there the vmap area is created first (its PTEs empty, as the
 * pages have no machine frame yet) and each of its PTEs is mapped by Xen
 * with GNTMAP_contains_pte, next to the usual linear-map mapping; that is
 * two grant mappings per page.
 */
#include <linux/debugfs.h>
#include <linux/err.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <linux/wait_bit.h>
#include <xen/features.h>
#include <xen/grant_table.h>
#include <asm/xen/hypercall.h>
#include <asm/xen/page.h>

#include "backend.h"
#include "conn.h"
#include "internal.h"
#include "tree.h"

struct gntv3_back_counters gntv3_back_cnt;

/* Every live attachment, for debugfs and module unload. */
static LIST_HEAD(gntv3_backs);
/* Protects gntv3_backs; taken before any back->lock. */
static DEFINE_MUTEX(gntv3_backs_lock);

/*
 * Fault injection (debugfs back_fail_map_op, 0 by default): N > 0 makes the
 * next batch map of at least N pages hand Xen an invalid grant reference in
 * its N-th map op (the vmap PTE op of a PV vmap), then resets to 0.  Xen
 * fails that one op and maps the others, so a test can drive the unwind of
 * a partly failed batch through real hypercalls.
 */
static u32 gntv3_fail_map_op;
#define GNTV3_BAD_REF	U32_MAX

/* Table cache bound per attachment (debugfs knob back_tcache_max). */
static u32 gntv3_tcache_max = 64;
#define GNTV3_TCACHE_MIN	GNTV3_MAX_LEVELS
#define GNTV3_TCACHE_LIMIT	1024

static bool gntv3_pv(void)
{
	return !xen_feature(XENFEAT_auto_translated_physmap);
}

static unsigned long gntv3_kaddr(struct page *page)
{
	return (unsigned long)pfn_to_kaddr(page_to_pfn(page));
}

/* Grant status of a map operation -> errno. */
static int gntv3_gnttab_errno(s16 status)
{
	switch (status) {
	case GNTST_okay:
		return 0;
	case GNTST_bad_domain:
		return -ESRCH;
	case GNTST_bad_gntref:
	case GNTST_general_error:	/* ref not granted to us */
		return -ENOENT;
	case GNTST_permission_denied:
		return -EACCES;
	case GNTST_no_device_space:
		return -ENOSPC;
	default:
		return -EIO;
	}
}

static void gntv3_bad_entry(void)
{
	atomic64_inc(&gntv3_back_cnt.bad_entries);
}

/* ---- one read-only page: the descriptor and the table pages ---- */

static int gntv3_map_ro_page(domid_t domid, grant_ref_t ref,
			     struct page **pagep, grant_handle_t *handle)
{
	struct gnttab_map_grant_ref op;
	struct page *page;
	int rc;

	rc = gnttab_alloc_pages(1, &page);
	if (rc)
		return rc;
	gnttab_set_map_op(&op, gntv3_kaddr(page),
			  GNTMAP_host_map | GNTMAP_readonly, ref, domid);
	rc = gnttab_map_refs(&op, NULL, &page, 1);
	if (!rc)
		rc = gntv3_gnttab_errno(op.status);
	if (rc) {
		/* A failed op left nothing mapped: the page is ours again. */
		gnttab_free_pages(1, &page);
		return rc;
	}
	*pagep = page;
	*handle = op.handle;
	return 0;
}

/*
 * Nobody but us ever takes a reference to a descriptor or table page, so it
 * is unmapped at once.  If Xen refuses, the page is still mapped and is
 * deliberately leaked rather than handed back to the allocator.
 */
static void gntv3_unmap_ro_page(struct page *page, grant_handle_t handle)
{
	struct gnttab_unmap_grant_ref op;
	int rc;

	gnttab_set_unmap_op(&op, gntv3_kaddr(page), GNTMAP_host_map, handle);
	rc = gnttab_unmap_refs(&op, NULL, &page, 1);
	if (rc || op.status != GNTST_okay) {
		pr_warn_ratelimited("gntv3: unmap of table page failed (%d/%d), leaking it\n",
				    rc, op.status);
		atomic64_inc(&gntv3_back_cnt.leaked);
		return;
	}
	gnttab_free_pages(1, &page);
}

/* ---- table cache (all under back->lock) ---- */

static void gntv3_tcache_del(struct gntv3_back *back, unsigned int i)
{
	struct gntv3_tcache_entry *e = &back->tcache[i];

	gntv3_unmap_ro_page(e->page, e->handle);
	atomic64_dec(&gntv3_back_cnt.tcache_maps);
	back->tcache[i] = back->tcache[--back->tcache_nr];
}

static void gntv3_tcache_drop_all(struct gntv3_back *back)
{
	while (back->tcache_nr)
		gntv3_tcache_del(back, back->tcache_nr - 1);
}

/* The walk in progress, handed to gntv3_back_get_table(). */
struct gntv3_walk_ctx {
	struct gntv3_back *back;
	gntv3_id_t id;
	unsigned int levels;
	u64 path[GNTV3_MAX_LEVELS];	/* table ref per level, or ~0 */
	int last_level;			/* level of the last table given */
	const __le64 *leaf_ptes;	/* the level-0 table given, or NULL */
};

static bool gntv3_on_path(const struct gntv3_walk_ctx *w, u64 ref)
{
	unsigned int l;

	for (l = 0; l < GNTV3_MAX_LEVELS; l++)
		if (w->path[l] == ref)
			return true;
	return false;
}

/*
 * Drop the cached table entry i and every cached table below it, except
 * tables on the current walk's path (a hostile tree may make one reachable
 * from two places; the walk still reads it).
 */
static void gntv3_tcache_drop_subtree(struct gntv3_back *back,
				      const struct gntv3_walk_ctx *w,
				      unsigned int i)
{
	u64 ref = back->tcache[i].ref;
	unsigned int j;

	if (gntv3_on_path(w, ref))
		return;
	gntv3_tcache_del(back, i);
	/* gntv3_tcache_del() moves the last entry into the hole: rescan. */
	for (j = 0; j < back->tcache_nr; ) {
		if (back->tcache[j].parent == ref && !gntv3_on_path(w, back->tcache[j].ref)) {
			gntv3_tcache_drop_subtree(back, w, j);
			j = 0;
			continue;
		}
		j++;
	}
}

/* Slot (@parent, @index) now holds @keep (or no table at all: ~0). */
static void gntv3_tcache_drop_slot(struct gntv3_back *back,
				   const struct gntv3_walk_ctx *w, u64 parent,
				   unsigned int index, u64 keep)
{
	unsigned int i;

	for (i = 0; i < back->tcache_nr; ) {
		struct gntv3_tcache_entry *e = &back->tcache[i];

		if (e->parent == parent && e->index == index && e->ref != keep &&
		    !gntv3_on_path(w, e->ref)) {
			gntv3_tcache_drop_subtree(back, w, i);
			i = 0;
			continue;
		}
		i++;
	}
}

static int gntv3_tcache_evict(struct gntv3_back *back,
			      const struct gntv3_walk_ctx *w)
{
	unsigned int i, victim = UINT_MAX;

	for (i = 0; i < back->tcache_nr; i++) {
		if (gntv3_on_path(w, back->tcache[i].ref))
			continue;
		if (victim == UINT_MAX ||
		    back->tcache[i].stamp < back->tcache[victim].stamp)
			victim = i;
	}
	if (victim == UINT_MAX)
		return -ENOSPC;
	gntv3_tcache_del(back, victim);
	return 0;
}

/* gntv3_get_table_fn: map (or find cached) the table @table_pte names. */
static int gntv3_back_get_table(void *ctx, unsigned int level, u64 table_pte,
				const __le64 **ptes)
{
	struct gntv3_walk_ctx *w = ctx;
	struct gntv3_back *back = w->back;
	struct gntv3_tcache_entry *e = NULL;
	unsigned int i, index;
	u64 ref, parent;
	int rc;

	ref = GNTV3_PTE_GET_FRAME(table_pte);
	/* errors here are counted as bad entries by gntv3_resolve_one() */
	if (!(table_pte & GNTV3_PTE_V1) || ref > U32_MAX ||
	    level + 1 > w->levels)
		return -EPROTO;
	if (ref == back->tree_ref || gntv3_on_path(w, ref))
		return -ELOOP;
	if (level + 1 == w->levels) {
		parent = GNTV3_TCACHE_ROOT;
		index = 0;
	} else {
		parent = w->path[level + 1];
		index = GNTV3_ID_INDEX(w->id, level + 1);
	}
	gntv3_tcache_drop_slot(back, w, parent, index, ref);

	for (i = 0; i < back->tcache_nr; i++) {
		if (back->tcache[i].ref == ref) {
			e = &back->tcache[i];
			break;
		}
	}
	if (e && e->level != level)
		return -ELOOP;
	if (!e) {
		if (back->tcache_nr == back->tcache_max) {
			rc = gntv3_tcache_evict(back, w);
			if (rc)
				return rc;
		}
		e = &back->tcache[back->tcache_nr];
		rc = gntv3_map_ro_page(back->domid, ref, &e->page, &e->handle);
		if (rc)
			return rc;
		e->ref = ref;
		e->level = level;
		back->tcache_nr++;
		atomic64_inc(&gntv3_back_cnt.tcache_maps);
	}
	e->parent = parent;
	e->index = index;
	e->stamp = ++back->tcache_clock;
	w->path[level] = ref;
	w->last_level = level;
	*ptes = page_address(e->page);
	if (!level)
		w->leaf_ptes = *ptes;
	return 0;
}

/*
 * Read the descriptor once per batch.  Returns the root word (0 for an empty
 * tree) in @root; drops the table cache on a generation change.
 */
static int gntv3_back_read_desc(struct gntv3_back *back, u64 *root)
{
	const struct gntv3_tree_desc *d = page_address(back->desc_page);
	u32 generation;
	unsigned int i;

	if (READ_ONCE(d->magic) != GNTV3_TREE_MAGIC ||
	    READ_ONCE(d->version) != GNTV3_ABI_VERSION ||
	    READ_ONCE(d->flags) != GNTV3_TREE_F_V1 ||
	    READ_ONCE(d->grantee) != back->self)
		goto bad;
	for (i = 0; i < ARRAY_SIZE(d->reserved); i++)
		if (READ_ONCE(d->reserved[i]))
			goto bad;
	generation = READ_ONCE(d->generation);
	/* The root is read after the generation: a root newer than the
	 * generation only makes the next batch drop the cache once more.
	 */
	smp_rmb();
	*root = READ_ONCE(d->root);
	if (generation != back->generation) {
		gntv3_tcache_drop_all(back);
		back->generation = generation;
	}
	return 0;
bad:
	gntv3_bad_entry();
	return -EPROTO;
}

/* Forget cached tables a walk for @w->id showed to be unreachable. */
static void gntv3_tcache_after_walk(struct gntv3_walk_ctx *w, int rc,
				    const struct gntv3_walk_result *res)
{
	unsigned int l;

	if (!rc && res->level > 0 && w->path[res->level] != ~0ULL)
		l = res->level;		/* a superpage leaf sits in this slot */
	else if (rc == -ENOENT && w->last_level >= 0)
		l = w->last_level;	/* the slot below this table is empty */
	else
		return;
	gntv3_tcache_drop_slot(w->back, w, w->path[l],
			       GNTV3_ID_INDEX(w->id, l), ~0ULL);
}

static bool gntv3_walk_err_is_bad(int rc)
{
	return rc == -EINVAL || rc == -EPROTO || rc == -EBADMSG ||
	       rc == -ELOOP;
}

/* ---- mapping objects and the pages they map into ---- */

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
static void gntv3_mapping_free_arrays(struct gntv3_map_priv *mp)
{
	if (unlikely(mp->vhandles || mp->vptes)) {
		kvfree(mp->vptes);
		kvfree(mp->vhandles);
		mp->vptes = NULL;
		mp->vhandles = NULL;
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
static int gntv3_mappings_alloc(struct gntv3_back *back,
				struct gntv3_map_priv **mps, unsigned int nr)
{
	unsigned int n;

	lockdep_assert_held(&back->lock);
	n = gntv3_stack_pop(&back->pool, (void **)mps, nr);
	if (n == nr ||
	    kmem_cache_alloc_bulk(gntv3_map_cache, GFP_KERNEL | __GFP_ZERO,
				  nr - n, (void **)&mps[n]) == nr - n)
		return 0;
	gntv3_stack_push(&back->pool, (void *const *)mps, n);
	return -ENOMEM;
}

/*
 * Free @nr mappings of @back, fresh from gntv3_mappings_alloc() or set up
 * by gntv3_mapping_init() and no longer mapped: into the pool while it has
 * room, the rest to the slab.
 */
static void gntv3_mappings_free(struct gntv3_back *back,
				struct gntv3_map_priv **mps, unsigned int nr)
{
	unsigned int n;

	lockdep_assert_held(&back->lock);
	for (n = 0; n < nr; n++)
		gntv3_mapping_free_arrays(mps[n]);
	n = gntv3_stack_push(&back->pool, (void *const *)mps, nr);
	if (n < nr)
		kmem_cache_free_bulk(gntv3_map_cache, nr - n, (void **)&mps[n]);
}

/*
 * Pages to map @nr grants into: from @back's page cache first, the rest
 * with one gnttab_alloc_pages() call.  On error none is left allocated.
 */
static int gntv3_pages_get(struct gntv3_back *back, struct page **pages,
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
static void gntv3_pages_put(struct gntv3_back *back, struct page **pages,
			    unsigned int nr)
{
	unsigned int n;

	lockdep_assert_held(&back->lock);
	n = gntv3_stack_push(&back->page_cache, (void *const *)pages, nr);
	if (n < nr)
		gnttab_free_pages(nr - n, &pages[n]);
}

/* Detach: nothing can use the caches any more. */
static void gntv3_back_caches_free(struct gntv3_back *back)
{
	struct gntv3_stack *pc = &back->page_cache;

	if (back->pool.nr)
		kmem_cache_free_bulk(gntv3_map_cache, back->pool.nr,
				     back->pool.slot);
	if (pc->nr)
		gnttab_free_pages(pc->nr, (struct page **)pc->slot);
	kvfree(back->pool.slot);
	kvfree(pc->slot);
}

/* ---- attach / detach ---- */

static int gntv3_back_check_desc(struct gntv3_back *back)
{
	const struct gntv3_tree_desc *d = page_address(back->desc_page);
	u32 flags = READ_ONCE(d->flags);
	int rc;

	if (READ_ONCE(d->magic) != GNTV3_TREE_MAGIC ||
	    READ_ONCE(d->version) != GNTV3_ABI_VERSION ||
	    (flags & ~GNTV3_TREE_F_V1)) {
		gntv3_bad_entry();
		return -EPROTO;
	}
	if (!(flags & GNTV3_TREE_F_V1))
		return -EOPNOTSUPP;	/* native tree: see the top of file */
	rc = gntv3_conn_self_domid(&back->self);
	if (rc)
		return rc;
	if (READ_ONCE(d->grantee) != back->self) {
		gntv3_bad_entry();
		return -EPERM;
	}
	back->generation = READ_ONCE(d->generation);
	return 0;
}

/**
 * gntv3_back_attach() - attach to a frontend's grant tree
 * @frontend: the granting domain (our own domain id for loopback)
 * @tree_ref: v1 grant reference of the frontend's tree descriptor page
 *
 * Maps the descriptor read-only and checks its magic, version, transport
 * and that it grants to us.
 *
 * Context: process context, may sleep.
 * Return: the attachment, or ERR_PTR(): -EOPNOTSUPP for a native tree,
 * -ENOENT if @tree_ref is not granted to us, -EPROTO for a malformed
 * descriptor, -EPERM if the tree grants to another domain, -ENOMEM.
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
	kref_init(&back->ref);
	back->tcache_max = clamp_t(u32, READ_ONCE(gntv3_tcache_max),
				   GNTV3_TCACHE_MIN, GNTV3_TCACHE_LIMIT);
	back->tcache = kcalloc(back->tcache_max, sizeof(*back->tcache),
			       GFP_KERNEL);
	if (!back->tcache ||
	    gntv3_stack_init(&back->pool, GNTV3_MAP_POOL_MAX) ||
	    gntv3_stack_init(&back->page_cache,
			     min(READ_ONCE(back_cached_pages), GNTV3_MAP_MAX_PAGES))) {
		rc = -ENOMEM;
		goto err_free;
	}
	rc = gntv3_map_ro_page(frontend, tree_ref, &back->desc_page,
			       &back->desc_handle);
	if (rc)
		goto err_free;
	rc = gntv3_back_check_desc(back);
	if (rc)
		goto err_unmap;

	mutex_lock(&gntv3_backs_lock);
	list_add_tail(&back->link, &gntv3_backs);
	mutex_unlock(&gntv3_backs_lock);
	atomic64_inc(&gntv3_back_cnt.attachments);
	return back;

err_unmap:
	gntv3_unmap_ro_page(back->desc_page, back->desc_handle);
err_free:
	gntv3_back_caches_free(back);
	kfree(back->tcache);
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
 * mapping the caller never gave back is unmapped.  A mapping whose pages
 * are still in use stays mapped and is leaked on purpose (pr_warn, counted
 * as "leaked"): its pages are never freed while mapped.  Returns once no
 * done callback of @back is running any more; after that no struct
 * gntv3_mapping of @back may be used.
 *
 * Context: process context, may sleep; not from a done callback of @back.
 */
void gntv3_back_detach(struct gntv3_back *back)
{
	struct gntv3_map_priv *mp;
	bool was_pending;

	if (!back)
		return;
	/* the ring first: no revoke request may look at the maps below */
	gntv3_bconn_destroy(back);
	mutex_lock(&gntv3_backs_lock);
	list_del(&back->link);
	mutex_unlock(&gntv3_backs_lock);

	mutex_lock(&back->lock);
	back->dying = true;
	while ((mp = list_first_entry_or_null(&back->maps,
					      struct gntv3_map_priv, node))) {
		list_del_init(&mp->node);
		was_pending = mp->state == GNTV3_MAP_PENDING;
		mp->state = GNTV3_MAP_CANCELLING;
		mutex_unlock(&back->lock);
		gntv3_unmap_cancel(mp, was_pending);
		mutex_lock(&back->lock);
	}
	gntv3_tcache_drop_all(back);
	mutex_unlock(&back->lock);
	/* unmap works that took a mapping off back->maps before we looked */
	wait_var_event(&back->in_done, !atomic_read(&back->in_done));

	/* every mapping is unmapped or leaked: nobody uses the caches now */
	gntv3_back_caches_free(back);
	gntv3_unmap_ro_page(back->desc_page, back->desc_handle);
	atomic64_dec(&gntv3_back_cnt.attachments);
	kfree(back->tcache);
	back->tcache = NULL;
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
 * A connected attachment re-checks its pending revoke requests at once
 * rather than on its next poll: the mapping that kept one waiting may have
 * been among them.  Called once the owner knows (its done callback ran, or
 * gntv3_unmap_batch() is about to return), so that an ACK never runs ahead
 * of what the owner has been told.
 */
void gntv3_back_mappings_gone(struct gntv3_back *back)
{
	lockdep_assert_held(&back->lock);
	if (back->conn)
		gntv3_bconn_kick(back->conn);
}

/* ---- batch map ---- */

/* One id of a batch, resolved. */
struct gntv3_resolved {
	grant_ref_t first_ref;
	unsigned int order;
	bool writable;
};

/*
 * The level-0 table the last walk of a batch ended in.  Batches name
 * consecutive ids more often than not, and the table cache keeps that table
 * mapped until the next walk, so an id of the same table is looked up there
 * directly instead of walking down from the root again.  Its entry is read
 * once and validated exactly as gntv3_walk() does at level 0.  The batch
 * works from one reading of the descriptor anyway; this reads each table
 * above level 0 once per run of ids under it rather than once per id.
 */
struct gntv3_leaf_hint {
	const __le64 *ptes;	/* the table's entries, NULL: none */
	gntv3_id_t id;		/* an id the table covers */
};

static bool gntv3_hint_covers(const struct gntv3_leaf_hint *hint, gntv3_id_t id)
{
	return hint->ptes && !((hint->id ^ id) >> GNTV3_LEVEL_BITS);
}

/* gntv3_walk() for an id of the table @hint names. */
static int gntv3_hint_walk(const struct gntv3_leaf_hint *hint, gntv3_id_t id,
			   struct gntv3_walk_result *res)
{
	u64 pte = le64_to_cpu(READ_ONCE(hint->ptes[GNTV3_ID_INDEX(id, 0)]));
	int rc;

	/* a level-0 entry is a leaf or invalid: validation refuses tables */
	rc = gntv3_pte_validate(pte, 0);
	if (rc)
		return rc;
	res->pte = pte;
	res->level = 0;
	res->first_id = id;
	return 0;
}

/* Walk from the root; remember the level-0 table for the next ids. */
static int gntv3_resolve_walk(struct gntv3_back *back, u64 root, gntv3_id_t id,
			      struct gntv3_leaf_hint *hint,
			      struct gntv3_walk_result *res)
{
	struct gntv3_walk_ctx w = {
		.back = back,
		.id = id,
		.levels = GNTV3_ROOT_GET_LEVELS(root),
		.last_level = -1,
	};
	int rc;

	hint->ptes = NULL;
	memset(w.path, 0xff, sizeof(w.path));
	if (!root)
		return -ENOENT;
	rc = gntv3_walk(root, id, gntv3_back_get_table, &w, res);
	gntv3_tcache_after_walk(&w, rc, res);
	if (!rc && !res->level) {
		hint->ptes = w.leaf_ptes;
		hint->id = id;
	}
	return rc;
}

static int gntv3_resolve_one(struct gntv3_back *back, u64 root, gntv3_id_t id,
			     unsigned int flags, struct gntv3_leaf_hint *hint,
			     struct gntv3_resolved *r)
{
	struct gntv3_walk_result res;
	unsigned int nr;
	u64 ref;
	int rc;

	if (gntv3_hint_covers(hint, id))
		rc = gntv3_hint_walk(hint, id, &res);
	else
		rc = gntv3_resolve_walk(back, root, id, hint, &res);
	if (rc) {
		if (gntv3_walk_err_is_bad(rc))
			gntv3_bad_entry();
		return rc;
	}
	if (res.first_id != id)
		return -EINVAL;		/* inside a superpage: no sub-maps */
	if (res.level > GNTV3_SIZE_2M)
		return -EOPNOTSUPP;	/* 1 GiB: 2^18 handles, not supported */
	if (!(res.pte & GNTV3_PTE_V1)) {
		gntv3_bad_entry();
		return -EPROTO;
	}
	if (res.pte & GNTV3_PTE_REVOKED)
		return -EACCES;
	/* v1: the frontend can only downgrade entries nobody maps */
	if (res.pte & GNTV3_PTE_DOWNGRADE)
		return -EAGAIN;
	if (!(flags & GNTV3_MAP_F_READONLY) && !(res.pte & GNTV3_PTE_WRITE))
		return -EACCES;
	nr = 1U << GNTV3_SIZE_ORDER(res.level);
	ref = GNTV3_PTE_GET_FRAME(res.pte);
	if (ref > U32_MAX - (nr - 1)) {
		gntv3_bad_entry();
		return -EPROTO;
	}
	r->first_ref = ref;
	r->order = GNTV3_SIZE_ORDER(res.level);
	r->writable = !(flags & GNTV3_MAP_F_READONLY);
	return 0;
}

/*
 * The op arrays of one gnttab_map_refs() call covering a whole batch, and
 * the number of mappings allocated for it (0 or all of them).
 */
struct gntv3_batch {
	unsigned int total;
	unsigned int nr_maps;
	bool pv_vmap;
	struct page **pages;
	struct gnttab_map_grant_ref *ops;	/* linear map, or vmap PTEs */
	struct gnttab_map_grant_ref *kops;	/* pv_vmap: linear map */
	struct page *pages_inline[GNTV3_INLINE_NR];
	struct gnttab_map_grant_ref ops_inline[GNTV3_INLINE_NR];
};

/*
 * Set up @mp, whose array pointers are NULL, field by field (pooled
 * mappings are not zeroed); on -ENOMEM it is left for gntv3_mappings_free().
 */
static int gntv3_mapping_init(struct gntv3_map_priv *mp,
			      struct gntv3_back *back, gntv3_id_t id,
			      const struct gntv3_resolved *r, bool pv_vmap)
{
	unsigned int nr = 1U << r->order;

	mp->pub.back = back;
	mp->pub.id = id;
	mp->pub.order = r->order;
	mp->pub.readonly = !r->writable;
	mp->pub.nr_pages = nr;
	mp->pub.vaddr = NULL;
	INIT_LIST_HEAD(&mp->node);
	mp->state = GNTV3_MAP_LIVE;
	mp->first_ref = r->first_ref;
	gntv3_unmap_work_init(mp);
	mp->retry = 0;
	mp->start = 0;
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
	if (pv_vmap) {
		mp->vhandles = kvcalloc(nr, sizeof(*mp->vhandles), GFP_KERNEL);
		mp->vptes = kvcalloc(nr, sizeof(*mp->vptes), GFP_KERNEL);
	}
	if (!mp->pub.pages || !mp->handles ||
	    (pv_vmap && (!mp->vhandles || !mp->vptes)))
		return -ENOMEM;
	return 0;
}

/*
 * PV: create the vmap area of @mp before the grant map.  The pages have no
 * machine frame yet, so Xen PV's pte conversion leaves every PTE of the area
 * empty (but the page tables exist); the grant map then fills them in
 * (GNTMAP_contains_pte), which needs their machine addresses.
 */
static int gntv3_pv_vmap_prepare(struct gntv3_map_priv *mp)
{
	unsigned int i, nr = mp->pub.nr_pages, level;
	pte_t *pte;

	mp->pub.vaddr = vmap(mp->pub.pages, nr, VM_MAP, PAGE_KERNEL);
	if (!mp->pub.vaddr)
		return -ENOMEM;
	for (i = 0; i < nr; i++) {
		pte = lookup_address((unsigned long)mp->pub.vaddr + i * PAGE_SIZE,
				     &level);
		if (!pte || level != PG_LEVEL_4K) {
			vunmap(mp->pub.vaddr);
			mp->pub.vaddr = NULL;
			return -EFAULT;
		}
		mp->vptes[i] = arbitrary_virt_to_machine(pte).maddr;
	}
	return 0;
}

/* Fill the ops of @mp's pages, starting at batch slot @k. */
static void gntv3_batch_fill(struct gntv3_batch *b, struct gntv3_map_priv *mp,
			     unsigned int k, domid_t domid)
{
	u32 ro = mp->pub.readonly ? GNTMAP_readonly : 0;
	unsigned int i;

	for (i = 0; i < mp->pub.nr_pages; i++, k++) {
		struct page *page = b->pages[k];

		mp->pub.pages[i] = page;
		if (b->pv_vmap) {
			gnttab_set_map_op(&b->ops[k], mp->vptes[i],
					  GNTMAP_host_map | GNTMAP_contains_pte | ro,
					  mp->first_ref + i, domid);
			gnttab_set_map_op(&b->kops[k], gntv3_kaddr(page),
					  GNTMAP_host_map | ro,
					  mp->first_ref + i, domid);
		} else {
			gnttab_set_map_op(&b->ops[k], gntv3_kaddr(page),
					  GNTMAP_host_map | ro,
					  mp->first_ref + i, domid);
		}
	}
}

/* Raw unmap of one map op that succeeded, bypassing the p2m bookkeeping. */
static bool gntv3_unmap_raw(const struct gnttab_map_grant_ref *m)
{
	struct gnttab_unmap_grant_ref op = {
		.host_addr = m->host_addr,
		.handle = m->handle,
	};

	return !HYPERVISOR_grant_table_op(GNTTABOP_unmap_grant_ref, &op, 1) &&
	       op.status == GNTST_okay;
}

/* Undo a page whose ops all succeeded: it is foreign, its p2m is set. */
static bool gntv3_unmap_whole(struct gntv3_batch *b, unsigned int k)
{
	const struct gnttab_map_grant_ref *m = &b->ops[k];
	const struct gnttab_map_grant_ref *km = b->kops ? &b->kops[k] : NULL;
	struct gnttab_unmap_grant_ref op = {
		.host_addr = m->host_addr,
		.handle = m->handle,
	};
	struct gnttab_unmap_grant_ref kop = {};

	if (km) {
		kop.host_addr = km->host_addr;
		kop.handle = km->handle;
	}
	return !gnttab_unmap_refs(&op, km ? &kop : NULL, &b->pages[k], 1) &&
	       op.status == GNTST_okay && (!km || kop.status == GNTST_okay);
}

/*
 * Undo the map ops of a batch that did not fully succeed.  With @consistent
 * (gnttab_map_refs() returned 0), pages whose ops all succeeded are foreign
 * with their p2m set up and go through gnttab_unmap_refs().  A page where
 * only one of its two PV ops succeeded, or any page after the hypercall
 * itself failed (gnttab_map_refs() then returns before setting up the p2m),
 * is undone op by op.  A page that cannot be unmapped is leaked, never
 * freed: its slot in b->pages is cleared.  Returns the number leaked.
 */
static unsigned int gntv3_batch_unwind(struct gntv3_batch *b, bool consistent)
{
	unsigned int k, leaked = 0;

	for (k = 0; k < b->total; k++) {
		const struct gnttab_map_grant_ref *m = &b->ops[k];
		const struct gnttab_map_grant_ref *km = b->kops ? &b->kops[k] : NULL;
		bool m_ok = m->status == GNTST_okay;
		bool km_ok = km && km->status == GNTST_okay;
		bool ok = true;

		if (!m_ok && !km_ok)
			continue;
		if (consistent && m_ok && (!km || km_ok)) {
			ok = gntv3_unmap_whole(b, k);
		} else {
			if (m_ok)
				ok = gntv3_unmap_raw(m);
			if (km_ok)
				ok = gntv3_unmap_raw(km) && ok;
			if (ok)
				ClearPageForeign(b->pages[k]);
		}
		if (!ok) {
			leaked++;
			b->pages[k] = NULL;
		}
	}
	return leaked;
}

static int gntv3_batch_alloc(struct gntv3_back *back, struct gntv3_batch *b,
			     unsigned int total, bool pv_vmap)
{
	b->total = total;
	b->pv_vmap = pv_vmap;
	b->pages = gntv3_array_get(b->pages_inline, sizeof(b->pages_inline),
				   total, sizeof(*b->pages));
	b->ops = gntv3_array_get(b->ops_inline, sizeof(b->ops_inline), total,
				 sizeof(*b->ops));
	if (pv_vmap)
		b->kops = kvcalloc(total, sizeof(*b->kops), GFP_KERNEL);
	if (!b->pages || !b->ops || (pv_vmap && !b->kops))
		return -ENOMEM;
	return gntv3_pages_get(back, b->pages, total);
}

static void gntv3_batch_free(struct gntv3_back *back, struct gntv3_batch *b,
			     bool free_pages)
{
	unsigned int k, start;

	if (free_pages && b->pages) {
		/* Free runs of pages that were not leaked by the unwind. */
		for (k = 0; k < b->total; k = start + 1) {
			start = k;
			while (start < b->total && b->pages[start])
				start++;
			if (start > k)
				gntv3_pages_put(back, &b->pages[k], start - k);
		}
	}
	kvfree(b->kops);
	gntv3_array_put(b->ops, b->ops_inline);
	gntv3_array_put(b->pages, b->pages_inline);
}

/* Count @nr_maps mappings of @nr_pages pages in all in (@sign 1) or out. */
static void gntv3_map_account(long sign, unsigned int nr_maps,
			      unsigned int nr_pages)
{
	atomic64_add(sign * nr_maps, &gntv3_back_cnt.mappings);
	atomic64_add(sign * nr_pages, &gntv3_back_cnt.pages_mapped);
}

/* Allocate the mappings of a batch and fill in the op arrays. */
static int gntv3_batch_prepare(struct gntv3_back *back, struct gntv3_batch *b,
			       const gntv3_id_t *ids,
			       const struct gntv3_resolved *res, unsigned int nr,
			       struct gntv3_map_priv **mps)
{
	unsigned int i, k;
	int rc;

	rc = gntv3_mappings_alloc(back, mps, nr);
	if (rc)
		return rc;
	/* from here on, they are freed on error */
	b->nr_maps = nr;
	for (i = 0, k = 0; i < nr; i++) {
		struct gntv3_map_priv *mp = mps[i];

		rc = gntv3_mapping_init(mp, back, ids[i], &res[i], b->pv_vmap);
		if (rc)
			return rc;
		/* the pages must be known before a PV vmap area is made */
		memcpy(mp->pub.pages, &b->pages[k],
		       mp->pub.nr_pages * sizeof(*b->pages));
		if (b->pv_vmap) {
			rc = gntv3_pv_vmap_prepare(mp);
			if (rc)
				return rc;
		}
		gntv3_batch_fill(b, mp, k, back->domid);
		k += mp->pub.nr_pages;
	}
	return 0;
}

/*
 * Take the grant handles out of the op arrays of a successful batch and
 * line the mappings up on @list, for the attachment's list once done.
 */
static void gntv3_batch_handles(struct gntv3_batch *b, unsigned int nr,
				struct gntv3_map_priv **mps,
				struct list_head *list)
{
	unsigned int i, j, k;

	for (i = 0, k = 0; i < nr; i++) {
		struct gntv3_map_priv *mp = mps[i];

		list_add_tail(&mp->node, list);

		for (j = 0; j < mp->pub.nr_pages; j++, k++) {
			if (b->pv_vmap) {
				mp->vhandles[j] = b->ops[k].handle;
				mp->handles[j] = b->kops[k].handle;
			} else {
				mp->handles[j] = b->ops[k].handle;
			}
		}
	}
}

/* See gntv3_fail_map_op. */
static void gntv3_inject_map_failure(struct gntv3_batch *b)
{
	u32 n = READ_ONCE(gntv3_fail_map_op);

	if (unlikely(n) && n <= b->total &&
	    cmpxchg(&gntv3_fail_map_op, n, 0) == n)
		b->ops[n - 1].ref = GNTV3_BAD_REF;
}

/* Translated guests: plain vmap() of the mapped pages. */
static int gntv3_batch_vmap(unsigned int nr, struct gntv3_map_priv **mps)
{
	unsigned int i;

	for (i = 0; i < nr; i++) {
		struct gntv3_map_priv *mp = mps[i];

		mp->pub.vaddr = vmap(mp->pub.pages, mp->pub.nr_pages, VM_MAP,
				     mp->pub.readonly ? PAGE_KERNEL_RO : PAGE_KERNEL);
		if (!mp->pub.vaddr)
			return -ENOMEM;
	}
	return 0;
}

/* Map @nr resolved ids as one batch; called with back->lock held. */
static int gntv3_map_batch(struct gntv3_back *back, const gntv3_id_t *ids,
			   const struct gntv3_resolved *res, unsigned int nr,
			   unsigned int total, unsigned int flags,
			   struct gntv3_map_priv **mps)
{
	bool vmap_wanted = flags & GNTV3_MAP_F_VMAP;
	struct gntv3_batch b = {};
	LIST_HEAD(batch);
	unsigned int i, k, leaked = 0;
	int rc, hrc;

	b.pv_vmap = vmap_wanted && gntv3_pv();
	rc = gntv3_batch_alloc(back, &b, total, b.pv_vmap);
	if (rc) {
		/* gntv3_pages_get() keeps no page when it fails */
		gntv3_array_put(b.pages, b.pages_inline);
		b.pages = NULL;
		goto out_free;
	}
	rc = gntv3_batch_prepare(back, &b, ids, res, nr, mps);
	if (rc)
		goto out_free;
	gntv3_inject_map_failure(&b);

	hrc = gnttab_map_refs(b.ops, b.kops, b.pages, total);
	rc = hrc;
	for (k = 0; !rc && k < total; k++) {
		rc = gntv3_gnttab_errno(b.ops[k].status);
		if (!rc && b.kops)
			rc = gntv3_gnttab_errno(b.kops[k].status);
	}
	if (rc)
		goto out_unwind;
	gntv3_batch_handles(&b, nr, mps, &batch);
	if (vmap_wanted && !b.pv_vmap) {
		rc = gntv3_batch_vmap(nr, mps);
		if (rc)
			goto out_unwind;
	}
	list_splice_tail(&batch, &back->maps);
	gntv3_map_account(1, nr, total);
	gntv3_batch_free(back, &b, false);
	return 0;

out_unwind:
	/* translated vmaps go first; PV ones are cleared by Xen's unmap */
	for (i = 0; !b.pv_vmap && i < nr; i++) {
		if (mps[i]->pub.vaddr) {
			vunmap(mps[i]->pub.vaddr);
			mps[i]->pub.vaddr = NULL;
		}
	}
	leaked = gntv3_batch_unwind(&b, !hrc);
	if (leaked) {
		pr_warn("gntv3: %u pages still mapped after a failed batch, leaking them\n",
			leaked);
		atomic64_add(leaked, &gntv3_back_cnt.leaked);
	}
out_free:
	/* a PV vmap area over a leaked page keeps its grant PTE */
	for (i = 0; i < b.nr_maps && !leaked; i++)
		if (mps[i]->pub.vaddr)
			vunmap(mps[i]->pub.vaddr);
	gntv3_mappings_free(back, mps, b.nr_maps);
	gntv3_batch_free(back, &b, true);
	return rc;
}

/**
 * gntv3_map() - map a batch of grant ids of an attached tree
 * @back: the attachment
 * @ids: @nr grant ids; a superpage is named by its first id
 * @nr: number of ids, at least 1; at most GNTV3_MAP_MAX_PAGES 4 KiB pages in
 *	all
 * @flags: GNTV3_MAP_F_READONLY and/or GNTV3_MAP_F_VMAP
 * @maps: receives one mapping per id
 *
 * Every id is resolved first, then all their 4 KiB pieces are mapped with a
 * single gnttab_map_refs() call.  All or nothing: on error nothing of the
 * batch stays mapped.  Duplicate ids are allowed and map twice.
 *
 * Context: process context, may sleep.
 * Return: 0, or -ENOENT for an id that is not granted, -EINVAL for bad
 * arguments or an id inside a superpage that is not its first, -EACCES for
 * a revoked grant or a writable map of a read-only one, -EAGAIN for a grant
 * being downgraded (map it read-only once that is done), -EPROTO or -ELOOP
 * for a malformed tree, -EOPNOTSUPP for a 1 GiB grant, -E2BIG for too many
 * pages, -ESHUTDOWN while detaching, -ENOMEM, or another errno from Xen.
 */
int gntv3_map(struct gntv3_back *back, const gntv3_id_t *ids,
	      unsigned int nr, unsigned int flags,
	      struct gntv3_mapping **maps)
{
	struct gntv3_map_priv *mps_inline[GNTV3_INLINE_NR], **mps;
	struct gntv3_resolved res_inline[GNTV3_INLINE_NR], *res;
	struct gntv3_leaf_hint hint = {};
	unsigned int i, total = 0;
	u64 root;
	int rc;

	if (!back || !ids || !maps || !nr || nr > GNTV3_MAP_MAX_PAGES ||
	    (flags & ~(GNTV3_MAP_F_READONLY | GNTV3_MAP_F_VMAP)))
		return -EINVAL;
	res = gntv3_array_get(res_inline, sizeof(res_inline), nr, sizeof(*res));
	mps = gntv3_array_get(mps_inline, sizeof(mps_inline), nr, sizeof(*mps));
	if (!res || !mps) {
		rc = -ENOMEM;
		goto out_free;
	}

	mutex_lock(&back->lock);
	rc = back->dying ? -ESHUTDOWN : gntv3_back_read_desc(back, &root);
	for (i = 0; !rc && i < nr; i++) {
		rc = gntv3_resolve_one(back, root, ids[i], flags, &hint, &res[i]);
		if (!rc)
			total += 1U << res[i].order;
		if (!rc && total > GNTV3_MAP_MAX_PAGES)
			rc = -E2BIG;
	}
	if (!rc)
		rc = gntv3_map_batch(back, ids, res, nr, total, flags, mps);
	mutex_unlock(&back->lock);

	if (!rc)
		for (i = 0; i < nr; i++)
			maps[i] = &mps[i]->pub;
out_free:
	gntv3_array_put(mps, mps_inline);
	gntv3_array_put(res, res_inline);
	return rc;
}
EXPORT_SYMBOL_GPL(gntv3_map);

/* ---- teardown of mappings, used by unmap.c ---- */

/* Fill the unmap ops of @mp's pages; @kops only for a PV vmap. */
static void gntv3_unmap_fill(struct gntv3_map_priv *mp,
			     struct gnttab_unmap_grant_ref *ops,
			     struct gnttab_unmap_grant_ref *kops,
			     struct page **pages)
{
	unsigned int i;

	for (i = 0; i < mp->pub.nr_pages; i++) {
		unsigned long kaddr = gntv3_kaddr(mp->pub.pages[i]);

		pages[i] = mp->pub.pages[i];
		if (kops) {
			gnttab_set_unmap_op(&ops[i], mp->vptes[i],
					    GNTMAP_host_map | GNTMAP_contains_pte,
					    mp->vhandles[i]);
			gnttab_set_unmap_op(&kops[i], kaddr, GNTMAP_host_map,
					    mp->handles[i]);
		} else {
			gnttab_set_unmap_op(&ops[i], kaddr, GNTMAP_host_map,
					    mp->handles[i]);
		}
	}
}

static bool gntv3_unmap_ok(const struct gnttab_unmap_grant_ref *ops,
			   const struct gnttab_unmap_grant_ref *kops,
			   unsigned int nr)
{
	unsigned int i;

	for (i = 0; i < nr; i++)
		if (ops[i].status != GNTST_okay ||
		    (kops && kops[i].status != GNTST_okay))
			return false;
	return true;
}

/* Is @mp one of the mappings gntv3_unmap_group() is asked to unmap? */
static bool gntv3_in_group(const struct gntv3_map_priv *mp, int result,
			   bool pv_vmap)
{
	return !result && !!mp->vhandles == pv_vmap;
}

/*
 * Unmap the mappings of @mps selected by gntv3_in_group() with a single
 * gnttab_unmap_refs() call, and give their pages back to the attachment's
 * page cache at once.  A PV vmap needs a second op array for the
 * linear map, hence one group with and one without.
 */
static void gntv3_unmap_group(struct gntv3_map_priv **mps, unsigned int nr,
			      bool pv_vmap, int *results)
{
	struct gnttab_unmap_grant_ref ops_inline[GNTV3_INLINE_NR];
	struct gnttab_unmap_grant_ref *ops, *kops = NULL;
	unsigned int i, k, n, total = 0, nr_free = 0, nr_maps = 0;
	struct page *pages_inline[GNTV3_INLINE_NR], **pages;
	struct gntv3_map_priv *mp;
	int hrc;

	for (i = 0; i < nr; i++)
		if (gntv3_in_group(mps[i], results[i], pv_vmap))
			total += mps[i]->pub.nr_pages;
	if (!total)
		return;
	ops = gntv3_array_get(ops_inline, sizeof(ops_inline), total, sizeof(*ops));
	pages = gntv3_array_get(pages_inline, sizeof(pages_inline), total,
				sizeof(*pages));
	if (pv_vmap)
		kops = kvcalloc(total, sizeof(*kops), GFP_KERNEL);
	if (!ops || !pages || (pv_vmap && !kops)) {
		for (i = 0; i < nr; i++)
			if (gntv3_in_group(mps[i], results[i], pv_vmap))
				results[i] = -ENOMEM;
		goto out_free;
	}
	for (i = 0, k = 0; i < nr; i++) {
		mp = mps[i];
		if (!gntv3_in_group(mp, results[i], pv_vmap))
			continue;
		/* a translated guest's vmap is ordinary PTEs: drop them first */
		if (mp->pub.vaddr && !pv_vmap) {
			vunmap(mp->pub.vaddr);
			mp->pub.vaddr = NULL;
		}
		gntv3_unmap_fill(mp, &ops[k], kops ? &kops[k] : NULL, &pages[k]);
		k += mp->pub.nr_pages;
	}
	hrc = gnttab_unmap_refs(ops, kops, pages, total);

	/*
	 * A failure of the call as a whole does not say which pages are
	 * still mapped: every mapping of the group is leaked then.  Pages of
	 * the mappings that did unmap are moved to the front of @pages.
	 */
	for (i = 0, k = 0; i < nr; i++) {
		mp = mps[i];
		if (!gntv3_in_group(mp, results[i], pv_vmap))
			continue;
		n = mp->pub.nr_pages;
		if (hrc || !gntv3_unmap_ok(&ops[k], kops ? &kops[k] : NULL, n)) {
			gntv3_back_leak_mapping(mp, "unmap hypercall failed");
			results[i] = -EIO;
		} else {
			/* Xen cleared the PV vmap PTEs; now give the area back */
			if (mp->pub.vaddr) {
				vunmap(mp->pub.vaddr);
				mp->pub.vaddr = NULL;
			}
			if (nr_free != k)
				memmove(&pages[nr_free], &pages[k], n * sizeof(*pages));
			nr_free += n;
			nr_maps++;
		}
		k += n;
	}
	gntv3_map_account(-1, nr_maps, nr_free);
	if (nr_free)
		gntv3_pages_put(mps[0]->pub.back, pages, nr_free);
out_free:
	kvfree(kops);
	gntv3_array_put(pages, pages_inline);
	gntv3_array_put(ops, ops_inline);
}

/**
 * gntv3_back_unmap_pages() - unmap and free the pages of some mappings
 * @mps: @nr mappings of one attachment, which nobody else references any
 *	more; called with their attachment's lock held (its page cache)
 * @nr: number of mappings
 * @results: IN: 0 for each mapping to unmap, anything else skips it.
 *	OUT, for those to unmap: 0 unmapped, its pages back in the
 *	attachment's page cache and the counters updated; -EIO Xen refused, the
 *	mapping is leaked as a whole (its pages stay allocated); -ENOMEM
 *	nothing was done.
 *
 * All pages go through one gnttab_unmap_refs() call, two if PV vmap and
 * plain mappings are mixed.  The mappings themselves are left to the
 * caller (gntv3_back_free_mapping()).
 */
void gntv3_back_unmap_pages(struct gntv3_map_priv **mps, unsigned int nr,
			    int *results)
{
	gntv3_unmap_group(mps, nr, false, results);
	gntv3_unmap_group(mps, nr, true, results);
}

/**
 * gntv3_back_leak_mapping() - give up on a mapping that cannot be unmapped
 * @mp: the mapping, off its attachment's list
 * @why: for the log
 *
 * The pages (and a vmap area) stay mapped and allocated forever: this is the
 * price of never freeing a page that is still mapped.  The caller frees the
 * bookkeeping with gntv3_back_free_mapping() when it is done with @mp.
 */
void gntv3_back_leak_mapping(struct gntv3_map_priv *mp, const char *why)
{
	pr_warn_ratelimited("gntv3: leaking mapping of id %llu from d%u (%u pages): %s\n",
			    mp->pub.id, mp->pub.back->domid, mp->pub.nr_pages, why);
	atomic64_inc(&gntv3_back_cnt.leaked);
	gntv3_map_account(-1, 1, mp->pub.nr_pages);
	mp->pub.vaddr = NULL;	/* never vunmap()ed */
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
	kmem_cache_free(gntv3_map_cache, mp);
}

/* ---- debugfs ---- */

static const char *const gntv3_map_state_name[] = {
	[GNTV3_MAP_LIVE] = "live",
	[GNTV3_MAP_PENDING] = "pending",
	[GNTV3_MAP_CANCELLING] = "cancelling",
};

static int gntv3_back_show(struct seq_file *s, void *unused)
{
	struct gntv3_back_counters *c = &gntv3_back_cnt;
	struct gntv3_back *back;

	seq_printf(s, "attachments %lld\nmappings %lld\npages_mapped %lld\n",
		   atomic64_read(&c->attachments), atomic64_read(&c->mappings),
		   atomic64_read(&c->pages_mapped));
	seq_printf(s, "unmap_pending %lld\nretries %lld\nstuck %lld\ncancelled %lld\n",
		   atomic64_read(&c->unmap_pending), atomic64_read(&c->retries),
		   atomic64_read(&c->stuck), atomic64_read(&c->cancelled));
	seq_printf(s, "bad_entries %lld\ntcache_maps %lld\nleaked %lld\n",
		   atomic64_read(&c->bad_entries), atomic64_read(&c->tcache_maps),
		   atomic64_read(&c->leaked));
	mutex_lock(&gntv3_backs_lock);
	list_for_each_entry(back, &gntv3_backs, link) {
		mutex_lock(&back->lock);
		seq_printf(s, "attach domid %u tree_ref %u generation %u tables %u/%u cached_pages %u/%u pooled_maps %u/%u\n",
			   back->domid, back->tree_ref, back->generation,
			   back->tcache_nr, back->tcache_max,
			   back->page_cache.nr, back->page_cache.max,
			   back->pool.nr, back->pool.max);
		mutex_unlock(&back->lock);
	}
	mutex_unlock(&gntv3_backs_lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(gntv3_back);

/*
 * One line per mapping, then one per page:
 *   map domid D id I order O ro R state S vmap V first_ref F
 *   page N pfn P foreign F domid D gref G count C
 * domid/gref are read back from xen_page_foreign(), which gnttab_map_refs()
 * filled in, so a test can check them against the grant's v1 references.
 */
static int gntv3_back_pages_show(struct seq_file *s, void *unused)
{
	struct gntv3_map_priv *mp;
	struct gntv3_back *back;
	unsigned int i;

	mutex_lock(&gntv3_backs_lock);
	list_for_each_entry(back, &gntv3_backs, link) {
		mutex_lock(&back->lock);
		list_for_each_entry(mp, &back->maps, node) {
			seq_printf(s, "map domid %u id %llu order %u ro %d state %s vmap %d first_ref %u\n",
				   back->domid, mp->pub.id, mp->pub.order,
				   mp->pub.readonly, gntv3_map_state_name[mp->state],
				   !!mp->pub.vaddr, mp->first_ref);
			for (i = 0; i < mp->pub.nr_pages; i++) {
				struct page *page = mp->pub.pages[i];
				struct xen_page_foreign *f = xen_page_foreign(page);

				seq_printf(s, "page %u pfn %#lx foreign %d domid %d gref %lld count %d\n",
					   i, page_to_pfn(page), !!f,
					   f ? f->domid : -1, f ? (s64)f->gref : -1LL,
					   page_count(page));
			}
		}
		mutex_unlock(&back->lock);
	}
	mutex_unlock(&gntv3_backs_lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(gntv3_back_pages);

static const char *const gntv3_back_debugfs_files[] = {
	"back", "back_pages", "back_tcache_max", "back_done_delay_ms",
	"back_fail_map_op",
};

static void gntv3_back_debugfs_init(void)
{
	struct dentry *root = gntv3_debugfs_root();

	if (IS_ERR_OR_NULL(root))
		return;
	debugfs_create_file(gntv3_back_debugfs_files[0], 0400, root, NULL,
			    &gntv3_back_fops);
	debugfs_create_file(gntv3_back_debugfs_files[1], 0400, root, NULL,
			    &gntv3_back_pages_fops);
	/* Knob: table cache bound of the attachments made from now on. */
	debugfs_create_u32(gntv3_back_debugfs_files[2], 0600, root,
			   &gntv3_tcache_max);
	/* Fault injection: see gntv3_unmap_done_delay_ms (unmap.c). */
	debugfs_create_u32(gntv3_back_debugfs_files[3], 0600, root,
			   &gntv3_unmap_done_delay_ms);
	/* Fault injection: see gntv3_fail_map_op. */
	debugfs_create_u32(gntv3_back_debugfs_files[4], 0600, root,
			   &gntv3_fail_map_op);
}

static void gntv3_back_debugfs_exit(void)
{
	struct dentry *root = gntv3_debugfs_root();
	unsigned int i;

	if (IS_ERR_OR_NULL(root))
		return;
	for (i = 0; i < ARRAY_SIZE(gntv3_back_debugfs_files); i++)
		debugfs_lookup_and_remove(gntv3_back_debugfs_files[i], root);
}

/**
 * gntv3_back_init() - set up the backend half of the module
 *
 * Return: 0 or a negative errno.
 */
int gntv3_back_init(void)
{
	int rc;

	gntv3_map_cache = KMEM_CACHE(gntv3_map_priv, 0);
	if (!gntv3_map_cache)
		return -ENOMEM;
	rc = gntv3_unmap_init();
	if (rc) {
		kmem_cache_destroy(gntv3_map_cache);
		return rc;
	}
	gntv3_back_debugfs_init();
	return 0;
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

	gntv3_back_debugfs_exit();
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
	kmem_cache_destroy(gntv3_map_cache);
}
