// SPDX-License-Identifier: GPL-2.0-only
/*
 * gntv3 v1 transport, grantee half: map and unmap batches of grant ids of
 * a tree carried over v1 grants.
 *
 * Mapping.  gntv3_v1_map() resolves every id of a batch first (walk,
 * checks of size, permissions and revocation), then maps all 4 KiB pieces
 * of all ids with one gnttab_map_refs() call: a 2 MiB grant is 512
 * consecutive v1 references first_ref + i, mapped whole from its first
 * id; any other id inside it maps its own 4 KiB piece, first_ref + (id -
 * first id), as on the native transport; with GNTV3_MAP_F_4K the first id
 * too.  All or nothing: a partial failure unmaps what did map.  Every
 * mapped page is PageForeign with xen_page_foreign() naming the frontend
 * and the v1 reference (gnttab_map_refs() fills it in).
 *
 * PG_foreign is PF_NO_COMPOUND in 6.12, so a 2 MiB grant is 512 order-0
 * foreign pages under one struct gntv3_mapping, 512 grant handles and 512
 * maptrack entries in Xen.  A native v3 mapping (GNTTABOP_v3_map) would be
 * one hypercall element and one handle for the whole superpage, and on a
 * translated guest could be backed by one 2 MiB host mapping; the struct
 * pages would still be order-0 foreign pages unless PG_foreign learns about
 * folios.  The native transport (transport_native.c, untested) maps with
 * GNTTABOP_v3_map instead.
 *
 * Unmapping.  gntv3_v1_unmap() unmaps the pages of a batch of mappings with
 * one gnttab_unmap_refs() call (two when PV vmap and plain mappings mix).
 *
 * GNTV3_MAP_F_VMAP: on a translated guest (PVH/HVM) the pages are simply
 * vmap()ed.  A PV guest may not point its own PTEs at another domain's
 * frames, so there the vmap area is created first (its PTEs empty, as the
 * pages have no machine frame yet) and each of its PTEs is mapped by Xen
 * with GNTMAP_contains_pte, next to the usual linear-map mapping; that is
 * two grant mappings per page.
 */
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <xen/features.h>
#include <xen/grant_table.h>
#include <asm/xen/hypercall.h>
#include <asm/xen/page.h>

#include "backend.h"
#include "hypercall.h"
#include "transport.h"
#include "tree.h"

/*
 * Fault injection (debugfs back_fail_map_op, 0 by default): N > 0 makes the
 * next batch map of at least N pages hand Xen an invalid grant reference in
 * its N-th map op (the vmap PTE op of a PV vmap), then resets to 0.  Xen
 * fails that one op and maps the others, so a test can drive the unwind of
 * a partly failed batch through real hypercalls.
 */
u32 gntv3_fail_map_op;
#define GNTV3_BAD_REF	U32_MAX

static bool gntv3_pv(void)
{
	return !xen_feature(XENFEAT_auto_translated_physmap);
}

/**
 * gntv3_gnttab_errno() - the errno of a failed grant map operation
 * @status: its GNTST_* status
 *
 * Return: 0 for GNTST_okay, else a negative errno.
 */
int gntv3_gnttab_errno(s16 status)
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
	case GNTST_no_device_space:	/* IOMMU */
	case GNTST_no_space:		/* maptrack full */
		return -ENOSPC;
	default:
		return -EIO;
	}
}

/* A walk error that says the tree is corrupt (counted as a bad entry). */
static bool gntv3_walk_err_is_bad(int rc)
{
	return rc == -EPROTO || rc == -ELOOP;
}

/* One id of a batch, resolved. */
struct gntv3_resolved {
	grant_ref_t first_ref;
	unsigned int order;
	bool writable;
};

/**
 * gntv3_v1_leaf() - the valid v1 leaf entry that covers an id
 * @back: the attachment, with its lock held
 * @root: the root entry, from gntv3_back_read_desc()
 * @id: the grant id
 * @cur: walk cursor shared by the ids of one batch
 * @pi: receives the decoded leaf entry; @pi->frame is the v1 reference of
 *	the grant's first 4 KiB frame
 * @piece: receives the index of @id's frame inside the grant
 * @order: receives the grant's page order
 *
 * Return: 0, or an errno of gntv3_map() for an id that is not granted, a
 * revoked grant (-EACCES) or a corrupt tree (-EPROTO, -ELOOP: counted as
 * a bad entry).
 */
