// SPDX-License-Identifier: GPL-2.0-only
/*
 * gntv3 native transport: the hypervisor walks grant trees itself.
 *
 * No released hypervisor implements the GNTTABOP_v3_* sub-ops; this runs
 * on the project's own prototype (xen/patches, not upstream Xen;
 * Documentation/gntv3/native.rst).  It is selected when GNTTABOP_v3_query
 * reports every feature the module needs (or forced with transport=native,
 * which fails to load otherwise).  It follows
 * <xen/interface/grant_table_v3.h>: entries hold frame numbers, the
 * descriptor page is registered with GNTTABOP_v3_register_tree, whose
 * answer (the tree handle) names the tree in every later call and is the
 * tree reference a backend attaches with.  A grant is ended with a
 * cooperative GNTTABOP_v3_revoke; one whose backend did not answer a
 * revoke in time is taken back with a forced one and a scratch page.  A
 * superpage that is not machine-contiguous is granted as 4 KiB leaves.
 *
 * Grantee half: the backend never reads the tree.  It attaches with the
 * handle and maps ids with GNTTABOP_v3_map, which walks the tree in the
 * hypervisor; GNTTABOP_v3_unmap undoes one map.  Limits of this version:
 *  - PV grantees only, as the prototype (GNTV3_FEAT_MAP_HVM is needed for
 *    a translated one); the p2m is set up as gnttab_map_refs() does, see
 *    native_p2m_set();
 *  - every id is mapped as its 4 KiB piece (GNTV3_SIZE_4K): the ABI does
 *    not tell the grantee a leaf's size, and a one-element PV superpage
 *    map needs 512 PTEs in one L1 table, which the attachment's pages are
 *    not;
 *  - one GNTTABOP_v3_map call per batch, and one GNTTABOP_v3_unmap call
 *    for every piece of the mappings of an unmap (native_unmap(), in
 *    calls of at most NATIVE_UNMAP_MAX_OPS ops);
 *  - the prototype has no GNTTABOP_v3_copy: a copy maps each op's frame,
 *    copies with the CPU and unmaps (native_copy()).
 */

#include <linux/bitmap.h>
#include <linux/gfp.h>
#include <linux/highmem.h>
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <linux/xarray.h>
#include <xen/features.h>
#include <xen/grant_table.h>
#include <xen/page.h>
#include <asm/xen/hypercall.h>
#include <asm/xen/page.h>
#include <uapi/xen/gntv3.h>

#include "backend.h"
#include "hypercall.h"
#include "transport.h"

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
 * The pages dead grants are redirected to, one per backend domain: a
 * writable mapping stays writable when it is redirected, so with one page
 * for all, what one backend wrote there another could read.  Allocated
 * (zeroed) at a domain's first forced revoke and never freed: once used,
 * that backend may map it for ever.  native_scratch_lock serialises the
 * look-up-or-allocate; the xarray's own lock covers the rest.
 */
static DEFINE_XARRAY(native_scratch);
static DEFINE_MUTEX(native_scratch_lock);

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

	rc = gntv3_hyp_gnttab_setup(GNTTABOP_v3_query, &q, 1);
	if (rc)
		return rc;
	if (q.status != GNTST_okay || q.version < GNTV3_ABI_VERSION ||
	    q.max_levels < GNTV3_MAX_LEVELS ||
	    (q.features & GNTV3_NATIVE_NEEDS) != GNTV3_NATIVE_NEEDS)
		return -EOPNOTSUPP;

	native_features = q.features;
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
 * PV guest), and the hypervisor must support the size.  True when the @nr
 * pages from @page, whose first frame is @first, can be one leaf.
 */
static bool native_one_leaf(struct page *page, unsigned int nr,
			    xen_pfn_t first)
{
	unsigned int i;
	u32 feat;

	if (nr == 1)
		return true;

	feat = nr == (1U << GNTV3_SIZE_ORDER(GNTV3_SIZE_2M)) ?
		GNTV3_FEAT_SUPERPAGE_2M : GNTV3_FEAT_SUPERPAGE_1G;
	if (!(native_features & feat) || (first & (nr - 1)))
		return false;
	for (i = 1; i < nr; i++)
		if (xen_page_to_gfn(nth_page(page, i)) != first + i)
			return false;
	return true;
}

