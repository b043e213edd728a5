// SPDX-License-Identifier: GPL-2.0-only
/*
 * gntv3 v1 transport: grant trees carried over classic v1 grant entries.
 *
 * Every 4 KiB frame of a grant gets its own v1 grant entry; a 2 MiB or
 * 1 GiB folio gets a run of consecutive references so that its leaf entry
 * names them all by the first one.  Table pages and the descriptor page are
 * granted read-only.  Xen enforces only these v1 entries: the tree merely
 * tells the backend which references to map.
 *
 * Ending access follows the XSA-396 rule: a frame is reused only after
 * gnttab_try_end_foreign_access() succeeded for its reference, which also
 * frees the reference.  References of a run are freed one by one as they
 * end; the grant table keeps per-reference free state (a bitmap and a free
 * list), so freeing part of a run that was allocated together is allowed.
 */

#include <linux/gfp.h>
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/sched.h>
#include <xen/grant_table.h>
#include <xen/page.h>
#include <uapi/xen/gntv3.h>

#include "backend.h"
#include "transport.h"

/* Reschedule this often while walking the 262144 frames of a 1 GiB grant. */
#define V1_RESCHED_PIECES	GNTV3_PTES_PER_TABLE

static grant_ref_t v1_first_ref(const struct gntv3_xgrant *xg)
{
	return (grant_ref_t)(xg->frame >> GNTV3_PTE_FRAME_SHIFT);
}

/*
 * An upper bound on the references the guest can ever own, so that a
 * request that cannot succeed (typically 1 GiB = 262144 references against
 * the default 64 grant frames = 32768) fails quietly instead of making the
 * grant table code warn about max_grant_frames.
 */
static bool v1_run_possible(unsigned int nr)
{
	u64 max = (u64)gnttab_max_grant_frames() *
		  (XEN_PAGE_SIZE / sizeof(struct grant_entry_v1));

	return nr <= max;
}

/*
 * A 4 KiB grant takes its reference from the front's spares, refilled
 * V1_SPARE_BATCH at a time: claiming from a private list takes no lock,
 * where gnttab_grant_foreign_access() takes the grant table's global lock
 * for every reference.  A front sets aside fewer than V1_SPARE_BATCH
 * references this way.  Returns a reference or -ENOSPC when fewer than
 * V1_SPARE_BATCH are free (the caller then asks for one alone).  A refill
 * that failed is not tried again for V1_SPARE_BACKOFF grants: near a full
 * grant table each attempt costs a (rate-limited) max_grant_frames warning
 * from the grant table code.
 */
#define V1_SPARE_BATCH		32
#define V1_SPARE_BACKOFF	256

static int v1_spare_claim(struct gntv3_xspare *spare)
{
	if (!spare->nr) {
		if (spare->backoff) {
			spare->backoff--;
			return -ENOSPC;
		}
		if (gnttab_alloc_grant_references(V1_SPARE_BATCH,
						  &spare->head)) {
			spare->backoff = V1_SPARE_BACKOFF;
			return -ENOSPC;
		}
		spare->nr = V1_SPARE_BATCH;
	}
	spare->nr--;
	return gnttab_claim_grant_reference(&spare->head);
}

static void v1_spare_release(struct gntv3_xspare *spare)
{
	if (spare->nr)
		gnttab_free_grant_references(spare->head);
	spare->nr = 0;
}

static int v1_grant_one(domid_t domid, struct gntv3_xspare *spare,
			struct page *page, bool ro)
{
	xen_pfn_t gfn = xen_page_to_gfn(page);
	int ref = v1_spare_claim(spare);

	if (ref < 0)
		return gnttab_grant_foreign_access(domid, gfn, ro);
	gnttab_grant_foreign_access_ref(ref, domid, gfn, ro);
	return ref;
}

INDIRECT_CALLABLE_SCOPE int gntv3_v1_grant(domid_t domid,
					   struct gntv3_xspare *spare,
					   struct page *page, unsigned int nr,
					   bool ro, struct gntv3_xgrant *xg)
{
	grant_ref_t first;
	unsigned int i;
	int rc;

	xg->live = NULL;
	xg->split = false;
	if (nr == 1) {
		rc = v1_grant_one(domid, spare, page, ro);
		if (rc < 0)
			return rc;
		first = rc;
	} else {
		if (!v1_run_possible(nr))
			return -ENOSPC;
		xg->live = bitmap_zalloc(nr, GFP_KERNEL);
		if (!xg->live)
			return -ENOMEM;
		rc = gnttab_alloc_grant_reference_seq(nr, &first);
		if (rc) {
			bitmap_free(xg->live);
			xg->live = NULL;
			return rc;
		}
		for (i = 0; i < nr; i++) {
			xen_pfn_t gfn = xen_page_to_gfn(nth_page(page, i));

			gnttab_grant_foreign_access_ref(first + i, domid, gfn, ro);
			if (!((i + 1) % V1_RESCHED_PIECES))
				cond_resched();
		}
		bitmap_fill(xg->live, nr);
	}

	xg->frame = GNTV3_PTE_FRAME(first) | GNTV3_PTE_V1;
	xg->order = ilog2(nr);
	xg->nr_live = nr;
	return 0;
}

