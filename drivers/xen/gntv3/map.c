// SPDX-License-Identifier: GPL-2.0-only
/*
 * gntv3 backend: map a batch of grant ids of an attached tree.
 *
 * The attachment's transport (struct gntv3_transport_ops, grantee half)
 * does the mapping, one call per batch; this file checks the arguments,
 * holds the attachment's lock and lists the new mappings on the attachment.
 */
#include <linux/list.h>
#include <linux/mutex.h>

#include "backend.h"
#include "trace.h"
#include "transport.h"

/* List @nr new mappings made with @flags on @back; under back->lock. */
static void gntv3_map_list(struct gntv3_back *back,
			   struct gntv3_map_priv **mps, unsigned int nr,
			   unsigned int flags)
{
	unsigned int i, total = 0;

	for (i = 0; i < nr; i++) {
		mps[i]->map_flags = flags;
		mps[i]->indexed = false;
		INIT_LIST_HEAD(&mps[i]->queue);
		list_add_tail(&mps[i]->node, &back->maps);
		if (flags & GNTV3_MAP_F_CACHE)
			gntv3_cache_index(back, mps[i]);
		total += mps[i]->pub.nr_pages;
	}
	gntv3_map_account(1, nr, total);
}

/*
 * gntv3_map() while @back's mapping cache holds something (cache.c): the
 * ids it holds are taken from it, the others mapped by the transport in
 * one call, and if that fails the cached ones go back; under back->lock.
 */
static int gntv3_map_cached(struct gntv3_back *back, const gntv3_id_t *ids,
			    unsigned int nr, unsigned int flags,
			    struct gntv3_map_priv **mps)
{
	struct gntv3_map_priv *miss_inline[GNTV3_INLINE_NR], **miss = NULL;
	gntv3_id_t miss_ids_inline[GNTV3_INLINE_NR], *miss_ids = NULL;
	unsigned int i, j, nr_miss = 0;
	int rc = 0;

	for (i = 0; i < nr; i++) {
		mps[i] = gntv3_cache_find(back, ids[i], flags);
		nr_miss += !mps[i];
	}
	if (nr_miss) {
		miss = gntv3_array_get(miss_inline, sizeof(miss_inline),
				       nr_miss, sizeof(*miss));
		miss_ids = gntv3_array_get(miss_ids_inline,
					   sizeof(miss_ids_inline), nr_miss,
					   sizeof(*miss_ids));
		rc = miss && miss_ids ? 0 : -ENOMEM;
		for (i = 0, j = 0; !rc && i < nr; i++)
			if (!mps[i])
				miss_ids[j++] = ids[i];
		if (!rc)
			rc = back->xops->map(back, miss_ids, nr_miss, flags,
					     miss);
	}
	for (i = 0, j = 0; i < nr; i++) {
		if (!mps[i])
			mps[i] = rc ? NULL : miss[j++];
		else if (rc)
			gntv3_cache_abort(back, mps[i]);
		else
			gntv3_cache_commit(back, mps[i]);
	}
	if (!rc && nr_miss)
		gntv3_map_list(back, miss, nr_miss, flags);
	gntv3_array_put(miss_ids, miss_ids_inline);	/* NULL: nothing */
	gntv3_array_put(miss, miss_inline);
	return rc;
}

