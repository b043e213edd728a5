// SPDX-License-Identifier: GPL-2.0-only
/*
 * gntv3 frontend: the granting API.  Grant a folio, a page or a run of
 * pages under ids of a front's tree, end a grant, and report one.  The
 * grant records, the tree and the transport calls behind them are
 * frontend.c's; every call here takes the front's lock.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/err.h>
#include <linux/export.h>
#include <linux/mm.h>
#include <linux/slab.h>

#include "internal.h"
#include "trace.h"

/* GNTV3_SIZE_* of a grant of page order @order, or -EINVAL. */
static int gntv3_order_to_size(unsigned int order)
{
	switch (order) {
	case GNTV3_SIZE_ORDER(GNTV3_SIZE_4K):
		return GNTV3_SIZE_4K;
	case GNTV3_SIZE_ORDER(GNTV3_SIZE_2M):
		return GNTV3_SIZE_2M;
	case GNTV3_SIZE_ORDER(GNTV3_SIZE_1G):
		return GNTV3_SIZE_1G;
	default:
		return -EINVAL;
	}
}

/* One grant of the 1 << @order pages from @page, under new ids. */
static int gntv3_grant_range(struct gntv3_front *front, struct page *page,
			     unsigned int order, int size, bool ro,
			     gntv3_id_t *id)
{
	gntv3_id_t first;
	int rc;

	mutex_lock(&front->lock);
	if (front->dead) {
		rc = -ENODEV;
		goto out;
	}
	rc = gntv3_ida_alloc(&front->ida, 1ULL << order, order, &first);
	if (rc)
		goto out;
	rc = gntv3_grant_one(front, page, order, size, ro, first);
	if (rc)
		gntv3_front_free_ids(front, first, 1ULL << order);
	else
		*id = first;
	trace_gntv3_grant(front->backend, first, order, ro, rc);
out:
	gntv3_front_unlock(front);
	return rc;
}

/**
 * gntv3_grant_folio() - grant a folio to the backend
 * @front: the tree
 * @folio: a folio of order 0 (4 KiB), 9 (2 MiB) or 18 (1 GiB)
 * @flags: GNTV3_GRANT_READONLY or 0
 * @id: set to the grant's first id; a superpage takes 1 << order ids,
 *	aligned to its size
 *
 * gntv3 takes its own reference on @folio and drops it only once the
 * backend's access ended (see gntv3_end_grant()).  With the v1 transport a
 * superpage needs 1 << order consecutive v1 grant references: 2 MiB
 * usually works, 1 GiB (262144 references) fails with -ENOSPC unless the
 * hypervisor allows far more than its default 64 grant frames (32768
 * references).
 *
 * Context: process context, may sleep.
 * Return: 0, -EINVAL for bad arguments, a folio of another order or one
 * without references, -ENODEV after gntv3_front_destroy(), -ENOSPC when ids
 * or v1 grant references ran out, -ENOMEM.
 */
int gntv3_grant_folio(struct gntv3_front *front, struct folio *folio,
		      unsigned int flags, gntv3_id_t *id)
{
	unsigned int order;
	int size;

	if (!front || !folio || !id || (flags & ~GNTV3_GRANT_READONLY))
		return -EINVAL;
	order = folio_order(folio);
	size = gntv3_order_to_size(order);
	if (size < 0)
		return size;
	return gntv3_grant_range(front, &folio->page, order, size,
				 flags & GNTV3_GRANT_READONLY, id);
}
EXPORT_SYMBOL_GPL(gntv3_grant_folio);

/**
 * gntv3_grant_page() - grant one 4 KiB page to the backend
 * @front: the tree
 * @page: the page: an order-0 one, or one page of a larger folio (then
 *	only that page is granted)
 * @flags: GNTV3_GRANT_READONLY or 0
 * @id: set to the grant id
 *
 * As gntv3_grant_pages() with one page.
 *
 * Context: process context, may sleep.
 * Return: 0 or a negative errno, see gntv3_grant_folio().
 */
int gntv3_grant_page(struct gntv3_front *front, struct page *page,
		     unsigned int flags, gntv3_id_t *id)
{
	if (!front || !page || !id || (flags & ~GNTV3_GRANT_READONLY))
		return -EINVAL;
	return gntv3_grant_range(front, page, 0, GNTV3_SIZE_4K,
				 flags & GNTV3_GRANT_READONLY, id);
}
EXPORT_SYMBOL_GPL(gntv3_grant_page);

/**
 * gntv3_grant_pages() - grant @nr pages under consecutive ids
 * @front: the tree
 * @pages: @nr pages, each an order-0 one or one page of a larger folio
 *	(pinned user memory backed by a transparent huge page, say): every
 *	page is a 4 KiB grant, and gntv3 holds a reference on its folio
 * @nr: number of pages, at least 1
 * @flags: GNTV3_GRANT_READONLY or 0
 * @first: set to the id of @pages[0]; @pages[i] gets id *@first + i
 *
 * Each page becomes its own 4 KiB grant, ended one by one with
 * gntv3_end_grant().  All or nothing: on error no page stays granted
 * (a page the backend already mapped is quarantined, as by
 * gntv3_end_grant()).
 *
 * Context: process context, may sleep.
 * Return: 0 or a negative errno, see gntv3_grant_page().
 */
