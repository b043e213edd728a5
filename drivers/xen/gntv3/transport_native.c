// SPDX-License-Identifier: GPL-2.0-only
/*
 * gntv3 native transport: the hypervisor walks grant trees itself.
 *
 * UNTESTED: no released hypervisor implements the GNTTABOP_v3_* sub-ops, so
 * this path has never run.  It is selected only when GNTTABOP_v3_query
 * succeeds at module load (or forced with transport=native, which then
 * fails to load on such a hypervisor).  It follows
 * <xen/interface/grant_table_v3.h>: entries hold frame numbers, the
 * descriptor page is registered with GNTTABOP_v3_register_tree and a grant
 * is taken back with GNTTABOP_v3_revoke.  A grant whose backend did not
 * answer a revoke in time is taken back with GNTTABOP_v3_revoke and a
 * scratch page, when the hypervisor offers GNTV3_FEAT_REVOKE_SCRATCH.
 *
 * Grantee half: the backend never reads the tree.  It attaches without a
 * reference (INVALID_GRANT_REF: the hypervisor knows the tree the frontend
 * registered for us) and maps ids with GNTTABOP_v3_map, which walks the
 * tree in the hypervisor; GNTTABOP_v3_unmap undoes one map.  Limits of
 * this first version, all UNTESTED like the rest of this file:
 *  - translated guests (PVH/HVM) only: a PV backend would also need the
 *    p2m bookkeeping gnttab_map_refs() does for v1 mappings;
 *  - every id is mapped as its 4 KiB piece (GNTV3_SIZE_4K): the ABI does
 *    not tell the grantee a leaf's size, and a whole-superpage map needs
 *    a host range the hypervisor can map in one go;
 *  - one GNTTABOP_v3_map call per batch, one GNTTABOP_v3_unmap per
 *    mapping.
 */

#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <xen/features.h>
#include <xen/grant_table.h>
#include <xen/page.h>
#include <asm/xen/hypercall.h>
#include <uapi/xen/gntv3.h>

#include "backend.h"
#include "transport.h"

/* GNTTABOP_v3_query succeeded at load: the hypervisor walks trees. */
static bool native_probed;

/* GNTV3_FEAT_* the hypervisor reported, valid once the probe succeeded. */
static u32 native_features;

/*
 * Every feature this module relies on: trees, 4 KiB maps for PV grantees,
 * cooperative and forced revoke, downgrade and 2 MiB leaves.  A hypervisor
 * that reports less (a partial prototype) is not used.
 */
#define GNTV3_NATIVE_NEEDS	(GNTV3_FEAT_BASE | GNTV3_FEAT_MAP_PV | \
				 GNTV3_FEAT_REVOKE_SCRATCH | \
				 GNTV3_FEAT_DOWNGRADE | GNTV3_FEAT_SUPERPAGE_2M)

/*
 * The module's own side of the native path is not complete yet: the
 * backend refuses native trees and the tree handle of ABI 2 is not passed
 * down to revoke/unregister.  Until it is, the probe reports the native
 * transport unusable even on a hypervisor that has every feature.
 */
static const bool native_module_complete;

/*
 * The page dead grants are redirected to.  Allocated at the probe when the
 * hypervisor offers scratch revocation, and never freed: once used, a
 * backend may map it for ever.  Its contents do not matter (zeroes).
 */
static struct page *native_scratch;

/**
 * gntv3_transport_probe() - ask the hypervisor for grant table v3 support
 *
 * Issues GNTTABOP_v3_query once.  Stock Xen answers -ENOSYS.
 *
 * Return: 0 when the native transport can be used, else a negative errno:
 * the hypercall's own result, or -EOPNOTSUPP when the hypervisor answered
 * but does not speak GNTV3_ABI_VERSION.
 */