/**
 * gntv3_map() - map a batch of grant ids of an attached tree
 * @back: the attachment
 * @ids: @nr grant ids; a superpage is named by its first id, and any
 *	other id inside it names its own 4 KiB piece
 * @nr: number of ids, at least 1; at most GNTV3_MAP_MAX_PAGES 4 KiB pages in
 *	all, or a single 1 GiB grant
 * @flags: GNTV3_MAP_F_READONLY, GNTV3_MAP_F_VMAP, GNTV3_MAP_F_2M or
 *	GNTV3_MAP_F_4K, GNTV3_MAP_F_CACHE
 * @maps: receives one mapping per id
 *
 * One call of the attachment's transport maps the whole batch (v1: every
 * id is resolved first, then all their 4 KiB pieces are mapped with a
 * single gnttab_map_refs() call).  All or nothing: on error nothing of the
 * batch stays mapped.  Duplicate ids are allowed and map twice.
 *
 * With GNTV3_MAP_F_2M the caller says that every id is the first of a
 * 2 MiB grant, and each is mapped as one order-9 mapping however the
 * grant is carried: on the v1 transport the leaf must be a 2 MiB one; the
 * native grantee cannot see the tree, so it maps the 512 ids from the
 * first as the mapping's pages (a split grant, 512 4 KiB leaves, maps the
 * same way).  A driver whose protocol says its buffers are 2 MiB grants
 * should pass it: without it, the native transport maps only the first
 * 4 KiB of a superpage (Documentation/gntv3/native.rst).  Without it, an
 * id inside a superpage that is not its first maps that 4 KiB piece on
 * either transport.
 *
 * With GNTV3_MAP_F_4K every id is mapped as its own 4 KiB page, the first
 * of a superpage too, on either transport: for drivers whose protocol
 * names 4 KiB buffers that a frontend may carve out of its superpages (the
 * v1 transport maps a superpage's first id whole without it).
 *
 * With GNTV3_MAP_F_CACHE the mappings may stay mapped after their unmap
 * and an id the attachment's mapping cache holds, mapped before with the
 * same flags, is served from it without a hypercall (cache.c): for
 * drivers that map the same grants again and again, as block backends do
 * with persistent grants.  The frontend takes such grants back with
 * gntv3_revoke() or by ending them, both of which reach the cache through
 * the connection's ring; only a connected attachment caches.
 *
 * Context: process context, may sleep.
 * Return: 0, or -ENOENT for an id that is not granted, -ERANGE for an id
 * beyond the tree's levels, -EINVAL for bad arguments (GNTV3_MAP_F_2M with
 * GNTV3_MAP_F_4K) or (GNTV3_MAP_F_2M) an id that is not the first of a
 * 2 MiB grant (native: one not aligned to 2 MiB; an
 * aligned one whose 511 successors are not all granted gets -ENOENT),
 * -EACCES for a revoked grant or a
 * writable map of a read-only one (a read-only leaf, or a writable leaf
 * over a read-only v1 grant), -EAGAIN for a grant being downgraded (map it
 * read-only once that is done), -EPROTO for a corrupt tree or descriptor
 * (-ELOOP for a table met twice), -E2BIG for too many pages (a 1 GiB
 * grant with other ids), -ESHUTDOWN while detaching, -ENOMEM, -ENOSPC
 * when Xen has no room for the mappings (v1: its maptrack table), or
 * another errno from Xen.
 */
int gntv3_map(struct gntv3_back *back, const gntv3_id_t *ids,
	      unsigned int nr, unsigned int flags,
	      struct gntv3_mapping **maps)
{
	struct gntv3_map_priv *mps_inline[GNTV3_INLINE_NR], **mps;
	unsigned int i;
	int rc;

	if (!back || !ids || !maps || !nr || nr > GNTV3_MAP_MAX_PAGES ||
	    (flags & ~(GNTV3_MAP_F_READONLY | GNTV3_MAP_F_VMAP |
		       GNTV3_MAP_F_2M | GNTV3_MAP_F_CACHE | GNTV3_MAP_F_4K)) ||
	    ((flags & GNTV3_MAP_F_2M) && (flags & GNTV3_MAP_F_4K)))
		return -EINVAL;
	/* the transports count pages, not ids, against GNTV3_MAP_MAX_PAGES */
	if ((flags & GNTV3_MAP_F_2M) &&
	    nr > GNTV3_MAP_MAX_PAGES >> GNTV3_SIZE_ORDER(GNTV3_SIZE_2M))
		return -E2BIG;
	mps = gntv3_array_get(mps_inline, sizeof(mps_inline), nr, sizeof(*mps));
	if (!mps)
		return -ENOMEM;

	mutex_lock(&back->lock);
	if (back->dying) {
		rc = -ESHUTDOWN;
	} else if (back->cache_pages || (flags & GNTV3_MAP_F_CACHE)) {
		rc = gntv3_map_cached(back, ids, nr, flags, mps);
	} else {
		rc = back->xops->map(back, ids, nr, flags, mps);
		if (!rc)
			gntv3_map_list(back, mps, nr, flags);
	}
	mutex_unlock(&back->lock);
	trace_gntv3_map(back->domid, ids[0], nr, rc);

	if (!rc)
		for (i = 0; i < nr; i++)
			maps[i] = &mps[i]->pub;
	gntv3_array_put(mps, mps_inline);
	return rc;
}
EXPORT_SYMBOL_GPL(gntv3_map);
