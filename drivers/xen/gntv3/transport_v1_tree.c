// SPDX-License-Identifier: GPL-2.0-only
/*
 * gntv3 v1 transport, grantee half: the tree of an attachment, reached
 * through v1 grants (the descriptor and the table cache).
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
 * Every function here is called with the attachment's lock held, except
 * the read-only page helpers, which take no lock, and gntv3_v1_tree_open()
 * and gntv3_v1_tree_close(), which run before the attachment is handed out
 * and after its last mapping is gone.
 */
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <xen/grant_table.h>

#include "backend.h"
#include "hypercall.h"
#include "tree.h"

/* Table cache bound per attachment (debugfs knob back_tcache_max). */
u32 gntv3_tcache_max = 64;

/* ---- one read-only page: the descriptor and the table pages ---- */

/**
 * gntv3_map_one_page() - map one v1 grant of a peer into a fresh page
 * @domid: the peer
 * @ref: its v1 grant reference
 * @readonly: map read-only
 * @pagep: receives the page (from gnttab_alloc_pages())
 * @handle: receives the grant handle
 *
 * For the pages gntv3 itself reads or writes: the descriptor and table
 * pages (read-only) and the revoke ring (read-write).
 *
 * Return: 0, or -ENOMEM or the errno of the map's status, with nothing
 * mapped.
 */
int gntv3_map_one_page(domid_t domid, grant_ref_t ref, bool readonly,
		       struct page **pagep, grant_handle_t *handle)
{
	struct gnttab_map_grant_ref op;
	struct page *page;
	int rc;

