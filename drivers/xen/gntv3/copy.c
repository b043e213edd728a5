// SPDX-License-Identifier: GPL-2.0-only
/*
 * gntv3 backend: copy to or from the frames of an attached tree without
 * mapping them (what netback does for guest RX data, and the first bytes
 * of a TX packet).
 *
 * The attachment's transport does the copy, one call per batch, with the
 * attachment's lock held: a revoke is acknowledged under the same lock
 * once no mapping of the range is left, so it can never be acknowledged
 * while a copy of the range is still in Xen's hands.
 */
#include <linux/mutex.h>
#include <xen/page.h>

#include "backend.h"
#include "transport.h"

static bool gntv3_copy_op_valid(const struct gntv3_copy_op *op)
{
	return op->page && op->len &&
	       op->len <= XEN_PAGE_SIZE &&
	       op->offset <= XEN_PAGE_SIZE - op->len &&
	       op->page_offset <= XEN_PAGE_SIZE - op->len &&
	       (op->dir == GNTV3_COPY_FROM_PEER ||
		op->dir == GNTV3_COPY_TO_PEER);
}

/**
 * gntv3_copy() - copy between our pages and the grants of an attached tree
 * @back: the attachment
 * @ops: @nr copy ops; each gets its own @status
 * @nr: number of ops, 1 to GNTV3_COPY_MAX_OPS
 *
 * Resolves every op's grant id through the tree, then copies all of them
 * with one batch of grant copy operations (v1: GNTTABOP_copy on the
 * backing v1 references; native, whose hypervisor has no copy sub-op yet:
 * each op's frame mapped, copied by the CPU and unmapped).  Ops fail one
 * by one: an op whose id does not resolve or whose copy Xen refuses gets
 * a negative @status and the others are still copied.  Nothing stays
 * mapped afterwards; a revoke of the range needs no unmap.
 *
 * Context: process context, may sleep.
 * Return: 0 when every op was tried (see each @status); or, with no op
 * tried and every @status left alone, -EINVAL for bad arguments (a NULL
 * pointer, @nr out of range, an op without a page, an empty range or one
 * past its frame, an unknown direction), -EOPNOTSUPP when the tree's
 * transport cannot copy, -ESHUTDOWN while detaching, -ENOMEM, -EPROTO for
 * a corrupt descriptor.
 */
int gntv3_copy(struct gntv3_back *back, struct gntv3_copy_op *ops,
	       unsigned int nr)
{
	unsigned int i;
	int rc;

	if (!back || !ops || !nr || nr > GNTV3_COPY_MAX_OPS)
		return -EINVAL;
	for (i = 0; i < nr; i++)
		if (!gntv3_copy_op_valid(&ops[i]))
			return -EINVAL;
	if (!back->xops->copy)
		return -EOPNOTSUPP;

	mutex_lock(&back->lock);
	rc = back->dying ? -ESHUTDOWN : back->xops->copy(back, ops, nr);
	mutex_unlock(&back->lock);
	if (rc)
		return rc;

	for (i = 0; i < nr; i++) {
		if (ops[i].status)
			atomic64_inc(&gntv3_back_cnt.copy_errors);
		else
			atomic64_add(ops[i].len, &gntv3_back_cnt.copy_bytes);
	}
	atomic64_add(nr, &gntv3_back_cnt.copy_ops);
	return 0;
}
EXPORT_SYMBOL_GPL(gntv3_copy);