static u64 native_piece_frame(struct page *page, unsigned int i)
{
	return GNTV3_PTE_FRAME(xen_page_to_gfn(nth_page(page, i)));
}

/*
 * A superpage the hypervisor cannot take as one leaf (a PV guest's folio
 * is contiguous in pseudo-physical frames only, and making it contiguous
 * in machine frames needs xen_create_contiguous_region(), which modules
 * cannot call) is granted as 4 KiB leaves under its consecutive ids: the
 * backend maps it piece by piece either way (native_map()), and each piece
 * is revoked on its own (native_revoke_pieces()).
 */
INDIRECT_CALLABLE_SCOPE int gntv3_native_grant(domid_t domid,
					       struct gntv3_xspare *spare,
					       struct page *page,
					       unsigned int nr, bool ro,
					       struct gntv3_xgrant *xg)
{
	xen_pfn_t first = xen_page_to_gfn(page);

	/* The access mode lives in the leaf entry (W bit) only. */
	xg->live = NULL;
	xg->split = !native_one_leaf(page, nr, first);
	if (xg->split) {
		xg->live = bitmap_zalloc(nr, GFP_KERNEL);
		if (!xg->live)
			return -ENOMEM;
		bitmap_fill(xg->live, nr);
	}

	xg->frame = GNTV3_PTE_FRAME(first);
	xg->order = ilog2(nr);
	xg->nr_live = nr;
	return 0;
}

/* GNTTABOP_v3_revoke elements per hypercall for the pieces of a split grant */
#define NATIVE_REVOKE_BATCH	16

/*
 * GNTTABOP_v3_revoke of every live piece of @xg (every leaf: one, or
 * gntv3_xgrant_pieces() of a split grant), with @scratch (or
 * GNTV3_NO_SCRATCH) and @flags.  Unless downgrading, the pieces the
 * hypervisor answered GNTST_okay for are no longer live.  Returns 0 when
 * every piece succeeded, else the first error (-EBUSY while the backend
 * maps a piece).
 */
static int native_revoke_pieces(domid_t domid, u32 tree, gntv3_id_t id,
				struct gntv3_xgrant *xg, u64 scratch,
				u16 flags)
{
	struct gnttab_v3_revoke ops[NATIVE_REVOKE_BATCH];
	unsigned int idx[NATIVE_REVOKE_BATCH];
	bool downgrade = flags & GNTV3_REVOKE_DOWNGRADE;
	unsigned int i = 0, n, k, pieces;
	int rc, err = 0;

	if (!xg->split) {
		struct gnttab_v3_revoke op = {
			.id = id, .tree = tree, .scratch_gfn = scratch,
			.grantee = domid, .flags = flags,
		};

		rc = gntv3_hyp_gnttab_teardown(GNTTABOP_v3_revoke, &op, 1);
		rc = native_status(rc, op.status);
		if (!rc && !downgrade)
			xg->nr_live = 0;
		return rc;
	}
	if (!xg->live)		/* every piece ended already */
		return 0;

	pieces = gntv3_xgrant_pieces(xg);
	while (i < pieces) {
		for (n = 0; n < NATIVE_REVOKE_BATCH && i < pieces; i++) {
			if (!test_bit(i, xg->live))
				continue;
			ops[n] = (struct gnttab_v3_revoke) {
				.id = id + i, .tree = tree,
				.scratch_gfn = scratch, .grantee = domid,
				.flags = flags,
			};
			idx[n++] = i;
		}
		if (!n)
			break;
		rc = gntv3_hyp_gnttab_teardown(GNTTABOP_v3_revoke, ops, n);
		if (rc)
			return rc;
		for (k = 0; k < n; k++) {
			rc = native_status(0, ops[k].status);
			if (rc) {
				err = err ?: rc;
			} else if (!downgrade) {
				__clear_bit(idx[k], xg->live);
				xg->nr_live--;
			}
		}
		cond_resched();
	}
	if (!xg->nr_live) {
		bitmap_free(xg->live);
		xg->live = NULL;
	}
	return err;
}