int gntv3_transport_probe(void)
{
	struct gnttab_v3_query q = { };
	int rc;

	rc = HYPERVISOR_grant_table_op(GNTTABOP_v3_query, &q, 1);
	if (rc)
		return rc;
	if (q.status != GNTST_okay || q.version < GNTV3_ABI_VERSION ||
	    q.max_levels < GNTV3_MAX_LEVELS ||
	    (q.features & GNTV3_NATIVE_NEEDS) != GNTV3_NATIVE_NEEDS)
		return -EOPNOTSUPP;
	if (!native_module_complete) {
		pr_info("gntv3: the hypervisor offers grant table v3 (features %#x), but the module's native path is incomplete\n",
			q.features);
		return -EOPNOTSUPP;
	}

	native_probed = true;
	native_features = q.features;
	if (native_features & GNTV3_FEAT_REVOKE_SCRATCH)
		native_scratch = alloc_page(GFP_KERNEL | __GFP_ZERO);
	return 0;
}

static int native_status(int rc, s16 status)
{
	if (rc)
		return rc;
	switch (status) {
	case GNTST_okay:
		return 0;
	case GNTST_eagain:
		return -EBUSY;
	case GNTST_no_space:
		return -ENOSPC;
	case GNTST_bad_domain:
		return -ESRCH;
	default:
		return -EIO;
	}
}

/*
 * A superpage leaf names the first frame of a run that must be contiguous
 * and aligned in the frame space the hypervisor sees (machine frames for a
 * PV guest), and the hypervisor must support the size.
 */
static int native_check_folio(struct folio *folio, xen_pfn_t first)
{
	unsigned int nr = folio_nr_pages(folio);
	unsigned int i;
	u32 feat;

	if (nr == 1)
		return 0;

	feat = nr == (1U << GNTV3_SIZE_ORDER(GNTV3_SIZE_2M)) ?
		GNTV3_FEAT_SUPERPAGE_2M : GNTV3_FEAT_SUPERPAGE_1G;
	if (!(native_features & feat))
		return -EOPNOTSUPP;
	if (first & (nr - 1))
		return -EINVAL;
	for (i = 1; i < nr; i++)
		if (xen_page_to_gfn(folio_page(folio, i)) != first + i)
			return -EINVAL;
	return 0;
}

static int native_grant(domid_t domid, struct folio *folio, bool ro,
			struct gntv3_xgrant *xg)
{
	xen_pfn_t first = xen_page_to_gfn(&folio->page);
	int rc;

	/* The access mode lives in the leaf entry (W bit) only. */
	rc = native_check_folio(folio, first);
	if (rc)
		return rc;

	xg->frame = GNTV3_PTE_FRAME(first);
	xg->nr_pieces = folio_nr_pages(folio);
	xg->nr_live = xg->nr_pieces;
	xg->nr_refs = 0;
	xg->live = NULL;
	return 0;
}

static bool native_end(domid_t domid, gntv3_id_t id, struct gntv3_xgrant *xg)
{
	struct gnttab_v3_revoke op = {
		.id = id,
		.scratch_gfn = GNTV3_NO_SCRATCH,
		.grantee = domid,
	};
	int rc;

	if (!xg->nr_live)
		return true;

	/* Without a scratch frame this fails while the backend maps @id. */
	rc = HYPERVISOR_grant_table_op(GNTTABOP_v3_revoke, &op, 1);
	if (native_status(rc, op.status))
		return false;

	xg->nr_live = 0;
	return true;
}

/* Only the tree tells the hypervisor about a grant: nothing to take back. */
static bool native_abort(struct gntv3_xgrant *xg)
{
	xg->nr_live = 0;
	return true;
}

static int native_page_alloc(domid_t domid, struct page **pagep, u64 *frame)
{
	struct page *page;

	page = alloc_page(GFP_KERNEL | __GFP_ZERO);
	if (!page)
		return -ENOMEM;

	*pagep = page;
	*frame = GNTV3_PTE_FRAME(xen_page_to_gfn(page));
	return 0;
}

/*
 * The native ABI has no per-table grant to end: the frontend unlinks a
 * table from its tree before releasing it, so no walk that starts later can
 * reach it.  The ABI relies on the hypervisor reading tables only inside
 * hypercalls and revalidating them; no implementation exists to check this.
 */
static bool native_page_release(struct page *page)
{
	__free_page(page);
	return true;
}

/* The hypervisor knows the tree (register_tree): a backend needs no ref. */
static grant_ref_t native_tree_ref(struct page *desc)
{
	return INVALID_GRANT_REF;
}