static bool v1_end(domid_t domid, u32 tree, gntv3_id_t id,
		   struct gntv3_xgrant *xg)
{
	grant_ref_t first = v1_first_ref(xg);
	unsigned int i, n = 0;

	if (!xg->live) {
		/* One frame (or a run that already ended completely). */
		if (xg->nr_live && gnttab_try_end_foreign_access(first))
			xg->nr_live = 0;
		return !xg->nr_live;
	}

	for_each_set_bit(i, xg->live, gntv3_xgrant_pieces(xg)) {
		if (gnttab_try_end_foreign_access(first + i)) {
			__clear_bit(i, xg->live);
			xg->nr_live--;
		}
		if (!(++n % V1_RESCHED_PIECES))
			cond_resched();
	}
	if (xg->nr_live)
		return false;

	bitmap_free(xg->live);
	xg->live = NULL;
	return true;
}

/* Nothing differs for a grant that never reached the tree. */
static bool v1_abort(struct gntv3_xgrant *xg)
{
	return v1_end(DOMID_INVALID, 0, GNTV3_INVALID_ID, xg);
}

static int v1_page_alloc(domid_t domid, struct page **pagep, u64 *frame)
{
	struct page *page;
	int ref;

	page = alloc_page(GFP_KERNEL | __GFP_ZERO);
	if (!page)
		return -ENOMEM;

	ref = gnttab_grant_foreign_access(domid, xen_page_to_gfn(page), 1);
	if (ref < 0) {
		__free_page(page);
		return ref;
	}

	/* Remember the reference for v1_page_release() and v1_tree_ref(). */
	set_page_private(page, ref);
	*pagep = page;
	*frame = GNTV3_PTE_FRAME(ref) | GNTV3_PTE_V1;
	return 0;
}

static bool v1_page_release(struct page *page)
{
	if (!gnttab_try_end_foreign_access(page_private(page)))
		return false;

	set_page_private(page, 0);
	__free_page(page);
	return true;
}

static grant_ref_t v1_tree_ref(struct page *desc)
{
	return page_private(desc);
}

/*
 * Ending a v1 entry and granting it again read-only keeps its reference,
 * so the leaf entry needs no change.  gnttab_end_foreign_access_ref() does
 * not free the reference; it fails while the backend maps the frame in any
 * way, as v1 entries cannot change their mode under a mapping.
 */
static int v1_downgrade(domid_t domid, u32 tree, gntv3_id_t id,
			struct page *page, struct gntv3_xgrant *xg)
{
	grant_ref_t first = v1_first_ref(xg);
	unsigned int i;

	for (i = 0; i < gntv3_xgrant_pieces(xg); i++) {
		if (xg->live && !test_bit(i, xg->live))
			continue;
		if (!gnttab_end_foreign_access_ref(first + i))
			return -EBUSY;
		gnttab_grant_foreign_access_ref(first + i, domid,
						xen_page_to_gfn(nth_page(page, i)),
						1);
		if (!((i + 1) % V1_RESCHED_PIECES))
			cond_resched();
	}
	return 0;
}

const struct gntv3_transport_ops gntv3_transport_v1 = {
	.name		= GNTV3_XS_TRANSPORT_V1,
	.uapi_id	= GNTV3_TRANSPORT_V1,
	.tree_flags	= GNTV3_TREE_F_V1,
	.refs_per_page	= 1,
	.grant		= gntv3_v1_grant,
	.spare_release	= v1_spare_release,
	.end		= v1_end,
	.abort		= v1_abort,
	.page_alloc	= v1_page_alloc,
	.page_release	= v1_page_release,
	.tree_ref	= v1_tree_ref,
	.downgrade	= v1_downgrade,
	.tree_open	= gntv3_v1_tree_open,
	.tree_close	= gntv3_v1_tree_close,
	.map		= gntv3_v1_map,
	.unmap		= gntv3_v1_unmap,
	.copy		= gntv3_v1_copy,
};