static bool native_end(domid_t domid, u32 tree, gntv3_id_t id,
		       struct gntv3_xgrant *xg)
{
	if (!xg->nr_live)
		return true;
	/* Without a scratch frame this fails while the backend maps @id. */
	native_revoke_pieces(domid, tree, id, xg, GNTV3_NO_SCRATCH, 0);
	return !xg->nr_live;
}

/* Only the tree tells the hypervisor about a grant: nothing to take back. */
static bool native_abort(struct gntv3_xgrant *xg)
{
	bitmap_free(xg->live);
	xg->live = NULL;
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
 * reach it.  A walk that read the entry above before the unlink may still
 * be about to read the table, and would take whatever the page holds next
 * for entries: a GNTTABOP_v3_query waits for every walk in progress (the
 * ABI header), so the page is freed only after one.  Refused (a fault
 * injected), the page stays with the front, which tries again later.
 */
static bool native_page_release(struct page *page)
{
	struct gnttab_v3_query op = {};

	if (gntv3_hyp_gnttab_teardown(GNTTABOP_v3_query, &op, 1) ||
	    op.status != GNTST_okay)
		return false;
	__free_page(page);
	return true;
}

/* A backend names the tree by the handle register_tree got. */
static grant_ref_t native_tree_ref(struct page *desc)
{
	return page_private(desc);
}

static int native_register_tree(domid_t domid, struct page *desc)
{
	struct gnttab_v3_register_tree op = {
		.grantee = domid,
		.desc_gfn = xen_page_to_gfn(desc),
	};
	int rc;

	rc = gntv3_hyp_gnttab_setup(GNTTABOP_v3_register_tree, &op, 1);
	rc = native_status(rc, op.status);
	if (!rc)
		set_page_private(desc, op.tree);	/* for native_tree_ref() */
	return rc;
}

static int native_unregister_tree(domid_t domid, u32 tree)
{
	struct gnttab_v3_unregister_tree op = {
		.grantee = domid,
		.tree = tree,
	};
	int rc;

	rc = gntv3_hyp_gnttab_teardown(GNTTABOP_v3_unregister_tree, &op, 1);
	return native_status(rc, op.status);
}

static int native_downgrade(domid_t domid, u32 tree, gntv3_id_t id,
			    struct page *page, struct gntv3_xgrant *xg)
{
	if (!(native_features & GNTV3_FEAT_DOWNGRADE))
		return -EOPNOTSUPP;
	/* Fails with GNTST_eagain while a writable mapping exists. */
	return native_revoke_pieces(domid, tree, id, xg, GNTV3_NO_SCRATCH,
				    GNTV3_REVOKE_DOWNGRADE);
}

/* The scratch page of backend @domid, allocated at its first use. */
static struct page *native_scratch_page(domid_t domid)
{
	struct page *page;

	mutex_lock(&native_scratch_lock);
	page = xa_load(&native_scratch, domid);
	if (!page) {
		page = alloc_page(GFP_KERNEL | __GFP_ZERO);
		if (page && xa_err(xa_store(&native_scratch, domid, page,
					    GFP_KERNEL))) {
			__free_page(page);
			page = NULL;
		}
	}
	mutex_unlock(&native_scratch_lock);
	return page;
}

/**
 * gntv3_transport_exit() - forget the scratch pages at module unload
 *
 * Called once every tree is gone.  The pages themselves stay allocated
 * for good: a backend may still map one.  Only their index is freed.
 */
void gntv3_transport_exit(void)
{
	unsigned long domid;
	struct page *page;
	unsigned int n = 0;

	xa_for_each(&native_scratch, domid, page)
		n++;
	if (n)
		pr_info("keeping the scratch pages of %u backend domain(s): they may still map them\n",
			n);
	xa_destroy(&native_scratch);
}

static int native_revoke_scratch(domid_t domid, u32 tree, gntv3_id_t id,
				 struct gntv3_xgrant *xg)
{
	struct page *scratch;

	if (!(native_features & GNTV3_FEAT_REVOKE_SCRATCH))
		return -EOPNOTSUPP;
	scratch = native_scratch_page(domid);
	if (!scratch)
		return -ENOMEM;
	return native_revoke_pieces(domid, tree, id, xg,
				    xen_page_to_gfn(scratch), 0);
}

/* ---- grantee half ---- */

/*
 * The attachment's tree reference is the frontend's tree handle; the
 * hypervisor checks it, and that the tree grants to us, at every map.
 * Only PV grantees are implemented by the prototype (GNTV3_FEAT_MAP_PV,
 * which the probe requires); a translated one needs GNTV3_FEAT_MAP_HVM.
 */
static int native_tree_open(struct gntv3_back *back)
{
	if (back->tree_ref == GNTV3_TREE_INVALID)
		return -ENOENT;
	if (xen_feature(XENFEAT_auto_translated_physmap) &&
	    !(native_features & GNTV3_FEAT_MAP_HVM))
		return -EOPNOTSUPP;
	return 0;
}

static void native_tree_close(struct gntv3_back *back)
{
}

/*
 * PV: the pages of a mapping come from gnttab_alloc_pages() and have no
 * machine frame (their p2m entry is INVALID_P2M_ENTRY).  Once Xen put the
 * granted frame under the linear-map address, the p2m entry must say so
 * (FOREIGN_FRAME), as gnttab_map_refs() does for v1 mappings, or any
 * pfn-to-mfn user (a bio, DMA) would reach no frame.  set_phys_to_machine()
 * is not exported to modules in 6.12: xen_alloc_p2m_entry() (exported)
 * gives the pfn a writable p2m leaf, then the entry is written with the
 * same fault-safe store __set_phys_to_machine() uses.  A production version
 * would export set_foreign_p2m_mapping() or live in grant-table.c.
 */
static int native_p2m_set(struct page *page, unsigned long mfn)
{
	unsigned long pfn = page_to_pfn(page);

	if (xen_feature(XENFEAT_auto_translated_physmap))
		return 0;
	if (pfn >= xen_p2m_size || xen_alloc_p2m_entry(pfn))
		return -ENOMEM;
	return xen_safe_write_ulong(xen_p2m_addr + pfn, mfn) ? -EFAULT : 0;
}

/* Undo one successful GNTTABOP_v3_map; false if the hypervisor refused. */
static bool native_unmap_one(u64 host_addr, grant_handle_t handle)
{
	struct gnttab_v3_unmap op = {
		.host_addr = host_addr,
		.handle = handle,
	};

	return !gntv3_hyp_gnttab_teardown(GNTTABOP_v3_unmap, &op, 1) &&
	       op.status == GNTST_okay;
}

/* A piece whose map failed, or whose PTE was never asked for: skipped. */
#define NATIVE_NO_HANDLE	((grant_handle_t)~0U)

/*
 * Unmap what @mp holds, piece by piece: the vmap PTE (PV), the linear-map
 * mapping and the p2m entry of each page whose handle is not
 * NATIVE_NO_HANDLE.  False if the hypervisor refused one: that page stays
 * mapped and the caller must leak the mapping's pages.
 */
static bool native_unmap_mp(struct gntv3_map_priv *mp)
{
	unsigned int i;
	bool ok = true;

	if (!mp->handles)
		return true;	/* its set-up failed before any map */
	for (i = 0; mp->vptes && i < mp->pub.nr_pages; i++)
		if (gntv3_vhandles(mp)[i] != NATIVE_NO_HANDLE &&
		    !native_unmap_one(mp->vptes[i], gntv3_vhandles(mp)[i]))
			ok = false;
	if (mp->pub.vaddr) {
		vunmap(mp->pub.vaddr);
		mp->pub.vaddr = NULL;
	}
	for (i = 0; i < mp->pub.nr_pages; i++) {
		struct page *page = mp->pub.pages[i];

		if (mp->handles[i] == NATIVE_NO_HANDLE)
			continue;
		if (!native_unmap_one(gntv3_kaddr(page), mp->handles[i])) {
			ok = false;
			continue;
		}
		native_p2m_set(page, INVALID_P2M_ENTRY);
	}
	return ok;
}

/*
 * PV with GNTV3_MAP_F_VMAP: the vmap area is created first, its PTEs
 * empty (the pages have no machine frame), and Xen fills each PTE in by a
 * second map (GNTV3_MAP_CONTAINS_PTE), as the v1 transport does.
 */
static int native_vmap_prepare(struct gntv3_map_priv *mp, bool ro)
{
	unsigned long va;
	unsigned int i, level;
	pte_t *pte;

	mp->pub.vaddr = vmap(mp->pub.pages, mp->pub.nr_pages, VM_MAP,
			     ro ? PAGE_KERNEL_RO : PAGE_KERNEL);
	if (!mp->pub.vaddr)
		return -ENOMEM;
	if (xen_feature(XENFEAT_auto_translated_physmap))
		return 0;
	for (i = 0; i < mp->pub.nr_pages; i++) {
		va = (unsigned long)mp->pub.vaddr + i * PAGE_SIZE;
		pte = lookup_address(va, &level);
		if (!pte || level != PG_LEVEL_4K)
			return -EFAULT;
		mp->vptes[i] = arbitrary_virt_to_machine(pte).maddr;
	}
	return 0;
}

static void native_op_fill(struct gnttab_v3_map *op, struct gntv3_back *back,
			   gntv3_id_t id, u64 addr, u32 flags)
{
	op->id = id;
	op->host_addr = addr;
	op->tree = back->tree_ref;
	op->granter = back->domid;
	op->size = GNTV3_SIZE_4K;
	op->flags = GNTV3_MAP_HOST | flags;
	op->status = GNTV3_ST_NOT_REACHED;
}

/*
 * Set up @mp for id @id over @npg pages from @pages, and fill its ops:
 * the linear map of each piece at @lin, the vmap PTEs (@pte) at @vpte.
 */
static int native_map_prepare(struct gntv3_map_priv *mp,
			      struct gntv3_back *back, gntv3_id_t id,
			      unsigned int order, struct page **pages,
			      unsigned int flags, struct gnttab_v3_map *lin,
			      struct gnttab_v3_map *vpte)
{
	bool ro = flags & GNTV3_MAP_F_READONLY;
	u32 mflags = ro ? GNTV3_MAP_READONLY : 0;
	unsigned int i, npg = 1U << order;
	int rc;

	rc = gntv3_mapping_init(mp, back, id, order, ro, 0, !!vpte);
	/* even half set up, native_unmap_mp() must find nothing to unmap */
	for (i = 0; i < npg; i++) {
		if (mp->pub.pages)
			mp->pub.pages[i] = pages[i];
		if (mp->handles)
			mp->handles[i] = NATIVE_NO_HANDLE;
		if (mp->vptes)
			gntv3_vhandles(mp)[i] = NATIVE_NO_HANDLE;
	}
	if (rc)
		return rc;
	if (flags & GNTV3_MAP_F_VMAP) {
		rc = native_vmap_prepare(mp, ro);
		if (rc)
			return rc;
	}
	for (i = 0; i < npg; i++) {
		native_op_fill(&lin[i], back, id + i, gntv3_kaddr(pages[i]),
			       mflags);
		if (vpte)
			native_op_fill(&vpte[i], back, id + i, mp->vptes[i],
				       mflags | GNTV3_MAP_CONTAINS_PTE);
	}
	return 0;
}

/*
 * Each id is mapped as its 4 KiB piece, or with GNTV3_MAP_F_2M as the
 * 512 pieces from it, all in one GNTTABOP_v3_map call: ops [0, total) map
 * the pages at their linear-map addresses, ops [total, 2 * total) (PV
 * GNTV3_MAP_F_VMAP) fill the vmap PTEs.
 */
static int native_map(struct gntv3_back *back, const gntv3_id_t *ids,
		      unsigned int nr, unsigned int flags,
		      struct gntv3_map_priv **mps)
{
	bool pv = !xen_feature(XENFEAT_auto_translated_physmap);
	bool pte = pv && (flags & GNTV3_MAP_F_VMAP);
	unsigned int order = flags & GNTV3_MAP_F_2M ?
			     GNTV3_SIZE_ORDER(GNTV3_SIZE_2M) : 0;
	unsigned int npg = 1U << order, total = nr * npg;
	unsigned int i, j, k, nops = pte ? 2 * total : total;
	struct gnttab_v3_map *ops;
	struct page **pages;
	bool called = false;
	int rc;

	for (i = 0; i < nr; i++) {
		/* beyond any tree: the hypervisor would only say "not granted" */
		if (ids[i] >> GNTV3_ID_BITS || (ids[i] + npg - 1) >> GNTV3_ID_BITS)
			return -ERANGE;
		/* a superpage's first id is aligned to its size, as on v1 */
		if (ids[i] & (npg - 1))
			return -EINVAL;
	}

	ops = kvcalloc(nops, sizeof(*ops), GFP_KERNEL);
	pages = kvcalloc(total, sizeof(*pages), GFP_KERNEL);
	if (!ops || !pages) {
		rc = -ENOMEM;
		goto out_free;
	}
	rc = gntv3_pages_get(back, pages, total);
	if (rc)
		goto out_free;
	rc = gntv3_mappings_alloc(back, mps, nr);
	if (rc)
		goto out_pages;
	for (i = 0; i < nr; i++) {
		k = i * npg;
		rc = native_map_prepare(mps[i], back, ids[i], order, &pages[k],
					flags, &ops[k],
					pte ? &ops[total + k] : NULL);
		if (rc)
			goto undo;
	}
	/* one hypercall for the batch: Xen walks the tree for each piece */
	rc = gntv3_hyp_gnttab_setup(GNTTABOP_v3_map, ops, nops);
	called = true;
	for (k = 0; !rc && k < nops; k++)
		rc = gntv3_gnttab_errno(ops[k].status);
	for (k = 0; !rc && k < total; k++)
		rc = native_p2m_set(pages[k],
				    FOREIGN_FRAME(PFN_DOWN(ops[k].dev_bus_addr)));

undo:
	/*
	 * Record what did map: all of it, or what the undo must unmap.  The
	 * statuses say so even when the call failed as a whole: an op it
	 * never reached still holds GNTV3_ST_NOT_REACHED.
	 */
	for (i = 0; called && i < nr; i++) {
		for (j = 0, k = i * npg; j < npg; j++, k++) {
			if (ops[k].status == GNTST_okay)
				mps[i]->handles[j] = ops[k].handle;
			if (pte && ops[total + k].status == GNTST_okay)
				gntv3_vhandles(mps[i])[j] = ops[total + k].handle;
		}
	}
	if (!rc)
		goto out_free;
	/* a page that stays mapped is leaked, never freed */
	for (i = 0; i < nr; i++) {
		struct gntv3_map_priv *mp = mps[i];

		if (mp->pub.pages && !native_unmap_mp(mp)) {
			atomic64_inc(&gntv3_back_cnt.leaked);
			for (j = 0; j < npg; j++)
				pages[i * npg + j] = NULL;
		}
	}
	gntv3_mappings_free(back, mps, nr);
	for (k = 0; k < total; k++)
		if (pages[k])
			gntv3_pages_put(back, &pages[k], 1);
	goto out_free;
out_pages:
	gntv3_pages_put(back, pages, total);
out_free:
	kvfree(pages);
	kvfree(ops);
	return rc;
}

/* Ops in one GNTTABOP_v3_unmap call of native_unmap(), at most (24 KiB). */
#define NATIVE_UNMAP_MAX_OPS	1024U

/* The unmap ops @mp needs: one per piece that mapped, vmap PTEs included. */
static unsigned int native_unmap_nr_ops(const struct gntv3_map_priv *mp)
{
	unsigned int i, n = 0;

	if (!mp->handles)
		return 0;
	for (i = 0; i < mp->pub.nr_pages; i++) {
		if (mp->vptes && gntv3_vhandles(mp)[i] != NATIVE_NO_HANDLE)
			n++;
		if (mp->handles[i] != NATIVE_NO_HANDLE)
			n++;
	}
	return n;
}

/*
 * One unmap op; its status starts as an error, so that an op the
 * hypervisor did not get to (the call failed part way) reads as failed.
 */
static void native_unmap_op(struct gnttab_v3_unmap *op, u64 host_addr,
			    grant_handle_t handle)
{
	*op = (struct gnttab_v3_unmap){
		.host_addr = host_addr,
		.handle = handle,
		.status = GNTST_general_error,
	};
}

/*
 * Write the native_unmap_nr_ops(@mp) unmap ops of @mp to @ops in the
 * order native_unmap_mp() unmaps: the vmap PTEs, then the linear map.
 */
static unsigned int native_unmap_fill(struct gntv3_map_priv *mp,
				      struct gnttab_v3_unmap *ops)
{
	unsigned int i, k = 0;

	if (!mp->handles)
		return 0;
	/* a translated guest's vmap is ordinary PTEs: drop them first */
	if (mp->pub.vaddr && !mp->vptes) {
		vunmap(mp->pub.vaddr);
		mp->pub.vaddr = NULL;
	}
	for (i = 0; mp->vptes && i < mp->pub.nr_pages; i++)
		if (gntv3_vhandles(mp)[i] != NATIVE_NO_HANDLE)
			native_unmap_op(&ops[k++], mp->vptes[i],
					gntv3_vhandles(mp)[i]);
	for (i = 0; i < mp->pub.nr_pages; i++)
		if (mp->handles[i] != NATIVE_NO_HANDLE)
			native_unmap_op(&ops[k++],
					gntv3_kaddr(mp->pub.pages[i]),
					mp->handles[i]);
	return k;
}

/*
 * After the call: read the statuses of @mp's ops, as native_unmap_fill()
 * wrote them to @ops, give the vmap area back and clear the p2m entry of
 * each page that unmapped, as native_unmap_mp() does.  False if a piece
 * stayed mapped.
 */
static bool native_unmap_done(struct gntv3_map_priv *mp,
			      const struct gnttab_v3_unmap *ops)
{
	unsigned int i, k = 0;
	bool ok = true;

	if (!mp->handles)
		return true;	/* its set-up failed before any map */
	for (i = 0; mp->vptes && i < mp->pub.nr_pages; i++)
		if (gntv3_vhandles(mp)[i] != NATIVE_NO_HANDLE &&
		    ops[k++].status != GNTST_okay)
			ok = false;
	if (mp->pub.vaddr) {
		vunmap(mp->pub.vaddr);
		mp->pub.vaddr = NULL;
	}
	for (i = 0; i < mp->pub.nr_pages; i++) {
		if (mp->handles[i] == NATIVE_NO_HANDLE)
			continue;
		if (ops[k++].status != GNTST_okay) {
			ok = false;
			continue;
		}
		native_p2m_set(mp->pub.pages[i], INVALID_P2M_ENTRY);
	}
	return ok;
}

/*
 * Give the pages of @mp back to its attachment when every piece unmapped
 * (@ok); otherwise leak the mapping as a whole.  The result for @mp.
 */
static int native_unmap_release(struct gntv3_map_priv *mp, bool ok)
{
	if (!ok) {
		gntv3_back_leak_mapping(mp, "GNTTABOP_v3_unmap failed");
		return -EIO;
	}
	gntv3_map_account(-1, 1, mp->pub.nr_pages);
	gntv3_pages_put(mp->pub.back, mp->pub.pages, mp->pub.nr_pages);
	return 0;
}

/*
 * Unmap, from @mps[@i] on, the mappings to unmap (@results 0) whose ops
 * fit together in @ops (@cap of them) with one GNTTABOP_v3_unmap call,
 * and set their results.  A first mapping that does not fit even alone
 * is unmapped piece by piece (native_unmap_mp()).  Returns the index
 * after the last mapping handled.
 */
static unsigned int native_unmap_group(struct gntv3_map_priv **mps,
				       unsigned int nr, unsigned int i,
				       int *results,
				       struct gnttab_v3_unmap *ops,
				       unsigned int cap)
{
	unsigned int j, m, n, k = 0, filled = 0;

	for (j = i; j < nr; j++) {
		if (results[j])
			continue;
		n = native_unmap_nr_ops(mps[j]);
		if (k + n > cap)
			break;
		k += native_unmap_fill(mps[j], &ops[k]);
		filled++;
	}
	if (!filled && j < nr) {
		results[j] = native_unmap_release(mps[j],
						  native_unmap_mp(mps[j]));
		return j + 1;
	}
	/*
	 * The hypervisor clears the PTEs of a batch of ops, flushes once and
	 * only then drops the page references.  Each op's status says what
	 * happened to it, whatever the call returns (native_unmap_op()).
	 */
	if (k)
		gntv3_hyp_gnttab_teardown(GNTTABOP_v3_unmap, ops, k);
	for (m = i, k = 0; m < j; m++) {
		if (results[m])
			continue;
		n = native_unmap_nr_ops(mps[m]);
		results[m] = native_unmap_release(mps[m],
						  native_unmap_done(mps[m],
								    &ops[k]));
		k += n;
	}
	return j;
}

/*
 * &gntv3_transport_ops.unmap: every piece of every mapping, vmap PTEs
 * included, in one GNTTABOP_v3_unmap call, or one per NATIVE_UNMAP_MAX_OPS
 * ops.  Without memory for the op array it goes on in calls of
 * GNTV3_INLINE_NR ops from the stack: never -ENOMEM.  A mapping with a
 * piece the hypervisor refused is leaked (-EIO); the others go back to
 * the attachment's page cache.
 */
static void native_unmap(struct gntv3_map_priv **mps, unsigned int nr,
			 int *results)
{
	struct gnttab_v3_unmap ops_inline[GNTV3_INLINE_NR], *ops;
	unsigned int i, cap, total = 0;

	for (i = 0; i < nr; i++)
		if (!results[i])
			total += native_unmap_nr_ops(mps[i]);
	cap = min(total, NATIVE_UNMAP_MAX_OPS);
	ops = gntv3_array_get(ops_inline, sizeof(ops_inline), cap,
			      sizeof(*ops));
	if (!ops) {
		ops = ops_inline;
		cap = ARRAY_SIZE(ops_inline);
	}
	for (i = 0; i < nr; )
		i = native_unmap_group(mps, nr, i, results, ops, cap);
	gntv3_array_put(ops, ops_inline);
}

/*
 * Grant copy without a copy sub-op (the prototype has none): map the
 * frame of @op read-only (from the peer) or writable (to it) at the
 * linear-map address of @page, a page of the attachment's cache, copy
 * through that address and unmap.  No p2m entry is needed: nothing but
 * this CPU copy reaches the frame.  Returns the op's status; sets @leaked
 * when the unmap failed and @page must never be used again.
 */
static int native_copy_one(struct gntv3_back *back, struct page *page,
			   const struct gntv3_copy_op *o, bool *leaked)
{
	bool from = o->dir == GNTV3_COPY_FROM_PEER;
	struct gnttab_v3_map op = { };
	void *peer, *ours;
	int rc;

	if (o->id >> GNTV3_ID_BITS)
		return -ERANGE;
	native_op_fill(&op, back, o->id, gntv3_kaddr(page),
		       from ? GNTV3_MAP_READONLY : 0);
	rc = gntv3_hyp_gnttab_setup(GNTTABOP_v3_map, &op, 1);
	if (rc)
		return rc;
	rc = gntv3_gnttab_errno(op.status);
	if (rc)
		return rc;

	peer = page_address(page) + o->offset;
	ours = kmap_local_page(o->page) + o->page_offset;
	if (from)
		memcpy(ours, peer, o->len);
	else
		memcpy(peer, ours, o->len);
	kunmap_local(ours);

	if (!native_unmap_one(gntv3_kaddr(page), op.handle)) {
		*leaked = true;
		return -EIO;
	}
	return 0;
}

static int native_copy(struct gntv3_back *back, struct gntv3_copy_op *ops,
		       unsigned int nr)
{
	struct page *page = NULL;
	unsigned int i;
	bool leaked;
	int rc;

	for (i = 0; i < nr; i++) {
		if (!page) {
			rc = gntv3_pages_get(back, &page, 1);
			if (rc) {
				/* none tried yet: fail the call as a whole */
				if (!i)
					return rc;
				ops[i].status = rc;
				continue;
			}
		}
		leaked = false;
		ops[i].status = native_copy_one(back, page, &ops[i], &leaked);
		if (leaked) {
			/* still maps a foreign frame: never reused */
			atomic64_inc(&gntv3_back_cnt.leaked);
			page = NULL;
		}
		cond_resched();
	}
	if (page)
		gntv3_pages_put(back, &page, 1);
	return 0;
}

const struct gntv3_transport_ops gntv3_transport_native = {
	.name		= GNTV3_XS_TRANSPORT_NATIVE,
	.uapi_id	= GNTV3_TRANSPORT_NATIVE,
	.tree_flags	= 0,
	.refs_per_page	= 0,
	.grant		= gntv3_native_grant,
	.end		= native_end,
	.abort		= native_abort,
	.piece_frame	= native_piece_frame,
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
	.copy		= native_copy,
};