int gntv3_v1_leaf(struct gntv3_back *back, u64 root, gntv3_id_t id,
		  struct gntv3_walk_cursor *cur, struct gntv3_pte_info *pi,
		  u64 *piece, unsigned int *order)
{
	struct gntv3_walk_result res;
	unsigned int nr;
	int rc;

	rc = gntv3_tcache_walk(back, root, id, cur, &res);
	if (rc) {
		if (gntv3_walk_err_is_bad(rc))
			gntv3_bad_entry();
		return rc;
	}
	gntv3_pte_decode(res.pte, pi);
	nr = 1U << GNTV3_SIZE_ORDER(res.level);
	if (!pi->v1 || pi->frame > U32_MAX - (nr - 1)) {
		gntv3_bad_entry();
		return -EPROTO;
	}
	if (pi->revoked)
		return -EACCES;
	*piece = id - res.first_id;
	*order = GNTV3_SIZE_ORDER(res.level);
	return 0;
}

static int gntv3_resolve_one(struct gntv3_back *back, u64 root, gntv3_id_t id,
			     unsigned int flags, struct gntv3_walk_cursor *cur,
			     struct gntv3_resolved *r)
{
	struct gntv3_pte_info pi;
	unsigned int order;
	u64 piece;
	int rc;

	rc = gntv3_v1_leaf(back, root, id, cur, &pi, &piece, &order);
	if (rc)
		return rc;
	if ((flags & GNTV3_MAP_F_2M) &&
	    (piece || order != GNTV3_SIZE_ORDER(GNTV3_SIZE_2M)))
		return -EINVAL;		/* the caller expected a 2 MiB grant */
	/* v1: the frontend can only downgrade entries nobody maps */
	if (pi.downgrading)
		return -EAGAIN;
	if (!(flags & GNTV3_MAP_F_READONLY) && pi.ro)
		return -EACCES;
	/*
	 * An id inside a superpage maps its own 4 KiB frame, as on the
	 * native transport: a backend may map one buffer of a frontend's
	 * superpage without knowing where the superpage starts.  Its first
	 * id maps the whole grant, unless GNTV3_MAP_F_4K says otherwise.
	 */
	r->first_ref = pi.frame + piece;
	r->order = piece || (flags & GNTV3_MAP_F_4K) ? 0 : order;
	r->writable = !(flags & GNTV3_MAP_F_READONLY);
	return 0;
}

/*
 * A 1 GiB grant is above GNTV3_MAP_MAX_PAGES, and mapped whole only as the
 * only id of its batch: 2^18 map ops in one gnttab_map_refs() (2^19, and
 * 16 MiB of op arrays, for a PV backend's vmap), as many maptrack entries
 * in Xen (gnttab_max_maptrack_frames, 256 a frame), and back->lock held
 * for as long.
 */