int gntv3_grant_pages(struct gntv3_front *front, struct page **pages,
		      unsigned int nr, unsigned int flags, gntv3_id_t *first)
{
	bool ro = flags & GNTV3_GRANT_READONLY;
	struct gntv3_leaf leaf;
	gntv3_id_t base;
	unsigned int i;
	int rc;

	if (!front || !pages || !nr || !first ||
	    (flags & ~GNTV3_GRANT_READONLY))
		return -EINVAL;
	for (i = 0; i < nr; i++)
		if (!pages[i])
			return -EINVAL;

	mutex_lock(&front->lock);
	if (front->dead) {
		rc = -ENODEV;
		goto out;
	}
	rc = gntv3_ida_alloc(&front->ida, nr, 0, &base);
	if (rc)
		goto out;
	for (i = 0; i < nr; i++) {
		rc = gntv3_grant_one(front, pages[i], 0, GNTV3_SIZE_4K, ro,
				     base + i);
		trace_gntv3_grant(front->backend, base + i, 0, ro, rc);
		if (rc)
			goto unwind;
	}
	*first = base;
	goto out;

unwind:
	/* Ids from base + i on belong to no grant; the others to theirs. */
	gntv3_front_free_ids(front, base + i, nr - i);
	while (i--)
		if (!gntv3_tree_lookup(&front->tree, base + i, &leaf))
			gntv3_grant_end(front, leaf.priv);
out:
	gntv3_front_unlock(front);
	return rc;
}
EXPORT_SYMBOL_GPL(gntv3_grant_pages);

/**
 * gntv3_end_grant() - take a grant back
 * @front: the tree
 * @id: the grant's first id
 *
 * Marks the leaf revoked, then ends the backend's access to every 4 KiB
 * piece.  If all ended, the ids, the leaf, the grant references and
 * gntv3's folio reference are released at once.  Otherwise the grant is
 * quarantined: the backend still maps some of it, so everything is kept
 * (the leaf stays, revoked) and retried every quarantine_retry_ms until the
 * backend lets go; a connected front also sends the backend a FORGET for
 * it, which empties the backend's mapping cache of it
 * (gntv3_front_forget()).  Either way the caller must not rely on the grant any
 * more, and may drop its own folio reference: gntv3 holds its own.
 *
 * Ending a grant twice: while it is quarantined the second call returns
 * -EALREADY; once it was released its ids are free and the call returns
 * -ENOENT (or, if the ids were reused meanwhile, acts on the new grant).
 *
 * Context: process context, may sleep.
 * Return: 0 if access ended, 1 if the grant was quarantined, -ENOENT for an
 * id no grant covers, -EINVAL for an id inside a grant but not its first,
 * -EALREADY for a grant already ended and still quarantined.
 */
int gntv3_end_grant(struct gntv3_front *front, gntv3_id_t id)
{
	struct gntv3_leaf leaf;
	struct gntv3_grant *g;
	u32 nr_ids = 0;
	int rc;

	if (!front)
		return -EINVAL;

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
	} else {
		nr_ids = gntv3_xgrant_pieces(&g->xg);
		rc = gntv3_grant_end(front, g);
	}
out:
	trace_gntv3_end(front->backend, id, rc);
	gntv3_front_unlock(front);
	/* still mapped: perhaps only kept for reuse by the backend */
	if (rc == 1)
		gntv3_front_forget(front, id, nr_ids);
	return rc;
}
EXPORT_SYMBOL_GPL(gntv3_end_grant);

/**
 * gntv3_grant_query() - describe the grant covering an id
 * @front: the tree
 * @id: any id of the grant
 * @info: filled in
 *
 * Context: process context, may sleep.
 * Return: 0, -EINVAL for a NULL argument, or -ENOENT when no grant (active
 * or quarantined) covers @id.
 */
int gntv3_grant_query(struct gntv3_front *front, gntv3_id_t id,
		      struct gntv3_grant_info *info)
{
	struct gntv3_leaf leaf;
	struct gntv3_grant *g;
	int rc = 0;

	if (!front || !info)
		return -EINVAL;

	mutex_lock(&front->lock);
	if (front->torn_down || gntv3_tree_lookup(&front->tree, id, &leaf)) {
		rc = -ENOENT;
		goto out;
	}
	g = leaf.priv;
	info->first_id = g->first_id;
	info->order = g->xg.order;
	info->readonly = g->readonly;
	info->state = g->state;
	info->pte = leaf.pte;
out:
	mutex_unlock(&front->lock);
	return rc;
}
EXPORT_SYMBOL_GPL(gntv3_grant_query);
