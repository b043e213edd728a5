/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * gntv3 transports: how a frontend makes its grant tree and the frames it
 * grants reachable by the backend (the granter half of the ops), and how a
 * backend maps them (the grantee half).
 *
 *  - v1 (transport_v1.c; grantee half in transport_v1_tree.c and
 *    transport_v1_map.c): every 4 KiB frame of a grant, every table page
 *    and the descriptor page also get a classic v1 grant entry, and tree
 *    entries hold v1 grant references (the B bit set).  The backend maps
 *    the descriptor and table pages read-only, walks the tree itself and
 *    maps the v1 references with gnttab_map_refs().  Works on every Xen.
 *  - native (transport_native.c): entries hold frame numbers and the
 *    hypervisor walks the tree itself (GNTTABOP_v3_map/unmap).  Selected
 *    only when the hypervisor answers GNTTABOP_v3_query with every feature
 *    the module needs; no released Xen does, only the project's prototype
 *    (xen/patches, Documentation/gntv3/native.rst).
 *
 * The transport does no locking of its own: the frontend serialises calls
 * for one grant or page, and the v1 grant table calls are thread-safe.
 */
#ifndef _GNTV3_TRANSPORT_H
#define _GNTV3_TRANSPORT_H

#include <linux/bitmap.h>
#include <linux/indirect_call_wrapper.h>
#include <linux/types.h>
#include <xen/grant_table.h>
#include <xen/interface/grant_table_v3.h>

struct gntv3_back;
struct gntv3_copy_op;
struct gntv3_map_priv;
struct page;

/**
 * struct gntv3_xgrant - transport state of one grant
 * @frame: FRAME and B bits of the leaf entry (v1: first grant reference;
 *	native: first frame number)
 * @live: with more than one piece on v1, or @split: bitmap of the frames
 *	whose access has not ended yet; NULL otherwise
 * @nr_live: frames whose access has not ended yet (on v1 also the grant
 *	references the grant holds, see gntv3_xgrant_refs())
 * @order: 4 KiB frames granted, as a power of two (the grant's order; see
 *	gntv3_xgrant_pieces())
 * @split: the range is granted as gntv3_xgrant_pieces() 4 KiB leaves under
 *	consecutive ids, each naming its own frame
 *	(&gntv3_transport_ops.piece_frame), instead of one superpage leaf
 *	naming @frame (native: a superpage that is not contiguous and
 *	aligned in machine frames, or of a size the hypervisor does not
 *	take)
 *
 * Filled by &gntv3_transport_ops.grant, owned by the frontend's grant record
 * afterwards.  Part of every grant record (struct gntv3_grant), hence the
 * small fields.
 */
struct gntv3_xgrant {
	u64 frame;
	unsigned long *live;
	unsigned int nr_live;
	u8 order;
	bool split;
};

/* The 4 KiB frames (pieces) of @xg. */
static inline unsigned int gntv3_xgrant_pieces(const struct gntv3_xgrant *xg)
{
	return 1U << xg->order;
}

/* The grant references @xg holds: one per live frame on v1, none native. */
static inline unsigned int gntv3_xgrant_refs(const struct gntv3_xgrant *xg)
{
	return xg->frame & GNTV3_PTE_V1 ? xg->nr_live : 0;
}

/**
 * struct gntv3_xspare - grant references a frontend sets aside for its
 * next 4 KiB grants
 * @head: v1: a private list of free references, as made by
 *	gnttab_alloc_grant_references(); meaningless while @nr is 0
 * @nr: references on @head
 * @backoff: grants to make with references of their own before the next
 *	refill is tried (one failed: the grant table is nearly full)
 *
 * Part of a front, used under its lock: a 4 KiB grant takes its reference
 * from here without the grant table's global lock.  Refilled by
 * &gntv3_transport_ops.grant, given back by
 * &gntv3_transport_ops.spare_release.
 */
struct gntv3_xspare {
	grant_ref_t head;
	unsigned int nr;
	unsigned int backoff;
};