static int native_register_tree(domid_t domid, struct page *desc)
{
	struct gnttab_v3_register_tree op = {
		.grantee = domid,
		.desc_gfn = xen_page_to_gfn(desc),
	};
	int rc;

	rc = HYPERVISOR_grant_table_op(GNTTABOP_v3_register_tree, &op, 1);
	rc = native_status(rc, op.status);
	if (!rc)
		set_page_private(desc, op.tree);	/* ABI 2 tree handle */
	return rc;
}

static int native_unregister_tree(domid_t domid)
{
	struct gnttab_v3_unregister_tree op = {
		.grantee = domid,
		.tree = GNTV3_TREE_INVALID,	/* TODO: the handle from register */
	};
	int rc;

	rc = HYPERVISOR_grant_table_op(GNTTABOP_v3_unregister_tree, &op, 1);
	return native_status(rc, op.status);
}

static int native_downgrade(domid_t domid, gntv3_id_t id, struct folio *folio,
			    struct gntv3_xgrant *xg)
{
	struct gnttab_v3_revoke op = {
		.id = id,
		.scratch_gfn = GNTV3_NO_SCRATCH,
		.grantee = domid,
		.flags = GNTV3_REVOKE_DOWNGRADE,
	};
	int rc;

	if (!(native_features & GNTV3_FEAT_DOWNGRADE))
		return -EOPNOTSUPP;
	/* Fails with GNTST_eagain while a writable mapping exists. */
	rc = HYPERVISOR_grant_table_op(GNTTABOP_v3_revoke, &op, 1);
	return native_status(rc, op.status);
}

static int native_revoke_scratch(domid_t domid, gntv3_id_t id,
				 struct gntv3_xgrant *xg)
{
	struct gnttab_v3_revoke op = {
		.id = id,
		.grantee = domid,
	};
	int rc;

	if (!native_scratch)
		return -EOPNOTSUPP;
	op.scratch_gfn = xen_page_to_gfn(native_scratch);
	rc = HYPERVISOR_grant_table_op(GNTTABOP_v3_revoke, &op, 1);
	rc = native_status(rc, op.status);
	if (!rc)
		xg->nr_live = 0;
	return rc;
}

/* ---- grantee half (UNTESTED, see the top of this file) ---- */

/**
 * gntv3_transport_grantee() - the transport an attachment reaches a tree by
 * @tree_ref: the tree reference the frontend published
 *
 * A v1 reference names the descriptor page of a tree carried over v1
 * grants; INVALID_GRANT_REF a tree the hypervisor walks, which needs a
 * hypervisor that answered GNTTABOP_v3_query.
 *
 * Return: the transport, or NULL when there is none for @tree_ref.
 */
const struct gntv3_transport_ops *gntv3_transport_grantee(grant_ref_t tree_ref)
{
	if (tree_ref != INVALID_GRANT_REF)
		return &gntv3_transport_v1;
	return native_probed ? &gntv3_transport_native : NULL;
}

/* The frontend registered its tree; the hypervisor checks it at each map. */
static int native_tree_open(struct gntv3_back *back)
{
	if (!xen_feature(XENFEAT_auto_translated_physmap))
		return -EOPNOTSUPP;	/* PV: see the top of this file */
	return 0;
}

static void native_tree_close(struct gntv3_back *back)
{
}

/* Undo one successful GNTTABOP_v3_map; false if the hypervisor refused. */
static bool native_unmap_one(u64 host_addr, grant_handle_t handle)
{
	struct gnttab_v3_unmap op = {
		.host_addr = host_addr,
		.handle = handle,
	};

	return !HYPERVISOR_grant_table_op(GNTTABOP_v3_unmap, &op, 1) &&
	       op.status == GNTST_okay;
}

static int native_map(struct gntv3_back *back, const gntv3_id_t *ids,
		      unsigned int nr, unsigned int flags,
		      struct gntv3_map_priv **mps)
{
	bool ro = flags & GNTV3_MAP_F_READONLY;
	struct gnttab_v3_map *ops;
	struct page **pages;
	unsigned int i;
	int rc, hrc;

