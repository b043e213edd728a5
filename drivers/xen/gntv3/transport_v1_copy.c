// SPDX-License-Identifier: GPL-2.0-only
/*
 * gntv3 v1 transport, grantee half: grant copy.
 *
 * Every op's id is resolved through the table cache to the v1 reference
 * that backs its 4 KiB frame (an id inside a superpage names its piece:
 * a superpage's frames are granted with consecutive references), then all
 * resolved ops go to Xen as one gnttab_batch_copy().  Called with
 * back->lock held (gntv3_copy()), which the table cache needs.
 */
#include <xen/grant_table.h>
#include <xen/page.h>

#include "backend.h"
#include "hypercall.h"
#include "transport.h"
#include "tree.h"

/* The v1 reference of the frame @op names, or a negative errno. */
static int gntv3_copy_resolve(struct gntv3_back *back, u64 root,
			      const struct gntv3_copy_op *op,
			      struct gntv3_walk_cursor *cur, grant_ref_t *ref)
{
	struct gntv3_pte_info pi;
	unsigned int order;
	u64 piece;
	int rc;

	rc = gntv3_v1_leaf(back, root, op->id, cur, &pi, &piece, &order);
	if (rc)
		return rc;
	if (op->dir == GNTV3_COPY_TO_PEER && pi.ro)
		return -EACCES;
	/* v1: a downgrade waits for the frame to be unused to take it back */
	if (op->dir == GNTV3_COPY_TO_PEER && pi.downgrading)
		return -EAGAIN;
	*ref = pi.frame + piece;
	return 0;
}

static void gntv3_copy_fill(struct gnttab_copy *gop, domid_t peer,
			    grant_ref_t ref, const struct gntv3_copy_op *op)
{
	struct gnttab_copy_ptr *theirs, *ours;

	if (op->dir == GNTV3_COPY_FROM_PEER) {
		theirs = &gop->source;
		ours = &gop->dest;
		gop->flags = GNTCOPY_source_gref;
	} else {
		theirs = &gop->dest;
		ours = &gop->source;
		gop->flags = GNTCOPY_dest_gref;
	}
	theirs->u.ref = ref;
	theirs->domid = peer;
	theirs->offset = op->offset;
	ours->u.gmfn = xen_page_to_gfn(op->page);
	ours->domid = DOMID_SELF;
	ours->offset = op->page_offset;
	gop->len = op->len;
}

/**
 * gntv3_v1_copy() - &gntv3_transport_ops.copy of the v1 transport
 * @back: the attachment, with its lock held and not dying
 * @ops: @nr ops, checked by gntv3_copy()
 * @nr: number of ops
 *
 * Return: 0 with every op's status set, or -ENOMEM / -EPROTO (descriptor)
 * with none tried.
 */
int gntv3_v1_copy(struct gntv3_back *back, struct gntv3_copy_op *ops,
		  unsigned int nr)
{
	struct gnttab_copy gops_inline[GNTV3_INLINE_NR], *gops;
	unsigned int inline_nr[GNTV3_INLINE_NR], *op_of;
	struct gntv3_walk_cursor cur = {};
	unsigned int i, n = 0;
	grant_ref_t ref;
	u64 root;
	int rc, hrc;

	rc = gntv3_back_read_desc(back, &root);
	if (rc)
		return rc;
	gops = gntv3_array_get(gops_inline, sizeof(gops_inline), nr,
			       sizeof(*gops));
	op_of = gntv3_array_get(inline_nr, sizeof(inline_nr), nr,
				sizeof(*op_of));
	if (!gops || !op_of) {
		rc = -ENOMEM;
		goto out;
	}
	for (i = 0; i < nr; i++) {
		ops[i].status = gntv3_copy_resolve(back, root, &ops[i], &cur,
						   &ref);
		if (ops[i].status)
			continue;
		gntv3_copy_fill(&gops[n], back->domid, ref, &ops[i]);
		op_of[n++] = i;
	}
	hrc = n ? gntv3_hyp_batch_copy(gops, n) : 0;
	for (i = 0; i < n; i++)
		ops[op_of[i]].status = hrc ?: gntv3_gnttab_errno(gops[i].status);
out:
	if (gops)
		gntv3_array_put(gops, gops_inline);
	if (op_of)
		gntv3_array_put(op_of, inline_nr);
	return rc;
}