/**
 * struct gntv3_transport_ops - one way of exposing grant trees
 * @name: "v1" or "native", as written to GNTV3_XS_TRANSPORT
 * @uapi_id: GNTV3_TRANSPORT_* reported by GNTV3_IOC_INFO
 * @tree_flags: GNTV3_TREE_F_* for the tree descriptor
 * @refs_per_page: grant references a page from @page_alloc holds until
 *	@page_release (v1: 1; native: 0), for the per-tree statistics
 * @grant: grant the @nr pages from @page (1, 512 or 2^18: a whole folio,
 *	or one page of a larger one) to @domid, read-only if @ro, taking
 *	what it can from (and refilling) the front's @spare.
 *	Fills @xg.  Returns 0 or a negative errno (-ENOSPC: out of v1 grant
 *	references), with nothing left granted on error.
 * @spare_release: give back every reference of @spare (a front's, once it
 *	grants no more).  NULL when @grant never fills it (native).
 * Calls about an existing tree carry @tree, what @tree_ref answered for its
 * descriptor (native: the hypervisor's tree handle; v1: the descriptor's
 * grant reference, unused).
 *
 * @end: try to end the access of every frame of @xg that is still live.
 *	Frames that ended are released at once (v1: their grant reference is
 *	freed).  Returns true when no frame is left live; @xg's bookkeeping is
 *	then freed too.  Safe to call again after false.
 * @abort: as @end, for a grant whose leaf never reached the tree (its
 *	install failed), so the hypervisor never learnt about it; a @split
 *	grant, whose leaves may have been in the tree for a while, is ended
 *	with @end instead
 * @piece_frame: FRAME and B bits of the 4 KiB leaf of piece @i of a @split
 *	grant from @page.  NULL when the transport never splits (v1).
 * @page_alloc: allocate a zeroed page and grant it read-only to @domid (for
 *	table pages and the descriptor).  Returns 0 and fills @page and @frame
 *	(FRAME and B bits of an entry naming it), or a negative errno.  The
 *	transport owns page->private of the page until @page_release.
 * @page_release: end the access to a page from @page_alloc and free it.
 *	Returns false, with the page untouched and still granted, when the
 *	backend still maps it.
 * @tree_ref: what a backend attaches to the tree whose descriptor is @desc
 *	(a page from @page_alloc) with, see gntv3_back_attach(): v1: the
 *	descriptor's grant reference; native: the tree handle
 *	@register_tree got from the hypervisor (so called after it)
 * @register_tree: tell the hypervisor about the descriptor page @desc of
 *	the tree granting to @domid; the transport keeps the handle it
 *	answers in page->private of @desc.  NULL when there is nothing to
 *	register.
 * @unregister_tree: undo @register_tree; -EBUSY while the backend still
 *	maps ids of the tree.
 * @downgrade: make the live frames of @xg (the grant @id from @page)
 *	read-only for @domid, once the backend acknowledged a DOWNGRADE.
 *	Returns 0, or -EBUSY while the backend still maps a frame in a way
 *	that prevents it (v1: any mapping; native: a writable one); frames
 *	already done stay read-only.
 * @revoke_scratch: take the grant @id back from @domid at once, mappings
 *	and all, by redirecting them to a scratch page (GNTTABOP_v3_revoke);
 *	afterwards @end succeeds.  Returns 0 or a negative errno.  NULL when
 *	the transport cannot (v1).
 *
 * Grantee half, for the attachments (struct gntv3_back) to trees of this
 * transport; each is called once per attach, detach or batch, never per
 * page:
 * @tree_open: attach: reach the tree of @back->domid named by
 *	@back->tree_ref, for us (@back->self).  0 or a negative errno, see
 *	gntv3_back_attach().
 * @tree_close: detach, once no mapping of @back is left: undo @tree_open.
 * @map: map the @nr grant ids @ids of @back's tree, with @flags
 *	(GNTV3_MAP_F_*), into @nr mappings it allocates and sets up
 *	(gntv3_mappings_alloc(), gntv3_mapping_init()), their pages from the
 *	attachment's page cache.  Called with @back->lock held.  All or
 *	nothing: 0 and @mps filled, or an errno of gntv3_map() with nothing
 *	mapped.
 * @unmap: unmap the pages of the mappings of @mps whose result is 0, as
 *	gntv3_back_unmap_pages() says, with @back->lock held.
 * @copy: do the @nr grant copy ops @ops of gntv3_copy(), already checked,
 *	with @back->lock held: 0 with each op's status set, or an errno of
 *	gntv3_copy() with none tried.  NULL when the transport cannot copy.
 */