	ops = kvcalloc(nr, sizeof(*ops), GFP_KERNEL);
	pages = kvcalloc(nr, sizeof(*pages), GFP_KERNEL);
	if (!ops || !pages) {
		rc = -ENOMEM;
		goto out_free;
	}
	rc = gntv3_pages_get(back, pages, nr);
	if (rc)
		goto out_free;
	rc = gntv3_mappings_alloc(back, mps, nr);
	if (rc)
		goto out_pages;
	for (i = 0; i < nr; i++) {
		/* one page: no array to allocate, so this cannot fail */
		gntv3_mapping_init(mps[i], back, ids[i], 0, ro, 0, false);
		mps[i]->pub.pages[0] = pages[i];
		ops[i].id = ids[i];
		ops[i].host_addr = gntv3_kaddr(pages[i]);
		ops[i].granter = back->domid;
		ops[i].size = GNTV3_SIZE_4K;
		ops[i].flags = GNTV3_MAP_HOST | (ro ? GNTV3_MAP_READONLY : 0);
	}
	hrc = HYPERVISOR_grant_table_op(GNTTABOP_v3_map, ops, nr);
	rc = hrc;
	for (i = 0; !rc && i < nr; i++)
		rc = gntv3_gnttab_errno(ops[i].status);
	for (i = 0; !rc && (flags & GNTV3_MAP_F_VMAP) && i < nr; i++) {
		mps[i]->pub.vaddr = vmap(mps[i]->pub.pages, 1, VM_MAP,
					 ro ? PAGE_KERNEL_RO : PAGE_KERNEL);
		if (!mps[i]->pub.vaddr)
			rc = -ENOMEM;
	}
	if (!rc) {
		for (i = 0; i < nr; i++)
			mps[i]->handles[0] = ops[i].handle;
		goto out_free;
	}

	/* undo what did map; a page that stays mapped is leaked, never freed */
	for (i = 0; i < nr; i++) {
		if (mps[i]->pub.vaddr)
			vunmap(mps[i]->pub.vaddr);
		if (!hrc && ops[i].status == GNTST_okay &&
		    !native_unmap_one(ops[i].host_addr, ops[i].handle)) {
			atomic64_inc(&gntv3_back_cnt.leaked);
			pages[i] = NULL;
		}
	}
	gntv3_mappings_free(back, mps, nr);
	for (i = 0; i < nr; i++)
		if (pages[i])
			gntv3_pages_put(back, &pages[i], 1);
	goto out_free;
out_pages:
	gntv3_pages_put(back, pages, nr);
out_free:
	kvfree(pages);
	kvfree(ops);
	return rc;
}

static void native_unmap(struct gntv3_map_priv **mps, unsigned int nr,
			 int *results)
{
	struct gntv3_map_priv *mp;
	unsigned int i;

	for (i = 0; i < nr; i++) {
		mp = mps[i];
		if (results[i])
			continue;
		if (mp->pub.vaddr) {
			vunmap(mp->pub.vaddr);
			mp->pub.vaddr = NULL;
		}
		if (!native_unmap_one(gntv3_kaddr(mp->pub.pages[0]),
				      mp->handles[0])) {
			gntv3_back_leak_mapping(mp, "GNTTABOP_v3_unmap failed");
			results[i] = -EIO;
			continue;
		}
		gntv3_map_account(-1, 1, 1);
		gntv3_pages_put(mp->pub.back, mp->pub.pages, 1);
	}
}

const struct gntv3_transport_ops gntv3_transport_native = {
	.name		= GNTV3_XS_TRANSPORT_NATIVE,
	.uapi_id	= GNTV3_TRANSPORT_NATIVE,
	.tree_flags	= 0,
	.refs_per_page	= 0,
	.grant		= native_grant,
	.end		= native_end,
	.abort		= native_abort,
	.page_alloc	= native_page_alloc,
	.page_release	= native_page_release,
	.tree_ref	= native_tree_ref,
	.register_tree	= native_register_tree,
	.unregister_tree = native_unregister_tree,
	.downgrade	= native_downgrade,
	.revoke_scratch	= native_revoke_scratch,
	.tree_open	= native_tree_open,
	.tree_close	= native_tree_close,
	.map		= native_map,
	.unmap		= native_unmap,
};
