// SPDX-License-Identifier: GPL-2.0-only
/*
 * gntv3 /dev/gntv3: GNTV3_IOC_COPY, grant copy for userspace backends (as
 * gntdev's IOCTL_GNTDEV_GRANT_COPY is for v1 grants).
 *
 * Each piece's user page is pinned before the file's backend lock is taken
 * (pinning takes mmap_lock), the attachment is looked up and the pieces are
 * copied by one gntv3_copy() under that lock, then the pages are unpinned,
 * dirtied where the peer's data landed in them.
 */
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <xen/gntv3.h>
#include <xen/page.h>
#include <uapi/xen/gntv3.h>

#include "dev.h"
#include "dev_back.h"

/* A piece the ioctl refuses as a whole: the same checks as gntv3_copy(). */
static bool gntv3_dev_seg_valid(const struct gntv3_ioc_copy_seg *seg)
{
	return seg->len && seg->len <= XEN_PAGE_SIZE &&
	       seg->offset <= XEN_PAGE_SIZE - seg->len &&
	       offset_in_page(seg->buf) <= PAGE_SIZE - seg->len &&
	       (seg->dir == GNTV3_IOC_COPY_FROM_PEER ||
		seg->dir == GNTV3_IOC_COPY_TO_PEER);
}

/*
 * Pin the user page of every piece into @ops; a piece whose page cannot be
 * pinned gets -EFAULT and no op (ops[i].page stays NULL).
 */
static void gntv3_dev_copy_pin(struct gntv3_ioc_copy_seg *segs,
			       struct gntv3_copy_op *ops, unsigned int nr)
{
	unsigned int i, gup_flags;

	for (i = 0; i < nr; i++) {
		gup_flags = segs[i].dir == GNTV3_IOC_COPY_FROM_PEER ? FOLL_WRITE : 0;
		if (pin_user_pages_fast(segs[i].buf & PAGE_MASK, 1, gup_flags,
					&ops[i].page) != 1) {
			ops[i].page = NULL;
			segs[i].status = -EFAULT;
			continue;
		}
		ops[i].id = segs[i].id;
		ops[i].offset = segs[i].offset;
		ops[i].len = segs[i].len;
		ops[i].page_offset = offset_in_page(segs[i].buf);
		ops[i].dir = segs[i].dir == GNTV3_IOC_COPY_FROM_PEER ?
			     GNTV3_COPY_FROM_PEER : GNTV3_COPY_TO_PEER;
	}
}

/* Move the pinned pieces to the front of @ops; returns how many. */
static unsigned int gntv3_dev_copy_pack(struct gntv3_copy_op *ops,
					unsigned int *seg_of, unsigned int nr)
{
	unsigned int i, n = 0;

	for (i = 0; i < nr; i++) {
		if (!ops[i].page)
			continue;
		seg_of[n] = i;
		ops[n++] = ops[i];
	}
	return n;
}

int gntv3_dev_ioc_copy(struct gntv3_ucmd *ucmd)
{
	struct gntv3_dev_back *db = ucmd->file->back;
	struct gntv3_ioc_copy *c = ucmd->cmd;
	struct gntv3_ioc_copy_seg *segs;
	struct gntv3_copy_op *ops = NULL;
	unsigned int *seg_of = NULL;
	struct gntv3_back *back;
	unsigned int i, n = 0;
	int rc = 0;

	if (!c->nr || c->nr > GNTV3_IOC_COPY_MAX_SEGS)
		return -EINVAL;
	segs = memdup_array_user(u64_to_user_ptr(c->segs), c->nr,
				 sizeof(*segs));
	if (IS_ERR(segs))
		return PTR_ERR(segs);
	for (i = 0; i < c->nr; i++) {
		if (!gntv3_dev_seg_valid(&segs[i]))
			rc = -EINVAL;
		segs[i].status = 0;
	}
	ops = kcalloc(c->nr, sizeof(*ops), GFP_KERNEL);
	seg_of = kcalloc(c->nr, sizeof(*seg_of), GFP_KERNEL);
	if (!rc && (!ops || !seg_of))
		rc = -ENOMEM;
	if (rc)
		goto out_free;

	gntv3_dev_copy_pin(segs, ops, c->nr);
	n = gntv3_dev_copy_pack(ops, seg_of, c->nr);

	mutex_lock(&db->lock);
	back = xa_load(&db->backs, c->back);
	if (!back)
		rc = -ENOENT;
	else if (n)
		rc = gntv3_copy(back, ops, n);
	mutex_unlock(&db->lock);

	for (i = 0; i < n; i++) {
		if (!rc)
			segs[seg_of[i]].status = ops[i].status;
		unpin_user_pages_dirty_lock(&ops[i].page, 1,
					    !rc && !ops[i].status &&
					    ops[i].dir == GNTV3_COPY_FROM_PEER);
	}
	if (!rc && copy_to_user(u64_to_user_ptr(c->segs), segs,
				c->nr * sizeof(*segs)))
		rc = -EFAULT;
out_free:
	kfree(seg_of);
	kfree(ops);
	kfree(segs);
	return rc;
}