struct gntv3_transport_ops {
	const char *name;
	u32 uapi_id;
	u32 tree_flags;
	unsigned int refs_per_page;
	int (*grant)(domid_t domid, struct gntv3_xspare *spare,
		     struct page *page, unsigned int nr, bool ro,
		     struct gntv3_xgrant *xg);
	void (*spare_release)(struct gntv3_xspare *spare);
	bool (*end)(domid_t domid, u32 tree, gntv3_id_t id,
		    struct gntv3_xgrant *xg);
	bool (*abort)(struct gntv3_xgrant *xg);
	u64 (*piece_frame)(struct page *page, unsigned int i);
	int (*page_alloc)(domid_t domid, struct page **page, u64 *frame);
	bool (*page_release)(struct page *page);
	grant_ref_t (*tree_ref)(struct page *desc);
	int (*register_tree)(domid_t domid, struct page *desc);
	int (*unregister_tree)(domid_t domid, u32 tree);
	int (*downgrade)(domid_t domid, u32 tree, gntv3_id_t id,
			 struct page *page, struct gntv3_xgrant *xg);
	int (*revoke_scratch)(domid_t domid, u32 tree, gntv3_id_t id,
			      struct gntv3_xgrant *xg);

	int (*tree_open)(struct gntv3_back *back);
	void (*tree_close)(struct gntv3_back *back);
	int (*map)(struct gntv3_back *back, const gntv3_id_t *ids,
		   unsigned int nr, unsigned int flags,
		   struct gntv3_map_priv **mps);
	void (*unmap)(struct gntv3_map_priv **mps, unsigned int nr,
		      int *results);
	int (*copy)(struct gntv3_back *back, struct gntv3_copy_op *ops,
		    unsigned int nr);
};

extern const struct gntv3_transport_ops gntv3_transport_v1;
extern const struct gntv3_transport_ops gntv3_transport_native;

/*
 * The two &gntv3_transport_ops.grant, for INDIRECT_CALL_2(): a retpoline
 * per grant cost a 4 KiB grant a tenth of its time under QEMU TCG.
 */
INDIRECT_CALLABLE_DECLARE(int gntv3_v1_grant(domid_t domid,
					     struct gntv3_xspare *spare,
					     struct page *page, unsigned int nr,
					     bool ro, struct gntv3_xgrant *xg));
INDIRECT_CALLABLE_DECLARE(int gntv3_native_grant(domid_t domid,
						 struct gntv3_xspare *spare,
						 struct page *page,
						 unsigned int nr, bool ro,
						 struct gntv3_xgrant *xg));

int gntv3_transport_probe(void);
void gntv3_transport_exit(void);
const struct gntv3_transport_ops *gntv3_transport_grantee(void);

/* Whether this domain maps grants natively: what its tree references mean. */
static inline bool gntv3_grantee_is_native(void)
{
	return gntv3_transport_grantee() == &gntv3_transport_native;
}

/**
 * gntv3_xgrant_forget() - drop the bookkeeping of a grant that is leaked
 * @xg: transport state whose frames stay granted forever
 *
 * Used at module unload for grants the backend never let go of: their
 * frames and grant references are deliberately never reused.
 */
static inline void gntv3_xgrant_forget(struct gntv3_xgrant *xg)
{
	bitmap_free(xg->live);
	xg->live = NULL;
}

#endif /* _GNTV3_TRANSPORT_H */