static bool gntv3_map_1g_alone(unsigned int nr, const struct gntv3_resolved *r)
{
	return nr == 1 && r->order == GNTV3_SIZE_ORDER(GNTV3_SIZE_1G);
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

	return !gntv3_hyp_gnttab_teardown(GNTTABOP_unmap_grant_ref, &op, 1) &&
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
	return !gntv3_hyp_unmap_refs(&op, km ? &kop : NULL, &b->pages[k], 1) &&
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

		rc = gntv3_mapping_init(mp, back, ids[i], res[i].order,
					!res[i].writable, res[i].first_ref,
					b->pv_vmap);
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

/* Take the grant handles out of the op arrays of a successful batch. */
static void gntv3_batch_handles(struct gntv3_batch *b, unsigned int nr,
				struct gntv3_map_priv **mps)
{
	unsigned int i, j, k;

	for (i = 0, k = 0; i < nr; i++) {
		struct gntv3_map_priv *mp = mps[i];

		for (j = 0; j < mp->pub.nr_pages; j++, k++) {
			if (b->pv_vmap) {
				gntv3_vhandles(mp)[j] = b->ops[k].handle;
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

/*
 * Xen answers GNTST_general_error both for a reference that is not granted
 * to us and for a writable map of a read-only grant (a writable leaf over a
 * read-only v1 grant).  After a writable map of @ref failed that way, tell
 * the two apart: -EACCES if @ref maps read-only, else -ENOENT.  Error path
 * only: it costs a map and an unmap hypercall.
 */
static int gntv3_map_refused(domid_t domid, grant_ref_t ref)
{
	grant_handle_t handle;
	struct page *page;

	if (gntv3_map_one_page(domid, ref, true, &page, &handle))
		return -ENOENT;
	gntv3_unmap_one_page(page, handle);
	return -EACCES;
}

/*
 * Map @nr resolved ids as one batch; called with back->lock held.  The
 * caller lists the mappings on the attachment and counts them.
 */
static int gntv3_map_batch(struct gntv3_back *back, const gntv3_id_t *ids,
			   const struct gntv3_resolved *res, unsigned int nr,
			   unsigned int total, unsigned int flags,
			   struct gntv3_map_priv **mps)
{
	bool vmap_wanted = flags & GNTV3_MAP_F_VMAP;
	struct gntv3_batch b = {};
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

	hrc = gntv3_hyp_map_refs(b.ops, b.kops, b.pages, total);
	rc = hrc;
	for (k = 0; !rc && k < total; k++) {
		rc = gntv3_gnttab_errno(b.ops[k].status);
		if (!rc && b.kops)
			rc = gntv3_gnttab_errno(b.kops[k].status);
	}
	if (rc)
		goto out_unwind;
	gntv3_batch_handles(&b, nr, mps);
	if (vmap_wanted && !b.pv_vmap) {
		rc = gntv3_batch_vmap(nr, mps);
		if (rc)
			goto out_unwind;
	}
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
	/* op k - 1 failed, see the loop above */
	if (rc == -ENOENT && !hrc && k && !(flags & GNTV3_MAP_F_READONLY))
		rc = gntv3_map_refused(back->domid, b.ops[k - 1].ref);
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
 * gntv3_v1_map() - &gntv3_transport_ops.map of the v1 transport
 * @back: the attachment, with its lock held and not dying
 * @ids: @nr grant ids
 * @nr: number of ids
 * @flags: GNTV3_MAP_F_*
 * @mps: receives the @nr mappings
 *
 * Reads the descriptor, resolves every id through the table cache, then
 * maps all their 4 KiB pieces with one gnttab_map_refs() call.
 *
 * Return: 0 or an errno of gntv3_map(), with nothing mapped.
 */
int gntv3_v1_map(struct gntv3_back *back, const gntv3_id_t *ids,
		 unsigned int nr, unsigned int flags,
		 struct gntv3_map_priv **mps)
{
	struct gntv3_resolved res_inline[GNTV3_INLINE_NR], *res;
	struct gntv3_walk_cursor cur = {};
	unsigned int i, total = 0;
	u64 root;
	int rc;

	res = gntv3_array_get(res_inline, sizeof(res_inline), nr, sizeof(*res));
	if (!res)
		return -ENOMEM;
	rc = gntv3_back_read_desc(back, &root);
	for (i = 0; !rc && i < nr; i++) {
		rc = gntv3_resolve_one(back, root, ids[i], flags, &cur, &res[i]);
		if (!rc)
			total += 1U << res[i].order;
		if (!rc && total > GNTV3_MAP_MAX_PAGES &&
		    !gntv3_map_1g_alone(nr, &res[0]))
			rc = -E2BIG;
	}
	if (!rc)
		rc = gntv3_map_batch(back, ids, res, nr, total, flags, mps);
	gntv3_array_put(res, res_inline);
	return rc;
}

/* ---- unmap ---- */

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
					    gntv3_vhandles(mp)[i]);
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
	return !result && !!mp->vptes == pv_vmap;
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
	hrc = gntv3_hyp_unmap_refs(ops, kops, pages, total);

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
 * gntv3_v1_unmap() - &gntv3_transport_ops.unmap of the v1 transport
 * @mps: as for gntv3_back_unmap_pages()
 * @nr: number of mappings
 * @results: as for gntv3_back_unmap_pages()
 *
 * All pages go through one gnttab_unmap_refs() call, two if PV vmap and
 * plain mappings are mixed.
 */
void gntv3_v1_unmap(struct gntv3_map_priv **mps, unsigned int nr,
		    int *results)
{
	gntv3_unmap_group(mps, nr, false, results);
	gntv3_unmap_group(mps, nr, true, results);
}