	rc = gnttab_alloc_pages(1, &page);
	if (rc)
		return rc;
	gnttab_set_map_op(&op, gntv3_kaddr(page),
			  GNTMAP_host_map | (readonly ? GNTMAP_readonly : 0),
			  ref, domid);
	rc = gntv3_hyp_map_refs(&op, NULL, &page, 1);
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

/**
 * gntv3_unmap_one_page() - undo gntv3_map_one_page()
 * @page: the page
 * @handle: its grant handle
 *
 * Nobody but gntv3 ever takes a reference to such a page, so it is
 * unmapped at once.  If Xen refuses, the page is still mapped and is
 * deliberately leaked (and counted) rather than handed back to the
 * allocator.
 */
void gntv3_unmap_one_page(struct page *page, grant_handle_t handle)
{
	struct gnttab_unmap_grant_ref op;
	int rc;

	gnttab_set_unmap_op(&op, gntv3_kaddr(page), GNTMAP_host_map, handle);
	rc = gntv3_hyp_unmap_refs(&op, NULL, &page, 1);
	if (rc || op.status != GNTST_okay) {
		pr_warn_ratelimited("gntv3: unmap of a tree or ring page failed (%d/%d), leaking it\n",
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

	gntv3_unmap_one_page(e->page, e->handle);
	atomic64_dec(&gntv3_back_cnt.tcache_maps);
	back->tcache[i] = back->tcache[--back->tcache_nr];
}

void gntv3_tcache_drop_all(struct gntv3_back *back)
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
	struct gntv3_pte_info pi;
	unsigned int i, index;
	u64 ref, parent;
	int rc;

	gntv3_pte_decode(table_pte, &pi);
	ref = pi.frame;
	/* errors here are counted as bad entries by gntv3_resolve_one() */
	if (!pi.v1 || ref > U32_MAX || level + 1 > w->levels)
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
		rc = gntv3_map_one_page(back->domid, ref, true, &e->page,
					&e->handle);
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
	return 0;
}

/*
 * Descriptor versions we read: 1 and 2 have the same descriptor and tree
 * layout (2 only added the tree handle of the native sub-ops, which a v1
 * grantee never sees), so a frontend that still writes 1 keeps working,
 * as the prototype hypervisor accepts both.  Anything else, older or newer,
 * may mean a layout we do not know: -EPROTO, like any malformed descriptor.
 */
static bool gntv3_desc_version_ok(u16 version)
{
	return version >= 1 && version <= GNTV3_ABI_VERSION;
}

/*
 * Read the descriptor once per batch.  Returns the root word (0 for an
 * empty tree) in @root; drops the table cache on a generation change.
 */
int gntv3_back_read_desc(struct gntv3_back *back, u64 *root)
{
	const struct gntv3_tree_desc *d = page_address(back->desc_page);
	u32 generation;
	unsigned int i;

	if (READ_ONCE(d->magic) != GNTV3_TREE_MAGIC ||
	    !gntv3_desc_version_ok(READ_ONCE(d->version)) ||
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

/**
 * gntv3_tcache_walk() - walk the tree of @back through its table cache
 * @back: the attachment, with its lock held
 * @root: the root word read from the descriptor by gntv3_back_read_desc()
 * @id: the id to look up
 * @cur: the batch's walk cursor (see struct gntv3_walk_cursor): the table
 *	cache keeps the level-0 table it names mapped until the next walk
 * @res: the leaf found
 *
 * Return: 0 or an errno of gntv3_walk().
 */
int gntv3_tcache_walk(struct gntv3_back *back, u64 root, gntv3_id_t id,
		      struct gntv3_walk_cursor *cur,
		      struct gntv3_walk_result *res)
{
	struct gntv3_walk_ctx w = {
		.back = back,
		.id = id,
		.levels = GNTV3_ROOT_GET_LEVELS(root),
		.last_level = -1,
	};
	int rc;

	memset(w.path, 0xff, sizeof(w.path));
	rc = gntv3_walk(root, id, gntv3_back_get_table, &w, cur, res);
	gntv3_tcache_after_walk(&w, rc, res);
	return rc;
}

/* Check the descriptor just mapped, as gntv3_back_read_desc() does. */
static int gntv3_v1_check_desc(struct gntv3_back *back)
{
	const struct gntv3_tree_desc *d = page_address(back->desc_page);
	u32 flags = READ_ONCE(d->flags);
	unsigned int i;

	if (READ_ONCE(d->magic) != GNTV3_TREE_MAGIC ||
	    !gntv3_desc_version_ok(READ_ONCE(d->version)) ||
	    (flags & ~GNTV3_TREE_F_V1))
		goto bad;
	/* as gntv3_back_read_desc() checks before every batch */
	for (i = 0; i < ARRAY_SIZE(d->reserved); i++)
		if (READ_ONCE(d->reserved[i]))
			goto bad;
	if (!(flags & GNTV3_TREE_F_V1))
		return -EOPNOTSUPP;	/* a native tree, named by a v1 reference */
	/* a descriptor for another domain is no valid one for us */
	if (READ_ONCE(d->grantee) != back->self)
		goto bad;
	back->generation = READ_ONCE(d->generation);
	return 0;
bad:
	gntv3_bad_entry();
	return -EPROTO;
}

/**
 * gntv3_v1_tree_open() - &gntv3_transport_ops.tree_open of the v1 transport
 * @back: the new attachment, its frontend, tree reference and own domain id
 *	set
 *
 * Maps the descriptor page read-only, checks it and sets up the table cache.
 *
 * Return: 0, or -ENOENT if the tree reference is not granted to us (or
 * another errno of the map), -EPROTO for a malformed descriptor or one for
 * another grantee, -EOPNOTSUPP for a native one, -ENOMEM.
 */
int gntv3_v1_tree_open(struct gntv3_back *back)
{
	int rc;

	back->tcache_max = clamp_t(u32, READ_ONCE(gntv3_tcache_max),
				   GNTV3_TCACHE_MIN, GNTV3_TCACHE_LIMIT);
	back->tcache = kcalloc(back->tcache_max, sizeof(*back->tcache),
			       GFP_KERNEL);
	if (!back->tcache)
		return -ENOMEM;
	rc = gntv3_map_one_page(back->domid, back->tree_ref, true,
				&back->desc_page, &back->desc_handle);
	if (rc)
		goto err_free;
	rc = gntv3_v1_check_desc(back);
	if (rc)
		goto err_unmap;
	return 0;

err_unmap:
	gntv3_unmap_one_page(back->desc_page, back->desc_handle);
err_free:
	kfree(back->tcache);
	back->tcache = NULL;
	return rc;
}

/**
 * gntv3_v1_tree_close() - &gntv3_transport_ops.tree_close of the v1 transport
 * @back: the attachment, without mappings
 *
 * Drops the table cache and unmaps the descriptor page.
 */
void gntv3_v1_tree_close(struct gntv3_back *back)
{
	gntv3_tcache_drop_all(back);
	gntv3_unmap_one_page(back->desc_page, back->desc_handle);
	kfree(back->tcache);
	back->tcache = NULL;
}
